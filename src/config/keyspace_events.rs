//! `notify-keyspace-events`: the classes of keyspace notifications, as Redis 7.0's flag letters
//! (`server.h` NOTIFY_*, `notify.c` keyspaceEventsStringToFlags / keyspaceEventsFlagsToString).
//!
//! The setting is a string of letters; it is stored as a bit set and read back normalised the
//! way Redis prints it (`KEA` reads back as `AKE`, `Ex` as `xE`).

/// `K`: publish on `__keyspace@<db>__:<key>`.
pub const KEYSPACE: u32 = 1 << 0;
/// `E`: publish on `__keyevent@<db>__:<event>`.
pub const KEYEVENT: u32 = 1 << 1;
/// `g`: generic commands (DEL, EXPIRE, RENAME, …).
pub const GENERIC: u32 = 1 << 2;
/// `$`: string commands.
pub const STRING: u32 = 1 << 3;
/// `l`: list commands.
pub const LIST: u32 = 1 << 4;
/// `s`: set commands.
pub const SET: u32 = 1 << 5;
/// `h`: hash commands.
pub const HASH: u32 = 1 << 6;
/// `z`: sorted set commands.
pub const ZSET: u32 = 1 << 7;
/// `x`: a key was removed because it expired.
pub const EXPIRED: u32 = 1 << 8;
/// `e`: a key was evicted for `maxmemory`.
pub const EVICTED: u32 = 1 << 9;
/// `t`: stream commands (ferrodis has none yet; accepted and kept).
pub const STREAM: u32 = 1 << 10;
/// `m`: a read found no key (not part of `A`).
pub const KEY_MISS: u32 = 1 << 11;
/// `d`: module events (accepted and kept; ferrodis has no modules).
pub const MODULE: u32 = 1 << 13;
/// `n`: a key was created (not part of `A`).
pub const NEW: u32 = 1 << 14;
/// `A`: every class but `m` and `n`.
pub const ALL: u32 =
    GENERIC | STRING | LIST | SET | HASH | ZSET | EXPIRED | EVICTED | STREAM | MODULE;

/// The CONFIG SET error for a letter Redis does not know.
pub const INVALID: &str = "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.";

/// Parses the letters of `notify-keyspace-events`; `None` on an unknown character.
pub fn parse(classes: &[u8]) -> Option<u32> {
    let mut flags = 0;
    for &c in classes {
        flags |= match c {
            b'A' => ALL,
            b'g' => GENERIC,
            b'$' => STRING,
            b'l' => LIST,
            b's' => SET,
            b'h' => HASH,
            b'z' => ZSET,
            b'x' => EXPIRED,
            b'e' => EVICTED,
            b'K' => KEYSPACE,
            b'E' => KEYEVENT,
            b't' => STREAM,
            b'm' => KEY_MISS,
            b'd' => MODULE,
            b'n' => NEW,
            _ => return None,
        };
    }
    Some(flags)
}

/// The letters CONFIG GET shows for `flags`, in Redis's order.
pub fn format(flags: u32) -> String {
    let mut s = String::new();
    if flags & ALL == ALL {
        s.push('A');
    } else {
        for (bit, c) in [
            (GENERIC, 'g'),
            (STRING, '$'),
            (LIST, 'l'),
            (SET, 's'),
            (HASH, 'h'),
            (ZSET, 'z'),
            (EXPIRED, 'x'),
            (EVICTED, 'e'),
            (STREAM, 't'),
            (MODULE, 'd'),
            (NEW, 'n'),
        ] {
            if flags & bit != 0 {
                s.push(c);
            }
        }
    }
    for (bit, c) in [(KEYSPACE, 'K'), (KEYEVENT, 'E'), (KEY_MISS, 'm')] {
        if flags & bit != 0 {
            s.push(c);
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_back_as_redis_7_0_prints_it() {
        // Each pair checked against redis-server 7.0.15.
        for (set, get) in [
            ("KEA", "AKE"),
            ("Ex", "xE"),
            ("", ""),
            ("gA", "A"),
            ("Kgx$", "g$xK"),
            ("KEm", "KEm"),
            ("KEn", "nKE"),
            ("An", "A"),
            ("AnKEm", "AKEm"),
            ("gd", "gd"),
            ("Ag$lshzxetd", "A"),
            ("tm", "tm"),
        ] {
            assert_eq!(format(parse(set.as_bytes()).unwrap()), get, "{set}");
        }
        assert_eq!(parse(b"KE lx"), None);
        assert_eq!(parse(b"Q"), None);
    }
}
