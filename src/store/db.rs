//! One database: a keyspace with per-key expiry times.
//!
//! Layout, chosen for SCAN's guarantee and for bytes per key:
//! - `slots` is a slab of entries. A key stays in its slot from insertion until deletion, and
//!   freed slots are reused, so a SCAN cursor is simply a slot index: a key present during the
//!   whole iteration sits at one index the whole time and is returned exactly once, and each
//!   call visits O(COUNT) slots. Growing the slab never moves a key to another index.
//! - `index` is a `hashbrown::HashTable` of `u64`s: the slot index in the low half and 32 bits
//!   of the key's hash in the high half, so probing compares hashes without touching the slab
//!   and a resize rehashes without reading the keys.
//! - Short keys and values live inline in the slot (`SmallBytes`), so a small string key costs
//!   no heap allocation at all.
//! - The index grows incrementally, as Redis's dict rehashes: when it is full, a table twice
//!   the size takes over for inserts and every write moves a few entries across (found by
//!   walking the slab), with lookups consulting both tables meanwhile. Growing a table of
//!   millions of keys in one step would stall every client for tens of milliseconds.
//! - Keys with a TTL are listed densely in `expires` (slot index, deadline); each entry knows its
//!   position there, so setting, reading and dropping a TTL is O(1) and the active expiry cycle
//!   can sample the list with a persistent cursor.
//! - Keys the store removes on its own account (lazy and active expiry, eviction), and, while
//!   the server asks for it, keys it creates, are logged in `events` with their cause; the
//!   server drains the log ([`Db::take_events`]) and tells its consumers (WATCH, keyspace
//!   notifications …). The store never calls up into the server.

use std::hash::BuildHasher;

use hashbrown::HashTable;

use super::bytes::SmallBytes;
use super::value::Value;

/// "No slot" / "no TTL" marker in the u32 links.
const NIL: u32 = u32::MAX;

/// Why the store removed a key without a command asking for that key's deletion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deletion {
    /// Found expired by a lookup (Redis's `expireIfNeeded`).
    ExpiredLazy,
    /// Found expired by the active expiry cycle.
    ExpiredActive,
    /// Evicted for `maxmemory`.
    Evicted,
}

/// An entry of a database's event log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyEvent {
    Deleted(Deletion),
    /// A key was created (logged only while [`Db::log_new`] is set).
    Created,
}

/// A live key.
#[derive(Debug)]
pub struct Entry {
    pub key: SmallBytes,
    pub value: Value,
    /// Position in `Db::expires`, or `NIL`.
    ttl_pos: u32,
    /// LRU clock (seconds) of the last access, for OBJECT IDLETIME.
    pub access: u32,
}

#[derive(Debug)]
enum Slot {
    Used(Entry),
    Free { next: u32 },
}

/// One of the 16 (by default) databases.
pub struct Db {
    index: HashTable<u64>,
    /// The previous, smaller index while its entries move to `index`.
    old_index: Option<HashTable<u64>>,
    /// Next slab slot whose index entry should be copied from `old_index`.
    migrate_cursor: usize,
    /// Slab length when the migration began: later slots were indexed in `index` directly.
    migrate_end: usize,
    slots: Vec<Slot>,
    free_head: u32,
    len: usize,
    expires: Vec<(u32, i64)>,
    hasher: hashbrown::DefaultHashBuilder,
    /// Where the active expiry cycle resumes sampling `expires`.
    pub expire_cursor: usize,
    /// Running estimate of the keys' remaining TTL in ms (INFO keyspace `avg_ttl`).
    pub avg_ttl: i64,
    /// Keys removed (expired, evicted) or created by the store, oldest first, until the
    /// server takes them.
    events: Vec<(SmallBytes, KeyEvent)>,
    /// Log key creations too (set by the server while `new` notifications are wanted).
    pub log_new: bool,
}

impl Default for Db {
    fn default() -> Self {
        Db::new()
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Db {{ keys: {}, expires: {} }}",
            self.len,
            self.expires.len()
        )
    }
}

/// The table stores only 32 bits of hash; hashbrown wants 64, taking the bucket from the low
/// bits and its control byte from the top seven, so both halves carry the stored bits.
fn widen(stored: u64) -> u64 {
    let hi = stored >> 32;
    (hi << 32) | hi
}

impl Db {
    pub fn new() -> Db {
        Db {
            index: HashTable::new(),
            old_index: None,
            migrate_cursor: 0,
            migrate_end: 0,
            slots: Vec::new(),
            free_head: NIL,
            len: 0,
            expires: Vec::new(),
            hasher: hashbrown::DefaultHashBuilder::default(),
            expire_cursor: 0,
            avg_ttl: 0,
            events: Vec::new(),
            log_new: false,
        }
    }

    /// Whether the event log holds anything (cheap: callers test it before draining).
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// Takes the logged events, oldest first.
    pub fn take_events(&mut self) -> Vec<(SmallBytes, KeyEvent)> {
        std::mem::take(&mut self.events)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Sizes an empty database for `n` keys (RDB loading knows the count up front), so
    /// filling it never migrates the index. No-op once it holds keys.
    pub fn reserve_empty(&mut self, n: usize) {
        if self.len == 0 && self.old_index.is_none() && n > self.index.capacity() {
            self.index = HashTable::with_capacity(n);
            self.slots = Vec::with_capacity(n);
            self.free_head = NIL;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Number of keys with a TTL.
    pub fn expires_len(&self) -> usize {
        self.expires.len()
    }

    fn hash32(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key) >> 32
    }

    /// Slot index of `key`, ignoring expiry.
    pub fn find(&self, key: &[u8]) -> Option<u32> {
        self.find_hashed(key, self.hash32(key))
    }

    /// [`Db::find`] with the key's 32-bit hash already computed.
    fn find_hashed(&self, key: &[u8], h: u64) -> Option<u32> {
        let slots = &self.slots;
        let matches = |&v: &u64| {
            v >> 32 == h
                && matches!(&slots[(v as u32) as usize], Slot::Used(e) if e.key.as_slice() == key)
        };
        let found = self.index.find((h << 32) | h, matches);
        let found = match (found, &self.old_index) {
            (None, Some(old)) => old.find((h << 32) | h, matches),
            (found, _) => found,
        };
        found.map(|&v| v as u32)
    }

    /// Slots whose entries are copied from the old index per insert while the index grows.
    /// The new table has twice the room, so copying more than one per insert finishes before
    /// it fills; a small step keeps every insert cheap (each copy is a few cache misses).
    const MIGRATE_STEP: usize = 8;

    /// Makes room for one more index entry: starts a migration to a table twice the size when
    /// the current one is full, and advances a migration in progress.
    ///
    /// Entries are copied, not moved: the old table stays as it was until the migration ends
    /// and is then dropped whole. Erasing from a full SwissTable leaves tombstones, and a
    /// lookup of a missing key (every SET of a new key) probes on until it meets an empty
    /// bucket, so a nearly drained old table would make each such lookup scan all of it.
    fn grow_index_step(&mut self) {
        if self.old_index.is_none() && self.index.len() >= self.index.capacity() {
            let bigger = HashTable::with_capacity((self.index.capacity() * 2).max(16));
            let old = std::mem::replace(&mut self.index, bigger);
            if !old.is_empty() {
                self.old_index = Some(old);
                self.migrate_cursor = 0;
                self.migrate_end = self.slots.len();
            }
        }
        if self.old_index.is_none() {
            return;
        }
        let end = (self.migrate_cursor + Self::MIGRATE_STEP).min(self.migrate_end);
        for slot in self.migrate_cursor..end {
            if let Slot::Used(e) = &self.slots[slot] {
                let h = self.hasher.hash_one(e.key.as_slice()) >> 32;
                let value = (h << 32) | slot as u64;
                // A slot reused since the migration began is in the new index already.
                if self.index.find((h << 32) | h, |&v| v == value).is_none() {
                    self.index
                        .insert_unique((h << 32) | h, value, |&v| widen(v));
                }
            }
        }
        self.migrate_cursor = end;
        if end >= self.migrate_end {
            self.old_index = None;
        }
    }

    pub fn entry(&self, slot: u32) -> Option<&Entry> {
        match self.slots.get(slot as usize) {
            Some(Slot::Used(e)) => Some(e),
            _ => None,
        }
    }

    pub fn entry_mut(&mut self, slot: u32) -> Option<&mut Entry> {
        match self.slots.get_mut(slot as usize) {
            Some(Slot::Used(e)) => Some(e),
            _ => None,
        }
    }

    /// Deadline (unix ms) of the key in `slot`, if it has one.
    pub fn expire_at(&self, slot: u32) -> Option<i64> {
        let e = self.entry(slot)?;
        (e.ttl_pos != NIL).then(|| self.expires[e.ttl_pos as usize].1)
    }

    /// Finds `key`, deleting it first if its deadline has passed (lazy expiry).
    pub fn lookup(&mut self, key: &[u8], now_ms: i64) -> Option<u32> {
        let slot = self.find(key)?;
        // Redis treats a key as expired only once the clock has passed its deadline.
        if self.expire_at(slot).is_some_and(|at| at < now_ms) {
            self.delete_logged(slot, Deletion::ExpiredLazy);
            return None;
        }
        Some(slot)
    }

    /// Reads `key` (lazily expiring it) and marks it accessed.
    pub fn get(&mut self, key: &[u8], now_ms: i64, clock: u32) -> Option<&mut Entry> {
        let slot = self.lookup(key, now_ms)?;
        let e = self.entry_mut(slot)?;
        e.access = clock;
        Some(e)
    }

    /// Stores `value` under `key`. An existing key keeps its slot; its TTL is dropped unless
    /// `keep_ttl`. Returns the slot.
    pub fn set(&mut self, key: &[u8], value: Value, keep_ttl: bool, clock: u32) -> u32 {
        // Hash once for both the probe and the insert.
        let h = self.hash32(key);
        if let Some(slot) = self.find_hashed(key, h) {
            if !keep_ttl {
                self.clear_expire(slot);
            }
            if let Some(e) = self.entry_mut(slot) {
                e.value = value;
                e.access = clock;
            }
            return slot;
        }
        self.insert_hashed(SmallBytes::new(key), h, value, clock)
    }

    /// Inserts a key known to be absent.
    pub fn insert_new(&mut self, key: SmallBytes, value: Value, clock: u32) -> u32 {
        let h = self.hash32(&key);
        self.insert_hashed(key, h, value, clock)
    }

    fn insert_hashed(&mut self, key: SmallBytes, h: u64, value: Value, clock: u32) -> u32 {
        // Before the slot is taken: a migration step must not copy the entry being added.
        self.grow_index_step();
        if self.log_new {
            self.events.push((key.clone(), KeyEvent::Created));
        }
        let entry = Entry {
            key,
            value,
            ttl_pos: NIL,
            access: clock,
        };
        let slot = if self.free_head != NIL {
            let slot = self.free_head;
            if let Slot::Free { next } = self.slots[slot as usize] {
                self.free_head = next;
            }
            self.slots[slot as usize] = Slot::Used(entry);
            slot
        } else {
            self.slots.push(Slot::Used(entry));
            (self.slots.len() - 1) as u32
        };
        self.index
            .insert_unique((h << 32) | h, (h << 32) | slot as u64, |&v| widen(v));
        self.len += 1;
        slot
    }

    /// Deletes `key` (expired or not); returns its value.
    pub fn remove(&mut self, key: &[u8]) -> Option<Value> {
        let slot = self.find(key)?;
        self.remove_slot(slot)
    }

    pub fn remove_slot(&mut self, slot: u32) -> Option<Value> {
        self.take_slot(slot).map(|e| e.value)
    }

    /// Removes the key in `slot` on the store's own account and logs it with `cause`, for
    /// the server's "key deleted" hook. Returns whether there was a key.
    pub fn delete_logged(&mut self, slot: u32, cause: Deletion) -> bool {
        match self.take_slot(slot) {
            Some(e) => {
                self.events.push((e.key, KeyEvent::Deleted(cause)));
                true
            }
            None => false,
        }
    }

    /// Removes the key in `slot`; returns its entry.
    fn take_slot(&mut self, slot: u32) -> Option<Entry> {
        self.clear_expire(slot);
        let h = match self.entry(slot) {
            Some(e) => self.hash32(&e.key),
            None => return None,
        };
        let value = (h << 32) | slot as u64;
        if let Ok(found) = self.index.find_entry((h << 32) | h, |&v| v == value) {
            found.remove();
        }
        // During a migration a copied entry is in both tables.
        if let Some(old) = self.old_index.as_mut() {
            if let Ok(found) = old.find_entry((h << 32) | h, |&v| v == value) {
                found.remove();
            }
        }
        let old = std::mem::replace(
            &mut self.slots[slot as usize],
            Slot::Free {
                next: self.free_head,
            },
        );
        self.free_head = slot;
        self.len -= 1;
        if self.len == 0 {
            // Give the memory back once the database is empty (the log and its setting stay).
            *self = Db {
                hasher: self.hasher.clone(),
                events: std::mem::take(&mut self.events),
                log_new: self.log_new,
                ..Db::new()
            };
        }
        match old {
            Slot::Used(e) => Some(e),
            Slot::Free { .. } => None,
        }
    }

    /// Sets the deadline (unix ms) of the key in `slot`.
    pub fn set_expire(&mut self, slot: u32, at_ms: i64) {
        let Some(e) = self.entry(slot) else { return };
        if e.ttl_pos != NIL {
            let pos = e.ttl_pos as usize;
            self.expires[pos].1 = at_ms;
            return;
        }
        let pos = self.expires.len() as u32;
        self.expires.push((slot, at_ms));
        if let Some(e) = self.entry_mut(slot) {
            e.ttl_pos = pos;
        }
    }

    /// Drops the TTL of the key in `slot`; returns whether it had one.
    pub fn clear_expire(&mut self, slot: u32) -> bool {
        let Some(e) = self.entry_mut(slot) else {
            return false;
        };
        let pos = e.ttl_pos;
        if pos == NIL {
            return false;
        }
        e.ttl_pos = NIL;
        self.expires.swap_remove(pos as usize);
        if let Some(&(moved, _)) = self.expires.get(pos as usize) {
            if let Some(m) = self.entry_mut(moved) {
                m.ttl_pos = pos;
            }
        }
        true
    }

    /// Number of slot positions a SCAN cursor ranges over.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Keys in slot order from `cursor`: visits at most `max_visits` slots and stops after
    /// `want` live keys. Returns the next cursor (0 when the end was reached).
    pub fn scan(
        &self,
        cursor: u64,
        want: usize,
        max_visits: usize,
        mut each: impl FnMut(u32, &Entry),
    ) -> u64 {
        let mut i = cursor as usize;
        let mut found = 0;
        let mut visited = 0;
        while i < self.slots.len() && found < want && visited < max_visits {
            if let Slot::Used(e) = &self.slots[i] {
                each(i as u32, e);
                found += 1;
            }
            i += 1;
            visited += 1;
        }
        if i >= self.slots.len() {
            0
        } else {
            i as u64
        }
    }

    /// Every live key's slot, in slot order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Entry)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| match s {
            Slot::Used(e) => Some((i as u32, e)),
            Slot::Free { .. } => None,
        })
    }

    /// A random live slot, using `rand` as the source of randomness.
    pub fn random_slot(&self, mut rand: impl FnMut() -> u64) -> Option<u32> {
        if self.len == 0 {
            return None;
        }
        let n = self.slots.len() as u64;
        // Mostly-full slabs answer in a few probes; a sparse one falls back to a walk from a
        // random starting point so the cost stays bounded.
        for _ in 0..32 {
            let i = (rand() % n) as u32;
            if self.entry(i).is_some() {
                return Some(i);
            }
        }
        let start = (rand() % n) as usize;
        (start..self.slots.len())
            .chain(0..start)
            .find(|&i| matches!(self.slots[i], Slot::Used(_)))
            .map(|i| i as u32)
    }

    /// The dense TTL list: (slot, deadline) pairs.
    pub fn expires(&self) -> &[(u32, i64)] {
        &self.expires
    }

    /// Approximate bytes held by this database's tables (not counting value heap data).
    pub fn table_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.index.capacity() * 9
            + self.old_index.as_ref().map_or(0, |t| t.capacity() * 9)
            + self.expires.capacity() * 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_slot_is_compact() {
        assert!(
            std::mem::size_of::<Slot>() <= 56,
            "{}",
            std::mem::size_of::<Slot>()
        );
    }

    #[test]
    fn set_get_remove_reuse() {
        let mut db = Db::new();
        for i in 0..1000 {
            db.set(format!("k{i}").as_bytes(), Value::Int(i), false, 0);
        }
        assert_eq!(db.len(), 1000);
        for i in (0..1000).step_by(2) {
            assert!(db.remove(format!("k{i}").as_bytes()).is_some());
        }
        assert_eq!(db.len(), 500);
        for i in 0..1000 {
            let found = db.find(format!("k{i}").as_bytes()).is_some();
            assert_eq!(found, i % 2 == 1);
        }
        let slots_before = db.slot_count();
        for i in 0..500 {
            db.set(format!("n{i}").as_bytes(), Value::Int(i), false, 0);
        }
        assert_eq!(db.slot_count(), slots_before, "freed slots are reused");
    }

    #[test]
    fn index_grows_incrementally_and_keeps_every_key() {
        let mut db = Db::new();
        let mut removed = std::collections::HashSet::new();
        let mut saw_migration = false;
        for i in 0..100_000 {
            db.set(format!("k{i}").as_bytes(), Value::Int(i), false, 0);
            saw_migration |= db.old_index.is_some();
            if i % 7 == 0 {
                db.remove(format!("k{}", i / 2).as_bytes());
                removed.insert(i / 2);
            }
        }
        assert!(saw_migration);
        assert_eq!(db.len(), 100_000 - removed.len());
        for i in 0..100_000 {
            let key = format!("k{i}");
            assert_eq!(
                db.find(key.as_bytes()).is_none(),
                removed.contains(&i),
                "{key}"
            );
        }
    }

    #[test]
    fn slots_reused_during_a_migration_are_indexed_once() {
        let mut db = Db::new();
        let mut i = 0;
        // Fill until a migration starts.
        while db.old_index.is_none() {
            db.set(format!("k{i}").as_bytes(), Value::Int(i), false, 0);
            i += 1;
        }
        // Free early slots (not copied yet) and reuse them while the copy runs.
        for j in 0..20 {
            db.remove(format!("k{j}").as_bytes());
        }
        let mut n = 0;
        while db.old_index.is_some() {
            db.set(format!("new{n}").as_bytes(), Value::Int(n), false, 0);
            n += 1;
        }
        assert_eq!(db.index.len(), db.len(), "one index entry per key");
        for j in 0..i {
            assert_eq!(
                db.find(format!("k{j}").as_bytes()).is_some(),
                j >= 20,
                "k{j}"
            );
        }
        for j in 0..n {
            assert!(db.find(format!("new{j}").as_bytes()).is_some(), "new{j}");
        }
    }

    #[test]
    fn expiry_index_tracks_moves() {
        let mut db = Db::new();
        let a = db.set(b"a", Value::Int(1), false, 0);
        let b = db.set(b"b", Value::Int(2), false, 0);
        db.set_expire(a, 100);
        db.set_expire(b, 200);
        assert!(db.clear_expire(a));
        assert_eq!(db.expire_at(b), Some(200));
        assert_eq!(db.expires_len(), 1);
        assert_eq!(db.lookup(b"b", 200), Some(b));
        assert_eq!(db.lookup(b"b", 201), None);
        assert_eq!(db.len(), 1);
    }

    #[test]
    fn the_store_logs_its_own_deletions_and_creations_when_asked() {
        let mut db = Db::new();
        let a = db.set(b"a", Value::Int(1), false, 0);
        db.set_expire(a, 100);
        assert!(!db.has_events(), "creations are not logged by default");
        db.log_new = true;
        db.set(b"b", Value::Int(2), false, 0);
        db.set(b"b", Value::Int(3), false, 0);
        db.log_new = false;
        // The last key going empties the database: the log survives the reset.
        assert_eq!(db.lookup(b"a", 101), None);
        let b = db.find(b"b").unwrap();
        assert!(db.delete_logged(b, Deletion::Evicted));
        assert!(db.is_empty());
        let events: Vec<(Vec<u8>, KeyEvent)> = db
            .take_events()
            .into_iter()
            .map(|(k, e)| (k.to_vec(), e))
            .collect();
        assert_eq!(
            events,
            vec![
                (b"b".to_vec(), KeyEvent::Created),
                (b"a".to_vec(), KeyEvent::Deleted(Deletion::ExpiredLazy)),
                (b"b".to_vec(), KeyEvent::Deleted(Deletion::Evicted)),
            ]
        );
        assert!(!db.has_events());
    }

    #[test]
    fn scan_returns_every_stable_key_once() {
        let mut db = Db::new();
        for i in 0..100 {
            db.set(format!("k{i}").as_bytes(), Value::Int(i), false, 0);
        }
        let mut seen = Vec::new();
        let mut cursor = 0;
        loop {
            cursor = db.scan(cursor, 7, 70, |_, e| seen.push(e.key.to_vec()));
            db.set(
                format!("extra{}", seen.len()).as_bytes(),
                Value::Int(0),
                false,
                0,
            );
            if cursor == 0 {
                break;
            }
        }
        for i in 0..100 {
            let k = format!("k{i}").into_bytes();
            assert_eq!(seen.iter().filter(|s| **s == k).count(), 1);
        }
    }
}
