//! RESP: the request parser and the reply writer.

pub mod parse;
pub mod reply;

pub use parse::{Args, Limits, Parsed, Parser, ProtoError};
pub use reply::Reply;
