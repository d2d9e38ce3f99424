//! The ACL log (Redis 7.0's `ACLLog`): denied commands, keys, channels and failed AUTHs,
//! newest first. An event equal to one of the 10 newest entries (same reason, context,
//! object and user, within 60 seconds) bumps that entry's count instead of adding one.

use std::collections::VecDeque;

/// How far back (entries) and how long (ms) an event may be grouped with an earlier one.
const GROUP_SCAN: usize = 10;
const GROUP_MAX_MS: i64 = 60_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    Command,
    Key,
    Channel,
    Auth,
}

impl Reason {
    pub fn name(self) -> &'static str {
        match self {
            Reason::Command => "command",
            Reason::Key => "key",
            Reason::Channel => "channel",
            Reason::Auth => "auth",
        }
    }
}

/// Where the denied command ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Toplevel,
    Multi,
    Lua,
}

impl Context {
    pub fn name(self) -> &'static str {
        match self {
            Context::Toplevel => "toplevel",
            Context::Multi => "multi",
            Context::Lua => "lua",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub count: u64,
    pub reason: Reason,
    pub context: Context,
    /// The command, key or channel denied; for AUTH, the command name as sent.
    pub object: Vec<u8>,
    pub username: Vec<u8>,
    /// Unix ms of the last occurrence.
    pub ctime_ms: i64,
    /// The client's CLIENT INFO line at the last occurrence.
    pub client_info: String,
}

#[derive(Debug, Default)]
pub struct AclLog {
    pub entries: VecDeque<Entry>,
}

impl AclLog {
    /// Redis's `addACLLogEntry`, keeping at most `max_len` entries.
    pub fn add(&mut self, entry: Entry, max_len: usize) {
        let similar = |e: &Entry| {
            e.reason == entry.reason
                && e.context == entry.context
                && (e.ctime_ms - entry.ctime_ms).abs() <= GROUP_MAX_MS
                && e.object == entry.object
                && e.username == entry.username
        };
        if let Some(pos) = self.entries.iter().take(GROUP_SCAN).position(similar) {
            if let Some(mut e) = self.entries.remove(pos) {
                e.count += 1;
                e.ctime_ms = entry.ctime_ms;
                e.client_info = entry.client_info;
                self.entries.push_front(e);
            }
            return;
        }
        self.entries.push_front(entry);
        self.entries.truncate(max_len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(object: &str, at: i64) -> Entry {
        Entry {
            count: 1,
            reason: Reason::Command,
            context: Context::Toplevel,
            object: object.as_bytes().to_vec(),
            username: b"u".to_vec(),
            ctime_ms: at,
            client_info: format!("at={at}"),
        }
    }

    #[test]
    fn groups_recent_equal_events_and_trims() {
        let mut log = AclLog::default();
        log.add(entry("get", 0), 3);
        log.add(entry("set", 1), 3);
        log.add(entry("get", 2), 3);
        assert_eq!(log.entries.len(), 2);
        assert_eq!(log.entries[0].object, b"get");
        assert_eq!(log.entries[0].count, 2);
        assert_eq!(log.entries[0].client_info, "at=2");
        // Too late to group.
        log.add(entry("get", 2 + GROUP_MAX_MS + 1), 3);
        assert_eq!(log.entries.len(), 3);
        log.add(entry("del", 70_000), 3);
        assert_eq!(log.entries.len(), 3);
        assert_eq!(log.entries[2].object, b"get");
        log.add(entry("x", 70_000), 0);
        assert!(log.entries.is_empty());
    }
}
