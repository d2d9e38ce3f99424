//! DEBUG DIGEST: a 160-bit fingerprint of the whole dataset (or of single values), for tests
//! that check a save/reload or a restart kept every key (Redis's own test suite uses it so).
//!
//! Built like Redis's `computeDatasetDigest`: each key gets a digest of its name, value and
//! expire time; keys are combined by XOR, so the order the keyspace is walked in does not
//! matter; inside a value, ordered types (strings, lists, sorted sets) mix their elements in
//! order and unordered ones (sets, hashes) XOR theirs. The bytes are not Redis's SHA1 values —
//! only equality within ferrodis is meaningful — but they are stable across restarts (fixed
//! keys, no per-process seed).

use std::hash::Hasher;

use super::db::Db;
use super::value::Value;

/// A 20-byte digest; all zeros for nothing (an empty dataset, a missing key).
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct Digest([u8; 20]);

/// Fixed keys for the three 64-bit lanes (SipHash with per-lane prefixes).
const LANES: [u64; 3] = [
    0x243f_6a88_85a3_08d3,
    0x1319_8a2e_0370_7344,
    0xa409_3822_299f_31d0,
];

impl Digest {
    /// An ordered mix: the result depends on the current state and `data`.
    pub fn mix(&mut self, data: &[u8]) {
        let mut out = [0u8; 24];
        for (lane, chunk) in LANES.iter().zip(out.chunks_mut(8)) {
            // SipHash-1-3 with zero keys: deterministic across processes.
            #[allow(deprecated)]
            let mut h = std::hash::SipHasher::new();
            h.write_u64(*lane);
            h.write(&self.0);
            h.write_usize(data.len());
            h.write(data);
            chunk.copy_from_slice(&h.finish().to_le_bytes());
        }
        self.0.copy_from_slice(&out[..20]);
    }

    /// An unordered combination.
    pub fn xor(&mut self, other: &Digest) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a ^= b;
        }
    }

    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn mixed(parts: &[&[u8]]) -> Digest {
    let mut d = Digest::default();
    for p in parts {
        d.mix(p);
    }
    d
}

/// The digest of one value.
pub fn value_digest(value: &Value) -> Digest {
    let mut scratch = itoa::Buffer::new();
    let mut d = Digest::default();
    match value {
        Value::Int(_) | Value::Str(_) | Value::Raw(_) => {
            d.mix(b"string");
            d.mix(value.as_bytes(&mut scratch).unwrap_or_default());
        }
        Value::List(list) => {
            d.mix(b"list");
            for item in list.iter_from(0) {
                d.mix(item);
            }
        }
        Value::Set(set) => {
            d.mix(b"set");
            let mut acc = Digest::default();
            for member in set.iter() {
                acc.xor(&mixed(&[member.bytes(&mut scratch)]));
            }
            d.mix(&acc.0);
        }
        Value::Hash(hash) => {
            d.mix(b"hash");
            let mut acc = Digest::default();
            let mut scratch2 = itoa::Buffer::new();
            for (field, val) in hash.iter() {
                acc.xor(&mixed(&[
                    field.bytes(&mut scratch),
                    val.bytes(&mut scratch2),
                ]));
            }
            d.mix(&acc.0);
        }
        Value::ZSet(zset) => {
            d.mix(b"zset");
            for (member, score) in zset.iter() {
                d.mix(member);
                d.mix(&score.to_bits().to_le_bytes());
            }
        }
    }
    d
}

/// The digest of every database: all zeros when there are no keys.
pub fn dataset_digest(dbs: &[Db]) -> Digest {
    let mut total = Digest::default();
    for (index, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        for (slot, entry) in db.iter() {
            let mut d = Digest::default();
            d.mix(&(index as u64).to_le_bytes());
            d.mix(entry.key.as_slice());
            d.mix(&value_digest(&entry.value).0);
            if let Some(at) = db.expire_at(slot) {
                d.mix(b"!!expire!!");
                d.mix(&at.to_le_bytes());
            }
            total.xor(&d);
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_is_zero_and_order_does_not_matter() {
        assert_eq!(dataset_digest(&[Db::new()]).hex(), "0".repeat(40));
        let mut a = Db::new();
        a.set(b"x", Value::Int(1), false, 0);
        a.set(b"y", Value::from_bytes(b"two"), false, 0);
        let mut b = Db::new();
        b.set(b"y", Value::from_bytes(b"two"), false, 0);
        b.set(b"x", Value::Int(1), false, 0);
        assert_eq!(dataset_digest(&[a]), dataset_digest(&[b]));
        let mut c = Db::new();
        c.set(b"x", Value::Int(2), false, 0);
        c.set(b"y", Value::from_bytes(b"two"), false, 0);
        let mut d = Db::new();
        d.set(b"x", Value::Int(1), false, 0);
        d.set(b"y", Value::from_bytes(b"two"), false, 0);
        assert_ne!(dataset_digest(&[c]), dataset_digest(&[d]));
        // Integer and string encodings of the same text digest alike, as in Redis.
        assert_eq!(
            value_digest(&Value::Int(12)),
            value_digest(&Value::Str(crate::store::SmallBytes::new(b"12")))
        );
    }
}
