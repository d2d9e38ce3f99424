//! The registry of blocked clients (BLPOP & co., BZPOPMIN & co.): who waits on which keys,
//! until when, which keys were signalled ready, and the replies of clients unblocked outside a
//! serve. The mechanism that blocks and serves them is `cmd::blocking`.

use std::collections::{BTreeSet, VecDeque};
use std::ops::Range;

use hashbrown::HashMap;

use crate::store::Db;

/// The reply of a timed-out blocking command in RESP2. [`Blocking::unblock_with`] given these
/// bytes delivers a timeout, rendered in the blocked client's protocol (`_` in RESP3).
pub const TIMEOUT_REPLY: &[u8] = b"*-1\r\n";

/// The error CLIENT UNBLOCK … ERROR gives the blocked client.
pub const UNBLOCKED_ERROR: &str = "UNBLOCKED client unblocked via CLIENT UNBLOCK";

/// Which command's serve function re-runs for a blocked client once a key it waits on is
/// ready (`cmd::blocking` maps each to its function).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServeKind {
    /// BLPOP / BRPOP.
    ListPop,
    /// BLMOVE / BRPOPLPUSH.
    ListMove,
    /// BLMPOP.
    ListMpop,
    /// BZPOPMIN / BZPOPMAX.
    ZsetPop,
    /// BZMPOP.
    ZsetMpop,
}

/// How a client was unblocked outside a serve: its reply, written when it is delivered.
pub enum Unblocked {
    /// Timed out (or CLIENT UNBLOCK … TIMEOUT): the null array of the client's protocol.
    Timeout,
    /// A reply already in the wire format (an error: the same bytes in both protocols).
    Raw(Vec<u8>),
}

/// One blocked client's command.
pub struct Blocked {
    /// The blocked command.
    pub(crate) id: super::CommandId,
    pub(crate) db: usize,
    /// Distinct keys waited on.
    pub(crate) keys: Vec<Vec<u8>>,
    /// Unix ms after which it times out; 0 = never.
    pub(crate) deadline_ms: i64,
    /// The command's arguments, copied: `args_buf[ranges[i]]`.
    pub(crate) args_buf: Vec<u8>,
    pub(crate) ranges: Vec<Range<usize>>,
    pub(crate) serve: ServeKind,
}

/// The registry of blocked clients (one per server).
#[derive(Default)]
pub struct Blocking {
    /// Blocked clients by slab key.
    pub(crate) clients: HashMap<usize, Blocked>,
    /// Per database: waited key → slab keys of its waiters, in the order they blocked.
    pub(crate) queues: Vec<HashMap<Vec<u8>, VecDeque<usize>>>,
    /// Keys signalled since the last pass, in signal order, without repeats.
    pub(crate) ready: Vec<(usize, Vec<u8>)>,
    /// (deadline, slab key) of the clients with a timeout.
    pub(crate) timeouts: BTreeSet<(i64, usize)>,
    /// Clients unblocked outside a serve (timeout, CLIENT UNBLOCK), with the reply to deliver.
    pub(crate) outbox: Vec<(usize, Unblocked)>,
}

impl Blocking {
    /// Number of blocked clients (INFO `blocked_clients`).
    pub fn blocked_count(&self) -> usize {
        self.clients.len()
    }

    /// Number of blocked clients with a timeout (INFO `clients_in_timeout_table`).
    pub fn timeout_count(&self) -> usize {
        self.timeouts.len()
    }

    /// Number of distinct keys clients wait on.
    pub fn key_count(&self) -> usize {
        self.queues.iter().map(HashMap::len).sum()
    }

    /// Whether the client under slab key `client` is blocked.
    pub fn is_blocked(&self, client: usize) -> bool {
        !self.clients.is_empty() && self.clients.contains_key(&client)
    }

    /// Whether [`process`] has anything to do.
    pub fn has_work(&self) -> bool {
        !self.ready.is_empty() || !self.outbox.is_empty()
    }

    /// The earliest deadline (unix ms) of a blocked client.
    pub fn next_deadline(&self) -> Option<i64> {
        self.timeouts.first().map(|&(d, _)| d)
    }

    /// Marks `key` of database `db` ready if someone waits on it.
    pub fn signal(&mut self, db: usize, key: &[u8]) {
        if self.clients.is_empty() {
            return;
        }
        let waited = self.queues.get(db).is_some_and(|q| q.contains_key(key));
        if waited && !self.ready.iter().any(|(d, k)| *d == db && k == key) {
            self.ready.push((db, key.to_vec()));
        }
    }

    /// Marks every waited key of database `db` that exists as ready: SWAPDB, which changes
    /// every key of a database at once (Redis's `scanDatabaseForReadyKeys`).
    pub fn signal_existing_in(&mut self, dbs: &[Db], db: usize) {
        if self.clients.is_empty() {
            return;
        }
        let (Some(queues), Some(data)) = (self.queues.get(db), dbs.get(db)) else {
            return;
        };
        let found: Vec<Vec<u8>> = queues
            .keys()
            .filter(|key| data.find(key).is_some())
            .cloned()
            .collect();
        for key in found {
            self.signal(db, &key);
        }
    }

    pub(crate) fn register(&mut self, client: usize, blocked: Blocked) {
        if self.queues.len() <= blocked.db {
            self.queues.resize_with(blocked.db + 1, HashMap::new);
        }
        for key in &blocked.keys {
            self.queues[blocked.db]
                .entry(key.clone())
                .or_default()
                .push_back(client);
        }
        if blocked.deadline_ms != 0 {
            self.timeouts.insert((blocked.deadline_ms, client));
        }
        self.clients.insert(client, blocked);
    }

    /// Takes `client` out of the waiting queues and the timeout table.
    pub(crate) fn unregister(&mut self, client: usize, blocked: &Blocked) {
        if let Some(queues) = self.queues.get_mut(blocked.db) {
            for key in &blocked.keys {
                if let Some(q) = queues.get_mut(key.as_slice()) {
                    q.retain(|&c| c != client);
                    if q.is_empty() {
                        queues.remove(key.as_slice());
                    }
                }
            }
        }
        if blocked.deadline_ms != 0 {
            self.timeouts.remove(&(blocked.deadline_ms, client));
        }
    }

    /// Forgets a client (it disconnected): no reply is sent anywhere.
    pub fn remove_client(&mut self, client: usize) {
        if let Some(blocked) = self.clients.remove(&client) {
            self.unregister(client, &blocked);
        }
    }

    /// Unblocks `client` with `reply` as its answer (delivered by the next [`process`]).
    /// `reply` must read the same in both protocols (an error), or be [`TIMEOUT_REPLY`], which
    /// is delivered as [`Blocking::unblock_timeout`] does. Returns false when it was not
    /// blocked.
    pub fn unblock_with(&mut self, client: usize, reply: Vec<u8>) -> bool {
        let outcome = if reply == TIMEOUT_REPLY {
            Unblocked::Timeout
        } else {
            Unblocked::Raw(reply)
        };
        self.unblock(client, outcome)
    }

    /// Unblocks `client` as timed out: it gets the null array of its protocol (`*-1` / `_`),
    /// delivered by the next [`process`]. Returns false when it was not blocked.
    pub fn unblock_timeout(&mut self, client: usize) -> bool {
        self.unblock(client, Unblocked::Timeout)
    }

    pub(crate) fn unblock(&mut self, client: usize, outcome: Unblocked) -> bool {
        match self.clients.remove(&client) {
            Some(blocked) => {
                self.unregister(client, &blocked);
                self.outbox.push((client, outcome));
                true
            }
            None => false,
        }
    }

    /// Times out every client whose deadline has passed (`deadline < now_ms`, as Redis);
    /// their null-array replies are delivered by the next [`process`].
    pub fn expire(&mut self, now_ms: i64) {
        while let Some(&(deadline, client)) = self.timeouts.first() {
            if deadline >= now_ms {
                break;
            }
            self.unblock_timeout(client);
        }
    }
}
