//! String commands: SET and its variants, GET and its variants, counters, ranges, MSET/MGET
//! and LCS. Behaviour, replies and errors follow Redis 7.0's `t_string.c`.
//!
//! The SET family goes through [`set_generic`] and the integer counters through
//! [`incr_decr_generic`], as Redis's `setGenericCommand` / `incrDecrCommand` do.

use super::table::{acl, flags::*, key_flags::*, tips::*, Command, GetKeys, Group, KeySpec};
use super::{arg_i64, ev, CmdError, CmdResult, Ctx};
use crate::resp::Args;
use crate::store::{SmallBytes, Value};
use crate::util::lcs::lcs;
use crate::util::num::incr_by_float;

/// GETRANGE / SUBSTR complexity text (both report the same).
const RANGE_COMPLEXITY: &str = "O(N) where N is the length of the returned string. The \
complexity is ultimately determined by the returned length, but because creating a substring \
from an existing string is very cheap, it can be considered O(1) for small strings.";

pub static COMMANDS: &[Command] = &[
    Command::new("get", 2, get)
        .group(Group::String)
        .flags(READONLY | FAST)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Get the value of a key")
        .since("1.0.0")
        .complexity("O(1)")
        .args("key:key"),
    Command::new("set", -3, set)
        .group(Group::String)
        .flags(WRITE | DENYOOM)
        .acl(acl::STRING)
        .keys(&[
            KeySpec::at(1).flags(RW | ACCESS | UPDATE | VARIABLE_FLAGS).notes("RW and ACCESS due to the optional `GET` argument"),
        ])
        .getkeys(GetKeys::Set)
        .summary("Set the string value of a key")
        .since("1.0.0")
        .complexity("O(1)")
        .history(&[("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."), ("6.0.0", "Added the `KEEPTTL` option."), ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."), ("7.0.0", "Allowed the `NX` and `GET` options to be used together.")])
        .args("key:key value ?condition@2.6.12(NX|XX) ?GET@6.2.0 ?expiration(EX=seconds:integer@2.6.12|\
            PX=milliseconds:integer@2.6.12|EXAT=unix-time-seconds:unix-time@6.2.0|\
            PXAT=unix-time-milliseconds:unix-time@6.2.0|KEEPTTL@6.0.0)"),
    Command::new("setnx", 3, setnx)
        .group(Group::String)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).flags(OW | INSERT)])
        .summary("Set the value of a key, only if the key does not exist")
        .since("1.0.0")
        .complexity("O(1)")
        .args("key:key value"),
    Command::new("setex", 4, setex)
        .group(Group::String)
        .flags(WRITE | DENYOOM)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).flags(OW | UPDATE)])
        .summary("Set the value and expiration of a key")
        .since("2.0.0")
        .complexity("O(1)")
        .args("key:key seconds:integer value"),
    Command::new("psetex", 4, psetex)
        .group(Group::String)
        .flags(WRITE | DENYOOM)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).flags(OW | UPDATE)])
        .summary("Set the value and expiration in milliseconds of a key")
        .since("2.6.0")
        .complexity("O(1)")
        .args("key:key milliseconds:integer value"),
    Command::new("getset", 3, getset)
        .group(Group::String)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).flags(RW | ACCESS | UPDATE)])
        .summary("Set the string value of a key and return its old value")
        .since("1.0.0")
        .complexity("O(1)")
        .deprecated("6.2.0", "`SET` with the `!GET` argument")
        .args("key:key value"),
    Command::new("getdel", 2, getdel)
        .group(Group::String)
        .flags(WRITE | FAST)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).flags(RW | ACCESS | DELETE)])
        .summary("Get the value of a key and delete the key")
        .since("6.2.0")
        .complexity("O(1)")
        .args("key:key"),
    Command::new("getex", -2, getex)
        .group(Group::String)
        .flags(WRITE | FAST)
        .acl(acl::STRING)
        .keys(&[
            KeySpec::at(1).flags(RW | ACCESS | UPDATE).notes("RW and UPDATE because it changes the TTL"),
        ])
        .summary("Get the value of a key and optionally set its expiration")
        .since("6.2.0")
        .complexity("O(1)")
        .args("key:key ?expiration(EX=seconds:integer|PX=milliseconds:integer|\
            EXAT=unix-time-seconds:unix-time|PXAT=unix-time-milliseconds:unix-time|PERSIST)"),
    Command::new("mset", -3, mset)
        .group(Group::String)
        .flags(WRITE | DENYOOM)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).range(-1, 2, 0).flags(OW | UPDATE)])
        .tips(&[REQUEST_MULTI_SHARD, RESPONSE_ALL_SUCCEEDED])
        .summary("Set multiple keys to multiple values")
        .since("1.0.1")
        .complexity("O(N) where N is the number of keys to set.")
        .args("key_value...{key:key value}"),
    Command::new("msetnx", -3, msetnx)
        .group(Group::String)
        .flags(WRITE | DENYOOM)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).range(-1, 2, 0).flags(OW | INSERT)])
        .tips(&[REQUEST_MULTI_SHARD, RESPONSE_AGG_MIN])
        .summary("Set multiple keys to multiple values, only if none of the keys exist")
        .since("1.0.1")
        .complexity("O(N) where N is the number of keys to set.")
        .args("key_value...{key:key value}"),
    Command::new("mget", -2, mget)
        .group(Group::String)
        .flags(READONLY | FAST)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).range(-1, 1, 0).flags(RO | ACCESS)])
        .tips(&[REQUEST_MULTI_SHARD])
        .summary("Get the values of all the given keys")
        .since("1.0.0")
        .complexity("O(N) where N is the number of keys to retrieve.")
        .args("key:key..."),
    Command::new("append", 3, append)
        .group(Group::String)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).flags(RW | INSERT)])
        .summary("Append a value to a key")
        .since("2.0.0")
        .complexity("O(1). The amortized time complexity is O(1) assuming the appended value is small and \
the already present value is of any size, since the dynamic string library used by Redis will \
double the free space available on every reallocation.")
        .args("key:key value"),
    Command::new("strlen", 2, strlen)
        .group(Group::String)
        .flags(READONLY | FAST)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).flags(RO)])
        .summary("Get the length of the value stored in a key")
        .since("2.2.0")
        .complexity("O(1)")
        .args("key:key"),
    Command::new("incr", 2, incr)
        .group(Group::String)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).flags(RW | ACCESS | UPDATE)])
        .summary("Increment the integer value of a key by one")
        .since("1.0.0")
        .complexity("O(1)")
        .args("key:key"),
    Command::new("decr", 2, decr)
        .group(Group::String)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).flags(RW | ACCESS | UPDATE)])
        .summary("Decrement the integer value of a key by one")
        .since("1.0.0")
        .complexity("O(1)")
        .args("key:key"),
    Command::new("incrby", 3, incrby)
        .group(Group::String)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).flags(RW | ACCESS | UPDATE)])
        .summary("Increment the integer value of a key by the given amount")
        .since("1.0.0")
        .complexity("O(1)")
        .args("key:key increment:integer"),
    Command::new("decrby", 3, decrby)
        .group(Group::String)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).flags(RW | ACCESS | UPDATE)])
        .summary("Decrement the integer value of a key by the given number")
        .since("1.0.0")
        .complexity("O(1)")
        .args("key:key decrement:integer"),
    Command::new("incrbyfloat", 3, incrbyfloat)
        .group(Group::String)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).flags(RW | ACCESS | UPDATE)])
        .summary("Increment the float value of a key by the given amount")
        .since("2.6.0")
        .complexity("O(1)")
        .args("key:key increment:double"),
    Command::new("getrange", 4, getrange)
        .group(Group::String)
        .flags(READONLY)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Get a substring of the string stored at a key")
        .since("2.4.0")
        .complexity(RANGE_COMPLEXITY)
        .args("key:key start:integer end:integer"),
    Command::new("substr", 4, getrange)
        .group(Group::String)
        .flags(READONLY)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Get a substring of the string stored at a key")
        .since("1.0.0")
        .complexity(RANGE_COMPLEXITY)
        .deprecated("2.0.0", "`GETRANGE`")
        .args("key:key start:integer end:integer"),
    Command::new("setrange", 4, setrange)
        .group(Group::String)
        .flags(WRITE | DENYOOM)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).flags(RW | UPDATE)])
        .summary("Overwrite part of a string at key starting at the specified offset")
        .since("2.2.0")
        .complexity("O(1), not counting the time taken to copy the new string in place. Usually, this \
string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M \
being the length of the value argument.")
        .args("key:key offset:integer value"),
    Command::new("lcs", -3, lcs_command)
        .group(Group::String)
        .flags(READONLY)
        .acl(acl::STRING)
        .keys(&[KeySpec::at(1).range(1, 1, 0).flags(RO | ACCESS)])
        .summary("Find longest common substring")
        .since("7.0.0")
        .complexity("O(N*M) where N and M are the lengths of s1 and s2, respectively")
        .args("key1:key key2:key0 ?LEN ?IDX ?MINMATCHLEN=len:integer ?WITHMATCHLEN"),
];

// ---------------------------------------------------------------------------
// Shared helpers
// ---------------------------------------------------------------------------

/// An option argument as Redis's C code sees it: `strcasecmp` and the `opt[2] == '\0'` checks
/// stop at the first NUL byte.
fn opt_name(arg: &[u8]) -> &[u8] {
    match arg.iter().position(|&b| b == 0) {
        Some(end) => &arg[..end],
        None => arg,
    }
}

fn opt_is(arg: &[u8], name: &str) -> bool {
    opt_name(arg).eq_ignore_ascii_case(name.as_bytes())
}

/// Length of a string value (`stringObjectLen`); `None` for other types.
fn string_len(value: &Value) -> Option<usize> {
    let mut scratch = itoa::Buffer::new();
    value.as_bytes(&mut scratch).map(<[u8]>::len)
}

/// Redis's `checkStringLength(size, append)`: the result of growing a string of `size` bytes
/// by `append` must fit `proto-max-bulk-len` (overflow counts as too big).
fn check_string_length(ctx: &Ctx, size: i64, append: usize) -> CmdResult {
    let max = ctx.srv.config.proto_max_bulk_len;
    let total = i64::try_from(append)
        .ok()
        .and_then(|append| size.checked_add(append));
    match total {
        Some(total) if total >= 0 && (total as u64) <= max => Ok(()),
        _ => Err(CmdError::err(
            "string exceeds maximum allowed size (proto-max-bulk-len)",
        )),
    }
}

/// Writes the string at `slot` as a bulk reply, or fails with WRONGTYPE (nothing written).
fn reply_string_at(ctx: &mut Ctx, slot: u32) -> CmdResult {
    let (db, out) = ctx.db_out();
    let Some(entry) = db.entry(slot) else {
        out.null();
        return Ok(());
    };
    let mut scratch = itoa::Buffer::new();
    match entry.value.as_bytes(&mut scratch) {
        Some(bytes) => {
            out.bulk(bytes);
            Ok(())
        }
        None => Err(CmdError::WrongType),
    }
}

/// Redis's `getGenericCommand`: replies with the string at `key` (null when missing) or fails
/// with WRONGTYPE without replying. Returns the key's slot.
fn get_generic(ctx: &mut Ctx, key: &[u8]) -> Result<Option<u32>, CmdError> {
    match ctx.lookup_read(key) {
        None => {
            ctx.out.null();
            Ok(None)
        }
        Some(slot) => reply_string_at(ctx, slot).map(|()| Some(slot)),
    }
}

/// Looks `key` up for a write and checks it holds a string. `Ok(None)` when missing.
fn lookup_string_write(ctx: &mut Ctx, key: &[u8]) -> Result<Option<u32>, CmdError> {
    let Some(slot) = ctx.lookup_write(key) else {
        return Ok(None);
    };
    match ctx.db().entry(slot) {
        Some(entry) if entry.value.is_string() => Ok(Some(slot)),
        Some(_) => Err(CmdError::WrongType),
        None => Ok(None),
    }
}

// ---------------------------------------------------------------------------
// Extended SET / GETEX arguments
// ---------------------------------------------------------------------------

const OPT_NX: u32 = 1 << 0;
const OPT_XX: u32 = 1 << 1;
const OPT_EX: u32 = 1 << 2;
const OPT_PX: u32 = 1 << 3;
const OPT_KEEPTTL: u32 = 1 << 4;
const OPT_GET: u32 = 1 << 5;
const OPT_EXAT: u32 = 1 << 6;
const OPT_PXAT: u32 = 1 << 7;
const OPT_PERSIST: u32 = 1 << 8;

/// Any of the four expiry options.
const OPT_ANY_EXPIRE: u32 = OPT_EX | OPT_PX | OPT_EXAT | OPT_PXAT;

/// Which command the extended arguments belong to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ExtCommand {
    Set,
    GetEx,
}

/// Parsed SET/GETEX options: the flag bits and the raw expiry argument.
struct ExtOptions<'a> {
    flags: u32,
    expire: Option<&'a [u8]>,
}

/// Redis 7.0's `parseExtendedStringArgumentsOrReply`: options are accepted in any order and
/// may repeat; a conflicting option, an unknown one or a missing expiry value is a syntax
/// error. NX and GET combine since 7.0.
fn parse_extended<'a>(args: &Args<'a>, cmd: ExtCommand) -> Result<ExtOptions<'a>, CmdError> {
    let is_set = cmd == ExtCommand::Set;
    let mut flags = 0u32;
    let mut expire = None;
    let mut j = if is_set { 3 } else { 2 };
    while j < args.len() {
        let opt = args.get(j);
        let has_next = j + 1 < args.len();
        let name = opt_name(opt);
        let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
        let expire_flag = if is("ex") {
            Some((
                OPT_EX,
                OPT_KEEPTTL | OPT_PERSIST | OPT_EXAT | OPT_PX | OPT_PXAT,
            ))
        } else if is("px") {
            Some((
                OPT_PX,
                OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_EXAT | OPT_PXAT,
            ))
        } else if is("exat") {
            Some((
                OPT_EXAT,
                OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_PX | OPT_PXAT,
            ))
        } else if is("pxat") {
            Some((
                OPT_PXAT,
                OPT_KEEPTTL | OPT_PERSIST | OPT_EX | OPT_EXAT | OPT_PX,
            ))
        } else {
            None
        };
        if is_set && is("nx") && flags & OPT_XX == 0 {
            flags |= OPT_NX;
        } else if is_set && is("xx") && flags & OPT_NX == 0 {
            flags |= OPT_XX;
        } else if is_set && is("get") {
            flags |= OPT_GET;
        } else if is_set && is("keepttl") && flags & (OPT_PERSIST | OPT_ANY_EXPIRE) == 0 {
            flags |= OPT_KEEPTTL;
        } else if !is_set && is("persist") && flags & (OPT_ANY_EXPIRE | OPT_KEEPTTL) == 0 {
            flags |= OPT_PERSIST;
        } else if let Some((flag, conflicts)) = expire_flag.filter(|_| has_next) {
            if flags & conflicts != 0 {
                return Err(CmdError::Syntax);
            }
            flags |= flag;
            expire = Some(args.get(j + 1));
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(ExtOptions { flags, expire })
}

/// Redis's `getExpireMillisecondsOrReply`: the absolute deadline (unix ms) for an expiry
/// argument. `seconds` selects the unit, `relative` adds the current time (EX / PX).
fn expire_deadline(
    arg: &[u8],
    seconds: bool,
    relative: bool,
    now_ms: i64,
    cmd_name: &str,
) -> Result<i64, CmdError> {
    let invalid = || CmdError::err(format!("invalid expire time in '{cmd_name}' command"));
    let mut when = arg_i64(arg)?;
    if when <= 0 {
        return Err(invalid());
    }
    if seconds {
        when = when.checked_mul(1000).ok_or_else(invalid)?;
    }
    if relative {
        when = when.checked_add(now_ms).ok_or_else(invalid)?;
    }
    if when <= 0 {
        return Err(invalid());
    }
    Ok(when)
}

/// The deadline for parsed options, if they carry an expiry.
fn options_deadline(
    opts: &ExtOptions,
    now_ms: i64,
    cmd_name: &str,
) -> Result<Option<i64>, CmdError> {
    let Some(arg) = opts.expire else {
        return Ok(None);
    };
    let seconds = opts.flags & (OPT_EX | OPT_EXAT) != 0;
    let relative = opts.flags & (OPT_EX | OPT_PX) != 0;
    expire_deadline(arg, seconds, relative, now_ms, cmd_name).map(Some)
}

/// What SET-like commands reply when they store the value / when NX or XX stops them.
#[derive(Clone, Copy)]
enum SetReply {
    Ok,
    Null,
    One,
    Zero,
}

impl SetReply {
    fn write(self, ctx: &mut Ctx) {
        match self {
            SetReply::Ok => ctx.out.ok(),
            SetReply::Null => ctx.out.null(),
            SetReply::One => ctx.out.int(1),
            SetReply::Zero => ctx.out.int(0),
        }
    }
}

/// Redis's `setGenericCommand`, behind SET, SETNX, SETEX and PSETEX.
///
/// `deadline` is the already validated absolute expiry. With GET the old value (or null) is
/// the reply whether or not NX/XX lets the write happen.
fn set_generic(
    ctx: &mut Ctx,
    flags: u32,
    key: &[u8],
    value: &[u8],
    deadline: Option<i64>,
    ok_reply: SetReply,
    abort_reply: SetReply,
) -> CmdResult {
    let with_get = flags & OPT_GET != 0;
    if with_get {
        get_generic(ctx, key)?;
    }
    let found = ctx.lookup_write(key).is_some();
    if (flags & OPT_NX != 0 && found) || (flags & OPT_XX != 0 && !found) {
        if !with_get {
            abort_reply.write(ctx);
        }
        return Ok(());
    }
    let keep_ttl = flags & OPT_KEEPTTL != 0 || deadline.is_some();
    let clock = ctx.clock;
    let db = ctx.db();
    let slot = db.set(key, Value::from_bytes(value), keep_ttl, clock);
    if let Some(at) = deadline {
        // A deadline already in the past is stored as is: the key is gone at its next lookup,
        // as in Redis 7.0.
        db.set_expire(slot, at);
    }
    ctx.srv.dirty += 1;
    ctx.touch(key);
    ctx.notify(ev::STRING, "set", key);
    if deadline.is_some() {
        ctx.notify(ev::GENERIC, "expire", key);
    }
    if !with_get {
        ok_reply.write(ctx);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// SET family
// ---------------------------------------------------------------------------

/// SET key value [NX | XX] [GET] [EX s | PX ms | EXAT ts | PXAT ms-ts | KEEPTTL]
fn set(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let opts = parse_extended(args, ExtCommand::Set)?;
    let deadline = options_deadline(&opts, ctx.now_ms, "set")?;
    set_generic(
        ctx,
        opts.flags,
        &args[1],
        &args[2],
        deadline,
        SetReply::Ok,
        SetReply::Null,
    )
}

fn setnx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_generic(
        ctx,
        OPT_NX,
        &args[1],
        &args[2],
        None,
        SetReply::One,
        SetReply::Zero,
    )
}

fn setex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let deadline = expire_deadline(&args[2], true, true, ctx.now_ms, "setex")?;
    set_generic(
        ctx,
        OPT_EX,
        &args[1],
        &args[3],
        Some(deadline),
        SetReply::Ok,
        SetReply::Null,
    )
}

fn psetex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let deadline = expire_deadline(&args[2], false, true, ctx.now_ms, "psetex")?;
    set_generic(
        ctx,
        OPT_PX,
        &args[1],
        &args[3],
        Some(deadline),
        SetReply::Ok,
        SetReply::Null,
    )
}

/// GETSET key value: SET ... GET without options (drops the TTL).
fn getset(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_generic(
        ctx,
        OPT_GET,
        &args[1],
        &args[2],
        None,
        SetReply::Ok,
        SetReply::Null,
    )
}

fn mset(ctx: &mut Ctx, args: &Args) -> CmdResult {
    mset_generic(ctx, args, false)
}

fn msetnx(ctx: &mut Ctx, args: &Args) -> CmdResult {
    mset_generic(ctx, args, true)
}

/// Redis's `msetGenericCommand`. With `nx` nothing is written if any key exists.
fn mset_generic(ctx: &mut Ctx, args: &Args, nx: bool) -> CmdResult {
    if args.len().is_multiple_of(2) {
        let name = if nx { "msetnx" } else { "mset" };
        return Err(CmdError::err(format!(
            "wrong number of arguments for '{name}' command"
        )));
    }
    if nx {
        for j in (1..args.len()).step_by(2) {
            if ctx.lookup_write(&args[j]).is_some() {
                ctx.out.int(0);
                return Ok(());
            }
        }
    }
    let clock = ctx.clock;
    for j in (1..args.len()).step_by(2) {
        // Redis's setKey looks the key up for writing: an expired one goes first.
        ctx.lookup_write(&args[j]);
        ctx.db()
            .set(&args[j], Value::from_bytes(&args[j + 1]), false, clock);
        ctx.touch(&args[j]);
        ctx.notify(ev::STRING, "set", &args[j]);
    }
    // One change per pair, a key named twice included, as Redis counts them.
    ctx.srv.dirty += (args.len() / 2) as u64;
    if nx {
        ctx.out.int(1);
    } else {
        ctx.out.ok();
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// GET family
// ---------------------------------------------------------------------------

fn get(ctx: &mut Ctx, args: &Args) -> CmdResult {
    get_generic(ctx, &args[1]).map(|_| ())
}

fn getdel(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if let Some(slot) = get_generic(ctx, &args[1])? {
        if ctx.db().remove_slot(slot).is_some() {
            ctx.srv.dirty += 1;
            ctx.touch(&args[1]);
            ctx.notify(ev::GENERIC, "del", &args[1]);
        }
    }
    Ok(())
}

/// GETEX key [EX s | PX ms | EXAT ts | PXAT ms-ts | PERSIST]
fn getex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let opts = parse_extended(args, ExtCommand::GetEx)?;
    let Some(slot) = ctx.lookup_read(&args[1]) else {
        ctx.out.null();
        return Ok(());
    };
    if !ctx.db().entry(slot).is_some_and(|e| e.value.is_string()) {
        return Err(CmdError::WrongType);
    }
    let now = ctx.now_ms;
    let deadline = options_deadline(&opts, now, "getex")?;
    reply_string_at(ctx, slot)?;
    let db = ctx.db();
    let absolute = opts.flags & (OPT_EXAT | OPT_PXAT) != 0;
    // Plain GETEX, and PERSIST on a key without a TTL, change nothing.
    let event = match deadline {
        // An absolute deadline that has already passed deletes the key right away.
        Some(at) if absolute && at <= now => db.remove_slot(slot).is_some().then_some("del"),
        Some(at) => {
            db.set_expire(slot, at);
            Some("expire")
        }
        None if opts.flags & OPT_PERSIST != 0 => db.clear_expire(slot).then_some("persist"),
        None => None,
    };
    if let Some(event) = event {
        ctx.srv.dirty += 1;
        ctx.touch(&args[1]);
        ctx.notify(ev::GENERIC, event, &args[1]);
    }
    Ok(())
}

fn mget(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ctx.out.array(args.len() - 1);
    let mut scratch = itoa::Buffer::new();
    for key in args.iter().skip(1) {
        let slot = ctx.lookup_read(key);
        let (db, out) = ctx.db_out();
        let bytes = slot
            .and_then(|s| db.entry(s))
            .and_then(|e| e.value.as_bytes(&mut scratch));
        match bytes {
            Some(bytes) => out.bulk(bytes),
            None => out.null(),
        }
    }
    Ok(())
}

fn strlen(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(slot) = ctx.lookup_read(&args[1]) else {
        ctx.out.int(0);
        return Ok(());
    };
    let len = ctx
        .db()
        .entry(slot)
        .map_or(Some(0), |e| string_len(&e.value))
        .ok_or(CmdError::WrongType)?;
    ctx.out.int(len as i64);
    Ok(())
}

/// GETRANGE / SUBSTR key start end (inclusive, negative from the end).
fn getrange(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut start = arg_i64(&args[2])?;
    let mut end = arg_i64(&args[3])?;
    let Some(slot) = ctx.lookup_read(&args[1]) else {
        ctx.out.bulk(b"");
        return Ok(());
    };
    let (db, out) = ctx.db_out();
    let mut scratch = itoa::Buffer::new();
    let bytes = match db.entry(slot) {
        Some(entry) => entry
            .value
            .as_bytes(&mut scratch)
            .ok_or(CmdError::WrongType)?,
        None => &[][..],
    };
    if start < 0 && end < 0 && start > end {
        out.bulk(b"");
        return Ok(());
    }
    // A stored string is far shorter than i64::MAX, so these cannot overflow.
    let len = bytes.len() as i64;
    if start < 0 {
        start = start.saturating_add(len);
    }
    if end < 0 {
        end = end.saturating_add(len);
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        out.bulk(b"");
    } else {
        out.bulk(&bytes[start as usize..=end as usize]);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Modifying strings in place
// ---------------------------------------------------------------------------

fn append(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let key = &args[1];
    let suffix = &args[2];
    let Some(slot) = lookup_string_write(ctx, key)? else {
        let clock = ctx.clock;
        ctx.db().set(key, Value::from_bytes(suffix), false, clock);
        ctx.srv.dirty += 1;
        ctx.touch(key);
        ctx.notify(ev::STRING, "append", key);
        ctx.out.int(suffix.len() as i64);
        return Ok(());
    };
    let old_len = ctx.db().entry(slot).and_then(|e| string_len(&e.value));
    let old_len = old_len.ok_or(CmdError::WrongType)?;
    check_string_length(ctx, old_len as i64, suffix.len())?;
    let total = match ctx.db().entry_mut(slot).and_then(|e| e.value.make_raw()) {
        Some(buf) => {
            buf.extend_from_slice(suffix);
            buf.len()
        }
        None => return Err(CmdError::WrongType),
    };
    // Appending nothing still counts, as in Redis.
    ctx.srv.dirty += 1;
    ctx.touch(key);
    ctx.notify(ev::STRING, "append", key);
    ctx.out.int(total as i64);
    Ok(())
}

/// SETRANGE key offset value: overwrites from `offset`, zero-padding a shorter string.
fn setrange(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let key = &args[1];
    let value = &args[3];
    let offset = arg_i64(&args[2])?;
    if offset < 0 {
        return Err(CmdError::err("offset is out of range"));
    }
    let slot = lookup_string_write(ctx, key)?;
    let Some(slot) = slot else {
        if value.is_empty() {
            ctx.out.int(0);
            return Ok(());
        }
        check_string_length(ctx, offset, value.len())?;
        // Checked above: offset + len fits proto-max-bulk-len.
        let offset = offset as usize;
        let mut buf = Vec::new();
        reserve(&mut buf, offset + value.len())?;
        buf.resize(offset, 0);
        buf.extend_from_slice(value);
        let total = buf.len();
        let clock = ctx.clock;
        ctx.db().set(key, Value::Raw(Box::new(buf)), false, clock);
        ctx.srv.dirty += 1;
        ctx.touch(key);
        ctx.notify(ev::STRING, "setrange", key);
        ctx.out.int(total as i64);
        return Ok(());
    };
    let old_len = ctx.db().entry(slot).and_then(|e| string_len(&e.value));
    let old_len = old_len.ok_or(CmdError::WrongType)?;
    if value.is_empty() {
        ctx.out.int(old_len as i64);
        return Ok(());
    }
    check_string_length(ctx, offset, value.len())?;
    let offset = offset as usize;
    let end = offset + value.len();
    let Some(buf) = ctx.db().entry_mut(slot).and_then(|e| e.value.make_raw()) else {
        return Err(CmdError::WrongType);
    };
    if buf.len() < end {
        reserve(buf, end)?;
        buf.resize(end, 0);
    }
    buf[offset..end].copy_from_slice(value);
    let total = buf.len();
    ctx.srv.dirty += 1;
    ctx.touch(key);
    ctx.notify(ev::STRING, "setrange", key);
    ctx.out.int(total as i64);
    Ok(())
}

/// Makes room for `total` bytes in `buf` without aborting the process if memory runs out.
fn reserve(buf: &mut Vec<u8>, total: usize) -> CmdResult {
    let extra = total.saturating_sub(buf.len());
    buf.try_reserve_exact(extra)
        .map_err(|_| CmdError::err("Insufficient memory, failed allocating the string"))
}

// ---------------------------------------------------------------------------
// Counters
// ---------------------------------------------------------------------------

fn incr(ctx: &mut Ctx, args: &Args) -> CmdResult {
    incr_decr_generic(ctx, &args[1], 1)
}

fn decr(ctx: &mut Ctx, args: &Args) -> CmdResult {
    incr_decr_generic(ctx, &args[1], -1)
}

fn incrby(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let by = arg_i64(&args[2])?;
    incr_decr_generic(ctx, &args[1], by)
}

fn decrby(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let by = arg_i64(&args[2])?;
    let Some(by) = by.checked_neg() else {
        return Err(CmdError::err("decrement would overflow"));
    };
    incr_decr_generic(ctx, &args[1], by)
}

/// Redis's `incrDecrCommand`: adds `by` to the integer at `key` (0 when missing). The result is
/// stored with the `int` encoding; an existing TTL is kept.
fn incr_decr_generic(ctx: &mut Ctx, key: &[u8], by: i64) -> CmdResult {
    let slot = lookup_string_write(ctx, key)?;
    let current = match slot.and_then(|s| ctx.db().entry(s)) {
        None => 0,
        Some(entry) => match &entry.value {
            Value::Int(n) => *n,
            other => {
                let mut scratch = itoa::Buffer::new();
                other
                    .as_bytes(&mut scratch)
                    .and_then(crate::util::num::parse_i64)
                    .ok_or(CmdError::NotInteger)?
            }
        },
    };
    let new = current.checked_add(by).ok_or(CmdError::Overflow)?;
    store_value(ctx, key, slot, Value::Int(new));
    ctx.srv.dirty += 1;
    ctx.touch(key);
    ctx.notify(ev::STRING, "incrby", key);
    ctx.out.int(new);
    Ok(())
}

/// Replaces the value at `slot` keeping its TTL, or adds `key` when there is no slot.
fn store_value(ctx: &mut Ctx, key: &[u8], slot: Option<u32>, value: Value) {
    let clock = ctx.clock;
    let db = ctx.db();
    match slot.and_then(|s| db.entry_mut(s)) {
        Some(entry) => {
            entry.value = value;
            entry.access = clock;
        }
        None => {
            // The lookup just proved the key absent: insert without probing again.
            db.insert_new(crate::store::SmallBytes::new(key), value, clock);
        }
    }
}

/// INCRBYFLOAT key increment, in `long double` as Redis computes it. The result is stored as
/// a plain string (`embstr` / `raw`), like Redis's `createStringObjectFromLongDouble`.
fn incrbyfloat(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let key = &args[1];
    let slot = lookup_string_write(ctx, key)?;
    let result = {
        let mut scratch = itoa::Buffer::new();
        let current = match slot.and_then(|s| ctx.db().entry(s)) {
            None => &b"0"[..],
            Some(entry) => entry
                .value
                .as_bytes(&mut scratch)
                .ok_or(CmdError::WrongType)?,
        };
        incr_by_float(current, &args[2]).map_err(|e| CmdError::from(e.text()))?
    };
    // Redis notifies before it replies (the order a RESP3 client subscribed to its own
    // events sees).
    let reply = result.clone();
    store_value(ctx, key, slot, Value::Str(SmallBytes::from_vec(result)));
    ctx.srv.dirty += 1;
    ctx.touch(key);
    ctx.notify(ev::STRING, "incrbyfloat", key);
    ctx.out.bulk(&reply);
    Ok(())
}

// ---------------------------------------------------------------------------
// LCS
// ---------------------------------------------------------------------------

/// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
fn lcs_command(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let slot_a = ctx.lookup_read(&args[1]);
    let slot_b = ctx.lookup_read(&args[2]);
    {
        let db = ctx.db();
        let not_string = |slot: Option<u32>| {
            slot.and_then(|s| db.entry(s))
                .is_some_and(|e| !e.value.is_string())
        };
        if not_string(slot_a) || not_string(slot_b) {
            return Err(CmdError::err(
                "The specified keys must contain string values",
            ));
        }
    }

    let (mut get_len, mut get_idx, mut with_match_len) = (false, false, false);
    let mut min_match_len: i64 = 0;
    let mut j = 3;
    while j < args.len() {
        let opt = &args[j];
        let more = j + 1 < args.len();
        if opt_is(opt, "idx") {
            get_idx = true;
        } else if opt_is(opt, "len") {
            get_len = true;
        } else if opt_is(opt, "withmatchlen") {
            with_match_len = true;
        } else if opt_is(opt, "minmatchlen") && more {
            min_match_len = arg_i64(&args[j + 1])?.max(0);
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if get_len && get_idx {
        return Err(CmdError::err(
            "If you want both the length and indexes, please just use IDX.",
        ));
    }

    let max_table = ctx.srv.config.proto_max_bulk_len;
    let (db, out) = ctx.db_out();
    let db = &*db;
    let (mut scratch_a, mut scratch_b) = (itoa::Buffer::new(), itoa::Buffer::new());
    let a = slot_a
        .and_then(|s| db.entry(s))
        .and_then(|e| e.value.as_bytes(&mut scratch_a))
        .unwrap_or(b"");
    let b = slot_b
        .and_then(|s| db.entry(s))
        .and_then(|e| e.value.as_bytes(&mut scratch_b))
        .unwrap_or(b"");
    let result = lcs(a, b, max_table).map_err(|e| CmdError::from(e.text()))?;

    if get_idx {
        let kept: Vec<_> = result
            .matches
            .iter()
            .filter(|m| min_match_len == 0 || i64::from(m.len()) >= min_match_len)
            .collect();
        out.map(2);
        out.bulk(b"matches");
        out.array(kept.len());
        for m in kept {
            out.array(if with_match_len { 3 } else { 2 });
            out.array(2);
            out.int(i64::from(m.a_start));
            out.int(i64::from(m.a_end));
            out.array(2);
            out.int(i64::from(m.b_start));
            out.int(i64::from(m.b_end));
            if with_match_len {
                out.int(i64::from(m.len()));
            }
        }
        out.bulk(b"len");
        out.int(i64::from(result.len));
    } else if get_len {
        out.int(i64::from(result.len));
    } else {
        out.bulk(&result.lcs);
    }
    Ok(())
}
