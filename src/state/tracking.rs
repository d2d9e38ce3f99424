//! Client-side caching (CLIENT TRACKING): which client read which key, and the invalidation
//! messages a change to those keys sends, as Redis 7.0's tracking.c does.
//!
//! Default mode remembers, per key name (across databases, as Redis does), the clients that
//! read it with tracking on; the first change to the key sends each of them one invalidation
//! and forgets them (a client hears about a key once until it reads it again). BCAST mode
//! remembers nothing per key: every change to a key under one of the client's prefixes is
//! collected per prefix and sent once per event-loop turn, the keys of one message in byte
//! order. FLUSHDB/FLUSHALL send a null invalidation ("everything") to every tracking client.
//!
//! Where messages go: a RESP3 client gets `>2 invalidate [keys]` pushes on its own
//! connection; a client that REDIRECTs sends them to the other connection instead, which in
//! RESP2 gets a pub/sub `message` on `__redis__:invalidate` (only while it is subscribed to
//! something, as Redis checks). Messages go through pub/sub's out-of-band entry point
//! (`Server::push_to`), which appends them after the reply of the command that caused them,
//! so a client's own invalidation always follows that reply, as in Redis.

use std::collections::{BTreeMap, BTreeSet};

use hashbrown::{HashMap, HashSet};

use super::Server;

/// The pub/sub channel invalidations go to for a RESP2 client that REDIRECTs.
pub const INVALIDATE_CHANNEL: &[u8] = b"__redis__:invalidate";

/// One client's tracking mode (Redis's CLIENT_TRACKING_* flags and its redirection).
#[derive(Debug, Default, Clone)]
pub struct ClientTracking {
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
    /// CLIENT CACHING YES (OPTIN) / NO (OPTOUT) was given for the next command.
    pub caching: bool,
    /// The REDIRECT target disconnected (flag `R` in CLIENT LIST).
    pub broken_redirect: bool,
    /// Client id invalidations go to; 0 for this connection itself.
    pub redirect: u64,
    /// BCAST prefixes, in byte order (CLIENT TRACKINGINFO lists them so).
    pub prefixes: BTreeSet<Vec<u8>>,
}

/// The keys a change under one BCAST prefix collected during this loop turn, with the id of
/// the client that made the last change to each (for NOLOOP), and the clients listening.
#[derive(Debug, Default)]
struct PrefixState {
    /// Slab key and id of each client subscribed to the prefix.
    clients: Vec<(usize, u64)>,
    keys: BTreeMap<Vec<u8>, Option<u64>>,
}

/// The server-wide tracking tables.
#[derive(Default)]
pub struct Tracking {
    /// Key name → (slab key, client id) of the clients that read it (default mode).
    table: HashMap<Vec<u8>, HashSet<(usize, u64)>>,
    /// Sum of the clients remembered over all keys (INFO `tracking_total_items`).
    total_items: usize,
    /// BCAST prefixes in use.
    prefixes: BTreeMap<Vec<u8>, PrefixState>,
    /// Clients with tracking on (INFO `tracking_clients`).
    pub clients: usize,
    /// Rounds in a row the table stayed over `tracking-table-max-keys` (more effort each).
    over_limit_rounds: usize,
}

impl Tracking {
    /// Keys remembered (INFO `tracking_total_keys`).
    pub fn total_keys(&self) -> usize {
        self.table.len()
    }

    pub fn total_items(&self) -> usize {
        self.total_items
    }

    pub fn total_prefixes(&self) -> usize {
        self.prefixes.len()
    }

    /// Anything to invalidate: a client tracks, or keys read earlier are still remembered.
    pub fn is_active(&self) -> bool {
        self.clients > 0 || !self.table.is_empty()
    }

    /// Whether any BCAST prefix collected keys this turn.
    pub fn has_broadcasts(&self) -> bool {
        self.prefixes.values().any(|p| !p.keys.is_empty())
    }
}

/// Whether one of `a`, `b` is a prefix of the other (Redis's `stringCheckPrefix`).
fn overlaps(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

/// Two BCAST prefixes of one client that overlap: the new one, and the one it overlaps
/// (already the client's, or given later in the same command).
pub enum PrefixCollision<'a> {
    Existing(&'a [u8], Vec<u8>),
    Given(&'a [u8], Vec<u8>),
}

/// The body of one invalidation: the keys as an array, or a null ("everything").
enum Keys<'a> {
    List(&'a [&'a [u8]]),
    Null,
}

impl Server {
    /// The first of `prefixes` that overlaps one `client` already has (`Existing`) or one
    /// given after it (`Given`), with the prefix it overlaps, for Redis's error.
    pub fn prefix_collision<'a>(
        &self,
        client: usize,
        prefixes: &[&'a [u8]],
    ) -> Option<PrefixCollision<'a>> {
        let existing = self.clients[client].tracking.as_ref().map(|t| &t.prefixes);
        for (i, &p) in prefixes.iter().enumerate() {
            if let Some(old) = existing.and_then(|e| e.iter().find(|o| overlaps(o, p))) {
                return Some(PrefixCollision::Existing(p, old.clone()));
            }
            if let Some(other) = prefixes[i + 1..].iter().find(|o| overlaps(p, o)) {
                return Some(PrefixCollision::Given(p, other.to_vec()));
            }
        }
        None
    }

    /// CLIENT TRACKING ON with checked options (Redis's `enableTracking`): flags are replaced,
    /// prefixes added to the ones the client already has.
    pub fn enable_tracking(&mut self, client: usize, mode: ClientTracking, prefixes: &[&[u8]]) {
        let id = self.clients[client].id;
        let state = self.clients[client].tracking.get_or_insert_with(|| {
            self.tracking.clients += 1;
            Box::default()
        });
        state.redirect = mode.redirect;
        state.broken_redirect = false;
        state.bcast = mode.bcast;
        state.optin = mode.optin;
        state.optout = mode.optout;
        state.noloop = mode.noloop;
        if mode.bcast {
            let wanted: Vec<&[u8]> = if prefixes.is_empty() {
                vec![b""]
            } else {
                prefixes.to_vec()
            };
            for p in wanted {
                if state.prefixes.insert(p.to_vec()) {
                    let entry = self.tracking.prefixes.entry(p.to_vec()).or_default();
                    entry.clients.push((client, id));
                }
            }
        }
    }

    /// CLIENT TRACKING OFF, RESET and disconnection (Redis's `disableTracking`). The keys the
    /// client read stay in the table until they change; messages then skip it.
    pub fn disable_tracking(&mut self, client: usize) {
        let Some(state) = self.clients.get_mut(client).and_then(|c| c.tracking.take()) else {
            return;
        };
        self.tracking.clients -= 1;
        for p in &state.prefixes {
            if let Some(entry) = self.tracking.prefixes.get_mut(p) {
                entry.clients.retain(|&(k, _)| k != client);
                if entry.clients.is_empty() {
                    self.tracking.prefixes.remove(p);
                }
            }
        }
    }

    /// After a read-only command of a tracking client in default mode: remember that it
    /// read `keys` (Redis's `trackingRememberKeys`), unless OPTIN/OPTOUT and CLIENT CACHING
    /// say otherwise.
    pub fn remember_keys(&mut self, client: usize, keys: impl Iterator<Item = impl AsRef<[u8]>>) {
        let c = &self.clients[client];
        let Some(state) = c.tracking.as_ref() else {
            return;
        };
        if state.bcast || (state.optin && !state.caching) || (state.optout && state.caching) {
            return;
        }
        let who = (client, c.id);
        for key in keys {
            let key = key.as_ref();
            let readers = match self.tracking.table.get_mut(key) {
                Some(r) => r,
                None => self.tracking.table.entry(key.to_vec()).or_default(),
            };
            if readers.insert(who) {
                self.tracking.total_items += 1;
            }
        }
    }

    /// `key` changed (Redis's `trackingInvalidateKey`): every client that read it gets one
    /// invalidation; BCAST prefixes that cover it collect it for the end of the loop turn.
    /// `by` is the client that made the change (None for expiry and eviction), for NOLOOP.
    pub fn invalidate_key(&mut self, key: &[u8], by: Option<usize>, bcast: bool) {
        let by_id = by.and_then(|k| self.clients.get(k)).map(|c| c.id);
        if bcast && !self.tracking.prefixes.is_empty() {
            for (prefix, state) in self.tracking.prefixes.iter_mut() {
                if key.starts_with(prefix) {
                    state.keys.insert(key.to_vec(), by_id);
                }
            }
        }
        let Some(readers) = self.tracking.table.remove(key) else {
            return;
        };
        self.tracking.total_items -= readers.len();
        for (target, id) in readers {
            let Some(c) = self.clients.get(target).filter(|c| c.id == id) else {
                continue;
            };
            let Some(state) = c.tracking.as_ref() else {
                continue;
            };
            if state.bcast || (state.noloop && by == Some(target)) {
                continue;
            }
            self.send_invalidation(target, Keys::List(&[key]));
        }
    }

    /// FLUSHDB / FLUSHALL (Redis's `trackingInvalidateKeysOnFlush`): every tracking client
    /// hears "everything" (a null), and the table is emptied.
    pub fn invalidate_all(&mut self) {
        if self.tracking.clients > 0 {
            let targets: Vec<usize> = self
                .clients
                .iter()
                .filter(|(_, c)| c.tracking.is_some())
                .map(|(k, _)| k)
                .collect();
            for target in targets {
                self.send_invalidation(target, Keys::Null);
            }
        }
        self.tracking.table = HashMap::new();
        self.tracking.total_items = 0;
    }

    /// Sends the keys each BCAST prefix collected this turn to its clients (Redis does this
    /// in beforeSleep): one message per prefix, keys in byte order; a NOLOOP client does not
    /// hear of its own changes.
    pub fn broadcast_invalidations(&mut self) {
        let mut batches = Vec::new();
        for state in self.tracking.prefixes.values_mut() {
            if state.keys.is_empty() {
                continue;
            }
            let keys = std::mem::take(&mut state.keys);
            batches.push((state.clients.clone(), keys));
        }
        for (clients, keys) in batches {
            for (target, id) in clients {
                let Some(c) = self.clients.get(target).filter(|c| c.id == id) else {
                    continue;
                };
                let noloop = c.tracking.as_ref().is_some_and(|t| t.noloop);
                let list: Vec<&[u8]> = keys
                    .iter()
                    .filter(|(_, by)| !(noloop && **by == Some(id)))
                    .map(|(k, _)| k.as_slice())
                    .collect();
                if !list.is_empty() || !noloop {
                    self.send_invalidation(target, Keys::List(&list));
                }
            }
        }
    }

    /// Keeps the table within `tracking-table-max-keys` (Redis's `trackingLimitUsedSlots`):
    /// keys are invalidated (their readers told) until the table is under the limit, with an
    /// effort that grows each time one pass was not enough.
    pub fn limit_tracking_table(&mut self) {
        let max = self.config.tracking_table_max_keys as usize;
        if max == 0 || self.tracking.table.len() <= max {
            self.tracking.over_limit_rounds = 0;
            return;
        }
        let effort = 100 * (self.tracking.over_limit_rounds + 1);
        let victims: Vec<Vec<u8>> = self
            .tracking
            .table
            .keys()
            .take(effort.min(self.tracking.table.len() - max))
            .cloned()
            .collect();
        for key in victims {
            self.invalidate_key(&key, None, false);
        }
        if self.tracking.table.len() <= max {
            self.tracking.over_limit_rounds = 0;
        } else {
            self.tracking.over_limit_rounds += 1;
        }
    }

    /// Sends one invalidation for `client` (Redis's `sendTrackingMessage`) through the
    /// out-of-band entry point of pub/sub ([`Server::push_to`]), which puts it after the reply
    /// of the command that caused it.
    fn send_invalidation(&mut self, client: usize, keys: Keys) {
        let Some(c) = self.clients.get(client) else {
            return;
        };
        let Some(state) = c.tracking.as_ref() else {
            return;
        };
        let own_resp = c.resp;
        let mut target = client;
        if state.redirect != 0 {
            let redirect = state.redirect;
            match self.client_key_by_id(redirect) {
                Some(t) => target = t,
                None => {
                    if let Some(s) = self.clients[client].tracking.as_mut() {
                        s.broken_redirect = true;
                    }
                    // Only a RESP3 client can be told on its own connection.
                    if own_resp == 3 {
                        self.push_to(client, |out| {
                            out.push(2);
                            out.bulk(b"tracking-redir-broken");
                            out.int(redirect as i64);
                        });
                    }
                    return;
                }
            }
        }
        let t = &self.clients[target];
        // RESP2 carries pushes only as pub/sub messages, to a subscribed redirection target.
        if t.resp != 3 && !(target != client && t.subscribed()) {
            return;
        }
        self.push_to(target, |out| {
            if out.is_resp3() {
                out.push(2);
                out.bulk(b"invalidate");
            } else {
                out.push(3);
                out.bulk(b"message");
                out.bulk(INVALIDATE_CHANNEL);
            }
            match &keys {
                Keys::List(list) => {
                    out.array(list.len());
                    for k in list.iter() {
                        out.bulk(k);
                    }
                }
                // Redis sends the null of the tracking client's own protocol.
                Keys::Null => out.raw(if own_resp == 3 { b"_\r\n" } else { b"$-1\r\n" }),
            }
        });
    }
}
