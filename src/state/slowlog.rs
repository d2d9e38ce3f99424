//! The slow log's entries (SLOWLOG reads them; `cmd::slowlog::record` adds to them).

use std::collections::VecDeque;

/// One logged command.
#[derive(Debug)]
pub struct Entry {
    pub(crate) id: u64,
    pub(crate) unix_secs: i64,
    pub(crate) micros: u64,
    pub(crate) args: Vec<Vec<u8>>,
    pub(crate) peer: String,
    pub(crate) name: Vec<u8>,
}

/// The log, newest first.
#[derive(Debug, Default)]
pub struct Slowlog {
    pub(crate) entries: VecDeque<Entry>,
    pub(crate) next_id: u64,
}
