//! List commands: pushes and pops (with counts), ranges, indexes, LREM/LTRIM/LINSERT/LPOS,
//! LMOVE/RPOPLPUSH, LMPOP, and the blocking BLPOP/BRPOP/BLMOVE/BRPOPLPUSH/BLMPOP. Replies,
//! errors and the order arguments are checked in follow Redis 7.0's `t_list.c`.
//!
//! Blocking commands first try to serve like their non-blocking variant; when every key is
//! missing they register with `state/blocking.rs` and are later re-served from the key that
//! became ready by the `serve_*` functions here. Every command that adds elements signals its
//! key as ready.

use super::table::{acl, flags::*, key_flags::*, Command, GetKeys, Group, KeySpec};
use super::{arg_i64, ev, CmdError, CmdResult, Ctx};
use crate::cmd::blocking::{self, Served};
use crate::resp::{Args, Reply};
use crate::state::blocking::ServeKind;
use crate::store::list::{End, List};
use crate::store::{Db, SmallBytes, Value};

const PUSH_COMPLEXITY: &str = "O(1) for each element added, so O(N) to add N elements when the \
command is called with multiple arguments.";
const POP_COMPLEXITY: &str = "O(N) where N is the number of elements returned";
const MPOP_COMPLEXITY: &str = "O(N+M) where N is the number of provided keys and M is the \
number of elements returned.";
const MOVE_SUMMARY_BLOCKING: &str = "Pop an element from a list, push it to another list and \
return it; or block until one is available";

pub static COMMANDS: &[Command] = &[
    Command::new("lpush", -3, lpush)
        .group(Group::List)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(1).flags(RW | INSERT)])
        .summary("Prepend one or multiple elements to a list")
        .since("1.0.0")
        .complexity(PUSH_COMPLEXITY)
        .history(&[("2.4.0", "Accepts multiple `element` arguments.")])
        .args("key:key element..."),
    Command::new("rpush", -3, rpush)
        .group(Group::List)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(1).flags(RW | INSERT)])
        .summary("Append one or multiple elements to a list")
        .since("1.0.0")
        .complexity(PUSH_COMPLEXITY)
        .history(&[("2.4.0", "Accepts multiple `element` arguments.")])
        .args("key:key element..."),
    Command::new("lpushx", -3, lpushx)
        .group(Group::List)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(1).flags(RW | INSERT)])
        .summary("Prepend an element to a list, only if the list exists")
        .since("2.2.0")
        .complexity(PUSH_COMPLEXITY)
        .history(&[("4.0.0", "Accepts multiple `element` arguments.")])
        .args("key:key element..."),
    Command::new("rpushx", -3, rpushx)
        .group(Group::List)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(1).flags(RW | INSERT)])
        .summary("Append an element to a list, only if the list exists")
        .since("2.2.0")
        .complexity(PUSH_COMPLEXITY)
        .history(&[("4.0.0", "Accepts multiple `element` arguments.")])
        .args("key:key element..."),
    Command::new("lpop", -2, lpop)
        .group(Group::List)
        .flags(WRITE | FAST)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(1).flags(RW | ACCESS | DELETE)])
        .summary("Remove and get the first elements in a list")
        .since("1.0.0")
        .complexity(POP_COMPLEXITY)
        .history(&[("6.2.0", "Added the `count` argument.")])
        .args("key:key ?count:integer@6.2.0"),
    Command::new("rpop", -2, rpop)
        .group(Group::List)
        .flags(WRITE | FAST)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(1).flags(RW | ACCESS | DELETE)])
        .summary("Remove and get the last elements in a list")
        .since("1.0.0")
        .complexity(POP_COMPLEXITY)
        .history(&[("6.2.0", "Added the `count` argument.")])
        .args("key:key ?count:integer@6.2.0"),
    Command::new("lrange", 4, lrange)
        .group(Group::List)
        .flags(READONLY)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Get a range of elements from a list")
        .since("1.0.0")
        .complexity(
            "O(S+N) where S is the distance of start offset from HEAD for small lists, from \
nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified \
range.",
        )
        .args("key:key start:integer stop:integer"),
    Command::new("lindex", 3, lindex)
        .group(Group::List)
        .flags(READONLY)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Get an element from a list by its index")
        .since("1.0.0")
        .complexity(
            "O(N) where N is the number of elements to traverse to get to the element at index. \
This makes asking for the first or the last element of the list O(1).",
        )
        .args("key:key index:integer"),
    Command::new("lset", 4, lset)
        .group(Group::List)
        .flags(WRITE | DENYOOM)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(1).flags(RW | UPDATE)])
        .summary("Set the value of an element in a list by its index")
        .since("1.0.0")
        .complexity(
            "O(N) where N is the length of the list. Setting either the first or the last element \
of the list is O(1).",
        )
        .args("key:key index:integer element"),
    Command::new("llen", 2, llen)
        .group(Group::List)
        .flags(READONLY | FAST)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(1).flags(RO)])
        .summary("Get the length of a list")
        .since("1.0.0")
        .complexity("O(1)")
        .args("key:key"),
    Command::new("lrem", 4, lrem)
        .group(Group::List)
        .flags(WRITE)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(1).flags(RW | DELETE)])
        .summary("Remove elements from a list")
        .since("1.0.0")
        .complexity(
            "O(N+M) where N is the length of the list and M is the number of elements removed.",
        )
        .args("key:key count:integer element"),
    Command::new("ltrim", 4, ltrim)
        .group(Group::List)
        .flags(WRITE)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(1).flags(RW | DELETE)])
        .summary("Trim a list to the specified range")
        .since("1.0.0")
        .complexity("O(N) where N is the number of elements to be removed by the operation.")
        .args("key:key start:integer stop:integer"),
    Command::new("linsert", 5, linsert)
        .group(Group::List)
        .flags(WRITE | DENYOOM)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(1).flags(RW | INSERT)])
        .summary("Insert an element before or after another element in a list")
        .since("2.2.0")
        .complexity(
            "O(N) where N is the number of elements to traverse before seeing the value pivot. \
This means that inserting somewhere on the left end on the list (head) can be considered O(1) \
and inserting somewhere on the right end (tail) is O(N).",
        )
        .args("key:key where(BEFORE|AFTER) pivot element"),
    Command::new("lpos", -3, lpos)
        .group(Group::List)
        .flags(READONLY)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Return the index of matching elements on a list")
        .since("6.0.6")
        .complexity(
            "O(N) where N is the number of elements in the list, for the average case. When \
searching for elements near the head or the tail of the list, or when the MAXLEN option is \
provided, the command may run in constant time.",
        )
        .args("key:key element ?RANK=rank:integer ?COUNT=num-matches:integer ?MAXLEN=len:integer"),
    Command::new("lmove", 5, lmove)
        .group(Group::List)
        .flags(WRITE | DENYOOM)
        .acl(acl::LIST)
        .keys(&[
            KeySpec::at(1).flags(RW | ACCESS | DELETE),
            KeySpec::at(2).flags(RW | INSERT),
        ])
        .summary("Pop an element from a list, push it to another list and return it")
        .since("6.2.0")
        .complexity("O(1)")
        .args("source:key destination:key wherefrom(LEFT|RIGHT) whereto(LEFT|RIGHT)"),
    Command::new("rpoplpush", 3, rpoplpush)
        .group(Group::List)
        .flags(WRITE | DENYOOM)
        .acl(acl::LIST)
        .keys(&[
            KeySpec::at(1).flags(RW | ACCESS | DELETE),
            KeySpec::at(2).flags(RW | INSERT),
        ])
        .summary("Remove the last element in a list, prepend it to another list and return it")
        .since("1.2.0")
        .complexity("O(1)")
        .deprecated("6.2.0", "`LMOVE` with the `RIGHT` and `LEFT` arguments")
        .args("source:key destination:key"),
    Command::new("lmpop", -4, lmpop)
        .group(Group::List)
        .flags(WRITE)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(1).keynum(0, 1, 1).flags(RW | ACCESS | DELETE)])
        .getkeys(GetKeys::NumKeys {
            store: 0,
            count: 1,
            first: 2,
        })
        .summary("Pop elements from a list")
        .since("7.0.0")
        .complexity(MPOP_COMPLEXITY)
        .args("numkeys:integer key:key... where(LEFT|RIGHT) ?COUNT=count:integer"),
    Command::new("blpop", -3, blpop)
        .group(Group::List)
        .flags(WRITE | NOSCRIPT | BLOCKING)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(1).range(-2, 1, 0).flags(RW | ACCESS | DELETE)])
        .summary("Remove and get the first element in a list, or block until one is available")
        .since("2.0.0")
        .complexity("O(N) where N is the number of provided keys.")
        .history(&[(
            "6.0.0",
            "`timeout` is interpreted as a double instead of an integer.",
        )])
        .args("key:key... timeout:double"),
    Command::new("brpop", -3, brpop)
        .group(Group::List)
        .flags(WRITE | NOSCRIPT | BLOCKING)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(1).range(-2, 1, 0).flags(RW | ACCESS | DELETE)])
        .summary("Remove and get the last element in a list, or block until one is available")
        .since("2.0.0")
        .complexity("O(N) where N is the number of provided keys.")
        .history(&[(
            "6.0.0",
            "`timeout` is interpreted as a double instead of an integer.",
        )])
        .args("key:key... timeout:double"),
    Command::new("blmove", 6, blmove)
        .group(Group::List)
        .flags(WRITE | DENYOOM | NOSCRIPT | BLOCKING)
        .acl(acl::LIST)
        .keys(&[
            KeySpec::at(1).flags(RW | ACCESS | DELETE),
            KeySpec::at(2).flags(RW | INSERT),
        ])
        .summary(MOVE_SUMMARY_BLOCKING)
        .since("6.2.0")
        .complexity("O(1)")
        .args(
            "source:key destination:key wherefrom(LEFT|RIGHT) whereto(LEFT|RIGHT) timeout:double",
        ),
    Command::new("brpoplpush", 4, brpoplpush)
        .group(Group::List)
        .flags(WRITE | DENYOOM | NOSCRIPT | BLOCKING)
        .acl(acl::LIST)
        .keys(&[
            KeySpec::at(1).flags(RW | ACCESS | DELETE),
            KeySpec::at(2).flags(RW | INSERT),
        ])
        .summary(MOVE_SUMMARY_BLOCKING)
        .since("2.2.0")
        .complexity("O(1)")
        .deprecated("6.2.0", "`BLMOVE` with the `RIGHT` and `LEFT` arguments")
        .history(&[(
            "6.0.0",
            "`timeout` is interpreted as a double instead of an integer.",
        )])
        .args("source:key destination:key timeout:double"),
    Command::new("blmpop", -5, blmpop)
        .group(Group::List)
        .flags(WRITE | BLOCKING)
        .acl(acl::LIST)
        .keys(&[KeySpec::at(2).keynum(0, 1, 1).flags(RW | ACCESS | DELETE)])
        .getkeys(GetKeys::NumKeys {
            store: 0,
            count: 2,
            first: 3,
        })
        .summary("Pop elements from a list, or block until one is available")
        .since("7.0.0")
        .complexity(MPOP_COMPLEXITY)
        .args("timeout:double numkeys:integer key:key... where(LEFT|RIGHT) ?COUNT=count:integer"),
];

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

/// The node fill (`list-max-listpack-size`).
fn fill(ctx: &Ctx) -> i64 {
    ctx.srv.config.list_max_listpack_size
}

/// The list in `slot`, if that slot holds one.
fn list_at(db: &mut Db, slot: u32) -> Option<&mut List> {
    match db.entry_mut(slot).map(|e| &mut e.value) {
        Some(Value::List(list)) => Some(list),
        _ => None,
    }
}

/// Checks that the key in `slot` (if any) holds a list.
fn check_list(ctx: &mut Ctx, slot: Option<u32>) -> Result<Option<u32>, CmdError> {
    match slot {
        None => Ok(None),
        Some(s) => match ctx.db().entry(s).map(|e| &e.value) {
            Some(Value::List(_)) => Ok(Some(s)),
            Some(_) => Err(CmdError::WrongType),
            None => Ok(None),
        },
    }
}

/// Looks `key` up for a write; `Ok(None)` when missing, WRONGTYPE when not a list.
fn lookup_list_write(ctx: &mut Ctx, key: &[u8]) -> Result<Option<u32>, CmdError> {
    let slot = ctx.lookup_write(key);
    check_list(ctx, slot)
}

/// Looks `key` up for a read (counting a hit or miss).
fn lookup_list_read(ctx: &mut Ctx, key: &[u8]) -> Result<Option<u32>, CmdError> {
    let slot = ctx.lookup_read(key);
    check_list(ctx, slot)
}

/// Deletes `key` (in `slot`) if its list became empty, with Redis's `del` notification.
fn delete_if_empty(ctx: &mut Ctx, key: &[u8], slot: u32) {
    let db = ctx.db();
    if list_at(db, slot).is_some_and(|l| l.is_empty()) {
        db.remove_slot(slot);
        ctx.notify(ev::GENERIC, "del", key);
    }
}

/// The notification of a push at `end` (`lpush` / `rpush`).
fn push_event(end: End) -> &'static str {
    match end {
        End::Head => "lpush",
        End::Tail => "rpush",
    }
}

/// The notification of a pop from `end` (`lpop` / `rpop`).
fn pop_event(end: End) -> &'static str {
    match end {
        End::Head => "lpop",
        End::Tail => "rpop",
    }
}

/// The slot of the list at `key`, creating an empty list when the key is missing. The caller
/// has checked the type.
fn list_slot_or_create(ctx: &mut Ctx, key: &[u8], existing: Option<u32>) -> u32 {
    match existing {
        Some(slot) => slot,
        None => {
            let clock = ctx.clock;
            ctx.db()
                .insert_new(SmallBytes::new(key), Value::List(Box::default()), clock)
        }
    }
}

/// LEFT / RIGHT (case-insensitive), or a syntax error.
fn parse_end(arg: &[u8]) -> Result<End, CmdError> {
    if arg.eq_ignore_ascii_case(b"left") {
        Ok(End::Head)
    } else if arg.eq_ignore_ascii_case(b"right") {
        Ok(End::Tail)
    } else {
        Err(CmdError::Syntax)
    }
}

/// Redis's `getRangeLongFromObjectOrReply(…, min, LONG_MAX, msg)`: both an unparsable value
/// and one below `min` answer `msg` (the full error line).
fn arg_at_least(arg: &[u8], min: i64, msg: &'static str) -> Result<i64, CmdError> {
    match crate::util::num::parse_i64(arg) {
        Some(n) if n >= min => Ok(n),
        _ => Err(CmdError::from(msg)),
    }
}

/// Argument `i` if present.
fn arg_opt<'a>(args: &Args<'a>, i: usize) -> Option<&'a [u8]> {
    (i < args.len()).then(|| args.get(i))
}

/// Converts Redis-style (start, end) indexes, negative from the tail, into a clamped
/// `(start, count)`; `None` when the range is empty.
fn clamp_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    let end = end.min(llen - 1);
    Some((start as usize, (end - start + 1) as usize))
}

/// Resolves a possibly negative index against `len`.
fn resolve_index(index: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let i = if index < 0 { len + index } else { index };
    (0..len).contains(&i).then_some(i as usize)
}

/// Writes up to `count` elements popped from `end` of `list` as an array of bulk strings,
/// removing them. Returns how many were popped.
fn pop_range_reply(out: &mut Reply, list: &mut List, end: End, count: usize) -> usize {
    let n = count.min(list.len());
    out.array(n);
    match end {
        End::Head => {
            for item in list.iter_from(0).take(n) {
                out.bulk(item);
            }
            list.remove_range(0, n);
        }
        End::Tail => {
            let len = list.len();
            if n > 0 {
                for item in list.iter_rev_from(len - 1).take(n) {
                    out.bulk(item);
                }
            }
            list.remove_range(len - n, n);
        }
    }
    n
}

// ---------------------------------------------------------------------------
// Pushes
// ---------------------------------------------------------------------------

fn push_generic(ctx: &mut Ctx, args: &Args, end: End, only_existing: bool) -> CmdResult {
    let key = &args[1];
    let existing = lookup_list_write(ctx, key)?;
    if existing.is_none() && only_existing {
        ctx.out.int(0);
        return Ok(());
    }
    let fill = fill(ctx);
    let slot = list_slot_or_create(ctx, key, existing);
    let (db, out) = ctx.db_out();
    let Some(list) = list_at(db, slot) else {
        out.int(0);
        return Ok(());
    };
    for value in args.iter().skip(2) {
        list.push(end, value, fill);
    }
    out.int(list.len() as i64);
    ctx.srv.dirty += (args.len() - 2) as u64;
    ctx.touch(key);
    ctx.notify(ev::LIST, push_event(end), key);
    // Only a new key wakes waiters, as Redis's dbAdd: nobody a list can serve waits on an
    // existing list.
    if existing.is_none() {
        blocking::signal_ready(ctx, key);
    }
    Ok(())
}

fn lpush(ctx: &mut Ctx, args: &Args) -> CmdResult {
    push_generic(ctx, args, End::Head, false)
}

fn rpush(ctx: &mut Ctx, args: &Args) -> CmdResult {
    push_generic(ctx, args, End::Tail, false)
}

fn lpushx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    push_generic(ctx, args, End::Head, true)
}

fn rpushx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    push_generic(ctx, args, End::Tail, true)
}

// ---------------------------------------------------------------------------
// Pops
// ---------------------------------------------------------------------------

/// LPOP / RPOP key [count]
fn pop_generic(ctx: &mut Ctx, args: &Args, end: End) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::err(format!(
            "wrong number of arguments for '{}' command",
            if end == End::Head { "lpop" } else { "rpop" }
        )));
    }
    let count = match arg_opt(args, 2) {
        Some(arg) => Some(arg_at_least(
            arg,
            0,
            "ERR value is out of range, must be positive",
        )?),
        None => None,
    };
    let Some(slot) = lookup_list_write(ctx, &args[1])? else {
        if count.is_some() {
            ctx.out.null_array();
        } else {
            ctx.out.null();
        }
        return Ok(());
    };
    let (db, out) = ctx.db_out();
    let Some(list) = list_at(db, slot) else {
        out.null();
        return Ok(());
    };
    let popped = match count {
        Some(0) => {
            out.array(0);
            return Ok(());
        }
        Some(n) => pop_range_reply(out, list, end, usize::try_from(n).unwrap_or(usize::MAX)),
        None => match list.pop(end) {
            Some(value) => {
                out.bulk(&value);
                1
            }
            None => {
                out.null();
                0
            }
        },
    };
    ctx.srv.dirty += popped as u64;
    if popped > 0 {
        ctx.notify(ev::LIST, pop_event(end), &args[1]);
    }
    delete_if_empty(ctx, &args[1], slot);
    if popped > 0 {
        ctx.touch(&args[1]);
    }
    Ok(())
}

fn lpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    pop_generic(ctx, args, End::Head)
}

fn rpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    pop_generic(ctx, args, End::Tail)
}

// ---------------------------------------------------------------------------
// Reads and in-place edits
// ---------------------------------------------------------------------------

fn lrange(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let start = arg_i64(&args[2])?;
    let end = arg_i64(&args[3])?;
    let Some(slot) = lookup_list_read(ctx, &args[1])? else {
        ctx.out.array(0);
        return Ok(());
    };
    let (db, out) = ctx.db_out();
    let Some(list) = list_at(db, slot) else {
        out.array(0);
        return Ok(());
    };
    match clamp_range(start, end, list.len()) {
        None => out.array(0),
        Some((from, n)) => {
            out.array(n);
            for item in list.iter_from(from).take(n) {
                out.bulk(item);
            }
        }
    }
    Ok(())
}

fn ltrim(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let start = arg_i64(&args[2])?;
    let end = arg_i64(&args[3])?;
    let Some(slot) = lookup_list_write(ctx, &args[1])? else {
        ctx.out.ok();
        return Ok(());
    };
    if let Some(list) = list_at(ctx.db(), slot) {
        let len = list.len();
        let (keep_from, keep) = clamp_range(start, end, len).unwrap_or((len, 0));
        // Drop the tail first so the head removal does not shift it.
        list.remove_range(keep_from + keep, len - keep_from - keep);
        list.remove_range(0, keep_from);
        ctx.srv.dirty += (len - keep) as u64;
    }
    ctx.notify(ev::LIST, "ltrim", &args[1]);
    delete_if_empty(ctx, &args[1], slot);
    // Redis signals a trim of an existing list even when it keeps every element.
    ctx.touch(&args[1]);
    ctx.out.ok();
    Ok(())
}

fn lindex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(slot) = lookup_list_read(ctx, &args[1])? else {
        ctx.out.null();
        return Ok(());
    };
    let index = arg_i64(&args[2])?;
    let (db, out) = ctx.db_out();
    let found = list_at(db, slot)
        .and_then(|list| resolve_index(index, list.len()).and_then(|i| list.get(i)));
    match found {
        Some(value) => out.bulk(value),
        None => out.null(),
    }
    Ok(())
}

fn lset(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(slot) = lookup_list_write(ctx, &args[1])? else {
        return Err(CmdError::err("no such key"));
    };
    let index = arg_i64(&args[2])?;
    let fill = fill(ctx);
    let Some(list) = list_at(ctx.db(), slot) else {
        return Err(CmdError::err("no such key"));
    };
    match resolve_index(index, list.len()) {
        Some(i) if list.set(i, &args[3], fill) => {
            ctx.srv.dirty += 1;
            ctx.out.ok();
            ctx.touch(&args[1]);
            ctx.notify(ev::LIST, "lset", &args[1]);
            Ok(())
        }
        _ => Err(CmdError::err("index out of range")),
    }
}

fn llen(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(slot) = lookup_list_read(ctx, &args[1])? else {
        ctx.out.int(0);
        return Ok(());
    };
    let (db, out) = ctx.db_out();
    out.int(list_at(db, slot).map_or(0, |l| l.len() as i64));
    Ok(())
}

fn lrem(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let count = arg_i64(&args[2])?;
    let Some(slot) = lookup_list_write(ctx, &args[1])? else {
        ctx.out.int(0);
        return Ok(());
    };
    // |i64::MIN| is 2^63, more than any list holds: like Redis's wrapped negation, it removes
    // every match (from the tail).
    let limit = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    let removed = match list_at(ctx.db(), slot) {
        Some(list) => list.remove_matching(&args[3], limit, count < 0),
        None => 0,
    };
    ctx.srv.dirty += removed as u64;
    if removed > 0 {
        ctx.notify(ev::LIST, "lrem", &args[1]);
    }
    delete_if_empty(ctx, &args[1], slot);
    if removed > 0 {
        ctx.touch(&args[1]);
    }
    ctx.out.int(removed as i64);
    Ok(())
}

fn linsert(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let after = if args[2].eq_ignore_ascii_case(b"after") {
        true
    } else if args[2].eq_ignore_ascii_case(b"before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let Some(slot) = lookup_list_write(ctx, &args[1])? else {
        ctx.out.int(0);
        return Ok(());
    };
    let fill = fill(ctx);
    let Some(list) = list_at(ctx.db(), slot) else {
        ctx.out.int(0);
        return Ok(());
    };
    match list.find(&args[3]) {
        Some(i) => {
            list.insert(if after { i + 1 } else { i }, &args[4], fill);
            let len = list.len();
            ctx.srv.dirty += 1;
            ctx.touch(&args[1]);
            ctx.notify(ev::LIST, "linsert", &args[1]);
            ctx.out.int(len as i64);
        }
        None => ctx.out.int(-1),
    }
    Ok(())
}

/// LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]
fn lpos(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut rank: i64 = 1;
    let mut count: i64 = -1; // -1: option not given
    let mut maxlen: i64 = 0;
    let mut j = 3;
    while j < args.len() {
        let opt = &args[j];
        let more = j + 1 < args.len();
        if opt.eq_ignore_ascii_case(b"rank") && more {
            j += 1;
            rank = arg_i64(&args[j])?;
            if rank == 0 {
                return Err(CmdError::err(
                    "RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list",
                ));
            }
        } else if opt.eq_ignore_ascii_case(b"count") && more {
            j += 1;
            count = arg_at_least(&args[j], 0, "ERR COUNT can't be negative")?;
        } else if opt.eq_ignore_ascii_case(b"maxlen") && more {
            j += 1;
            maxlen = arg_at_least(&args[j], 0, "ERR MAXLEN can't be negative")?;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    // A negative rank searches from the tail. Redis 7.0 negates with C's wrapping arithmetic,
    // so RANK -9223372036854775808 stays negative: every match then qualifies and, as the
    // COUNT test below overflows the same way, COUNT stops nothing.
    let from_tail = rank < 0;
    if from_tail {
        rank = rank.wrapping_neg();
    }
    let Some(slot) = lookup_list_read(ctx, &args[1])? else {
        if count != -1 {
            ctx.out.array(0);
        } else {
            ctx.out.null();
        }
        return Ok(());
    };
    let element = &args[2];
    let (db, out) = ctx.db_out();
    let Some(list) = list_at(db, slot) else {
        out.null();
        return Ok(());
    };
    let len = list.len();
    let items: Box<dyn Iterator<Item = &[u8]>> = if from_tail {
        Box::new(list.iter_rev_from(len.saturating_sub(1)))
    } else {
        Box::new(list.iter_from(0))
    };
    let mut matches: i64 = 0;
    let mut found: Vec<i64> = Vec::new();
    for (index, item) in items.enumerate() {
        if maxlen != 0 && index as i64 >= maxlen {
            break;
        }
        if item != element {
            continue;
        }
        matches += 1;
        if matches < rank {
            continue;
        }
        let pos = if from_tail { len - index - 1 } else { index } as i64;
        found.push(pos);
        if count == -1 || (count != 0 && matches.wrapping_sub(rank).wrapping_add(1) >= count) {
            break;
        }
    }
    if count != -1 {
        out.array(found.len());
        for pos in found {
            out.int(pos);
        }
    } else {
        match found.first() {
            Some(&pos) => out.int(pos),
            None => out.null(),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// LMOVE / RPOPLPUSH and their blocking forms
// ---------------------------------------------------------------------------

/// Pops from the list in `src_slot` and pushes onto `dst` (checked to be a list or missing),
/// replying with the element: Redis's `lmoveGenericCommand` after its type checks. Returns
/// whether an element moved; the caller decides whether that counts as a change.
fn move_element(
    ctx: &mut Ctx,
    src: &[u8],
    src_slot: u32,
    dst: &[u8],
    dst_slot: Option<u32>,
    from: End,
    to: End,
) -> bool {
    let fill = fill(ctx);
    let Some(value) = list_at(ctx.db(), src_slot).and_then(|l| l.pop(from)) else {
        ctx.out.null();
        return false;
    };
    let same = src == dst;
    let created = !same && dst_slot.is_none();
    let dst_slot = if same {
        src_slot
    } else {
        list_slot_or_create(ctx, dst, dst_slot)
    };
    if let Some(list) = list_at(ctx.db(), dst_slot) {
        list.push(to, &value, fill);
    }
    // The destination is signalled here, also for a served BLMOVE (Redis's lmoveHandlePush);
    // the source only by the caller of a direct LMOVE.
    ctx.touch(dst);
    ctx.notify(ev::LIST, push_event(to), dst);
    ctx.out.bulk(&value);
    // Only a new key wakes waiters, as Redis's dbAdd.
    if created {
        blocking::signal_ready(ctx, dst);
    }
    ctx.notify(ev::LIST, pop_event(from), src);
    if !same {
        delete_if_empty(ctx, src, src_slot);
    }
    true
}

/// LMOVE semantics: a missing source answers null; either key of another type WRONGTYPE.
fn lmove_generic(ctx: &mut Ctx, src: &[u8], dst: &[u8], from: End, to: End) -> CmdResult {
    let Some(src_slot) = lookup_list_write(ctx, src)? else {
        ctx.out.null();
        return Ok(());
    };
    let dst_slot = lookup_list_write(ctx, dst)?;
    if move_element(ctx, src, src_slot, dst, dst_slot, from, to) {
        ctx.srv.dirty += 1;
        ctx.touch(src);
    }
    Ok(())
}

fn lmove(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let from = parse_end(&args[3])?;
    let to = parse_end(&args[4])?;
    lmove_generic(ctx, &args[1], &args[2], from, to)
}

fn rpoplpush(ctx: &mut Ctx, args: &Args) -> CmdResult {
    lmove_generic(ctx, &args[1], &args[2], End::Tail, End::Head)
}

/// BLMOVE / BRPOPLPUSH after argument parsing (Redis's `blmoveGenericCommand`).
fn blmove_generic(ctx: &mut Ctx, args: &Args, from: End, to: End, deadline: i64) -> CmdResult {
    let src = &args[1];
    if lookup_list_write(ctx, src)?.is_none() {
        blocking::block(ctx, args, &[src], deadline, ServeKind::ListMove);
        return Ok(());
    }
    lmove_generic(ctx, src, &args[2], from, to)
}

/// The (from, to) ends of a BLMOVE / BRPOPLPUSH call.
fn blmove_ends(args: &Args) -> Result<(End, End), CmdError> {
    if args[0].eq_ignore_ascii_case(b"brpoplpush") {
        Ok((End::Tail, End::Head))
    } else {
        Ok((parse_end(&args[3])?, parse_end(&args[4])?))
    }
}

fn blmove(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (from, to) = blmove_ends(args)?;
    let deadline = blocking::parse_timeout(&args[5], ctx.now_ms)?;
    blmove_generic(ctx, args, from, to, deadline)
}

fn brpoplpush(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let deadline = blocking::parse_timeout(&args[3], ctx.now_ms)?;
    blmove_generic(ctx, args, End::Tail, End::Head, deadline)
}

/// Serves a blocked BLMOVE / BRPOPLPUSH from its source list. As in Redis 7.0, a destination
/// of the wrong type answers WRONGTYPE and unblocks the client without popping, and a served
/// move is not counted in `dirty` (Redis's `serveClientBlockedOnList` does not count it).
pub fn serve_blmove(ctx: &mut Ctx, args: &Args, key: &[u8]) -> Result<Served, CmdError> {
    let (from, to) = blmove_ends(args)?;
    let src_slot = match lookup_list_write(ctx, key) {
        Ok(Some(slot)) => slot,
        _ => return Ok(Served::NotReady),
    };
    if list_at(ctx.db(), src_slot).is_none_or(|l| l.is_empty()) {
        return Ok(Served::NotReady);
    }
    let dst = &args[2];
    let dst_slot = lookup_list_write(ctx, dst)?;
    move_element(ctx, key, src_slot, dst, dst_slot, from, to);
    Ok(Served::Done)
}

// ---------------------------------------------------------------------------
// BLPOP / BRPOP
// ---------------------------------------------------------------------------

/// Pops one element from `end` of the list at `slot`, replying `[key, element]`. Returns
/// whether an element was popped; the caller decides whether that counts as a change.
fn pop_with_key(ctx: &mut Ctx, key: &[u8], slot: u32, end: End) -> bool {
    let (db, out) = ctx.db_out();
    let popped = match list_at(db, slot).and_then(|l| l.pop(end)) {
        Some(value) => {
            out.array(2);
            out.bulk(key);
            out.bulk(&value);
            true
        }
        None => false,
    };
    if popped {
        ctx.notify(ev::LIST, pop_event(end), key);
    }
    delete_if_empty(ctx, key, slot);
    popped
}

fn bpop_generic(ctx: &mut Ctx, args: &Args, end: End) -> CmdResult {
    let last = args.len() - 1;
    let deadline = blocking::parse_timeout(&args[last], ctx.now_ms)?;
    let keys: Vec<&[u8]> = args.iter().skip(1).take(last - 1).collect();
    for &key in &keys {
        if let Some(slot) = lookup_list_write(ctx, key)? {
            if pop_with_key(ctx, key, slot, end) {
                ctx.srv.dirty += 1;
                ctx.touch(key);
            }
            return Ok(());
        }
    }
    blocking::block(ctx, args, &keys, deadline, ServeKind::ListPop);
    Ok(())
}

fn blpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    bpop_generic(ctx, args, End::Head)
}

fn brpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    bpop_generic(ctx, args, End::Tail)
}

/// Serves a blocked BLPOP / BRPOP from `key` (only a list serves; other types keep it
/// waiting). Unlike an immediate pop, a served one is neither counted in `dirty` nor signalled
/// to WATCH: Redis 7.0's `serveClientBlockedOnList` pops without either (BLMPOP's served pops
/// do both), the push that woke the client having signalled the key already.
pub fn serve_bpop(ctx: &mut Ctx, args: &Args, key: &[u8]) -> Result<Served, CmdError> {
    let end = if args[0].eq_ignore_ascii_case(b"brpop") {
        End::Tail
    } else {
        End::Head
    };
    match lookup_list_write(ctx, key) {
        Ok(Some(slot)) if list_at(ctx.db(), slot).is_some_and(|l| !l.is_empty()) => {
            pop_with_key(ctx, key, slot, end);
            Ok(Served::Done)
        }
        _ => Ok(Served::NotReady),
    }
}

// ---------------------------------------------------------------------------
// LMPOP / BLMPOP
// ---------------------------------------------------------------------------

/// Parsed `numkeys key [key ...] LEFT|RIGHT [COUNT count]` starting at `numkeys_idx`.
struct MpopArgs {
    first_key: usize,
    numkeys: usize,
    end: End,
    count: usize,
}

/// Redis 7.0's `lmpopGenericCommand` argument checks, in its order.
fn parse_mpop(args: &Args, numkeys_idx: usize) -> Result<MpopArgs, CmdError> {
    let numkeys = arg_at_least(
        &args[numkeys_idx],
        1,
        "ERR numkeys should be greater than 0",
    )?;
    // numkeys beyond the arguments leaves no room for the direction: a syntax error.
    let where_idx = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(numkeys_idx + 1))
        .filter(|&i| i < args.len())
        .ok_or(CmdError::Syntax)?;
    let end = parse_end(&args[where_idx])?;
    let mut count: i64 = -1;
    let mut j = where_idx + 1;
    while j < args.len() {
        let more = j + 1 < args.len();
        if count == -1 && args[j].eq_ignore_ascii_case(b"count") && more {
            j += 1;
            count = arg_at_least(&args[j], 1, "ERR count should be greater than 0")?;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(MpopArgs {
        first_key: numkeys_idx + 1,
        numkeys: where_idx - numkeys_idx - 1,
        end,
        count: if count == -1 {
            1
        } else {
            usize::try_from(count).unwrap_or(usize::MAX)
        },
    })
}

/// Pops up to `count` elements from `end` of the list at `slot`, replying `[key, [elements]]`.
fn mpop_reply(ctx: &mut Ctx, key: &[u8], slot: u32, end: End, count: usize) {
    let (db, out) = ctx.db_out();
    let mut popped = 0;
    if let Some(list) = list_at(db, slot) {
        out.array(2);
        out.bulk(key);
        popped = pop_range_reply(out, list, end, count);
    }
    ctx.srv.dirty += popped as u64;
    if popped > 0 {
        ctx.notify(ev::LIST, pop_event(end), key);
    }
    delete_if_empty(ctx, key, slot);
    if popped > 0 {
        ctx.touch(key);
    }
}

fn lmpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let m = parse_mpop(args, 1)?;
    for i in m.first_key..m.first_key + m.numkeys {
        let key = args.get(i);
        if let Some(slot) = lookup_list_write(ctx, key)? {
            mpop_reply(ctx, key, slot, m.end, m.count);
            return Ok(());
        }
    }
    ctx.out.null_array();
    Ok(())
}

fn blmpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let m = parse_mpop(args, 2)?;
    let deadline = blocking::parse_timeout(&args[1], ctx.now_ms)?;
    let keys: Vec<&[u8]> = (m.first_key..m.first_key + m.numkeys)
        .map(|i| args.get(i))
        .collect();
    for &key in &keys {
        if let Some(slot) = lookup_list_write(ctx, key)? {
            mpop_reply(ctx, key, slot, m.end, m.count);
            return Ok(());
        }
    }
    blocking::block(ctx, args, &keys, deadline, ServeKind::ListMpop);
    Ok(())
}

/// Serves a blocked BLMPOP from `key`.
pub fn serve_blmpop(ctx: &mut Ctx, args: &Args, key: &[u8]) -> Result<Served, CmdError> {
    let m = parse_mpop(args, 2)?;
    match lookup_list_write(ctx, key) {
        Ok(Some(slot)) if list_at(ctx.db(), slot).is_some_and(|l| !l.is_empty()) => {
            mpop_reply(ctx, key, slot, m.end, m.count);
            Ok(Served::Done)
        }
        _ => Ok(Served::NotReady),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_clamp_like_redis() {
        assert_eq!(clamp_range(0, -1, 3), Some((0, 3)));
        assert_eq!(clamp_range(-100, 100, 3), Some((0, 3)));
        assert_eq!(clamp_range(2, 1, 3), None);
        assert_eq!(clamp_range(3, 5, 3), None);
        assert_eq!(clamp_range(i64::MIN, i64::MAX, 3), Some((0, 3)));
        assert_eq!(clamp_range(0, i64::MIN, 3), None);
        assert_eq!(clamp_range(0, 0, 0), None);
    }

    #[test]
    fn indexes_resolve_from_either_end() {
        assert_eq!(resolve_index(0, 3), Some(0));
        assert_eq!(resolve_index(-1, 3), Some(2));
        assert_eq!(resolve_index(-4, 3), None);
        assert_eq!(resolve_index(3, 3), None);
        assert_eq!(resolve_index(i64::MIN, 3), None);
    }
}
