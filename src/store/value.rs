//! The values a key can hold.

use super::bytes::SmallBytes;
use super::{hash::Hash, list::List, set::Set, zset::ZSet};

/// Longest string Redis stores with the `embstr` encoding.
pub const EMBSTR_MAX: usize = 44;

/// A stored value. Strings come in the three encodings Redis reports through
/// OBJECT ENCODING: an integer, a short immutable string, and a growable buffer that APPEND and
/// SETRANGE produce. Collections arrive with their own issue.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A string that reads as a 64-bit integer (`int`).
    Int(i64),
    /// An immutable string (`embstr` up to 44 bytes, `raw` beyond).
    Str(SmallBytes),
    /// A string that has been modified in place (`raw`); boxed so `Value` stays three words.
    Raw(Box<Vec<u8>>),
    List(Box<List>),
    /// Held inline: a `Hash` is 16 bytes (a listpack buffer or a boxed hashtable).
    Hash(Hash),
    /// Held inline: a `Set` is 16 bytes (an intset handle or a boxed hashtable).
    Set(Set),
    ZSet(Box<ZSet>),
}

/// What TYPE answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    String,
    List,
    Hash,
    Set,
    ZSet,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::String => "string",
            Kind::List => "list",
            Kind::Hash => "hash",
            Kind::Set => "set",
            Kind::ZSet => "zset",
        }
    }
}

impl Value {
    /// Stores `data` as SET does: integers as integers, the rest as immutable strings.
    pub fn from_bytes(data: &[u8]) -> Value {
        if data.len() <= 20 {
            if let Some(n) = crate::util::num::parse_i64(data) {
                return Value::Int(n);
            }
        }
        Value::Str(SmallBytes::new(data))
    }

    pub fn kind(&self) -> Kind {
        match self {
            Value::Int(_) | Value::Str(_) | Value::Raw(_) => Kind::String,
            Value::List(_) => Kind::List,
            Value::Hash(_) => Kind::Hash,
            Value::Set(_) => Kind::Set,
            Value::ZSet(_) => Kind::ZSet,
        }
    }

    /// The OBJECT ENCODING name.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Int(_) => "int",
            Value::Str(s) if s.len() <= EMBSTR_MAX => "embstr",
            Value::Str(_) | Value::Raw(_) => "raw",
            Value::List(l) => l.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
        }
    }

    /// The string's bytes; integers are rendered into `scratch`.
    pub fn as_bytes<'a>(&'a self, scratch: &'a mut itoa::Buffer) -> Option<&'a [u8]> {
        match self {
            Value::Int(n) => Some(scratch.format(*n).as_bytes()),
            Value::Str(s) => Some(s.as_slice()),
            Value::Raw(v) => Some(v.as_slice()),
            Value::List(_) | Value::Hash(_) | Value::Set(_) | Value::ZSet(_) => None,
        }
    }

    /// The string as an owned buffer that can be modified in place (APPEND, SETRANGE).
    pub fn make_raw(&mut self) -> Option<&mut Vec<u8>> {
        let owned = match self {
            Value::Raw(v) => return Some(v),
            Value::Int(n) => itoa::Buffer::new().format(*n).as_bytes().to_vec(),
            Value::Str(s) => s.to_vec(),
            Value::List(_) | Value::Hash(_) | Value::Set(_) | Value::ZSet(_) => return None,
        };
        *self = Value::Raw(Box::new(owned));
        match self {
            Value::Raw(v) => Some(v),
            _ => None,
        }
    }

    pub fn is_string(&self) -> bool {
        self.kind() == Kind::String
    }

    /// Bytes this value holds on the heap (excluding its handle).
    pub fn heap_size(&self) -> usize {
        match self {
            Value::Int(_) => 0,
            Value::Str(s) => s.heap_size(),
            Value::Raw(v) => std::mem::size_of::<Vec<u8>>() + v.capacity(),
            Value::List(l) => std::mem::size_of::<List>() + l.heap_size(),
            Value::Hash(h) => h.heap_size(),
            Value::Set(s) => s.heap_size(),
            Value::ZSet(z) => std::mem::size_of::<ZSet>() + z.heap_size(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_three_words() {
        assert_eq!(std::mem::size_of::<Value>(), 24);
    }

    #[test]
    fn encodings_follow_redis() {
        assert_eq!(Value::from_bytes(b"12345").encoding(), "int");
        assert_eq!(Value::from_bytes(b"-0").encoding(), "embstr");
        assert_eq!(Value::from_bytes(b"007").encoding(), "embstr");
        assert_eq!(Value::from_bytes(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(Value::from_bytes(&[b'a'; 45]).encoding(), "raw");
        let mut v = Value::from_bytes(b"12");
        v.make_raw().unwrap().push(b'3');
        assert_eq!(v.encoding(), "raw");
    }
}
