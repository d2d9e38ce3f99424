//! Server commands: DBSIZE, FLUSHDB (and its legacy alias CLEAR), FLUSHALL, TIME, LASTSAVE,
//! INFO (text built in `info.rs`), DEBUG (SLEEP, HELP) and the CONFIG container.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::table::{acl, doc_flags, flags::*, tips::*, Command, Group};
use super::{CmdError, CmdResult, Ctx, ErrorText};
use crate::resp::Args;
use crate::store::{Db, Value};

/// Databases with more keys than this are freed on a helper thread by FLUSHALL/FLUSHDB ASYNC
/// (Redis's LAZYFREE_THRESHOLD).
const LAZYFREE_THRESHOLD: usize = 64;

static LAZYFREE_PENDING: AtomicUsize = AtomicUsize::new(0);
static LAZYFREED: AtomicUsize = AtomicUsize::new(0);

/// Keys handed to a lazy-free thread and not freed yet (INFO `lazyfree_pending_objects`).
pub fn lazyfree_pending() -> usize {
    LAZYFREE_PENDING.load(Ordering::Relaxed)
}

/// Keys freed by lazy-free threads (INFO `lazyfreed_objects`).
pub fn lazyfreed_objects() -> usize {
    LAZYFREED.load(Ordering::Relaxed)
}

const CONFIG_SUBCOMMANDS: &[Command] = &[
    Command::new("get", -3, config_get)
        .group(Group::Server)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .summary("Get the values of configuration parameters")
        .since("2.0.0")
        .complexity("O(N) when N is the number of configuration parameters provided")
        .history(&[(
            "7.0.0",
            "Added the ability to pass multiple pattern parameters in one call",
        )])
        .args("parameter...{parameter}"),
    Command::new("set", -4, config_set)
        .group(Group::Server)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .tips(&[REQUEST_ALL_NODES, RESPONSE_ALL_SUCCEEDED])
        .summary("Set configuration parameters to the given values")
        .since("2.0.0")
        .complexity("O(N) when N is the number of configuration parameters provided")
        .history(&[(
            "7.0.0",
            "Added the ability to set multiple parameters in one call.",
        )])
        .args("parameter_value...{parameter value}"),
    Command::new("resetstat", 2, config_resetstat)
        .group(Group::Server)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .summary("Reset the stats returned by INFO")
        .since("2.0.0")
        .complexity("O(1)"),
    Command::new("rewrite", 2, config_rewrite)
        .group(Group::Server)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .summary("Rewrite the configuration file with the in memory configuration")
        .since("2.8.0")
        .complexity("O(1)"),
    Command::new("help", 2, config_help)
        .group(Group::Server)
        .flags(LOADING | STALE)
        .summary("Show helpful text about the different subcommands")
        .since("5.0.0")
        .complexity("O(1)"),
];

pub static COMMANDS: &[Command] = &[
    Command::new("dbsize", 1, dbsize)
        .group(Group::Server)
        .flags(READONLY | FAST)
        .acl(acl::KEYSPACE)
        .tips(&[REQUEST_ALL_SHARDS, RESPONSE_AGG_SUM])
        .summary("Return the number of keys in the selected database")
        .since("1.0.0")
        .complexity("O(1)"),
    Command::new("flushall", -1, flushall)
        .group(Group::Server)
        .flags(WRITE)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .tips(&[REQUEST_ALL_SHARDS, RESPONSE_ALL_SUCCEEDED])
        .summary("Remove all keys from all databases")
        .since("1.0.0")
        .complexity("O(N) where N is the total number of keys in all databases")
        .history(&[
            ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
            ("6.2.0", "Added the `SYNC` flushing mode modifier."),
        ])
        .args("?async(ASYNC@4.0.0|SYNC@6.2.0)"),
    Command::new("flushdb", -1, flushdb)
        .group(Group::Server)
        .flags(WRITE)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .tips(&[REQUEST_ALL_SHARDS, RESPONSE_ALL_SUCCEEDED])
        .summary("Remove all keys from the current database")
        .since("1.0.0")
        .complexity("O(N) where N is the number of keys in the selected database")
        .history(&[
            ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
            ("6.2.0", "Added the `SYNC` flushing mode modifier."),
        ])
        .args("?async(ASYNC@4.0.0|SYNC@6.2.0)"),
    // Not a Redis 7.0 command: a legacy spelling of FLUSHDB kept for old scripts.
    Command::new("clear", -1, flushdb)
        .group(Group::Server)
        .flags(WRITE)
        .acl(acl::KEYSPACE | acl::DANGEROUS)
        .tips(&[REQUEST_ALL_SHARDS, RESPONSE_ALL_SUCCEEDED])
        .summary("Remove all keys from the current database (legacy alias of FLUSHDB)")
        .since("1.0.0")
        .complexity("O(N) where N is the number of keys in the selected database")
        .args("?async(ASYNC@4.0.0|SYNC@6.2.0)"),
    Command::new("time", 1, time)
        .group(Group::Server)
        .flags(LOADING | STALE | FAST)
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Return the current server time")
        .since("2.6.0")
        .complexity("O(1)"),
    Command::new("lastsave", 1, lastsave)
        .group(Group::Server)
        .flags(LOADING | STALE | FAST)
        .acl(acl::ADMIN | acl::DANGEROUS)
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Get the UNIX time stamp of the last successful save to disk")
        .since("1.0.0")
        .complexity("O(1)"),
    Command::new("info", -1, info)
        .group(Group::Server)
        .flags(LOADING | STALE)
        .acl(acl::DANGEROUS)
        .tips(&[
            NONDETERMINISTIC_OUTPUT,
            REQUEST_ALL_SHARDS,
            RESPONSE_SPECIAL,
        ])
        .summary("Get information and statistics about the server")
        .since("1.0.0")
        .complexity("O(1)")
        .history(&[(
            "7.0.0",
            "Added support for taking multiple section arguments.",
        )])
        .args("?section..."),
    Command::new("debug", -2, debug)
        .group(Group::Server)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .summary("A container for debugging commands")
        .since("1.0.0")
        .complexity("Depends on subcommand.")
        .doc_flags(doc_flags::SYSCMD),
    Command::new("config", -2, config_container)
        .group(Group::Server)
        .summary("A container for server configuration commands")
        .since("2.0.0")
        .complexity("Depends on subcommand.")
        .subcommands(CONFIG_SUBCOMMANDS),
];

/// Writes Redis's `addReplyHelp` layout: the header line, the given lines, then HELP.
pub fn reply_help(ctx: &mut Ctx, command: &str, lines: &[&str]) {
    ctx.out.array(lines.len() + 3);
    ctx.out.simple(&format!(
        "{command} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    ));
    for line in lines {
        ctx.out.simple(line);
    }
    ctx.out.simple("HELP");
    ctx.out.simple("    Prints this help.");
}

/// Redis's `addReplySubcommandSyntaxError`.
pub fn subcommand_syntax_error(args: &Args, command: &str) -> CmdError {
    ErrorText::new("ERR unknown subcommand or wrong number of arguments for '")
        .arg_max(&args[1], 128)
        .text("'. Try ")
        .text(command)
        .text(" HELP.")
        .done()
}

fn dbsize(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let n = ctx.db().len();
    ctx.out.int(n as i64);
    Ok(())
}

/// FLUSHALL/FLUSHDB's optional ASYNC | SYNC: whether to free lazily.
fn flush_mode(ctx: &Ctx, args: &Args) -> Result<bool, CmdError> {
    match args.len() {
        1 => Ok(ctx.srv.config.lazyfree_lazy_user_flush),
        2 if args[1].eq_ignore_ascii_case(b"async") => Ok(true),
        2 if args[1].eq_ignore_ascii_case(b"sync") => Ok(false),
        _ => Err(CmdError::Syntax),
    }
}

/// Frees a database's contents, on a helper thread when asked to and it is large.
fn free_db(db: Db, lazy: bool) {
    let n = db.len();
    if !lazy || n <= LAZYFREE_THRESHOLD {
        drop(db);
        return;
    }
    LAZYFREE_PENDING.fetch_add(n, Ordering::Relaxed);
    let spawned = std::thread::Builder::new()
        .name("lazyfree".into())
        .spawn(move || {
            drop(db);
            LAZYFREE_PENDING.fetch_sub(n, Ordering::Relaxed);
            LAZYFREED.fetch_add(n, Ordering::Relaxed);
        });
    if spawned.is_err() {
        // The closure, and with it the database, was dropped right here.
        LAZYFREE_PENDING.fetch_sub(n, Ordering::Relaxed);
    }
}

fn flushall(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let lazy = flush_mode(ctx, args)?;
    let now = ctx.now_ms;
    for idx in 0..ctx.srv.dbs.len() {
        ctx.srv.touch_all_in_db(idx, None, now);
    }
    ctx.srv.invalidate_all();
    let mut removed = 0u64;
    for db in ctx.srv.dbs.iter_mut() {
        removed += db.len() as u64;
        free_db(std::mem::take(db), lazy);
    }
    ctx.srv.dirty += removed;
    // As Redis: a running snapshot of the old data is pointless, and with save points set the
    // file on disk is replaced by an empty one so a restart does not resurrect the keys.
    crate::state::snapshot::kill_child(ctx.srv);
    if !ctx.srv.config.save.is_empty() {
        let _ = crate::state::snapshot::save(ctx.srv);
    }
    ctx.out.ok();
    Ok(())
}

fn flushdb(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let lazy = flush_mode(ctx, args)?;
    let (idx, now) = (ctx.db_index(), ctx.now_ms);
    ctx.srv.touch_all_in_db(idx, None, now);
    ctx.srv.invalidate_all();
    let db = std::mem::take(ctx.db());
    ctx.srv.dirty += db.len() as u64;
    free_db(db, lazy);
    ctx.out.ok();
    Ok(())
}

fn time(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    ctx.out.array(2);
    ctx.out.bulk_int(now.as_secs() as i64);
    ctx.out.bulk_int(now.subsec_micros() as i64);
    Ok(())
}

fn lastsave(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.out.int(ctx.srv.last_save_unix);
    Ok(())
}

fn info(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let sel = super::info::Selection::from_args(args.iter().skip(1));
    let text = super::info::build(ctx.srv, sel);
    // Redis's `addReplyVerbatim(…, "txt")`: a bulk string in RESP2, `=…txt:` in RESP3.
    ctx.out.verbatim(text.as_bytes());
    Ok(())
}

/// C's `strtod` on the longest numeric prefix (0 when there is none), as DEBUG SLEEP reads
/// its argument.
fn strtod_prefix(arg: &[u8]) -> f64 {
    let s = arg.trim_ascii_start();
    let mut i = 0;
    if matches!(s.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let rest = &s[i..];
    for word in [&b"infinity"[..], b"inf", b"nan"] {
        if rest.len() >= word.len() && rest[..word.len()].eq_ignore_ascii_case(word) {
            let neg = s.first() == Some(&b'-');
            return match (word[0], neg) {
                (b'n', _) => f64::NAN,
                (_, true) => f64::NEG_INFINITY,
                _ => f64::INFINITY,
            };
        }
    }
    let digits = |s: &[u8], mut j: usize| {
        let start = j;
        while j < s.len() && s[j].is_ascii_digit() {
            j += 1;
        }
        (j, j - start)
    };
    let (mut end, int_digits) = digits(s, i);
    let mut frac_digits = 0;
    if end < s.len() && s[end] == b'.' {
        let (e, n) = digits(s, end + 1);
        frac_digits = n;
        if int_digits + n > 0 {
            end = e;
        }
    }
    if int_digits + frac_digits == 0 {
        return 0.0;
    }
    if end < s.len() && (s[end] == b'e' || s[end] == b'E') {
        let mut j = end + 1;
        if j < s.len() && (s[j] == b'+' || s[j] == b'-') {
            j += 1;
        }
        let (e, n) = digits(s, j);
        if n > 0 {
            end = e;
        }
    }
    std::str::from_utf8(&s[..end])
        .ok()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0.0)
}

/// DEBUG PROTOCOL <type>: one test value of each reply type, as Redis 7.0's `debugCommand`
/// sends them (client libraries test their RESP3 parsers with it).
fn debug_protocol(ctx: &mut Ctx, name: &[u8]) -> CmdResult {
    let out = &mut *ctx.out;
    let is = |word: &str| name.eq_ignore_ascii_case(word.as_bytes());
    if is("string") {
        out.bulk(b"Hello World");
    } else if is("integer") {
        out.int(12345);
    } else if is("double") {
        // Redis's test value, not an approximation of pi.
        #[allow(clippy::approx_constant)]
        out.double(3.141);
    } else if is("bignum") {
        out.big_number(b"1234567999999999999999999999999999999");
    } else if is("null") {
        out.null();
    } else if is("array") || is("set") {
        if is("array") {
            out.array(3);
        } else {
            out.set(3);
        }
        for j in 0..3 {
            out.int(j);
        }
    } else if is("map") {
        out.map(3);
        for j in 0..3 {
            out.int(j);
            out.boolean(j == 1);
        }
    } else if is("attrib") {
        let attribute = out.attribute(1);
        out.bulk(b"key-popularity");
        out.array(2);
        out.bulk(b"key:123");
        out.int(90);
        out.end_attribute(attribute);
        out.bulk(b"Some real reply following the attribute");
    } else if is("push") {
        // The one type RESP2 cannot carry at all: Redis refuses instead of flattening it.
        if !out.is_resp3() {
            return Err(CmdError::err("RESP2 is not supported by this command"));
        }
        out.push(2);
        out.bulk(b"server-cpu-usage");
        out.int(42);
        // A regular reply too, so that a client that skips pushes still gets one.
        out.bulk(b"Some real reply following the push reply");
    } else if is("true") || is("false") {
        out.boolean(is("true"));
    } else if is("verbatim") {
        out.verbatim(b"This is a verbatim\nstring");
    } else {
        return Err(CmdError::err(
            "Wrong protocol type name. Please use one of the following: \
             string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false",
        ));
    }
    Ok(())
}

const DEBUG_HELP: &[&str] = &[
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named <prefix>:<num> (prefix 'key' by default) holding",
    "    value:<num>, padded with zero bytes or cut to <size> bytes when given. Existing",
    "    keys are left alone.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
];

fn debug(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let sub = &args[1];
    if args.len() == 2 && sub.eq_ignore_ascii_case(b"help") {
        reply_help(ctx, "DEBUG", DEBUG_HELP);
        return Ok(());
    }
    if args.len() == 3 && sub.eq_ignore_ascii_case(b"sleep") {
        // Like Redis: the whole server stops, fractions allowed, junk reads as 0.
        let micros = strtod_prefix(&args[2]) * 1_000_000.0;
        if micros >= 1.0 {
            std::thread::sleep(Duration::from_micros(micros as u64));
        }
        ctx.out.ok();
        return Ok(());
    }
    if args.len() == 3 && sub.eq_ignore_ascii_case(b"object") {
        return debug_object(ctx, &args[2]);
    }
    if args.len() == 3 && sub.eq_ignore_ascii_case(b"protocol") {
        return debug_protocol(ctx, &args[2]);
    }
    if args.len() == 3 && sub.eq_ignore_ascii_case(b"set-active-expire") {
        // Redis reads the flag with atoi: anything not starting with a non-zero number is 0.
        ctx.srv.active_expire_enabled = strtod_prefix(&args[2]) as i64 != 0;
        ctx.out.ok();
        return Ok(());
    }
    if sub.eq_ignore_ascii_case(b"reload") {
        return debug_reload(ctx, args);
    }
    if (3..=5).contains(&args.len()) && sub.eq_ignore_ascii_case(b"populate") {
        return debug_populate(ctx, args);
    }
    if args.len() == 2 && sub.eq_ignore_ascii_case(b"digest") {
        let digest = crate::store::digest::dataset_digest(&ctx.srv.dbs);
        ctx.out.simple(&digest.hex());
        return Ok(());
    }
    if args.len() >= 2 && sub.eq_ignore_ascii_case(b"digest-value") {
        ctx.out.array(args.len() - 2);
        for key in args.iter().skip(2) {
            // Like Redis: a missing key digests to zeros, and the key is not touched.
            let digest = match ctx.db().find(key).and_then(|slot| ctx.db().entry(slot)) {
                Some(entry) => crate::store::digest::value_digest(&entry.value),
                None => Default::default(),
            };
            ctx.out.simple(&digest.hex());
        }
        return Ok(());
    }
    Err(subcommand_syntax_error(args, "DEBUG"))
}

/// DEBUG OBJECT key: Redis's low-level line about a value. The key is not touched, and a key
/// past its deadline but not yet deleted is still shown, as Redis does. `lru` is the access
/// field (LRU clock or LFU data) cut to Redis's 24 bits.
fn debug_object(ctx: &mut Ctx, key: &[u8]) -> CmdResult {
    const SHARED_REFCOUNT: i64 = i32::MAX as i64;
    let srv = &*ctx.srv;
    let db = &srv.dbs[srv.clients[ctx.client_key].db];
    let entry = db
        .find(key)
        .and_then(|slot| db.entry(slot))
        .ok_or_else(|| CmdError::err("no such key"))?;
    let refcount = match entry.value {
        Value::Int(n) if (0..10_000).contains(&n) => SHARED_REFCOUNT,
        _ => 1,
    };
    let mut line = format!(
        "Value at:{:p} refcount:{refcount} encoding:{} serializedlength:{} lru:{} \
         lru_seconds_idle:{}",
        std::ptr::from_ref(entry),
        entry.value.encoding(),
        crate::persist::serialized_length(&entry.value, &srv.config),
        entry.access & 0xFF_FFFF,
        srv.lru_now.saturating_sub(entry.access),
    );
    if let Value::List(list) = &entry.value {
        let fill = srv.config.list_max_listpack_size;
        let (nodes, bytes) = crate::persist::quicklist_layout(list, fill);
        let avg = if nodes > 0 {
            list.len() as f64 / nodes as f64
        } else {
            0.0
        };
        line.push_str(&format!(
            " ql_nodes:{nodes} ql_avg_node:{avg:.2} ql_listpack_max:{fill} ql_compressed:{} \
             ql_uncompressed_size:{bytes}",
            i32::from(srv.config.list_compress_depth != 0)
        ));
    }
    ctx.out.simple(&line);
    Ok(())
}

/// DEBUG POPULATE count [prefix] [size], as Redis's test suite uses it to make data quickly.
fn debug_populate(ctx: &mut Ctx, args: &Args) -> CmdResult {
    const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";
    // Redis answers the same text for a negative count and for one that is not a number.
    let positive = |arg: &[u8]| {
        super::arg_i64(arg)
            .ok()
            .filter(|n| *n >= 0)
            .ok_or(CmdError::from(NOT_POSITIVE))
    };
    let count = positive(&args[2])?;
    let size = if args.len() == 5 {
        usize::try_from(positive(&args[4])?).map_err(|_| CmdError::from(NOT_POSITIVE))?
    } else {
        0
    };
    let prefix: &[u8] = if args.len() >= 4 { &args[3] } else { b"key" };
    let clock = ctx.clock;
    for j in 0..count {
        let mut key = prefix.to_vec();
        key.push(b':');
        key.extend_from_slice(itoa::Buffer::new().format(j).as_bytes());
        if ctx.lookup_write(&key).is_some() {
            continue;
        }
        let mut value = format!("value:{j}").into_bytes();
        if size > 0 {
            value.resize(size, 0);
        }
        ctx.db().insert_new(
            crate::store::SmallBytes::new(&key),
            Value::from_bytes(&value),
            clock,
        );
        ctx.touch(&key);
    }
    ctx.out.ok();
    Ok(())
}

fn debug_reload(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (mut save, mut flush) = (true, true);
    for opt in args.iter().skip(2) {
        if opt.eq_ignore_ascii_case(b"nosave") {
            save = false;
        } else if opt.eq_ignore_ascii_case(b"noflush") {
            flush = false;
        } else if !opt.eq_ignore_ascii_case(b"merge") {
            return Err(CmdError::err(
                "DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
            ));
        }
    }
    crate::state::snapshot::reload(ctx.srv, save, flush)
        .map_err(|text| CmdError::Msg(text.into()))?;
    log::warn!("DB reloaded by DEBUG RELOAD");
    ctx.out.ok();
    Ok(())
}

/// Reached only as bare `CONFIG` (arity rejects it first) — subcommands resolve directly.
fn config_container(_ctx: &mut Ctx, args: &Args) -> CmdResult {
    Err(subcommand_syntax_error(args, "CONFIG"))
}

fn config_get(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let patterns: Vec<&[u8]> = args.iter().skip(2).collect();
    let pairs = ctx.srv.config.get_matching(&patterns);
    ctx.out.map(pairs.len());
    for (name, value) in &pairs {
        ctx.out.bulk(name.as_bytes());
        ctx.out.bulk(value.as_bytes());
    }
    Ok(())
}

/// Whether the caller is on the loopback interface (for `enable-protected-configs local`).
fn client_is_local(ctx: &Ctx) -> bool {
    let addr = &ctx.client_ref().addr;
    match addr.parse::<std::net::SocketAddr>() {
        Ok(a) => a.ip().is_loopback(),
        // Not an ip:port (a unix socket path): local.
        Err(_) => !addr.contains(':'),
    }
}

fn config_set(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if !args.len().is_multiple_of(2) {
        return Err(CmdError::Syntax);
    }
    let pairs: Vec<(&[u8], &[u8])> = (2..args.len())
        .step_by(2)
        .map(|i| (&args[i], &args[i + 1]))
        .collect();
    let local = client_is_local(ctx);
    let before = ctx.srv.config.clone();
    let changed = ctx
        .srv
        .config
        .set_many_client(&pairs, local)
        .map_err(|text| ErrorText::new("ERR ").formatted(&text).done())?;
    // The listeners belong to the reactor and cannot be rebound from here yet: refuse rather
    // than report a port or address the server is not listening on.
    if let Some(name) = changed
        .iter()
        .find(|n| matches!(**n, "port" | "bind" | "tls-port"))
    {
        if ctx.srv.config.dir != before.dir {
            let _ = std::env::set_current_dir(&before.dir);
        }
        ctx.srv.config = before;
        return Err(CmdError::err(format!(
            "CONFIG SET failed (possibly related to argument '{name}') - \
             changing {name} at run time is not supported yet"
        )));
    }
    // Any TLS setting named (changed or not, as Redis's VOLATILE_CONFIG: setting a file to
    // the same path reloads it) rebuilds the TLS configuration for new connections.
    let tls_named = pairs.iter().find_map(|(name, _)| {
        crate::config::lookup(name)
            .map(|(_, p)| p.name)
            .filter(|n| n.starts_with("tls-") && *n != "tls-auth-clients-user")
    });
    if let (Some(name), true) = (tls_named, ctx.srv.config.tls_enabled()) {
        match crate::tls::build(&ctx.srv.config) {
            Ok(tls) => {
                ctx.srv.tls = Some(tls);
                log::info!("TLS configuration reloaded (CONFIG SET {name})");
            }
            Err(e) => {
                log::warn!("Failed to update TLS configuration: {e}");
                if ctx.srv.config.dir != before.dir {
                    let _ = std::env::set_current_dir(&before.dir);
                }
                ctx.srv.config = before;
                return Err(CmdError::err(format!(
                    "CONFIG SET failed (possibly related to argument '{name}') - Unable to \
                     update TLS configuration. Check server logs."
                )));
            }
        }
    }
    for name in changed {
        apply_config_change(ctx, name);
    }
    ctx.out.ok();
    Ok(())
}

/// Side effects of a setting that changed under CONFIG SET. Settings read where they are used
/// (hz, maxclients, timeout, tcp-keepalive, buffer limits, …) need none.
fn apply_config_change(ctx: &mut Ctx, name: &str) {
    match name {
        "loglevel" => crate::logging::set_level(ctx.srv.config.loglevel),
        // Connected clients get the new limits at their next request, and the ones waiting
        // are let go to try again now.
        "client-rate-limit"
        | "client-rate-limit-burst"
        | "global-rate-limit"
        | "global-rate-limit-burst"
        | "rate-limit-mode" => ctx.srv.rate.configure(&ctx.srv.config),
        _ => {}
    }
    if name == "requirepass" {
        // The default user's password, as Redis's ACLUpdateDefaultUserPassword.
        let password = ctx.srv.config.requirepass.clone();
        ctx.srv.acl.set_default_password(password.as_bytes());
    }
}

fn config_resetstat(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let srv = &mut *ctx.srv;
    srv.stats = Default::default();
    for stat in srv.command_stats.iter_mut() {
        *stat = Default::default();
    }
    srv.error_stats.clear();
    srv.inst_metrics = Default::default();
    srv.peak_memory = crate::alloc::allocated();
    ctx.out.ok();
    Ok(())
}

fn config_rewrite(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    if ctx.srv.config_file.is_empty() {
        return Err(CmdError::err("The server is running without a config file"));
    }
    Err(CmdError::err(
        "CONFIG REWRITE is not supported yet: edit the configuration file instead",
    ))
}

const CONFIG_HELP: &[&str] = &[
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
];

fn config_help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    reply_help(ctx, "CONFIG", CONFIG_HELP);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::strtod_prefix;

    #[test]
    fn strtod_like_c() {
        assert_eq!(strtod_prefix(b"0.1"), 0.1);
        assert_eq!(strtod_prefix(b"  2abc"), 2.0);
        assert_eq!(strtod_prefix(b"abc"), 0.0);
        assert_eq!(strtod_prefix(b"1e-3"), 0.001);
        assert_eq!(strtod_prefix(b"1e"), 1.0);
        assert_eq!(strtod_prefix(b".5"), 0.5);
        assert_eq!(strtod_prefix(b"."), 0.0);
        assert_eq!(strtod_prefix(b"-1"), -1.0);
        assert!(strtod_prefix(b"-inf").is_infinite());
        assert!(strtod_prefix(b"nan").is_nan());
        assert_eq!(strtod_prefix(b""), 0.0);
    }
}
