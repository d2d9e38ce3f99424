//! Generic key commands: DEL, UNLINK, EXISTS, TYPE, TOUCH, KEYS, RENAME, RENAMENX, RANDOMKEY,
//! COPY, MOVE, SWAPDB, SCAN and the OBJECT introspection subcommands, plus the legacy words
//! `DELETE` (= DEL) and a bare `KEYS` (= `KEYS *`).
//!
//! Which lookups count keyspace hits/misses and which refresh the access time follows Redis
//! 7.0: EXISTS, TYPE and OBJECT count but do not touch; TOUCH and COPY's source count and
//! touch; DEL, RENAME and MOVE neither count nor touch beyond the write lookup.

use super::parse_scan_cursor as parse_cursor;
use super::table::{acl, flags::*, key_flags::*, policy::*, tips::*, Command, Group, KeySpec};
use super::{arg_i64, ev, CmdError, CmdResult, Ctx};
use crate::resp::Args;
use crate::state::Server;
use crate::store::{Deletion, SmallBytes};
use crate::util::glob::glob_match;

pub static COMMANDS: &[Command] = &[
    Command::new("del", -2, del)
        .group(Group::Generic)
        .flags(WRITE)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(1).range(-1, 1, 0).flags(RM | DELETE)])
        .tips(&[REQUEST_MULTI_SHARD, RESPONSE_AGG_SUM])
        .summary("Delete a key")
        .since("1.0.0")
        .complexity(DEL_COMPLEXITY)
        .args("key:key..."),
    Command::new("delete", -2, del)
        .group(Group::Generic)
        .flags(WRITE)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(1).range(-1, 1, 0).flags(RM | DELETE)])
        .tips(&[REQUEST_MULTI_SHARD, RESPONSE_AGG_SUM])
        .summary("Delete a key (ferrodis legacy alias of DEL)")
        .since("1.0.0")
        .complexity(DEL_COMPLEXITY)
        .args("key:key..."),
    Command::new("unlink", -2, del)
        .group(Group::Generic)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(1).range(-1, 1, 0).flags(RM | DELETE)])
        .tips(&[REQUEST_MULTI_SHARD, RESPONSE_AGG_SUM])
        .summary(
            "Delete a key asynchronously in another thread. Otherwise it is just as DEL, \
                  but non blocking.",
        )
        .since("4.0.0")
        .complexity(
            "O(1) for each key removed regardless of its size. Then the command does \
                     O(N) work in a different thread in order to reclaim memory, where N is the \
                     number of allocations the deleted objects where composed of.",
        )
        .args("key:key..."),
    Command::new("exists", -2, exists)
        .group(Group::Generic)
        .flags(READONLY | FAST)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(1).range(-1, 1, 0).flags(RO)])
        .tips(&[REQUEST_MULTI_SHARD, RESPONSE_AGG_SUM])
        .summary("Determine if a key exists")
        .since("1.0.0")
        .complexity("O(N) where N is the number of keys to check.")
        .history(&[("3.0.3", "Accepts multiple `key` arguments.")])
        .args("key:key..."),
    Command::new("type", 2, type_)
        .group(Group::Generic)
        .flags(READONLY | FAST)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(1).flags(RO)])
        .summary("Determine the type stored at key")
        .since("1.0.0")
        .complexity("O(1)")
        .args("key:key"),
    Command::new("touch", -2, touch)
        .group(Group::Generic)
        .flags(READONLY | FAST)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(1).range(-1, 1, 0).flags(RO)])
        .tips(&[REQUEST_MULTI_SHARD, RESPONSE_AGG_SUM])
        .summary(
            "Alters the last access time of a key(s). Returns the number of existing keys \
                  specified.",
        )
        .since("3.2.1")
        .complexity("O(N) where N is the number of keys that will be touched.")
        .args("key:key..."),
    // A bare KEYS is ferrodis's legacy spelling of KEYS *.
    Command::new("keys", 2, keys)
        .group(Group::Generic)
        .policy(BARE_OK)
        .flags(READONLY)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .tips(&[REQUEST_ALL_SHARDS, NONDETERMINISTIC_OUTPUT_ORDER])
        .summary("Find all keys matching the given pattern")
        .since("1.0.0")
        .complexity(
            "O(N) with N being the number of keys in the database, under the \
                     assumption that the key names in the database and the given pattern have \
                     limited length.",
        )
        .args("pattern:pattern"),
    Command::new("rename", 3, rename)
        .group(Group::Generic)
        .flags(WRITE)
        .acl(acl::KEYSPACE)
        .keys(&[
            KeySpec::at(1).flags(RW | ACCESS | DELETE),
            KeySpec::at(2).flags(OW | UPDATE),
        ])
        .summary("Rename a key")
        .since("1.0.0")
        .complexity("O(1)")
        .args("key:key newkey:key"),
    Command::new("renamenx", 3, renamenx)
        .group(Group::Generic)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE)
        .keys(&[
            KeySpec::at(1).flags(RW | ACCESS | DELETE),
            KeySpec::at(2).flags(OW | INSERT),
        ])
        .summary("Rename a key, only if the new key does not exist")
        .since("1.0.0")
        .complexity("O(1)")
        .history(&[("3.2.0", "The command no longer returns an error when source and destination names are the same.")])
        .args("key:key newkey:key"),
    Command::new("randomkey", 1, randomkey)
        .group(Group::Generic)
        .flags(READONLY)
        .acl(acl::KEYSPACE)
        .tips(&[REQUEST_ALL_SHARDS, NONDETERMINISTIC_OUTPUT])
        .summary("Return a random key from the keyspace")
        .since("1.0.0")
        .complexity("O(1)"),
    Command::new("copy", -3, copy)
        .group(Group::Generic)
        .flags(WRITE | DENYOOM)
        .acl(acl::KEYSPACE)
        .keys(&[
            KeySpec::at(1).flags(RO | ACCESS),
            KeySpec::at(2).flags(OW | UPDATE),
        ])
        .summary("Copy a key")
        .since("6.2.0")
        .complexity(
            "O(N) worst case for collections, where N is the number of nested items. \
                     O(1) for string values.",
        )
        .args("source:key destination:key ?DB=destination-db:integer ?REPLACE"),
    Command::new("move", 3, move_)
        .group(Group::Generic)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(1).flags(RW | ACCESS | UPDATE)])
        .summary("Move a key to another database")
        .since("1.0.0")
        .complexity("O(1)")
        .args("key:key db:integer"),
    Command::new("swapdb", 3, swapdb)
        .group(Group::Server)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .summary("Swaps two Redis databases")
        .since("4.0.0")
        .complexity(
            "O(N) where N is the count of clients watching or blocking on keys from \
                     both databases.",
        )
        .args("index1:integer index2:integer"),
    Command::new("scan", -2, scan)
        .group(Group::Generic)
        .flags(READONLY)
        .acl(acl::KEYSPACE)
        .tips(&[NONDETERMINISTIC_OUTPUT, REQUEST_SPECIAL])
        .summary("Incrementally iterate the keys space")
        .since("2.8.0")
        .complexity(
            "O(1) for every call. O(N) for a complete iteration, including enough \
                     command calls for the cursor to return back to 0. N is the number of \
                     elements inside the collection.",
        )
        .history(&[("6.0.0", "Added the `TYPE` subcommand.")])
        .args("cursor:integer ?MATCH=pattern:pattern ?COUNT=count:integer ?TYPE=type@6.0.0"),
    Command::new("object", -2, object)
        .group(Group::Generic)
        .summary("A container for object introspection commands")
        .since("2.2.3")
        .complexity("Depends on subcommand.")
        .subcommands(OBJECT_SUBCOMMANDS),
];

const DEL_COMPLEXITY: &str = "O(N) where N is the number of keys that will be removed. When a \
                              key to remove holds a value other than a string, the individual \
                              complexity for this key is O(M) where M is the number of \
                              elements in the list, set, sorted set or hash. Removing a single \
                              key that holds a string value is O(1).";

/// In the order Redis 7.0 lists them in COMMAND INFO / DOCS.
static OBJECT_SUBCOMMANDS: &[Command] = &[
    Command::new("freq", 3, object_freq)
        .group(Group::Generic)
        .flags(READONLY)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(2).flags(RO)])
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Get the logarithmic access frequency counter of a Redis object")
        .since("4.0.0")
        .complexity("O(1)")
        .args("key:key"),
    Command::new("encoding", 3, object_encoding)
        .group(Group::Generic)
        .flags(READONLY)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(2).flags(RO)])
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Inspect the internal encoding of a Redis object")
        .since("2.2.3")
        .complexity("O(1)")
        .args("key:key"),
    Command::new("refcount", 3, object_refcount)
        .group(Group::Generic)
        .flags(READONLY)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(2).flags(RO)])
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Get the number of references to the value of the key")
        .since("2.2.3")
        .complexity("O(1)")
        .args("key:key"),
    Command::new("help", 2, object_help)
        .group(Group::Generic)
        .flags(LOADING | STALE)
        .acl(acl::KEYSPACE)
        .summary("Show helpful text about the different subcommands")
        .since("6.2.0")
        .complexity("O(1)"),
    Command::new("idletime", 3, object_idletime)
        .group(Group::Generic)
        .flags(READONLY)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(2).flags(RO)])
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Get the time since a Redis object was last accessed")
        .since("2.2.3")
        .complexity("O(1)")
        .args("key:key"),
];

const SAME_OBJECT: &str = "ERR source and destination objects are the same";
const DB_OUT_OF_RANGE: &str = "ERR DB index is out of range";

/// A read lookup in the selected database that counts a keyspace hit or miss but leaves the
/// access time alone (Redis's `LOOKUP_NOTOUCH`): EXISTS, TYPE.
fn lookup_notouch(ctx: &mut Ctx, key: &[u8]) -> Option<u32> {
    lookup_notouch_generic(ctx, key, true)
}

/// OBJECT's lookup: [`lookup_notouch`] without the `keymiss` notification (Redis's
/// `LOOKUP_NONOTIFY`).
fn lookup_object(ctx: &mut Ctx, key: &[u8]) -> Option<u32> {
    lookup_notouch_generic(ctx, key, false)
}

fn lookup_notouch_generic(ctx: &mut Ctx, key: &[u8], notify: bool) -> Option<u32> {
    let idx = ctx.db_index();
    let slot = ctx.lookup_live(idx, key);
    if slot.is_some() {
        ctx.srv.stats.keyspace_hits += 1;
    } else {
        ctx.srv.stats.keyspace_misses += 1;
        if notify {
            ctx.notify(ev::KEY_MISS, "keymiss", key);
        }
    }
    slot
}

/// Parses a 32-bit integer argument as Redis's `getIntFromObjectOrReply`: `custom` replaces
/// both of its error texts when given.
fn arg_i32(arg: &[u8], custom: Option<&'static str>) -> Result<i32, CmdError> {
    let n = arg_i64(arg).map_err(|e| custom.map_or(e, CmdError::from))?;
    i32::try_from(n).map_err(|_| {
        CmdError::from(
            custom.unwrap_or(
                "ERR value is out of range, value must between -2147483648 and 2147483647",
            ),
        )
    })
}

/// A database index argument of MOVE and COPY ... DB: an int, then a valid index.
fn db_index_arg(srv: &Server, arg: &[u8]) -> Result<usize, CmdError> {
    let n = arg_i32(arg, None)?;
    usize::try_from(n)
        .ok()
        .filter(|&i| i < srv.dbs.len())
        .ok_or(CmdError::from(DB_OUT_OF_RANGE))
}

fn del(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let idx = ctx.db_index();
    let mut removed = 0u64;
    for key in args.iter().skip(1) {
        if let Some(slot) = ctx.lookup_live(idx, key) {
            if ctx.srv.dbs[idx].remove_slot(slot).is_some() {
                removed += 1;
                ctx.srv.touch_key(idx, key);
                ctx.notify_db(ev::GENERIC, "del", idx, key);
            }
        }
    }
    ctx.srv.dirty += removed;
    ctx.out.int(removed as i64);
    Ok(())
}

fn exists(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut count = 0;
    for key in args.iter().skip(1) {
        if lookup_notouch(ctx, key).is_some() {
            count += 1;
        }
    }
    ctx.out.int(count);
    Ok(())
}

fn type_(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let name = match lookup_notouch(ctx, &args[1]) {
        Some(slot) => ctx
            .db()
            .entry(slot)
            .map_or("none", |e| e.value.kind().name()),
        None => "none",
    };
    ctx.out.simple(name);
    Ok(())
}

fn touch(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut count = 0;
    for key in args.iter().skip(1) {
        if ctx.lookup_read(key).is_some() {
            count += 1;
        }
    }
    ctx.out.int(count);
    Ok(())
}

fn keys(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 2 {
        return Err(CmdError::err(
            "wrong number of arguments for 'keys' command",
        ));
    }
    let pattern: &[u8] = if args.len() == 2 { &args[1] } else { b"*" };
    let all = pattern == b"*";
    let now = ctx.now_ms;
    let (db, out) = ctx.db_out();
    let header = out.deferred_array();
    let mut n = 0;
    for (slot, entry) in db.iter() {
        let key = entry.key.as_slice();
        // KEYS leaves expired keys in place (Redis's keyIsExpired), it just skips them.
        if (all || glob_match(pattern, key, false)) && db.expire_at(slot).is_none_or(|at| at >= now)
        {
            out.bulk(key);
            n += 1;
        }
    }
    out.end_deferred(header, n);
    Ok(())
}

fn rename(ctx: &mut Ctx, args: &Args) -> CmdResult {
    rename_generic(ctx, args, false)
}

fn renamenx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    rename_generic(ctx, args, true)
}

fn rename_generic(ctx: &mut Ctx, args: &Args, nx: bool) -> CmdResult {
    let (src, dst) = (&args[1], &args[2]);
    let Some(slot) = ctx.lookup_write(src) else {
        return Err(CmdError::err("no such key"));
    };
    if src == dst {
        // Same name: nothing to do, but a missing key was still an error above.
        if nx {
            ctx.out.int(0);
        } else {
            ctx.out.ok();
        }
        return Ok(());
    }
    let (idx, clock) = (ctx.db_index(), ctx.clock);
    let overwrite = ctx.lookup_live(idx, dst).is_some();
    if overwrite && nx {
        ctx.out.int(0);
        return Ok(());
    }
    let db = &mut ctx.srv.dbs[idx];
    let deadline = db.expire_at(slot);
    let Some(value) = db.remove_slot(slot) else {
        return Err(CmdError::err("no such key"));
    };
    if overwrite {
        db.remove(dst);
    }
    let new = db.insert_new(SmallBytes::new(dst), value, clock);
    if let Some(at) = deadline {
        db.set_expire(new, at);
    }
    ctx.srv.blocking.signal(idx, dst);
    // One change although two keys changed, as Redis counts a rename.
    ctx.srv.dirty += 1;
    ctx.srv.touch_key(idx, src);
    ctx.srv.touch_key(idx, dst);
    ctx.notify_db(ev::GENERIC, "rename_from", idx, src);
    ctx.notify_db(ev::GENERIC, "rename_to", idx, dst);
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

fn randomkey(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let (idx, now) = (ctx.db_index(), ctx.now_ms);
    // A local splitmix64 stream seeded from the server's generator, so the database can be
    // borrowed while random numbers are drawn.
    let mut state = ctx.random();
    let mut rand = move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    };
    let srv = &mut *ctx.srv;
    let db = &mut srv.dbs[idx];
    // Like Redis on a master: an expired pick is deleted and another key is drawn, so the
    // loop ends once a live key is found or the database is empty.
    let found = loop {
        let Some(slot) = db.random_slot(&mut rand) else {
            break None;
        };
        if db.expire_at(slot).is_some_and(|at| at < now) {
            db.delete_logged(slot, Deletion::ExpiredLazy);
            continue;
        }
        break Some(slot);
    };
    srv.drain_key_events(idx);
    match found.and_then(|slot| srv.dbs[idx].entry(slot)) {
        Some(entry) => ctx.out.bulk(entry.key.as_slice()),
        None => ctx.out.null(),
    }
    Ok(())
}

fn copy(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let src_idx = ctx.db_index();
    let mut dst_idx = src_idx;
    let mut replace = false;
    let mut j = 3;
    while j < args.len() {
        let opt = &args[j];
        if opt.eq_ignore_ascii_case(b"replace") {
            replace = true;
        } else if opt.eq_ignore_ascii_case(b"db") && j + 1 < args.len() {
            dst_idx = db_index_arg(ctx.srv, &args[j + 1])?;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let (src, dst) = (&args[1], &args[2]);
    if src_idx == dst_idx && src == dst {
        return Err(SAME_OBJECT.into());
    }
    let Some(slot) = ctx.lookup_read(src) else {
        ctx.out.int(0);
        return Ok(());
    };
    let clock = ctx.clock;
    let (deadline, value) = {
        let db = &ctx.srv.dbs[src_idx];
        match db.entry(slot) {
            Some(e) => (db.expire_at(slot), e.value.clone()),
            None => {
                ctx.out.int(0);
                return Ok(());
            }
        }
    };
    if ctx.lookup_live(dst_idx, dst).is_some() {
        if !replace {
            ctx.out.int(0);
            return Ok(());
        }
        ctx.srv.dbs[dst_idx].remove(dst);
    }
    let db = &mut ctx.srv.dbs[dst_idx];
    let new = db.insert_new(SmallBytes::new(dst), value, clock);
    if let Some(at) = deadline {
        db.set_expire(new, at);
    }
    ctx.srv.blocking.signal(dst_idx, dst);
    // One change, also when REPLACE dropped an older destination. The source is not modified.
    ctx.srv.dirty += 1;
    ctx.srv.touch_key(dst_idx, dst);
    ctx.notify_db(ev::GENERIC, "copy_to", dst_idx, dst);
    ctx.out.int(1);
    Ok(())
}

fn move_(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let src_idx = ctx.db_index();
    let dst_idx = db_index_arg(ctx.srv, &args[2])?;
    if dst_idx == src_idx {
        return Err(SAME_OBJECT.into());
    }
    let key = &args[1];
    let Some(slot) = ctx.lookup_write(key) else {
        ctx.out.int(0);
        return Ok(());
    };
    let clock = ctx.clock;
    if ctx.lookup_live(dst_idx, key).is_some() {
        ctx.out.int(0);
        return Ok(());
    }
    let src_db = &mut ctx.srv.dbs[src_idx];
    let deadline = src_db.expire_at(slot);
    let Some(value) = src_db.remove_slot(slot) else {
        ctx.out.int(0);
        return Ok(());
    };
    let dst_db = &mut ctx.srv.dbs[dst_idx];
    let new = dst_db.insert_new(SmallBytes::new(key), value, clock);
    if let Some(at) = deadline {
        dst_db.set_expire(new, at);
    }
    ctx.srv.blocking.signal(dst_idx, key);
    ctx.srv.dirty += 1;
    ctx.srv.touch_key(src_idx, key);
    ctx.srv.touch_key(dst_idx, key);
    ctx.notify_db(ev::GENERIC, "move_from", src_idx, key);
    ctx.notify_db(ev::GENERIC, "move_to", dst_idx, key);
    ctx.out.int(1);
    Ok(())
}

fn swapdb(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let a = arg_i32(&args[1], Some("ERR invalid first DB index"))?;
    let b = arg_i32(&args[2], Some("ERR invalid second DB index"))?;
    let n = ctx.srv.dbs.len();
    let index = |i: i32| usize::try_from(i).ok().filter(|&i| i < n);
    let (Some(a), Some(b)) = (index(a), index(b)) else {
        return Err(DB_OUT_OF_RANGE.into());
    };
    if a != b {
        // Watchers stay with their database index, so both sides see the other's keys.
        let now = ctx.now_ms;
        ctx.srv.touch_all_in_db(a, Some(b), now);
        ctx.srv.touch_all_in_db(b, Some(a), now);
    }
    ctx.srv.dbs.swap(a, b);
    let srv = &mut *ctx.srv;
    srv.blocking.signal_existing_in(&srv.dbs, a);
    srv.blocking.signal_existing_in(&srv.dbs, b);
    // Counted even when both indexes are the same database, as in Redis.
    ctx.srv.dirty += 1;
    ctx.out.ok();
    Ok(())
}

fn scan(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let cursor = parse_cursor(&args[1])?;
    let mut count: usize = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let opt = &args[i];
        let has_value = i + 1 < args.len();
        if has_value && opt.eq_ignore_ascii_case(b"count") {
            let n = arg_i64(&args[i + 1])?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if has_value && opt.eq_ignore_ascii_case(b"match") {
            let p = &args[i + 1];
            pattern = (p != b"*").then_some(p);
        } else if has_value && opt.eq_ignore_ascii_case(b"type") {
            type_name = Some(&args[i + 1]);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }

    let (idx, now) = (ctx.db_index(), ctx.now_ms);
    // Like Redis: gather up to COUNT keys, visiting at most 10 x COUNT slots (Redis's limit on
    // empty buckets), then filter them.
    let mut candidates: Vec<u32> = Vec::new();
    let next = ctx.srv.dbs[idx].scan(cursor, count, count.saturating_mul(10), |slot, _| {
        candidates.push(slot)
    });

    let mut kept: Vec<u32> = Vec::with_capacity(candidates.len());
    let (mut hits, mut misses) = (0u64, 0u64);
    for slot in candidates {
        let db = &mut ctx.srv.dbs[idx];
        let Some(entry) = db.entry(slot) else {
            continue;
        };
        if let Some(p) = pattern {
            if !glob_match(p, entry.key.as_slice(), false) {
                continue;
            }
        }
        let is_expired = db.expire_at(slot).is_some_and(|at| at < now);
        let type_ok = match type_name {
            // Redis reads the key (a hit, or a miss once expired) to learn its type.
            Some(t) if is_expired => {
                misses += 1;
                t.eq_ignore_ascii_case(b"none")
            }
            Some(t) => {
                hits += 1;
                t.eq_ignore_ascii_case(entry.value.kind().name().as_bytes())
            }
            None => true,
        };
        if is_expired {
            let key = entry.key.clone();
            db.delete_logged(slot, Deletion::ExpiredLazy);
            ctx.srv.drain_key_events(idx);
            if type_name.is_some() {
                ctx.notify(ev::KEY_MISS, "keymiss", key.as_slice());
            }
            continue;
        }
        if type_ok {
            kept.push(slot);
        }
    }
    ctx.srv.stats.keyspace_hits += hits;
    ctx.srv.stats.keyspace_misses += misses;

    let (db, out) = ctx.db_out();
    out.array(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    let keys: Vec<&[u8]> = kept
        .iter()
        .filter_map(|&slot| db.entry(slot).map(|e| e.key.as_slice()))
        .collect();
    out.bulks(keys.into_iter());
    Ok(())
}

/// The OBJECT container itself; arity (-2) keeps a bare OBJECT from getting here.
fn object(_ctx: &mut Ctx, _args: &Args) -> CmdResult {
    Err(CmdError::err(
        "wrong number of arguments for 'object' command",
    ))
}

fn object_encoding(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let encoding = lookup_object(ctx, &args[2])
        .and_then(|slot| ctx.db().entry(slot).map(|e| e.value.encoding()));
    match encoding {
        Some(name) => ctx.out.bulk(name.as_bytes()),
        None => ctx.out.null(),
    }
    Ok(())
}

/// Redis shares the integer objects 0..=9999 and reports their refcount as `INT_MAX`; every
/// other value of ours is referenced once.
fn object_refcount(ctx: &mut Ctx, args: &Args) -> CmdResult {
    const SHARED_REFCOUNT: i64 = i32::MAX as i64;
    let refcount = lookup_object(ctx, &args[2]).and_then(|slot| {
        ctx.db().entry(slot).map(|e| match e.value {
            crate::store::Value::Int(n) if (0..10_000).contains(&n) => SHARED_REFCOUNT,
            _ => 1,
        })
    });
    match refcount {
        Some(n) => ctx.out.int(n),
        None => ctx.out.null(),
    }
    Ok(())
}

fn object_idletime(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let access =
        lookup_object(ctx, &args[2]).and_then(|slot| ctx.db().entry(slot).map(|e| e.access));
    let Some(at) = access else {
        ctx.out.null();
        return Ok(());
    };
    if ctx.srv.config.maxmemory_policy.is_lfu() {
        return Err(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that \
             when switching between policies at runtime LRU and LFU data will take some time to \
             adjust."
                .into(),
        );
    }
    ctx.out.int(i64::from(ctx.srv.lru_now.saturating_sub(at)));
    Ok(())
}

/// The LFU counter, decayed for the time since its last decrement; only under an LFU policy.
fn object_freq(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let access =
        lookup_object(ctx, &args[2]).and_then(|slot| ctx.db().entry(slot).map(|e| e.access));
    let Some(access) = access else {
        ctx.out.null();
        return Ok(());
    };
    if !ctx.srv.config.maxmemory_policy.is_lfu() {
        return Err(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please \
             note that when switching between policies at runtime LRU and LFU data will take \
             some time to adjust."
                .into(),
        );
    }
    let decay = ctx.srv.config.lfu_decay_time;
    ctx.out
        .int(crate::store::evict::lfu_decayed(access, ctx.now_ms, decay) as i64);
    Ok(())
}

const OBJECT_HELP: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

fn object_help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.out.array(OBJECT_HELP.len());
    for line in OBJECT_HELP {
        ctx.out.simple(line);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_parses_like_strtoul() {
        assert_eq!(parse_cursor(b""), Ok(0));
        assert_eq!(parse_cursor(b"0"), Ok(0));
        assert_eq!(parse_cursor(b"+5"), Ok(5));
        assert_eq!(parse_cursor(b"007"), Ok(7));
        assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"-18446744073709551615"), Ok(1));
        for bad in [
            &b"18446744073709551616"[..],
            b"-18446744073709551616",
            b" 5",
            b"5 ",
            b"+",
            b"-",
            b"0x10",
            b"+-1",
            b"1.0",
        ] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn int_arguments_follow_get_int_from_object() {
        assert_eq!(arg_i32(b"-2147483648", None), Ok(i32::MIN));
        assert_eq!(arg_i32(b"x", None), Err(CmdError::NotInteger));
        assert_eq!(
            arg_i32(b"2147483648", None).unwrap_err().bytes(),
            b"ERR value is out of range, value must between -2147483648 and 2147483647"
        );
        assert_eq!(
            arg_i32(b"2147483648", Some("ERR invalid first DB index"))
                .unwrap_err()
                .bytes(),
            b"ERR invalid first DB index"
        );
        assert_eq!(
            arg_i32(b"-0", Some("ERR invalid first DB index"))
                .unwrap_err()
                .bytes(),
            b"ERR invalid first DB index"
        );
    }
}
