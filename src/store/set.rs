//! The set value type. (Placeholder: the collections change fills it in.)

/// A set value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Set {}

impl Set {
    /// The OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        "intset"
    }

    /// Bytes held on the heap (for memory accounting).
    pub fn heap_size(&self) -> usize {
        0
    }
}
