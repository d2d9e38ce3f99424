//! Keyspace events: the "key deleted" hook and keyspace notifications.
//!
//! The store removes keys on its own account (lazy expiry in `Db::lookup`, the active expiry
//! cycle, eviction) and logs each one with its cause in its database (`Db::take_events`); it
//! also logs key creations while `new` notifications are on. The server drains those logs
//! right after the store operation that filled them ([`Server::drain_key_events`]: after a
//! lookup, after an expiry cycle, after eviction, before a command's own notification) and
//! hands every deletion to the one hook, [`Server::key_deleted`].
//!
//! Notifications follow Redis 7.0's `notify.c`: an event of a class enabled in
//! `notify-keyspace-events` is published, through the ordinary Pub/Sub path, as
//! `__keyspace@<db>__:<key>` → event (with `K`) and `__keyevent@<db>__:<event>` → key (with
//! `E`). Commands call `Ctx::notify` where Redis calls `notifyKeyspaceEvent`, in the same order.

use super::Server;
use crate::config::keyspace_events as ev;
use crate::store::{Deletion, KeyEvent};

impl Server {
    /// The one "key deleted" hook: the store removed `key` from database `db` because of
    /// `cause` (expired — found by a lookup or by the active cycle — or evicted). Every
    /// consumer of such deletions is one line here, in Redis's order:
    /// - the statistics (`expired_keys`, `evicted_keys`);
    /// - keyspace notifications (`expired` / `evicted`);
    /// - WATCH: the deletion is a modification (`touch_key`, Redis's `signalModifiedKey`),
    ///   which spoils the transactions watching a key that was live when watched.
    ///
    /// Client-side caching invalidation and AOF/replica propagation (a `DEL`) belong here too
    /// when they arrive: one more line each.
    pub fn key_deleted(&mut self, db: usize, key: &[u8], cause: Deletion) {
        match cause {
            Deletion::ExpiredLazy | Deletion::ExpiredActive => {
                self.stats.expired_keys += 1;
                self.publish_keyspace_event(ev::EXPIRED, "expired", db, key);
                self.touch_key(db, key);
            }
            Deletion::Evicted => {
                self.stats.evicted_keys += 1;
                self.touch_key(db, key);
                self.publish_keyspace_event(ev::EVICTED, "evicted", db, key);
            }
        }
    }

    /// Dispatches what the store logged in database `db`: deletions to [`Server::key_deleted`],
    /// creations as `new` notifications. Cheap when the log is empty (one branch).
    pub fn drain_key_events(&mut self, db: usize) {
        if !self.dbs.get(db).is_some_and(|d| d.has_events()) {
            return;
        }
        for (key, event) in self.dbs[db].take_events() {
            match event {
                KeyEvent::Deleted(cause) => self.key_deleted(db, key.as_slice(), cause),
                KeyEvent::Created => {
                    self.publish_keyspace_event(ev::NEW, "new", db, key.as_slice())
                }
            }
        }
    }

    /// [`Server::drain_key_events`] for every database (after an expiry cycle or eviction).
    pub fn drain_all_key_events(&mut self) {
        for db in 0..self.dbs.len() {
            self.drain_key_events(db);
        }
    }

    /// Whether `new` notifications are wanted, so the store must log key creations.
    pub fn wants_new_events(&self) -> bool {
        self.config.notify_keyspace_events & ev::NEW != 0
    }

    /// Turns the store's logging of key creations on or off in every database. A command
    /// runs with it on while `new` notifications are wanted; off, creating a key costs nothing.
    pub fn log_new_keys(&mut self, on: bool) {
        for db in &mut self.dbs {
            db.log_new = on;
        }
    }

    /// Redis's `notifyKeyspaceEvent`: `event` of class `class` happened to `key` in `db`.
    /// Whatever the store logged before (a lazily expired key, a created key) is dispatched
    /// first, so notifications come out in the order things happened.
    pub fn notify(&mut self, class: u32, event: &str, db: usize, key: &[u8]) {
        if self.config.notify_keyspace_events == 0 {
            return;
        }
        self.drain_all_key_events();
        self.publish_keyspace_event(class, event, db, key);
    }

    /// Publishes one notification, without looking at the store's logs.
    fn publish_keyspace_event(&mut self, class: u32, event: &str, db: usize, key: &[u8]) {
        let flags = self.config.notify_keyspace_events;
        if flags & class == 0 {
            return;
        }
        let mut db_name = itoa::Buffer::new();
        let db_name = db_name.format(db).as_bytes();
        if flags & ev::KEYSPACE != 0 {
            let mut channel = Vec::with_capacity(16 + db_name.len() + key.len());
            channel.extend_from_slice(b"__keyspace@");
            channel.extend_from_slice(db_name);
            channel.extend_from_slice(b"__:");
            channel.extend_from_slice(key);
            self.publish_event(&channel, event.as_bytes());
        }
        if flags & ev::KEYEVENT != 0 {
            let mut channel = Vec::with_capacity(16 + db_name.len() + event.len());
            channel.extend_from_slice(b"__keyevent@");
            channel.extend_from_slice(db_name);
            channel.extend_from_slice(b"__:");
            channel.extend_from_slice(event.as_bytes());
            self.publish_event(&channel, key);
        }
    }

    /// Publishes a notification. Other subscribers get it through the out-of-band queue; the
    /// client whose command fired it (when subscribed, so RESP3) gets it in
    /// [`Server::own_frames`], which the command copies into its reply where the event fired.
    fn publish_event(&mut self, channel: &[u8], message: &[u8]) {
        let caller = self
            .current_client
            .and_then(|k| self.clients.get(k).map(|c| (k, c.resp)));
        let Some((caller, resp)) = caller else {
            self.publish(usize::MAX, channel, message, &mut crate::resp::Reply::new());
            return;
        };
        let mut own = std::mem::take(&mut self.own_frames);
        own.set_protocol(resp);
        self.publish(caller, channel, message, &mut own);
        self.own_frames = own;
    }
}
