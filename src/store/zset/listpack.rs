//! The compact encoding of a small sorted set: one contiguous byte buffer of
//! `(member, score)` entries kept sorted by `(score, member)`, as Redis's listpack.
//!
//! Entry layout:
//!
//! ```text
//! varint(member length) | member bytes | score tag | score payload
//! ```
//!
//! The member length is LEB128 (one byte below 128). The score tag says how the score is
//! stored:
//!
//! | tag          | score                               | payload |
//! |--------------|-------------------------------------|---------|
//! | `0x00..=0xEF`| the integer `tag` (0..=239)         | none    |
//! | `0xF0`       | an integer, `i8`                    | 1 byte  |
//! | `0xF1`       | an integer, `i16` little endian     | 2 bytes |
//! | `0xF2`       | an integer, `i32` little endian     | 4 bytes |
//! | `0xF3`       | an integer, `i64` little endian     | 8 bytes |
//! | `0xF4`       | any other double, IEEE bits LE      | 8 bytes |
//!
//! Integral scores are stored as integers, so (exactly like Redis, whose listpack keeps a
//! score as the integer or the string `d2string` prints) a score of `-0` reads back as `0`.
//! Every other double round-trips exactly. The entry count lives next to the buffer (in the
//! `ZSet` handle), not in it.

const TAG_I8: u8 = 0xF0;
const TAG_I16: u8 = 0xF1;
const TAG_I32: u8 = 0xF2;
const TAG_I64: u8 = 0xF3;
const TAG_F64: u8 = 0xF4;
const MAX_IMMEDIATE: i64 = 0xEF;

/// Bytes `encode_entry` will append for this entry.
pub fn entry_size(member: &[u8], score: f64) -> usize {
    varint_len(member.len()) + member.len() + score_size(score)
}

fn varint_len(mut n: usize) -> usize {
    let mut len = 1;
    while n >= 0x80 {
        n >>= 7;
        len += 1;
    }
    len
}

/// The score as an exact integer when it is one (`-0` included, as `0`).
fn as_int(score: f64) -> Option<i64> {
    // The range check keeps the cast exact: every integral double in [-2^63, 2^63) fits.
    if score.trunc() == score
        && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&score)
    {
        Some(score as i64)
    } else {
        None
    }
}

fn score_size(score: f64) -> usize {
    match as_int(score) {
        Some(0..=MAX_IMMEDIATE) => 1,
        Some(i) if i8::try_from(i).is_ok() => 2,
        Some(i) if i16::try_from(i).is_ok() => 3,
        Some(i) if i32::try_from(i).is_ok() => 5,
        _ => 9,
    }
}

/// Appends one encoded entry.
pub fn encode_entry(member: &[u8], score: f64, out: &mut Vec<u8>) {
    let mut n = member.len();
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(member);
    match as_int(score) {
        Some(i @ 0..=MAX_IMMEDIATE) => out.push(i as u8),
        Some(i) => {
            if let Ok(v) = i8::try_from(i) {
                out.push(TAG_I8);
                out.extend_from_slice(&v.to_le_bytes());
            } else if let Ok(v) = i16::try_from(i) {
                out.push(TAG_I16);
                out.extend_from_slice(&v.to_le_bytes());
            } else if let Ok(v) = i32::try_from(i) {
                out.push(TAG_I32);
                out.extend_from_slice(&v.to_le_bytes());
            } else {
                out.push(TAG_I64);
                out.extend_from_slice(&i.to_le_bytes());
            }
        }
        None => {
            out.push(TAG_F64);
            out.extend_from_slice(&score.to_bits().to_le_bytes());
        }
    }
}

/// Decodes the entry at `pos`: its member, score and the position of the next entry.
/// The buffer is only ever written by [`encode_entry`], so it is well formed.
#[inline]
pub fn decode_at(buf: &[u8], pos: usize) -> (&[u8], f64, usize) {
    let mut p = pos;
    let mut len = 0usize;
    let mut shift = 0;
    loop {
        let b = buf[p];
        p += 1;
        len |= ((b & 0x7f) as usize) << shift;
        if b < 0x80 {
            break;
        }
        shift += 7;
    }
    let member = &buf[p..p + len];
    p += len;
    let tag = buf[p];
    p += 1;
    let score = match tag {
        TAG_I8 => {
            p += 1;
            f64::from(buf[p - 1] as i8)
        }
        TAG_I16 => {
            p += 2;
            f64::from(i16::from_le_bytes([buf[p - 2], buf[p - 1]]))
        }
        TAG_I32 => {
            p += 4;
            f64::from(i32::from_le_bytes(take4(&buf[p - 4..p])))
        }
        TAG_I64 => {
            p += 8;
            i64::from_le_bytes(take8(&buf[p - 8..p])) as f64
        }
        TAG_F64 => {
            p += 8;
            f64::from_bits(u64::from_le_bytes(take8(&buf[p - 8..p])))
        }
        small => f64::from(small),
    };
    (member, score, p)
}

fn take4(s: &[u8]) -> [u8; 4] {
    let mut a = [0u8; 4];
    a.copy_from_slice(s);
    a
}

fn take8(s: &[u8]) -> [u8; 8] {
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    a
}

/// Forward iterator over a listpack buffer.
#[derive(Clone)]
pub struct LpIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> LpIter<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        LpIter { buf, pos: 0 }
    }

    /// Byte position of the next entry.
    pub fn pos(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for LpIter<'a> {
    type Item = (&'a [u8], f64);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        let (m, s, next) = decode_at(self.buf, self.pos);
        self.pos = next;
        Some((m, s))
    }
}

/// Byte offsets of every entry, then the end of the buffer (for reverse walks and rank
/// arithmetic).
pub fn offsets(buf: &[u8]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        out.push(pos as u32);
        pos = decode_at(buf, pos).2;
    }
    out.push(pos as u32);
    out
}

/// Byte offset of the entry of rank `rank` (or the end when `rank` is the length).
pub fn offset_of_rank(buf: &[u8], rank: usize) -> usize {
    let mut pos = 0;
    for _ in 0..rank {
        if pos >= buf.len() {
            break;
        }
        pos = decode_at(buf, pos).2;
    }
    pos
}

/// `buf` with `entry` spliced in at `at` (replacing `buf[at..until]`).
pub fn splice(buf: &[u8], at: usize, until: usize, entry: &[u8]) -> Box<[u8]> {
    let mut out = Vec::with_capacity(buf.len() - (until - at) + entry.len());
    out.extend_from_slice(&buf[..at]);
    out.extend_from_slice(entry);
    out.extend_from_slice(&buf[until..]);
    out.into_boxed_slice()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_round_trip() {
        for s in [
            0.0,
            1.0,
            239.0,
            240.0,
            -1.0,
            -128.0,
            127.5,
            1e10,
            -1e15,
            9.2e18,
            i64::MIN as f64,
            1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            0.1,
        ] {
            let mut buf = Vec::new();
            encode_entry(b"m", s, &mut buf);
            assert_eq!(buf.len(), entry_size(b"m", s));
            let (m, got, end) = decode_at(&buf, 0);
            assert_eq!((m, end), (&b"m"[..], buf.len()));
            assert_eq!(got.to_bits(), s.to_bits(), "{s}");
        }
        let mut buf = Vec::new();
        encode_entry(&[7u8; 300], -0.0, &mut buf);
        let (m, got, _) = decode_at(&buf, 0);
        assert_eq!(m.len(), 300);
        assert_eq!(got.to_bits(), 0.0f64.to_bits());
    }
}
