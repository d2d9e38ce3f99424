//! Case-insensitive command-name lookup for the request path: an open-addressed table keyed
//! by an FNV-1a hash of the lowercased name, so a lookup is one pass over the name's bytes,
//! one or two probes and a short compare, with no copy of the name. (The general-purpose `HashMap` it
//! replaced cost about four times as many instructions per request: lowercase into a buffer,
//! then hash and probe again.)

/// Slots per table: a power of two, at least four times the commands it holds, so probes are
/// short.
const MIN_SLOTS: usize = 1024;

/// Longest name that can match; longer names are unknown without a probe.
pub const MAX_NAME: usize = 32;

/// Maps lowercase names to ids.
#[derive(Debug)]
pub struct NameIndex {
    /// `(hash, id + 1)`; `id + 1 == 0` marks an empty slot.
    slots: Vec<(u32, u32)>,
    /// The lowercase name of each id stored, for the final compare.
    names: Vec<(Box<[u8]>, usize)>,
}

/// FNV-1a over the lowercased bytes of `name`.
fn fnv1a_lower(name: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for &byte in name {
        hash = (hash ^ byte.to_ascii_lowercase() as u32).wrapping_mul(0x0100_0193);
    }
    hash
}

impl NameIndex {
    /// Builds the index over `(name, id)` pairs (names in any case; stored lowercase).
    pub fn new<'a>(entries: impl IntoIterator<Item = (&'a [u8], usize)>) -> NameIndex {
        let names: Vec<(Box<[u8]>, usize)> = entries
            .into_iter()
            .map(|(name, id)| (name.to_ascii_lowercase().into_boxed_slice(), id))
            .collect();
        let size = (names.len() * 4).next_power_of_two().max(MIN_SLOTS);
        let mut slots = vec![(0u32, 0u32); size];
        for (index, (name, _)) in names.iter().enumerate() {
            if name.len() > MAX_NAME {
                continue;
            }
            let hash = fnv1a_lower(name);
            let mut at = hash as usize & (size - 1);
            while slots[at].1 != 0 {
                at = (at + 1) & (size - 1);
            }
            slots[at] = (hash, index as u32 + 1);
        }
        NameIndex { slots, names }
    }

    /// The id stored under `name`, compared without regard to ASCII case.
    #[inline]
    pub fn get(&self, name: &[u8]) -> Option<usize> {
        if name.len() > MAX_NAME {
            return None;
        }
        let hash = fnv1a_lower(name);
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        loop {
            let (slot_hash, entry) = self.slots[at];
            if entry == 0 {
                return None;
            }
            if slot_hash == hash {
                let (stored, id) = &self.names[entry as usize - 1];
                // Names are a few bytes long: a plain loop beats a call to memcmp.
                if stored.len() == name.len()
                    && stored
                        .iter()
                        .zip(name)
                        .all(|(&s, &n)| s == n.to_ascii_lowercase())
                {
                    return Some(*id);
                }
            }
            at = (at + 1) & mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_name_in_any_case_and_nothing_else() {
        let names: Vec<String> = (0..300).map(|i| format!("cmd{i}")).collect();
        let index = NameIndex::new(names.iter().enumerate().map(|(i, n)| (n.as_bytes(), i * 2)));
        for (i, name) in names.iter().enumerate() {
            assert_eq!(index.get(name.as_bytes()), Some(i * 2));
            assert_eq!(index.get(name.to_ascii_uppercase().as_bytes()), Some(i * 2));
        }
        assert_eq!(index.get(b"cmd300"), None);
        assert_eq!(index.get(b""), None);
        assert_eq!(index.get(b"cmd1\0"), None);
        assert_eq!(index.get(&[b'x'; 40]), None);
    }
}
