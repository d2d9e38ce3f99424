//! The keyspace: databases, values and their byte strings.

pub mod bytes;
pub mod db;
pub mod digest;
pub mod evict;
pub mod expire;
pub mod hash;
pub mod list;
pub mod set;
pub mod value;
pub mod zset;

pub use bytes::SmallBytes;
pub use db::{Db, Deletion, Entry, KeyEvent};
pub use value::{Kind, Value};
