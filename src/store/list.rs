//! The list value type. (Placeholder: the collections change fills it in.)

/// A list value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct List {}

impl List {
    /// The OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        "listpack"
    }

    /// Bytes held on the heap (for memory accounting).
    pub fn heap_size(&self) -> usize {
        0
    }
}
