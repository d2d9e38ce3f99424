//! The zset value type. (Placeholder: the collections change fills it in.)

/// A zset value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ZSet {}

impl ZSet {
    /// The OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }

    /// Bytes held on the heap (for memory accounting).
    pub fn heap_size(&self) -> usize {
        0
    }
}
