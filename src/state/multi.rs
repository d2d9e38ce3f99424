//! A client's open transaction: the commands queued between MULTI and EXEC.

use std::ops::Range;

use super::CommandId;

/// A command waiting in a transaction, its arguments copied out of the query buffer.
#[derive(Debug)]
pub struct Queued {
    pub(crate) id: CommandId,
    pub(crate) buf: Vec<u8>,
    pub(crate) ranges: Vec<Range<usize>>,
}

/// A client's open transaction (between MULTI and EXEC/DISCARD).
#[derive(Default, Debug)]
pub struct Transaction {
    pub(crate) queued: Vec<Queued>,
    /// A command was refused while queueing: EXEC answers EXECABORT.
    pub(crate) aborted: bool,
    /// Union of the queued commands' flags, for EXEC's OOM and MISCONF checks.
    pub(crate) flags: u32,
    /// While EXEC runs the commands (moved out of `queued`): their count and memory, which
    /// CLIENT LIST still shows then, as Redis does.
    pub(crate) running: Option<(usize, usize)>,
}

impl Transaction {
    pub fn len(&self) -> usize {
        self.running.map_or(self.queued.len(), |(n, _)| n)
    }

    pub fn is_empty(&self) -> bool {
        self.queued.is_empty()
    }

    /// Flags of the queued commands together.
    pub fn flags(&self) -> u32 {
        self.flags
    }

    /// Bytes held by the queued arguments (CLIENT LIST `multi-mem`).
    pub fn memory(&self) -> usize {
        if let Some((_, mem)) = self.running {
            return mem;
        }
        self.queued
            .iter()
            .map(|q| q.buf.capacity() + q.ranges.capacity() * std::mem::size_of::<Range<usize>>())
            .sum()
    }
}
