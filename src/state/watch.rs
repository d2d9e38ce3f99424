//! WATCH: which clients watch which keys, and the "touch" that spoils their transactions.
//!
//! A command that modifies a key calls [`Server::touch_key`] (through `Ctx::touch`), where
//! Redis calls `signalModifiedKey`; FLUSHDB/FLUSHALL and SWAPDB touch every watched key of the
//! databases they empty or exchange. Keys the store removes on its own (lazy or active expiry,
//! eviction) are touched through the "key deleted" hook, `Server::key_deleted` in
//! `state/notify.rs`, as Redis's deleteExpiredKeyAndPropagate and performEvictions signal
//! them. A touched client has its transaction marked dirty
//! (`Client::dirty_cas`): its next EXEC answers a null array. Watching costs a client nothing
//! until it watches: an empty registry makes a touch one branch.
//!
//! Keys already expired when they were watched are special, as in Redis 7.0: deleting such a
//! key is not a change (the flag is cleared instead), while writing a new value is. At EXEC a
//! watched key that has expired since it was watched spoils the transaction too.

use hashbrown::HashMap;

use super::Server;
use crate::store::Db;

/// One key a client watches.
#[derive(Clone, Debug)]
pub struct WatchedKey {
    pub db: usize,
    pub key: Vec<u8>,
    /// The key existed but was already logically expired when it was watched.
    pub expired: bool,
}

/// Watchers by key: `(db, key)` → slab keys of the clients watching it, in watch order.
#[derive(Default)]
pub struct Watches {
    by_key: HashMap<(usize, Vec<u8>), Vec<usize>>,
}

impl Watches {
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Number of distinct watched keys (INFO `watching_clients` needs clients, not keys).
    pub fn key_count(&self) -> usize {
        self.by_key.len()
    }
}

/// A `(db, key)` to look up in [`Watches`] without copying the key; it hashes as the stored
/// `(usize, Vec<u8>)` does.
#[derive(Hash)]
struct Lookup<'a>(usize, &'a [u8]);

impl hashbrown::Equivalent<(usize, Vec<u8>)> for Lookup<'_> {
    fn equivalent(&self, stored: &(usize, Vec<u8>)) -> bool {
        self.0 == stored.0 && self.1 == stored.1.as_slice()
    }
}

/// Whether `key` exists in `db` with a deadline already passed at `now_ms`.
fn stale(db: &Db, key: &[u8], now_ms: i64) -> bool {
    db.find(key)
        .and_then(|slot| db.expire_at(slot))
        .is_some_and(|at| at < now_ms)
}

impl Server {
    /// WATCH `key` in `db` for the client `client`.
    pub fn watch_key(&mut self, client: usize, db: usize, key: &[u8], now_ms: i64) {
        let watched = &self.clients[client].watched;
        if watched.iter().any(|w| w.db == db && w.key == key) {
            return;
        }
        let expired = self.dbs.get(db).is_some_and(|d| stale(d, key, now_ms));
        self.clients[client].watched.push(WatchedKey {
            db,
            key: key.to_vec(),
            expired,
        });
        self.watches
            .by_key
            .entry((db, key.to_vec()))
            .or_default()
            .push(client);
    }

    /// Forgets every key `client` watches (UNWATCH, EXEC, DISCARD, RESET, disconnection).
    pub fn unwatch_all(&mut self, client: usize) {
        let Some(c) = self.clients.get_mut(client) else {
            return;
        };
        for w in std::mem::take(&mut c.watched) {
            let slot = (w.db, w.key);
            if let Some(list) = self.watches.by_key.get_mut(&slot) {
                list.retain(|&k| k != client);
                if list.is_empty() {
                    self.watches.by_key.remove(&slot);
                }
            }
        }
    }

    /// Redis's `signalModifiedKey`: `key` in `db` was modified.
    pub fn touch_key(&mut self, db: usize, key: &[u8]) {
        if self.tracking.is_active() {
            self.invalidate_key(key, self.current_client, true);
        }
        if self.watches.is_empty() {
            return;
        }
        // Every write calls this while anyone watches anything: no allocation per call.
        let Some(watchers) = self.watches.by_key.get(&Lookup(db, key)) else {
            return;
        };
        let exists = self.dbs.get(db).is_some_and(|d| d.find(key).is_some());
        let mut spoiled = Vec::new();
        for &client in watchers {
            let Some(c) = self.clients.get_mut(client) else {
                continue;
            };
            let entry = c.watched.iter_mut().find(|w| w.db == db && w.key == key);
            if let Some(w) = entry {
                if w.expired && !exists {
                    // A key that was stale when watched is now gone: logically no change.
                    w.expired = false;
                    continue;
                }
            }
            spoiled.push(client);
        }
        for client in spoiled {
            self.clients[client].dirty_cas = true;
            // Nothing more can happen to a spoiled transaction's watches.
            self.unwatch_all(client);
        }
    }

    /// Touches every watched key of `db` that exists in it (or, when `replaced_with` is given,
    /// in that database, which is about to take its place): FLUSHDB, FLUSHALL, SWAPDB. Call
    /// before the databases change.
    pub fn touch_all_in_db(&mut self, db: usize, replaced_with: Option<usize>, now_ms: i64) {
        if self.watches.is_empty() {
            return;
        }
        let keys: Vec<Vec<u8>> = self
            .watches
            .by_key
            .keys()
            .filter(|(d, _)| *d == db)
            .map(|(_, k)| k.clone())
            .collect();
        let mut spoiled = Vec::new();
        for key in keys {
            let in_emptied = self.dbs[db].find(&key).is_some();
            let in_replacement = replaced_with.is_some_and(|r| self.dbs[r].find(&key).is_some());
            if !in_emptied && !in_replacement {
                continue;
            }
            let replacement_stale =
                replaced_with.is_some_and(|r| stale(&self.dbs[r], &key, now_ms));
            let Some(watchers) = self.watches.by_key.get(&(db, key.clone())) else {
                continue;
            };
            for &client in watchers {
                let Some(c) = self.clients.get_mut(client) else {
                    continue;
                };
                let Some(w) = c.watched.iter_mut().find(|w| w.db == db && w.key == key) else {
                    continue;
                };
                if w.expired {
                    if !in_replacement {
                        // The stale key is deleted: no logical change.
                        w.expired = false;
                        continue;
                    } else if replacement_stale {
                        // Stale before, stale after.
                        continue;
                    }
                } else if !in_emptied && replacement_stale {
                    // A missing key replaced by a stale one: still logically missing.
                    w.expired = true;
                    continue;
                }
                spoiled.push(client);
            }
        }
        for client in spoiled {
            if let Some(c) = self.clients.get_mut(client) {
                c.dirty_cas = true;
            }
        }
    }

    /// Whether a key `client` watches, live when watched, has expired since (checked at EXEC).
    pub fn watched_key_expired(&self, client: usize, now_ms: i64) -> bool {
        self.clients[client]
            .watched
            .iter()
            .any(|w| !w.expired && self.dbs.get(w.db).is_some_and(|d| stale(d, &w.key, now_ms)))
    }
}
