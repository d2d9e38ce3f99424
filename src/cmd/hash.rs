//! Hash commands: HSET/HMSET/HSETNX, HGET/HMGET, HDEL, HLEN/HSTRLEN/HEXISTS,
//! HGETALL/HKEYS/HVALS, HINCRBY/HINCRBYFLOAT, HRANDFIELD and HSCAN. Behaviour, replies and
//! errors follow Redis 7.0's `t_hash.c` (and `db.c`'s `scanGenericCommand` for HSCAN).
//!
//! The value type and its two encodings live in `store/hash.rs`; the conversion thresholds
//! are read from the configuration at every write, as Redis reads `server.hash_max_*`.
//!
//! RESP3: HGETALL is a map (`%`), HRANDFIELD WITHVALUES a list of `[field, value]` pairs (flat
//! in RESP2); HKEYS, HVALS and HSCAN stay arrays; a missing field or key is Redis's null.

use super::parse_scan_cursor as parse_cursor;
use super::table::{acl, flags::*, key_flags::*, tips::*, Command, Group, KeySpec};
use super::{arg_i64, ev, CmdError, CmdResult, Ctx};
use crate::resp::{Args, Reply};
use crate::store::hash::{Elem, Hash, Limits};
use crate::store::{Db, SmallBytes, Value};
use crate::util::glob::glob_match;
use crate::util::num::{parse_i64, parse_long_double, LongDouble, HINCRBYFLOAT_INF_INCR_ERROR};

const ON: &str = "O(N) where N is the size of the hash.";

pub static COMMANDS: &[Command] = &[
    Command::new("hset", -4, hset)
        .group(Group::Hash)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::HASH)
        .keys(&[KeySpec::at(1).flags(RW | UPDATE)])
        .summary("Set the string value of a hash field")
        .since("2.0.0")
        .complexity(
            "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the \
command is called with multiple field/value pairs.",
        )
        .history(&[("4.0.0", "Accepts multiple `field` and `value` arguments.")])
        .args("key:key field_value...{field value}"),
    Command::new("hsetnx", 4, hsetnx)
        .group(Group::Hash)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::HASH)
        .keys(&[KeySpec::at(1).flags(RW | INSERT)])
        .summary("Set the value of a hash field, only if the field does not exist")
        .since("2.0.0")
        .complexity("O(1)")
        .args("key:key field value"),
    Command::new("hget", 3, hget)
        .group(Group::Hash)
        .flags(READONLY | FAST)
        .acl(acl::HASH)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Get the value of a hash field")
        .since("2.0.0")
        .complexity("O(1)")
        .args("key:key field"),
    Command::new("hmget", -3, hmget)
        .group(Group::Hash)
        .flags(READONLY | FAST)
        .acl(acl::HASH)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Get the values of all the given hash fields")
        .since("2.0.0")
        .complexity("O(N) where N is the number of fields being requested.")
        .args("key:key field..."),
    Command::new("hmset", -4, hmset)
        .group(Group::Hash)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::HASH)
        .keys(&[KeySpec::at(1).flags(RW | UPDATE)])
        .summary("Set multiple hash fields to multiple values")
        .since("2.0.0")
        .complexity("O(N) where N is the number of fields being set.")
        .deprecated("4.0.0", "`HSET` with multiple field-value pairs")
        .args("key:key field_value...{field value}"),
    Command::new("hdel", -3, hdel)
        .group(Group::Hash)
        .flags(WRITE | FAST)
        .acl(acl::HASH)
        .keys(&[KeySpec::at(1).flags(RW | DELETE)])
        .summary("Delete one or more hash fields")
        .since("2.0.0")
        .complexity("O(N) where N is the number of fields to be removed.")
        .history(&[("2.4.0", "Accepts multiple `field` arguments.")])
        .args("key:key field..."),
    Command::new("hgetall", 2, hgetall)
        .group(Group::Hash)
        .flags(READONLY)
        .acl(acl::HASH)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .tips(&[NONDETERMINISTIC_OUTPUT_ORDER])
        .summary("Get all the fields and values in a hash")
        .since("2.0.0")
        .complexity(ON)
        .args("key:key"),
    Command::new("hkeys", 2, hkeys)
        .group(Group::Hash)
        .flags(READONLY)
        .acl(acl::HASH)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .tips(&[NONDETERMINISTIC_OUTPUT_ORDER])
        .summary("Get all the fields in a hash")
        .since("2.0.0")
        .complexity(ON)
        .args("key:key"),
    Command::new("hvals", 2, hvals)
        .group(Group::Hash)
        .flags(READONLY)
        .acl(acl::HASH)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .tips(&[NONDETERMINISTIC_OUTPUT_ORDER])
        .summary("Get all the values in a hash")
        .since("2.0.0")
        .complexity(ON)
        .args("key:key"),
    Command::new("hlen", 2, hlen)
        .group(Group::Hash)
        .flags(READONLY | FAST)
        .acl(acl::HASH)
        .keys(&[KeySpec::at(1).flags(RO)])
        .summary("Get the number of fields in a hash")
        .since("2.0.0")
        .complexity("O(1)")
        .args("key:key"),
    Command::new("hexists", 3, hexists)
        .group(Group::Hash)
        .flags(READONLY | FAST)
        .acl(acl::HASH)
        .keys(&[KeySpec::at(1).flags(RO)])
        .summary("Determine if a hash field exists")
        .since("2.0.0")
        .complexity("O(1)")
        .args("key:key field"),
    Command::new("hincrby", 4, hincrby)
        .group(Group::Hash)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::HASH)
        .keys(&[KeySpec::at(1).flags(RW | ACCESS | UPDATE)])
        .summary("Increment the integer value of a hash field by the given number")
        .since("2.0.0")
        .complexity("O(1)")
        .args("key:key field increment:integer"),
    Command::new("hincrbyfloat", 4, hincrbyfloat)
        .group(Group::Hash)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::HASH)
        .keys(&[KeySpec::at(1).flags(RW | ACCESS | UPDATE)])
        .summary("Increment the float value of a hash field by the given amount")
        .since("2.6.0")
        .complexity("O(1)")
        .args("key:key field increment:double"),
    Command::new("hstrlen", 3, hstrlen)
        .group(Group::Hash)
        .flags(READONLY | FAST)
        .acl(acl::HASH)
        .keys(&[KeySpec::at(1).flags(RO)])
        .summary("Get the length of the value of a hash field")
        .since("3.2.0")
        .complexity("O(1)")
        .args("key:key field"),
    Command::new("hrandfield", -2, hrandfield)
        .group(Group::Hash)
        .flags(READONLY)
        .acl(acl::HASH)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Get one or multiple random fields from a hash")
        .since("6.2.0")
        .complexity("O(N) where N is the number of fields returned")
        .args("key:key ?options{count:integer ?WITHVALUES}"),
    Command::new("hscan", -3, hscan)
        .group(Group::Hash)
        .flags(READONLY)
        .acl(acl::HASH)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Incrementally iterate hash fields and associated values")
        .since("2.8.0")
        .complexity(
            "O(1) for every call. O(N) for a complete iteration, including enough command calls \
for the cursor to return back to 0. N is the number of elements inside the collection..",
        )
        .args("key:key cursor:integer ?MATCH=pattern:pattern ?COUNT=count:integer"),
];

// ------------------------------------------------------------------------------ helpers

/// The conversion thresholds currently configured.
fn limits(ctx: &Ctx) -> Limits {
    Limits {
        max_entries: ctx.srv.config.hash_max_listpack_entries as u64,
        max_value: ctx.srv.config.hash_max_listpack_value as u64,
    }
}

fn hash_ref(db: &Db, slot: u32) -> Option<&Hash> {
    match db.entry(slot).map(|e| &e.value) {
        Some(Value::Hash(h)) => Some(h),
        _ => None,
    }
}

fn hash_mut(db: &mut Db, slot: u32) -> Option<&mut Hash> {
    match db.entry_mut(slot).map(|e| &mut e.value) {
        Some(Value::Hash(h)) => Some(h),
        _ => None,
    }
}

/// Checks that the key at `slot` (if any) holds a hash.
fn check_hash(ctx: &mut Ctx, slot: Option<u32>) -> Result<Option<u32>, CmdError> {
    match slot {
        Some(s) if hash_ref(ctx.db(), s).is_none() => Err(CmdError::WrongType),
        _ => Ok(slot),
    }
}

/// Looks `key` up for a read: its slot if it holds a hash, None if missing, WRONGTYPE else.
fn read_slot(ctx: &mut Ctx, key: &[u8]) -> Result<Option<u32>, CmdError> {
    let slot = ctx.lookup_read(key);
    check_hash(ctx, slot)
}

/// Looks `key` up for a write: its slot if it holds a hash, None if missing, WRONGTYPE else.
fn write_slot(ctx: &mut Ctx, key: &[u8]) -> Result<Option<u32>, CmdError> {
    let slot = ctx.lookup_write(key);
    check_hash(ctx, slot)
}

/// The slot of the hash at `key`, creating an empty one if missing (Redis's
/// `hashTypeLookupWriteOrCreate`); the caller adds a field right away.
fn slot_or_create(ctx: &mut Ctx, key: &[u8], slot: Option<u32>) -> u32 {
    match slot {
        Some(s) => s,
        None => {
            let clock = ctx.clock;
            ctx.db()
                .insert_new(SmallBytes::new(key), Value::Hash(Hash::new()), clock)
        }
    }
}

fn bulk_elem(out: &mut Reply, e: Elem<'_>) {
    match e {
        Elem::Str(s) => out.bulk(s),
        Elem::Int(n) => out.bulk_int(n),
    }
}

// ----------------------------------------------------------------------------- commands

fn hset(ctx: &mut Ctx, args: &Args) -> CmdResult {
    hset_generic(ctx, args, "hset")?;
    Ok(())
}

fn hmset(ctx: &mut Ctx, args: &Args) -> CmdResult {
    hset_generic(ctx, args, "hmset")
}

/// HSET / HMSET: sets every pair; replies with the number of new fields for HSET.
fn hset_generic(ctx: &mut Ctx, args: &Args, name: &str) -> CmdResult {
    if args.len() % 2 == 1 {
        return Err(CmdError::err(format!(
            "wrong number of arguments for '{name}' command"
        )));
    }
    let key = &args[1];
    let slot = write_slot(ctx, key)?;
    let lim = limits(ctx);
    let slot = slot_or_create(ctx, key, slot);
    let Some(h) = hash_mut(ctx.db(), slot) else {
        return Err(CmdError::WrongType);
    };
    h.try_conversion(args.iter().skip(2).map(|a| a.len()), lim);
    let mut created = 0;
    let mut i = 2;
    while i + 1 < args.len() {
        if h.insert(&args[i], &args[i + 1], lim) {
            created += 1;
        }
        i += 2;
    }
    // Every pair counts, an overwrite with the same value or a repeated field too.
    ctx.srv.dirty += ((args.len() - 2) / 2) as u64;
    // The reply goes first, then the notification, in Redis's order (a RESP3 client
    // subscribed to its own events sees them after the reply).
    if name == "hset" {
        ctx.out.int(created);
    } else {
        ctx.out.ok();
    }
    ctx.touch(key);
    ctx.notify(ev::HASH, "hset", key);
    Ok(())
}

fn hsetnx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (key, field, value) = (&args[1], &args[2], &args[3]);
    let slot = write_slot(ctx, key)?;
    let lim = limits(ctx);
    if let Some(s) = slot {
        if hash_ref(ctx.db(), s).is_some_and(|h| h.contains(field)) {
            ctx.out.int(0);
            return Ok(());
        }
    }
    let slot = slot_or_create(ctx, key, slot);
    if let Some(h) = hash_mut(ctx.db(), slot) {
        h.try_conversion([field.len(), value.len()].into_iter(), lim);
        h.insert(field, value, lim);
    }
    ctx.srv.dirty += 1;
    ctx.out.int(1);
    ctx.touch(key);
    ctx.notify(ev::HASH, "hset", key);
    Ok(())
}

fn hget(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let slot = read_slot(ctx, &args[1])?;
    let (db, out) = ctx.db_out();
    match slot
        .and_then(|s| hash_ref(db, s))
        .and_then(|h| h.get(&args[2]))
    {
        Some(e) => bulk_elem(out, e),
        None => out.null(),
    }
    Ok(())
}

fn hmget(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let slot = read_slot(ctx, &args[1])?;
    let (db, out) = ctx.db_out();
    let h = slot.and_then(|s| hash_ref(db, s));
    out.array(args.len() - 2);
    for field in args.iter().skip(2) {
        match h.and_then(|h| h.get(field)) {
            Some(e) => bulk_elem(out, e),
            None => out.null(),
        }
    }
    Ok(())
}

fn hdel(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(slot) = write_slot(ctx, &args[1])? else {
        ctx.out.int(0);
        return Ok(());
    };
    let db = ctx.db();
    let mut deleted = 0;
    let mut now_empty = false;
    if let Some(h) = hash_mut(db, slot) {
        for field in args.iter().skip(2) {
            if h.remove(field) {
                deleted += 1;
                if h.is_empty() {
                    now_empty = true;
                    break;
                }
            }
        }
    }
    if now_empty {
        db.remove_slot(slot);
    }
    ctx.srv.dirty += deleted as u64;
    if deleted > 0 {
        ctx.touch(&args[1]);
        ctx.notify(ev::HASH, "hdel", &args[1]);
    }
    if now_empty {
        ctx.notify(ev::GENERIC, "del", &args[1]);
    }
    ctx.out.int(deleted);
    Ok(())
}

fn hlen(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let slot = read_slot(ctx, &args[1])?;
    let db = ctx.db();
    let n = slot.and_then(|s| hash_ref(db, s)).map_or(0, |h| h.len());
    ctx.out.int(n as i64);
    Ok(())
}

fn hstrlen(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let slot = read_slot(ctx, &args[1])?;
    let db = ctx.db();
    let n = slot
        .and_then(|s| hash_ref(db, s))
        .and_then(|h| h.get(&args[2]))
        .map_or(0, |e| e.len());
    ctx.out.int(n as i64);
    Ok(())
}

fn hexists(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let slot = read_slot(ctx, &args[1])?;
    let db = ctx.db();
    let found = slot
        .and_then(|s| hash_ref(db, s))
        .is_some_and(|h| h.contains(&args[2]));
    ctx.out.int(found as i64);
    Ok(())
}

/// What HGETALL, HKEYS and HVALS send of each pair.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Both,
    Fields,
    Values,
}

fn getall_generic(ctx: &mut Ctx, args: &Args, part: Part) -> CmdResult {
    let slot = read_slot(ctx, &args[1])?;
    let (db, out) = ctx.db_out();
    let Some(h) = slot.and_then(|s| hash_ref(db, s)) else {
        // Redis answers an empty map for HGETALL (`%0` in RESP3), an empty array otherwise.
        if part == Part::Both {
            out.map(0);
        } else {
            out.array(0);
        }
        return Ok(());
    };
    // HGETALL is a map; HKEYS and HVALS stay arrays.
    if part == Part::Both {
        out.map(h.len());
    } else {
        out.array(h.len());
    }
    for (f, v) in h.iter() {
        if part != Part::Values {
            bulk_elem(out, f);
        }
        if part != Part::Fields {
            bulk_elem(out, v);
        }
    }
    Ok(())
}

fn hgetall(ctx: &mut Ctx, args: &Args) -> CmdResult {
    getall_generic(ctx, args, Part::Both)
}

fn hkeys(ctx: &mut Ctx, args: &Args) -> CmdResult {
    getall_generic(ctx, args, Part::Fields)
}

fn hvals(ctx: &mut Ctx, args: &Args) -> CmdResult {
    getall_generic(ctx, args, Part::Values)
}

fn hincrby(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (key, field) = (&args[1], &args[2]);
    let incr = arg_i64(&args[3])?;
    let slot = write_slot(ctx, key)?;
    let current = match slot
        .and_then(|s| hash_ref(ctx.db(), s))
        .and_then(|h| h.get(field))
    {
        None => 0,
        Some(Elem::Int(n)) => n,
        Some(Elem::Str(s)) => {
            parse_i64(s).ok_or_else(|| CmdError::err("hash value is not an integer"))?
        }
    };
    let value = current.checked_add(incr).ok_or(CmdError::Overflow)?;
    let lim = limits(ctx);
    let slot = slot_or_create(ctx, key, slot);
    if let Some(h) = hash_mut(ctx.db(), slot) {
        h.insert(field, itoa::Buffer::new().format(value).as_bytes(), lim);
    }
    ctx.srv.dirty += 1;
    ctx.out.int(value);
    ctx.touch(key);
    ctx.notify(ev::HASH, "hincrby", key);
    Ok(())
}

fn hincrbyfloat(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (key, field) = (&args[1], &args[2]);
    let incr = parse_long_double(&args[3]).ok_or(CmdError::NotFloat)?;
    if !incr.is_finite() {
        return Err(HINCRBYFLOAT_INF_INCR_ERROR.into());
    }
    let slot = write_slot(ctx, key)?;
    let current = match slot
        .and_then(|s| hash_ref(ctx.db(), s))
        .and_then(|h| h.get(field))
    {
        None => LongDouble::zero(),
        Some(Elem::Int(n)) => LongDouble::from_i64(n),
        Some(Elem::Str(s)) => {
            parse_long_double(s).ok_or_else(|| CmdError::err("hash value is not a float"))?
        }
    };
    let sum = current.add(&incr);
    if !sum.is_finite() {
        return Err(CmdError::err("increment would produce NaN or Infinity"));
    }
    let text = sum.to_human_vec();
    let lim = limits(ctx);
    let slot = slot_or_create(ctx, key, slot);
    if let Some(h) = hash_mut(ctx.db(), slot) {
        h.insert(field, &text, lim);
    }
    ctx.srv.dirty += 1;
    ctx.out.bulk(&text);
    ctx.touch(key);
    ctx.notify(ev::HASH, "hincrbyfloat", key);
    Ok(())
}

/// HRANDFIELD key [count [WITHVALUES]], as Redis 7.0's `hrandfieldCommand`.
fn hrandfield(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() >= 3 {
        let count = arg_i64(&args[2])?;
        if count == i64::MIN {
            return Err(CmdError::err(format!(
                "value is out of range, value must between {} and {}",
                -i64::MAX,
                i64::MAX
            )));
        }
        let withvalues = match args.len() {
            3 => false,
            4 if args[3].eq_ignore_ascii_case(b"withvalues") => true,
            _ => return Err(CmdError::Syntax),
        };
        if withvalues && !(-i64::MAX / 2..=i64::MAX / 2).contains(&count) {
            return Err(CmdError::err("value is out of range"));
        }
        return hrandfield_count(ctx, &args[1], count, withvalues);
    }
    let slot = read_slot(ctx, &args[1])?;
    let r = ctx.random();
    let (db, out) = ctx.db_out();
    match slot.and_then(|s| hash_ref(db, s)) {
        Some(h) if !h.is_empty() => {
            let refs = h.pair_refs();
            let (f, _) = refs.get((r % refs.len() as u64) as usize);
            bulk_elem(out, f);
        }
        _ => out.null(),
    }
    Ok(())
}

fn hrandfield_count(ctx: &mut Ctx, key: &[u8], count: i64, withvalues: bool) -> CmdResult {
    let slot = read_slot(ctx, key)?;
    let mut rng = Rng(ctx.random() | 1);
    let (db, out) = ctx.db_out();
    let Some(h) = slot.and_then(|s| hash_ref(db, s)) else {
        out.array(0);
        return Ok(());
    };
    let refs = h.pair_refs();
    let size = refs.len();
    // With WITHVALUES a list of `[field, value]` pairs (flat in RESP2), as Redis 7.0.
    let header = |out: &mut Reply, n: usize| {
        if withvalues {
            out.pairs(n);
        } else {
            out.array(n);
        }
    };
    let emit = |out: &mut Reply, i: usize| {
        let (f, v) = refs.get(i);
        if withvalues {
            out.pair();
            bulk_elem(out, f);
            bulk_elem(out, v);
        } else {
            bulk_elem(out, f);
        }
    };
    if count == 0 || size == 0 {
        out.array(0);
        return Ok(());
    }
    // Negative: `-count` picks with repetition (|count| fits: i64::MIN was refused).
    if count < 0 || count == 1 {
        let n = count.unsigned_abs();
        // Redis would build an unbounded reply here; ferrodis refuses rather than exhaust memory.
        if n > super::set::MAX_REPEATED_PICKS {
            return Err(CmdError::err(format!(
                "HRANDFIELD count is too large: at most {} repeated fields can be returned",
                super::set::MAX_REPEATED_PICKS
            )));
        }
        header(out, n as usize);
        for _ in 0..n {
            let i = (rng.next() % size as u64) as usize;
            emit(out, i);
        }
        return Ok(());
    }
    let count = count as u64;
    if count >= size as u64 {
        // The whole hash, in its order.
        header(out, size);
        for i in 0..size {
            emit(out, i);
        }
        return Ok(());
    }
    // Distinct picks: a partial Fisher-Yates shuffle of the indices (count < size, so the
    // index vector is bounded by the hash itself).
    let count = count as usize;
    let mut order: Vec<u32> = (0..size as u32).collect();
    for i in 0..count {
        let j = i + (rng.next() % (size - i) as u64) as usize;
        order.swap(i, j);
    }
    header(out, count);
    for &i in &order[..count] {
        emit(out, i as usize);
    }
    Ok(())
}

/// xorshift64*, seeded from the server's generator, for picking many random fields while
/// the hash is borrowed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// HSCAN key cursor [MATCH pattern] [COUNT count].
fn hscan(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let cursor = parse_cursor(&args[2])?;
    let Some(slot) = read_slot(ctx, &args[1])? else {
        ctx.out.raw(b"*2\r\n$1\r\n0\r\n*0\r\n");
        return Ok(());
    };
    let mut count: u64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 3;
    while i < args.len() {
        let opt = &args[i];
        let has_value = i + 1 < args.len();
        if has_value && opt.eq_ignore_ascii_case(b"count") {
            let n = arg_i64(&args[i + 1])?;
            if n < 1 {
                return Err(CmdError::Syntax);
            }
            count = n as u64;
        } else if has_value && opt.eq_ignore_ascii_case(b"match") {
            let p = &args[i + 1];
            pattern = (p != b"*").then_some(p);
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let (db, out) = ctx.db_out();
    let Some(h) = hash_ref(db, slot) else {
        return Err(CmdError::WrongType);
    };
    // Gather (field, value) pairs as Redis does: a listpack whole, a table bucket by bucket
    // until COUNT list entries (fields and values both count) or 10 x COUNT steps.
    let mut found: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    let mut collect = |f: Elem<'_>, v: Elem<'_>| {
        let keep = pattern.is_none_or(|p| {
            let mut a = itoa::Buffer::new();
            glob_match(p, f.bytes(&mut a), false)
        });
        if keep {
            found.push((f.to_vec(), v.to_vec()));
        }
    };
    let mut next = cursor;
    match h {
        Hash::Listpack(_) => next = h.scan_step(0, &mut collect),
        Hash::Table(_) => {
            let mut steps_left = count.saturating_mul(10);
            let mut gathered = 0u64;
            loop {
                next = h.scan_step(next, |f, v| {
                    gathered += 2;
                    collect(f, v)
                });
                if next == 0 || steps_left == 0 || gathered >= count {
                    break;
                }
                steps_left -= 1;
            }
        }
    }
    out.array(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    out.array(found.len() * 2);
    for (f, v) in &found {
        out.bulk(f);
        out.bulk(v);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_parses_like_strtoul() {
        assert_eq!(parse_cursor(b""), Ok(0));
        assert_eq!(parse_cursor(b"+5"), Ok(5));
        assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Ok(u64::MAX));
        for bad in [&b"x"[..], b"-", b" 1", b"1 ", b"18446744073709551616"] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }
}
