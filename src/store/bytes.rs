//! `SmallBytes`: an immutable byte string that keeps up to 22 bytes inline.
//!
//! Most keys and many values are short. Keeping them inside the 24-byte handle saves the heap
//! allocation (and its 16 bytes of allocator overhead) that a `Vec<u8>` or `Box<[u8]>` would
//! cost, which is most of a small key's footprint.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};

const INLINE_CAP: usize = 22;

/// Inline length tag: one value per possible inline length, so the enum keeps spare niche
/// values for the enums that contain it.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
#[allow(dead_code)]
#[doc(hidden)]
pub enum InlineLen {
    L0,
    L1,
    L2,
    L3,
    L4,
    L5,
    L6,
    L7,
    L8,
    L9,
    L10,
    L11,
    L12,
    L13,
    L14,
    L15,
    L16,
    L17,
    L18,
    L19,
    L20,
    L21,
    L22,
}

impl InlineLen {
    fn new(len: usize) -> InlineLen {
        assert!(len <= INLINE_CAP);
        // SAFETY: `InlineLen` is `repr(u8)` with discriminants 0..=22 and `len` is in range.
        unsafe { std::mem::transmute::<u8, InlineLen>(len as u8) }
    }
}

#[derive(Clone)]
pub enum SmallBytes {
    #[doc(hidden)]
    Inline(InlineLen, [u8; INLINE_CAP]),
    #[doc(hidden)]
    Heap(Box<[u8]>),
}

impl SmallBytes {
    pub fn new(data: &[u8]) -> SmallBytes {
        if data.len() <= INLINE_CAP {
            let mut buf = [0u8; INLINE_CAP];
            buf[..data.len()].copy_from_slice(data);
            SmallBytes::Inline(InlineLen::new(data.len()), buf)
        } else {
            SmallBytes::Heap(data.into())
        }
    }

    pub fn from_vec(data: Vec<u8>) -> SmallBytes {
        if data.len() <= INLINE_CAP {
            SmallBytes::new(&data)
        } else {
            SmallBytes::Heap(data.into_boxed_slice())
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        match self {
            SmallBytes::Inline(len, buf) => &buf[..*len as usize],
            SmallBytes::Heap(b) => b,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            SmallBytes::Inline(len, _) => *len as usize,
            SmallBytes::Heap(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes on the heap beyond the handle itself (for memory accounting).
    pub fn heap_size(&self) -> usize {
        match self {
            SmallBytes::Inline(..) => 0,
            SmallBytes::Heap(b) => b.len(),
        }
    }

    pub fn to_vec(&self) -> Vec<u8> {
        self.as_slice().to_vec()
    }
}

impl std::ops::Deref for SmallBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for SmallBytes {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for SmallBytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for SmallBytes {}

impl PartialOrd for SmallBytes {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SmallBytes {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl Hash for SmallBytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl fmt::Debug for SmallBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

impl From<&[u8]> for SmallBytes {
    fn from(data: &[u8]) -> Self {
        SmallBytes::new(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handle_is_three_words() {
        assert_eq!(std::mem::size_of::<SmallBytes>(), 24);
        assert_eq!(std::mem::size_of::<Option<SmallBytes>>(), 24);
    }

    #[test]
    fn round_trips_every_length_around_the_inline_limit() {
        for len in 0..40 {
            let data: Vec<u8> = (0..len as u8).collect();
            let s = SmallBytes::new(&data);
            assert_eq!(s.as_slice(), &data[..]);
            assert_eq!(s.len(), len);
            assert_eq!(s.heap_size() > 0, len > INLINE_CAP);
            assert_eq!(SmallBytes::from_vec(data.clone()), s);
        }
    }
}
