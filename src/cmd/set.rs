//! Set commands: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SMOVE,
//! SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE and SSCAN.
//!
//! Behaviour follows Redis 7.0's `t_set.c`, including what decides a reply's order and a
//! result's encoding: an intset answers in ascending order; the set operations build their
//! result the way Redis does (a fresh intset that converts when a non-integer or one member
//! too many arrives, SDIFF's two algorithms), so SINTERSTORE & co. leave the same OBJECT
//! ENCODING behind. Hashtable replies come in slab order, which differs from Redis's dict order
//! (clients must not rely on either).
//!
//! RESP3: SMEMBERS, SINTER, SUNION, SDIFF and SPOP with a count answer sets (`~`); SRANDMEMBER
//! with a count (which may repeat members), SMISMEMBER and SSCAN stay arrays.
//!
//! Deviation: `SRANDMEMBER key <negative count>` refuses counts above
//! [`MAX_REPEATED_PICKS`]; Redis 7.0 would build the reply until it ran out of memory.

use super::parse_scan_cursor as parse_cursor;
use super::table::{acl, flags::*, key_flags::*, tips::*, Command, GetKeys, Group, KeySpec};
use super::{arg_i64, ev, CmdError, CmdResult, Ctx};
use crate::resp::{Args, Reply};
use crate::store::set::{Member, Set};
use crate::store::{Db, SmallBytes, Value};
use crate::util::glob::glob_match;
use crate::util::num::parse_i64;

/// Largest `SRANDMEMBER key -count` answered: a reply of 64M members is already a gigabyte.
pub const MAX_REPEATED_PICKS: u64 = 1 << 26;

pub static COMMANDS: &[Command] = &[
    Command::new("sadd", -3, sadd)
        .group(Group::Set)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::SET)
        .keys(&[KeySpec::at(1).flags(RW | INSERT)])
        .summary("Add one or more members to a set")
        .since("1.0.0")
        .complexity(
            "O(1) for each element added, so O(N) to add N elements when the command is \
                     called with multiple arguments.",
        )
        .history(&[("2.4.0", "Accepts multiple `member` arguments.")])
        .args("key:key member..."),
    Command::new("srem", -3, srem)
        .group(Group::Set)
        .flags(WRITE | FAST)
        .acl(acl::SET)
        .keys(&[KeySpec::at(1).flags(RW | DELETE)])
        .summary("Remove one or more members from a set")
        .since("1.0.0")
        .complexity("O(N) where N is the number of members to be removed.")
        .history(&[("2.4.0", "Accepts multiple `member` arguments.")])
        .args("key:key member..."),
    Command::new("smembers", 2, smembers)
        .group(Group::Set)
        .flags(READONLY)
        .acl(acl::SET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .tips(&[NONDETERMINISTIC_OUTPUT_ORDER])
        .summary("Get all the members in a set")
        .since("1.0.0")
        .complexity("O(N) where N is the set cardinality.")
        .args("key:key"),
    Command::new("sismember", 3, sismember)
        .group(Group::Set)
        .flags(READONLY | FAST)
        .acl(acl::SET)
        .keys(&[KeySpec::at(1).flags(RO)])
        .summary("Determine if a given value is a member of a set")
        .since("1.0.0")
        .complexity("O(1)")
        .args("key:key member"),
    Command::new("smismember", -3, smismember)
        .group(Group::Set)
        .flags(READONLY | FAST)
        .acl(acl::SET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Returns the membership associated with the given elements for a set")
        .since("6.2.0")
        .complexity("O(N) where N is the number of elements being checked for membership")
        .args("key:key member..."),
    Command::new("scard", 2, scard)
        .group(Group::Set)
        .flags(READONLY | FAST)
        .acl(acl::SET)
        .keys(&[KeySpec::at(1).flags(RO)])
        .summary("Get the number of members in a set")
        .since("1.0.0")
        .complexity("O(1)")
        .args("key:key"),
    Command::new("spop", -2, spop)
        .group(Group::Set)
        .flags(WRITE | FAST)
        .acl(acl::SET)
        .keys(&[KeySpec::at(1).flags(RW | ACCESS | DELETE)])
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Remove and return one or multiple random members from a set")
        .since("1.0.0")
        .complexity(
            "Without the count argument O(1), otherwise O(N) where N is the value of the \
                     passed count.",
        )
        .history(&[("3.2.0", "Added the `count` argument.")])
        .args("key:key ?count:integer@3.2.0"),
    Command::new("srandmember", -2, srandmember)
        .group(Group::Set)
        .flags(READONLY)
        .acl(acl::SET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Get one or multiple random members from a set")
        .since("1.0.0")
        .complexity(
            "Without the count argument O(1), otherwise O(N) where N is the absolute \
                     value of the passed count.",
        )
        .history(&[("2.6.0", "Added the optional `count` argument.")])
        .args("key:key ?count:integer@2.6.0"),
    Command::new("sinter", -2, sinter)
        .group(Group::Set)
        .flags(READONLY)
        .acl(acl::SET)
        .keys(&[KeySpec::at(1).range(-1, 1, 0).flags(RO | ACCESS)])
        .tips(&[NONDETERMINISTIC_OUTPUT_ORDER])
        .summary("Intersect multiple sets")
        .since("1.0.0")
        .complexity(INTER_COMPLEXITY)
        .args("key:key..."),
    Command::new("sintercard", -3, sintercard)
        .group(Group::Set)
        .flags(READONLY)
        .acl(acl::SET)
        .keys(&[KeySpec::at(1).keynum(0, 1, 1).flags(RO | ACCESS)])
        .getkeys(GetKeys::NumKeys {
            store: 0,
            count: 1,
            first: 2,
        })
        .summary("Intersect multiple sets and return the cardinality of the result")
        .since("7.0.0")
        .complexity(INTER_COMPLEXITY)
        .args("numkeys:integer key:key... ?LIMIT=limit:integer"),
    Command::new("sunion", -2, sunion)
        .group(Group::Set)
        .flags(READONLY)
        .acl(acl::SET)
        .keys(&[KeySpec::at(1).range(-1, 1, 0).flags(RO | ACCESS)])
        .tips(&[NONDETERMINISTIC_OUTPUT_ORDER])
        .summary("Add multiple sets")
        .since("1.0.0")
        .complexity(UNION_COMPLEXITY)
        .args("key:key..."),
    Command::new("sdiff", -2, sdiff)
        .group(Group::Set)
        .flags(READONLY)
        .acl(acl::SET)
        .keys(&[KeySpec::at(1).range(-1, 1, 0).flags(RO | ACCESS)])
        .tips(&[NONDETERMINISTIC_OUTPUT_ORDER])
        .summary("Subtract multiple sets")
        .since("1.0.0")
        .complexity(UNION_COMPLEXITY)
        .args("key:key..."),
    Command::new("sinterstore", -3, sinterstore)
        .group(Group::Set)
        .flags(WRITE | DENYOOM)
        .acl(acl::SET)
        .keys(&[
            KeySpec::at(1).flags(RW | UPDATE),
            KeySpec::at(2).range(-1, 1, 0).flags(RO | ACCESS),
        ])
        .summary("Intersect multiple sets and store the resulting set in a key")
        .since("1.0.0")
        .complexity(INTER_COMPLEXITY)
        .args("destination:key key:key..."),
    Command::new("sunionstore", -3, sunionstore)
        .group(Group::Set)
        .flags(WRITE | DENYOOM)
        .acl(acl::SET)
        .keys(&[
            KeySpec::at(1).flags(OW | UPDATE),
            KeySpec::at(2).range(-1, 1, 0).flags(RO | ACCESS),
        ])
        .summary("Add multiple sets and store the resulting set in a key")
        .since("1.0.0")
        .complexity(UNION_COMPLEXITY)
        .args("destination:key key:key..."),
    Command::new("sdiffstore", -3, sdiffstore)
        .group(Group::Set)
        .flags(WRITE | DENYOOM)
        .acl(acl::SET)
        .keys(&[
            KeySpec::at(1).flags(OW | UPDATE),
            KeySpec::at(2).range(-1, 1, 0).flags(RO | ACCESS),
        ])
        .summary("Subtract multiple sets and store the resulting set in a key")
        .since("1.0.0")
        .complexity(UNION_COMPLEXITY)
        .args("destination:key key:key..."),
    Command::new("smove", 4, smove)
        .group(Group::Set)
        .flags(WRITE | FAST)
        .acl(acl::SET)
        .keys(&[
            KeySpec::at(1).flags(RW | ACCESS | DELETE),
            KeySpec::at(2).flags(RW | INSERT),
        ])
        .summary("Move a member from one set to another")
        .since("1.0.0")
        .complexity("O(1)")
        .args("source:key destination:key member"),
    Command::new("sscan", -3, sscan)
        .group(Group::Set)
        .flags(READONLY)
        .acl(acl::SET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Incrementally iterate Set elements")
        .since("2.8.0")
        .complexity(
            "O(1) for every call. O(N) for a complete iteration, including enough \
                     command calls for the cursor to return back to 0. N is the number of \
                     elements inside the collection..",
        )
        .args("key:key cursor:integer ?MATCH=pattern:pattern ?COUNT=count:integer"),
];

const INTER_COMPLEXITY: &str = "O(N*M) worst case where N is the cardinality of the smallest \
                                set and M is the number of sets.";
const UNION_COMPLEXITY: &str = "O(N) where N is the total number of elements in all given sets.";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn set_ref(db: &Db, slot: u32) -> Option<&Set> {
    match db.entry(slot).map(|e| &e.value) {
        Some(Value::Set(s)) => Some(s),
        _ => None,
    }
}

fn set_mut(db: &mut Db, slot: u32) -> Option<&mut Set> {
    match db.entry_mut(slot).map(|e| &mut e.value) {
        Some(Value::Set(s)) => Some(s),
        _ => None,
    }
}

/// `Ok(None)` for a missing key, WRONGTYPE for a key that is not a set.
fn check_set(ctx: &mut Ctx, slot: Option<u32>) -> Result<Option<u32>, CmdError> {
    match slot {
        None => Ok(None),
        Some(s) if set_ref(ctx.db(), s).is_some() => Ok(Some(s)),
        Some(_) => Err(CmdError::WrongType),
    }
}

/// Looks `key` up for a read (counting a keyspace hit or miss).
fn lookup_set_read(ctx: &mut Ctx, key: &[u8]) -> Result<Option<u32>, CmdError> {
    let slot = ctx.lookup_read(key);
    check_set(ctx, slot)
}

/// Looks `key` up for a write.
fn lookup_set_write(ctx: &mut Ctx, key: &[u8]) -> Result<Option<u32>, CmdError> {
    let slot = ctx.lookup_write(key);
    check_set(ctx, slot)
}

fn max_intset(ctx: &Ctx) -> usize {
    ctx.srv.config.set_max_intset_entries
}

fn write_member(out: &mut Reply, m: Member) {
    match m {
        Member::Int(v) => out.bulk_int(v),
        Member::Str(s) => out.bulk(s),
    }
}

/// A member copied out of a set, so the set can be changed afterwards.
#[derive(Clone, Debug)]
enum Owned {
    Int(i64),
    Str(SmallBytes),
}

impl Owned {
    fn of(m: Member) -> Owned {
        match m {
            Member::Int(v) => Owned::Int(v),
            Member::Str(s) => Owned::Str(SmallBytes::new(s)),
        }
    }

    fn member(&self) -> Member<'_> {
        match self {
            Owned::Int(v) => Member::Int(*v),
            Owned::Str(s) => Member::Str(s),
        }
    }
}

/// A small generator for the random picks of one command, seeded from the server's.
fn rng(ctx: &mut Ctx) -> impl FnMut() -> u64 {
    let mut state = ctx.random();
    move || {
        // SplitMix64.
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// Replaces `dest` with `result` (any old value and TTL go), or deletes it when `result` is
/// empty; replies with the result's size. `event` is the notification of a stored result.
/// The reply precedes the notification, in Redis's order.
fn store_result(ctx: &mut Ctx, dest: &[u8], result: Set, event: &str) {
    let clock = ctx.clock;
    let n = result.len();
    if n > 0 {
        // Redis's setKey looks the key up for writing: an expired one goes first.
        ctx.lookup_write(dest);
        ctx.db().set(dest, Value::Set(result), false, clock);
        ctx.out.int(n as i64);
        ctx.srv.dirty += 1;
        ctx.touch(dest);
        ctx.notify(ev::SET, event, dest);
    } else {
        ctx.out.int(0);
        if ctx.db().remove(dest).is_some() {
            // Redis's dbDelete: whatever is stored goes, expired or not.
            ctx.srv.dirty += 1;
            ctx.touch(dest);
            ctx.notify(ev::GENERIC, "del", dest);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Single-key commands
// ---------------------------------------------------------------------------------------------

fn sadd(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let key = &args[1];
    let max = max_intset(ctx);
    let clock = ctx.clock;
    let mut added = 0;
    match lookup_set_write(ctx, key)? {
        Some(slot) => {
            let set = set_mut(ctx.db(), slot).ok_or(CmdError::WrongType)?;
            for m in args.iter().skip(2) {
                added += set.insert(m, max) as i64;
            }
        }
        None => {
            let mut set = Set::new_for(&args[2]);
            for m in args.iter().skip(2) {
                added += set.insert(m, max) as i64;
            }
            ctx.db()
                .insert_new(SmallBytes::new(key), Value::Set(set), clock);
        }
    }
    ctx.srv.dirty += added as u64;
    if added > 0 {
        ctx.touch(key);
        ctx.notify(ev::SET, "sadd", key);
    }
    ctx.out.int(added);
    Ok(())
}

fn srem(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(slot) = lookup_set_write(ctx, &args[1])? else {
        ctx.out.int(0);
        return Ok(());
    };
    let db = ctx.db();
    let set = set_mut(db, slot).ok_or(CmdError::WrongType)?;
    let mut removed = 0;
    for m in args.iter().skip(2) {
        if set.remove(m) {
            removed += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    let emptied = set.is_empty();
    if emptied {
        db.remove_slot(slot);
    }
    ctx.srv.dirty += removed;
    if removed > 0 {
        ctx.touch(&args[1]);
        ctx.notify(ev::SET, "srem", &args[1]);
    }
    if emptied {
        ctx.notify(ev::GENERIC, "del", &args[1]);
    }
    ctx.out.int(removed as i64);
    Ok(())
}

fn smembers(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(slot) = lookup_set_read(ctx, &args[1])? else {
        ctx.out.set(0);
        return Ok(());
    };
    let (db, out) = ctx.db_out();
    let set = set_ref(db, slot).ok_or(CmdError::WrongType)?;
    out.set(set.len());
    for m in set.iter() {
        write_member(out, m);
    }
    Ok(())
}

fn sismember(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let found = match lookup_set_read(ctx, &args[1])? {
        Some(slot) => set_ref(ctx.db(), slot).is_some_and(|s| s.contains(&args[2])),
        None => false,
    };
    ctx.out.int(found as i64);
    Ok(())
}

fn smismember(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let slot = lookup_set_read(ctx, &args[1])?;
    let (db, out) = ctx.db_out();
    let set = slot.and_then(|s| set_ref(db, s));
    out.array(args.len() - 2);
    for m in args.iter().skip(2) {
        out.int(set.is_some_and(|s| s.contains(m)) as i64);
    }
    Ok(())
}

fn scard(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let n = match lookup_set_read(ctx, &args[1])? {
        Some(slot) => set_ref(ctx.db(), slot).map_or(0, |s| s.len()),
        None => 0,
    };
    ctx.out.int(n as i64);
    Ok(())
}

fn smove(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (src, dst, member) = (&args[1], &args[2], &args[3]);
    let src_slot = ctx.lookup_write(src);
    let dst_slot = ctx.lookup_write(dst);
    let Some(src_slot) = src_slot else {
        ctx.out.int(0);
        return Ok(());
    };
    check_set(ctx, Some(src_slot))?;
    check_set(ctx, dst_slot)?;
    let max = max_intset(ctx);
    let clock = ctx.clock;
    let db = ctx.db();
    if dst_slot == Some(src_slot) {
        let found = set_ref(db, src_slot).is_some_and(|s| s.contains(member));
        ctx.out.int(found as i64);
        return Ok(());
    }
    let src_set = set_mut(db, src_slot).ok_or(CmdError::WrongType)?;
    if !src_set.remove(member) {
        ctx.out.int(0);
        return Ok(());
    }
    ctx.notify(ev::SET, "srem", src);
    let db = ctx.db();
    if set_ref(db, src_slot).is_some_and(|s| s.is_empty()) {
        db.remove_slot(src_slot);
        ctx.notify(ev::GENERIC, "del", src);
    }
    let db = ctx.db();
    let added = match dst_slot.and_then(|s| set_mut(db, s)) {
        Some(dst_set) => dst_set.insert(member, max),
        None => {
            let mut set = Set::new_for(member);
            set.insert(member, max);
            db.insert_new(SmallBytes::new(dst), Value::Set(set), clock);
            true
        }
    };
    ctx.srv.dirty += 1 + added as u64;
    ctx.touch(src);
    if added {
        ctx.touch(dst);
        ctx.notify(ev::SET, "sadd", dst);
    }
    ctx.out.int(1);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Random members
// ---------------------------------------------------------------------------------------------

fn spop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    match args.len() {
        3 => return spop_count(ctx, args),
        n if n > 3 => return Err(CmdError::Syntax),
        _ => {}
    }
    let Some(slot) = lookup_set_write(ctx, &args[1])? else {
        ctx.out.null();
        return Ok(());
    };
    let mut rand = rng(ctx);
    let (db, out) = ctx.db_out();
    let set = set_mut(db, slot).ok_or(CmdError::WrongType)?;
    let Some(picked) = set.random(&mut rand).map(Owned::of) else {
        out.null();
        return Ok(());
    };
    write_member(out, picked.member());
    set.remove_member(picked.member());
    let emptied = set.is_empty();
    if emptied {
        db.remove_slot(slot);
    }
    ctx.srv.dirty += 1;
    ctx.touch(&args[1]);
    ctx.notify(ev::SET, "spop", &args[1]);
    if emptied {
        ctx.notify(ev::GENERIC, "del", &args[1]);
    }
    Ok(())
}

/// SPOP's strategy threshold (Redis's SPOP_MOVE_STRATEGY_MUL).
const SPOP_MOVE_STRATEGY_MUL: u64 = 5;

fn spop_count(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let count = match parse_i64(&args[2]) {
        Some(n) if n >= 0 => n as u64,
        _ => return Err("ERR value is out of range, must be positive".into()),
    };
    // SPOP with a count answers a set (`~` in RESP3), even an empty one.
    let Some(slot) = lookup_set_write(ctx, &args[1])? else {
        ctx.out.set(0);
        return Ok(());
    };
    if count == 0 {
        ctx.out.set(0);
        return Ok(());
    }
    let max = max_intset(ctx);
    let mut rand = rng(ctx);
    let (db, out) = ctx.db_out();
    let set = set_mut(db, slot).ok_or(CmdError::WrongType)?;
    let size = set.len() as u64;

    if count >= size {
        // The whole set, answered as Redis does: through a union into a fresh set.
        let mut all = Set::default();
        for m in set.iter() {
            all.insert_member(m, max);
        }
        out.set(all.len());
        for m in all.iter() {
            write_member(out, m);
        }
        db.remove_slot(slot);
        ctx.srv.dirty += size;
        ctx.touch(&args[1]);
        ctx.notify(ev::SET, "spop", &args[1]);
        ctx.notify(ev::GENERIC, "del", &args[1]);
        return Ok(());
    }

    let remaining = size - count;
    out.set(count as usize);
    if remaining.saturating_mul(SPOP_MOVE_STRATEGY_MUL) > count {
        // Few to pop: pick and remove them one by one.
        for _ in 0..count {
            let Some(picked) = set.random(&mut rand).map(Owned::of) else {
                break;
            };
            write_member(out, picked.member());
            set.remove_member(picked.member());
        }
    } else {
        // Most of the set goes: move the few that stay into a new set, answer with the rest.
        let mut kept: Option<Set> = None;
        for _ in 0..remaining {
            let Some(picked) = set.random(&mut rand).map(Owned::of) else {
                break;
            };
            let m = picked.member();
            let k = kept.get_or_insert_with(|| Set::new_for(m.bytes(&mut itoa::Buffer::new())));
            k.insert_member(m, max);
            set.remove_member(m);
        }
        for m in set.iter() {
            write_member(out, m);
        }
        if let Some(k) = kept {
            *set = k;
        }
    }
    ctx.srv.dirty += count;
    ctx.touch(&args[1]);
    ctx.notify(ev::SET, "spop", &args[1]);
    Ok(())
}

/// SRANDMEMBER's strategy threshold (Redis's SRANDMEMBER_SUB_STRATEGY_MUL).
const SRANDMEMBER_SUB_STRATEGY_MUL: u64 = 3;

fn srandmember(ctx: &mut Ctx, args: &Args) -> CmdResult {
    match args.len() {
        3 => return srandmember_count(ctx, args),
        n if n > 3 => return Err(CmdError::Syntax),
        _ => {}
    }
    let Some(slot) = lookup_set_read(ctx, &args[1])? else {
        ctx.out.null();
        return Ok(());
    };
    let mut rand = rng(ctx);
    let (db, out) = ctx.db_out();
    match set_ref(db, slot).and_then(|s| s.random(&mut rand)) {
        Some(m) => write_member(out, m),
        None => out.null(),
    }
    Ok(())
}

fn srandmember_count(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let l = arg_i64(&args[2])?;
    if l == i64::MIN {
        return Err(
            "ERR value is out of range, value must between -9223372036854775807 and \
                    9223372036854775807"
                .into(),
        );
    }
    let (count, distinct) = (l.unsigned_abs(), l >= 0);
    let Some(slot) = lookup_set_read(ctx, &args[1])? else {
        ctx.out.array(0);
        return Ok(());
    };
    if count == 0 {
        ctx.out.array(0);
        return Ok(());
    }
    if !distinct && count > MAX_REPEATED_PICKS {
        return Err(CmdError::err(format!(
            "SRANDMEMBER count is too large: at most {MAX_REPEATED_PICKS} repeated members \
             can be returned"
        )));
    }
    let mut rand = rng(ctx);
    let (db, out) = ctx.db_out();
    let set = set_ref(db, slot).ok_or(CmdError::WrongType)?;
    let size = set.len() as u64;

    if !distinct || count == 1 {
        // Independent picks, repetitions allowed.
        out.array(count as usize);
        for _ in 0..count {
            match set.random(&mut rand) {
                Some(m) => write_member(out, m),
                None => out.null(),
            }
        }
        return Ok(());
    }
    if count >= size {
        out.array(set.len());
        for m in set.iter() {
            write_member(out, m);
        }
        return Ok(());
    }
    // `count` distinct members out of `size` (count < size, so the buffers below are bounded
    // by the set's own size).
    let mut picked: Vec<Member> = if count.saturating_mul(SRANDMEMBER_SUB_STRATEGY_MUL) > size {
        // Most of the set: start from all of it and drop random members.
        let mut all: Vec<Member> = set.iter().collect();
        while all.len() as u64 > count {
            let i = (rand() % all.len() as u64) as usize;
            all.swap_remove(i);
        }
        all
    } else {
        // A small part: draw until enough distinct members came up.
        let mut seen = hashbrown::HashSet::with_capacity(count as usize);
        let mut out_members = Vec::with_capacity(count as usize);
        while (out_members.len() as u64) < count {
            let Some(m) = set.random(&mut rand) else {
                break;
            };
            if seen.insert(m) {
                out_members.push(m);
            }
        }
        out_members
    };
    out.array(picked.len());
    for m in picked.drain(..) {
        write_member(out, m);
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Set algebra
// ---------------------------------------------------------------------------------------------

/// Looks every key up for reading, in order. A key of another type is WRONGTYPE even after a
/// missing key (as in Redis 7.0); a missing key is `None`.
fn lookup_sets<'k>(
    ctx: &mut Ctx,
    keys: impl Iterator<Item = &'k [u8]>,
) -> Result<Vec<Option<u32>>, CmdError> {
    let mut slots = Vec::new();
    for key in keys {
        slots.push(lookup_set_read(ctx, key)?);
    }
    Ok(slots)
}

/// What SINTER-like commands do with the intersection.
enum InterMode<'a> {
    Reply,
    Card { limit: u64 },
    Store { dest: &'a [u8] },
}

fn sinter_generic(ctx: &mut Ctx, keys: &[&[u8]], mode: InterMode) -> CmdResult {
    let slots = lookup_sets(ctx, keys.iter().copied())?;
    if slots.iter().any(|s| s.is_none()) {
        // An intersection with an empty set is empty.
        match mode {
            InterMode::Reply => ctx.out.set(0),
            InterMode::Card { .. } => ctx.out.int(0),
            InterMode::Store { dest } => {
                // Redis's early exit for a missing source deletes the destination and
                // notifies before it replies (the later paths reply first).
                if ctx.db().remove(dest).is_some() {
                    ctx.srv.dirty += 1;
                    ctx.touch(dest);
                    ctx.notify(ev::GENERIC, "del", dest);
                }
                ctx.out.int(0);
            }
        }
        return Ok(());
    }
    let max = max_intset(ctx);
    let (db, out) = ctx.db_out();
    let mut sets: Vec<(u32, &Set)> = Vec::with_capacity(slots.len());
    for slot in slots.into_iter().flatten() {
        sets.push((slot, set_ref(db, slot).ok_or(CmdError::WrongType)?));
    }
    // Walk the smallest set, testing each member against the others.
    sets.sort_by_key(|(_, s)| s.len());
    let (first_slot, first) = sets[0];
    let others = &sets[1..];
    let in_all = |m: Member| {
        others
            .iter()
            .all(|&(slot, s)| slot == first_slot || s.contains_member(m))
    };
    match mode {
        InterMode::Reply => {
            let header = out.deferred_set();
            let mut n = 0;
            for m in first.iter().filter(|&m| in_all(m)) {
                write_member(out, m);
                n += 1;
            }
            out.end_deferred(header, n);
        }
        InterMode::Card { limit } => {
            let mut n: u64 = 0;
            for _ in first.iter().filter(|&m| in_all(m)) {
                n += 1;
                if limit != 0 && n >= limit {
                    break;
                }
            }
            out.int(n as i64);
        }
        InterMode::Store { dest } => {
            let mut result = Set::default();
            for m in first.iter().filter(|&m| in_all(m)) {
                result.insert_member(m, max);
            }
            store_result(ctx, dest, result, "sinterstore");
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Diff,
}

/// SUNION / SDIFF and their STORE forms: builds the result in a fresh set exactly as Redis
/// does (which decides its encoding and so the reply order), then replies or stores it.
fn sunion_diff_generic(ctx: &mut Ctx, keys: &[&[u8]], dest: Option<&[u8]>, op: Op) -> CmdResult {
    let slots = lookup_sets(ctx, keys.iter().copied())?;
    let max = max_intset(ctx);
    let db = ctx.db();
    let mut sets: Vec<Option<(u32, &Set)>> = Vec::with_capacity(slots.len());
    for slot in slots {
        sets.push(match slot {
            Some(s) => Some((s, set_ref(db, s).ok_or(CmdError::WrongType)?)),
            None => None,
        });
    }
    let mut result = Set::default();
    match op {
        Op::Union => {
            for (_, s) in sets.iter().flatten() {
                for m in s.iter() {
                    result.insert_member(m, max);
                }
            }
        }
        Op::Diff => diff_into(&sets, &mut result, max),
    }
    match dest {
        Some(dest) => {
            let event = match op {
                Op::Union => "sunionstore",
                Op::Diff => "sdiffstore",
            };
            store_result(ctx, dest, result, event)
        }
        None => {
            let out = &mut *ctx.out;
            out.set(result.len());
            for m in result.iter() {
                write_member(out, m);
            }
        }
    }
    Ok(())
}

/// Redis's SDIFF: algorithm 1 (test each member of the first set against the others) or 2
/// (copy the first set, then remove the others' members), chosen by Redis's cost estimate.
fn diff_into(sets: &[Option<(u32, &Set)>], result: &mut Set, max: usize) {
    let Some(Some((first_slot, first))) = sets.first().copied() else {
        return;
    };
    let rest = &sets[1..];
    if rest.iter().flatten().any(|&(slot, _)| slot == first_slot) {
        return; // the first set minus itself
    }
    let present = sets.iter().flatten().count() as u64;
    let algo_one_work = present.saturating_mul(first.len() as u64) / 2;
    let algo_two_work: u64 = sets.iter().flatten().map(|(_, s)| s.len() as u64).sum();
    if algo_one_work <= algo_two_work {
        for m in first.iter() {
            if !rest.iter().flatten().any(|(_, s)| s.contains_member(m)) {
                result.insert_member(m, max);
            }
        }
    } else {
        for m in first.iter() {
            result.insert_member(m, max);
        }
        for (_, s) in rest.iter().flatten() {
            for m in s.iter() {
                result.remove_member(m);
            }
            if result.is_empty() {
                break;
            }
        }
    }
}

fn arg_slices<'a>(args: &Args<'a>, from: usize) -> Vec<&'a [u8]> {
    args.iter().skip(from).collect()
}

fn sinter(ctx: &mut Ctx, args: &Args) -> CmdResult {
    sinter_generic(ctx, &arg_slices(args, 1), InterMode::Reply)
}

fn sinterstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let dest = &args[1];
    sinter_generic(ctx, &arg_slices(args, 2), InterMode::Store { dest })
}

fn sintercard(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let numkeys = match parse_i64(&args[1]) {
        Some(n) if n >= 1 => n as u64,
        _ => return Err(CmdError::err("numkeys should be greater than 0")),
    };
    if numkeys > (args.len() - 2) as u64 {
        return Err(CmdError::err(
            "Number of keys can't be greater than number of args",
        ));
    }
    let numkeys = numkeys as usize;
    let mut limit = 0;
    let mut j = 2 + numkeys;
    while j < args.len() {
        if args[j].eq_ignore_ascii_case(b"limit") && j + 1 < args.len() {
            j += 1;
            limit = match parse_i64(&args[j]) {
                Some(n) if n >= 0 => n as u64,
                _ => return Err(CmdError::err("LIMIT can't be negative")),
            };
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let keys: Vec<&[u8]> = args.iter().skip(2).take(numkeys).collect();
    sinter_generic(ctx, &keys, InterMode::Card { limit })
}

fn sunion(ctx: &mut Ctx, args: &Args) -> CmdResult {
    sunion_diff_generic(ctx, &arg_slices(args, 1), None, Op::Union)
}

fn sunionstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    sunion_diff_generic(ctx, &arg_slices(args, 2), Some(&args[1]), Op::Union)
}

fn sdiff(ctx: &mut Ctx, args: &Args) -> CmdResult {
    sunion_diff_generic(ctx, &arg_slices(args, 1), None, Op::Diff)
}

fn sdiffstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    sunion_diff_generic(ctx, &arg_slices(args, 2), Some(&args[1]), Op::Diff)
}

// ---------------------------------------------------------------------------------------------
// SSCAN
// ---------------------------------------------------------------------------------------------

/// SSCAN key cursor [MATCH pattern] [COUNT count].
///
/// An intset is returned whole with cursor 0, as Redis does. A hashtable is walked slot by
/// slot; see `HashSet::scan` for the cursor and its guarantee.
fn sscan(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let cursor = parse_cursor(&args[2])?;
    let Some(slot) = lookup_set_read(ctx, &args[1])? else {
        ctx.out.array(2);
        ctx.out.bulk(b"0");
        ctx.out.array(0);
        return Ok(());
    };
    let (count, pattern) = super::parse_scan_options(args, 3)?;
    let (db, out) = ctx.db_out();
    let set = set_ref(db, slot).ok_or(CmdError::WrongType)?;
    let mut buf = itoa::Buffer::new();
    let matches = |m: &[u8]| pattern.is_none_or(|p| glob_match(p, m, false));
    match set.as_hashset() {
        None => {
            let header = {
                out.array(2);
                out.bulk(b"0");
                out.deferred_array()
            };
            let mut n = 0;
            for m in set.iter() {
                let bytes = m.bytes(&mut buf);
                if matches(bytes) {
                    out.bulk(bytes);
                    n += 1;
                }
            }
            out.end_deferred(header, n);
        }
        Some(h) => {
            let mut found: Vec<&[u8]> = Vec::new();
            let next = h.scan(cursor, count, |m| {
                if matches(m) {
                    found.push(m);
                }
            });
            out.array(2);
            out.bulk(buf.format(next).as_bytes());
            out.bulks(found.into_iter());
        }
    }
    Ok(())
}
