//! CLIENT subcommands: ID, SETNAME, GETNAME, LIST, INFO, KILL, REPLY, PAUSE, UNPAUSE,
//! UNBLOCK, SETINFO, NO-EVICT, NO-TOUCH, HELP. The CLIENT container itself is declared with the
//! connection family (`conn.rs`). Behaviour, replies and errors follow Redis 7.0's
//! `clientCommand` (networking.c); the pause itself lives in `state/pause.rs`, and the reactor
//! applies the reply mode and holds paused clients (`net/mod.rs`).

use std::io::Write;

use super::table::{acl, flags::*, tips::*, Command, Group};
use super::{CmdError, CmdResult, Ctx, ErrorText};
use crate::resp::Args;
use crate::state::pause::PauseKind;
use crate::state::{BufferStats, Client, Server};

pub static SUBCOMMANDS: &[Command] = &[
    Command::new("id", 2, client_id)
        .group(Group::Connection)
        .flags(NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Returns the client ID for the current connection")
        .since("5.0.0")
        .complexity("O(1)"),
    Command::new("setname", 3, client_setname)
        .group(Group::Connection)
        .flags(NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Set the current connection name")
        .since("2.6.9")
        .complexity("O(1)")
        .args("connection-name"),
    Command::new("getname", 2, client_getname)
        .group(Group::Connection)
        .flags(NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Get the current connection name")
        .since("2.6.9")
        .complexity("O(1)"),
    Command::new("list", -2, client_list)
        .group(Group::Connection)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Get the list of client connections")
        .since("2.4.0")
        .complexity("O(N) where N is the number of client connections")
        .history(&[("2.8.12", "Added unique client `id` field."), ("5.0.0", "Added optional `TYPE` filter."), ("6.0.0", "Added `user` field."), ("6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter."), ("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."), ("7.0.3", "Added `ssub` field.")])
        .args(
            "?TYPE=normal_master_replica_pubsub@5.0.0(NORMAL|MASTER|REPLICA|PUBSUB) \
            ?ID=id@6.2.0{client-id:integer...}",
        ),
    Command::new("info", 2, client_info)
        .group(Group::Connection)
        .flags(NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Returns information about the current client connection.")
        .since("6.2.0")
        .complexity("O(1)"),
    Command::new("kill", -3, client_kill)
        .group(Group::Connection)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Kill the connection of a client")
        .since("2.4.0")
        .complexity("O(N) where N is the number of client connections")
        .history(&[("2.8.12", "Added new filter format."), ("2.8.12", "`ID` option."), ("3.2.0", "Added `master` type in for `TYPE` option."), ("5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility."), ("6.2.0", "`LADDR` option.")])
        .args(
            "filter(ip:port!2.8.12|new-format...(?ID=client-id:integer@2.8.12|\
            ?TYPE=normal_master_slave_pubsub@2.8.12(NORMAL|MASTER@3.2.0|SLAVE|REPLICA@5.0.0|\
            PUBSUB)|?USER=username|?ADDR=ip:port|?LADDR=ip:port@6.2.0|?SKIPME=yes/no))",
        ),
    Command::new("setinfo", 4, client_setinfo)
        .group(Group::Connection)
        .flags(NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Set client or connection specific info")
        .since("7.2.0")
        .complexity("O(1)")
        .args("attr(LIB-NAME=libname|LIB-VER=libver)"),
    Command::new("no-evict", 3, client_no_evict)
        .group(Group::Connection)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Set client eviction mode for the current connection")
        .since("7.0.0")
        .complexity("O(1)")
        .args("enabled(ON|OFF)"),
    Command::new("no-touch", 3, client_no_touch)
        .group(Group::Connection)
        .flags(NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary(
            "Controls whether commands sent by the client will alter the LRU/LFU of the \
                  keys they access.",
        )
        .since("7.2.0")
        .complexity("O(1)")
        .args("enabled(ON|OFF)"),
    Command::new("unblock", -3, client_unblock)
        .group(Group::Connection)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Unblock a client blocked in a blocking command from a different connection")
        .since("5.0.0")
        .complexity("O(log N) where N is the number of client connections")
        .args("client-id:integer ?timeout_error(TIMEOUT|ERROR)"),
    Command::new("reply", 3, client_reply)
        .group(Group::Connection)
        .flags(NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Instruct the server whether to reply to commands")
        .since("3.2.0")
        .complexity("O(1)")
        .args("on_off_skip(ON|OFF|SKIP)"),
    Command::new("pause", -3, client_pause)
        .group(Group::Connection)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Stop processing commands from clients for some time")
        .since("2.9.50")
        .complexity("O(1)")
        .history(&[(
            "6.2.0",
            "`CLIENT PAUSE WRITE` mode added along with the `mode` option.",
        )])
        .args("timeout:integer ?mode@6.2.0(WRITE|ALL)"),
    Command::new("unpause", 2, client_unpause)
        .group(Group::Connection)
        .flags(ADMIN | NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Resume processing of clients that were paused")
        .since("6.2.0")
        .complexity("O(N) Where N is the number of paused clients"),
    Command::new("tracking", -3, super::tracking::client_tracking)
        .group(Group::Connection)
        .flags(NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Enable or disable server assisted client side caching support")
        .since("6.0.0")
        .complexity("O(1). Some options may introduce additional complexity.")
        .args(
            "status(ON|OFF) ?REDIRECT=client-id:integer ?PREFIX=prefix...+ ?BCAST ?OPTIN \
             ?OPTOUT ?NOLOOP",
        ),
    Command::new("caching", 3, super::tracking::client_caching)
        .group(Group::Connection)
        .flags(NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Instruct the server about tracking or not keys in the next request")
        .since("6.0.0")
        .complexity("O(1)")
        .args("mode(YES|NO)"),
    Command::new("getredir", 2, super::tracking::client_getredir)
        .group(Group::Connection)
        .flags(NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Get tracking notifications redirection client ID if any")
        .since("6.0.0")
        .complexity("O(1)"),
    Command::new("trackinginfo", 2, super::tracking::client_trackinginfo)
        .group(Group::Connection)
        .flags(NOSCRIPT | LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary(
            "Return information about server assisted client side caching for the current \
             connection",
        )
        .since("6.2.0")
        .complexity("O(1)"),
    Command::new("help", 2, client_help)
        .group(Group::Connection)
        .flags(LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Show helpful text about the different subcommands")
        .since("5.0.0")
        .complexity("O(1)"),
];

/// Handler of the bare container. The dispatcher routes every call with a subcommand to the
/// subcommand and rejects `CLIENT` alone on arity, so this only guards against misuse.
pub fn container(_ctx: &mut Ctx, _args: &Args) -> CmdResult {
    Err(CmdError::err(
        "wrong number of arguments for 'client' command",
    ))
}

/// Redis's rule for names and other attributes shown in CLIENT LIST: printable ASCII without
/// spaces, so the line can always be split on spaces.
fn valid_attr(value: &[u8]) -> bool {
    value.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

/// Sets (or, with an empty name, clears) the calling client's name; shared with HELLO SETNAME.
pub fn set_name(ctx: &mut Ctx, name: &[u8]) -> CmdResult {
    if !valid_attr(name) {
        return Err(
            "ERR Client names cannot contain spaces, newlines or special characters.".into(),
        );
    }
    ctx.client().name = if name.is_empty() {
        None
    } else {
        Some(name.to_vec())
    };
    Ok(())
}

fn client_id(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let id = ctx.client_ref().id;
    ctx.out.int(id as i64);
    Ok(())
}

fn client_setname(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_name(ctx, &args[2])?;
    ctx.out.ok();
    Ok(())
}

fn client_getname(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let Ctx {
        srv,
        client_key,
        out,
        ..
    } = ctx;
    match &srv.clients[*client_key].name {
        Some(name) => out.bulk(name),
        None => out.null(),
    }
    Ok(())
}

/// A client's class, as the TYPE filters of CLIENT LIST / CLIENT KILL name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientType {
    Normal,
    Replica,
    PubSub,
    Master,
}

impl ClientType {
    /// Parses a TYPE argument (case-insensitive; `slave` is the old name of `replica`).
    fn parse(arg: &[u8]) -> Result<ClientType, CmdError> {
        let lower = arg.to_ascii_lowercase();
        match lower.as_slice() {
            b"normal" => Ok(ClientType::Normal),
            b"replica" | b"slave" => Ok(ClientType::Replica),
            b"pubsub" => Ok(ClientType::PubSub),
            b"master" => Ok(ClientType::Master),
            _ => Err(ErrorText::new("ERR Unknown client type '")
                .arg(arg)
                .text("'")
                .done()),
        }
    }

    /// The class of `client`: a client with subscriptions is `PubSub` (there is no
    /// replication, so the others are normal).
    pub fn of(client: &Client) -> ClientType {
        if !client.subscribed() {
            ClientType::Normal
        } else {
            ClientType::PubSub
        }
    }
}

/// The caller of the command being run, whose `idle` is 0 (Redis records the interaction
/// before the command runs; ferrodis after), whose arguments are the command being run and
/// whose pending output is what this batch of commands has replied so far.
struct Caller<'a> {
    key: usize,
    /// Lengths of the running command's arguments (`argv-mem`).
    argv_mem: usize,
    /// Output written and not yet sent (the reply buffer is being written to).
    pending_out: usize,
    /// The blocked-client registry, for flag `b`.
    blocking: &'a crate::state::blocking::Blocking,
}

impl<'a> Caller<'a> {
    fn new(ctx: &'a Ctx, args: &Args) -> Caller<'a> {
        Caller {
            key: ctx.client_key,
            argv_mem: args.iter().map(<[u8]>::len).sum(),
            pending_out: ctx.out.len(),
            blocking: &ctx.srv.blocking,
        }
    }
}

/// Memory a client takes, as Redis's `getClientMemoryUsage` counts it: its bookkeeping, its
/// buffers, the arguments it holds, its queued transaction and its subscriptions' overhead.
fn client_memory(client: &Client, bufs: &BufferStats, argv_mem: usize, multi_mem: usize) -> usize {
    use std::mem::size_of;
    let name = client.name.as_ref().map_or(0, |n| n.capacity());
    let channels = client.channels.capacity() * (size_of::<Vec<u8>>() + 1)
        + client.channels.iter().map(|c| c.capacity()).sum::<usize>();
    let patterns = client.patterns.capacity() * size_of::<Vec<u8>>()
        + client.patterns.iter().map(|p| p.capacity()).sum::<usize>();
    let watched = client.watched.capacity() * size_of::<crate::state::watch::WatchedKey>();
    size_of::<Client>()
        + client.addr.capacity()
        + client.laddr.capacity()
        + name
        + bufs.conn_mem
        + argv_mem
        + multi_mem
        + channels
        + patterns
        + watched
}

/// Everything `client` holds, as CLIENT LIST's `tot-mem` shows it between commands (MEMORY
/// STATS `clients.normal` sums it).
pub fn client_total_memory(client: &Client) -> usize {
    let multi_mem = client.multi.as_ref().map_or(0, |tx| tx.memory());
    client_memory(client, &client.bufs, client.bufs.argv_partial, multi_mem)
}

/// Appends `client`'s CLIENT LIST line (with its trailing newline), with Redis 7.0's fields in
/// Redis 7.0's order, from ferrodis's own figures: the query buffer (`qbuf`, `qbuf-free`),
/// the arguments held (`argv-mem`), the reply buffer (`rbs`, `rbp`), the pending output
/// (`obl` in the first reply buffer, the rest as `oll` 16 KiB nodes of `omem` bytes, as
/// Redis's reply list) and `tot-mem`, everything the client holds.
fn write_client_line(out: &mut Vec<u8>, key: usize, client: &Client, now_ms: i64, caller: &Caller) {
    let is_caller = key == caller.key;
    let now_s = now_ms / 1000;
    let age = (now_s - client.created_ms / 1000).max(0);
    let idle = if is_caller {
        0
    } else {
        (now_s - client.last_interaction_ms / 1000).max(0)
    };
    let mut flags = String::new();
    if client.monitor {
        flags.push('O');
    }
    if client.subscribed() {
        flags.push('P');
    }
    if client.multi.is_some() {
        flags.push('x');
    }
    if caller.blocking.is_blocked(key) || client.postponed {
        flags.push('b');
    }
    if let Some(t) = &client.tracking {
        flags.push('t');
        if t.broken_redirect {
            flags.push('R');
        }
        if t.bcast {
            flags.push('B');
        }
    }
    if client.dirty_cas {
        flags.push('d');
    }
    if client.close_after_reply {
        flags.push('c');
    }
    if client.no_evict {
        flags.push('e');
    }
    if client.no_touch {
        flags.push('T');
    }
    if flags.is_empty() {
        flags.push('N');
    }
    let mut bufs = client.bufs;
    let argv_mem = if is_caller {
        bufs.pending_out = caller.pending_out;
        caller.argv_mem
    } else {
        bufs.argv_partial
    };
    let multi_mem = client.multi.as_ref().map_or(0, |tx| tx.memory());
    let tot_mem = client_memory(client, &bufs, argv_mem, multi_mem);
    let events = if bufs.writing { "rw" } else { "r" };
    let cmd = super::last_command_name(client);
    // Writing to a Vec cannot fail.
    let _ = write!(
        out,
        "id={} addr={} laddr={} fd={} name=",
        client.id, client.addr, client.laddr, client.fd
    );
    if let Some(name) = &client.name {
        out.extend_from_slice(name);
    }
    let _ = writeln!(
        out,
        " age={age} idle={idle} flags={flags} db={db} sub={sub} psub={psub} ssub={ssub} multi={multi} \
         qbuf={qbuf} qbuf-free={qbuf_free} argv-mem={argv_mem} multi-mem={multi_mem} rbs={rbs} \
         rbp={rbp} obl={obl} oll={oll} omem={omem} tot-mem={tot_mem} events={events} cmd={cmd} \
         user={user} redir={redir} resp={resp}",
        user = String::from_utf8_lossy(client.user_name()),
        redir = client.tracking.as_ref().map_or(-1, |t| t.redirect as i64),
        db = client.db,
        sub = client.channels.len(),
        psub = client.patterns.len(),
        ssub = client.shard_channels.len(),
        multi = client.multi.as_ref().map_or(-1, |tx| tx.len() as i64),
        qbuf = bufs.qbuf,
        qbuf_free = bufs.qbuf_free,
        rbs = bufs.rbs,
        rbp = bufs.rbp,
        obl = bufs.obl(),
        oll = bufs.oll(),
        omem = bufs.omem(),
        resp = client.resp,
    );
}

/// CLIENT LIST [TYPE type | ID id [id ...]]
fn client_list(ctx: &mut Ctx, args: &Args) -> CmdResult {
    enum Filter {
        All,
        Type(ClientType),
        Ids(Vec<u64>),
    }
    let filter = if args.len() == 2 {
        Filter::All
    } else if args.len() == 4 && args[2].eq_ignore_ascii_case(b"type") {
        Filter::Type(ClientType::parse(&args[3])?)
    } else if args.len() > 3 && args[2].eq_ignore_ascii_case(b"id") {
        let mut ids = Vec::with_capacity(args.len() - 3);
        for arg in args.iter().skip(3) {
            let id = super::arg_i64(arg).map_err(|_| CmdError::from("ERR Invalid client ID"))?;
            ids.push(id as u64);
        }
        Filter::Ids(ids)
    } else {
        return Err(CmdError::Syntax);
    };
    let caller = Caller::new(ctx, args);
    let now = ctx.now_ms;
    let clients = &ctx.srv.clients;
    let mut text = Vec::new();
    match filter {
        Filter::Ids(ids) => {
            // One line per requested id that exists, in the order asked (as Redis).
            for id in ids {
                if let Some(key) = ctx.srv.client_key_by_id(id) {
                    write_client_line(&mut text, key, &clients[key], now, &caller);
                }
            }
        }
        Filter::All | Filter::Type(_) => {
            // Redis lists clients in connection order, which is id order.
            let mut keys: Vec<(u64, usize)> = clients
                .iter()
                .filter(|(_, c)| match &filter {
                    Filter::Type(t) => ClientType::of(c) == *t,
                    _ => true,
                })
                .map(|(k, c)| (c.id, k))
                .collect();
            keys.sort_unstable();
            for (_, key) in keys {
                write_client_line(&mut text, key, &clients[key], now, &caller);
            }
        }
    }
    ctx.out.verbatim(&text);
    Ok(())
}

fn client_info(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let caller = Caller::new(ctx, args);
    let mut text = Vec::new();
    write_client_line(
        &mut text,
        ctx.client_key,
        &ctx.srv.clients[ctx.client_key],
        ctx.now_ms,
        &caller,
    );
    ctx.out.verbatim(&text);
    Ok(())
}

/// Client `key`'s CLIENT LIST line without its newline, as Redis's `catClientInfoString` for
/// log lines about a client the server closes (output buffer limits, request timeouts).
pub fn describe(srv: &Server, key: usize, now_ms: i64) -> String {
    let Some(client) = srv.clients.get(key) else {
        return String::new();
    };
    let caller = Caller {
        key: usize::MAX,
        argv_mem: 0,
        pending_out: 0,
        blocking: &srv.blocking,
    };
    let mut line = Vec::new();
    write_client_line(&mut line, key, client, now_ms, &caller);
    while line.last().is_some_and(|b| b.is_ascii_whitespace()) {
        line.pop();
    }
    String::from_utf8_lossy(&line).into_owned()
}

/// Closes client `key`: the caller after this reply, anyone else at the end of this turn.
fn kill_one(ctx: &mut Ctx, key: usize) {
    if key == ctx.client_key {
        ctx.client().close_after_reply = true;
    } else {
        ctx.srv.kill_client(key);
    }
}

/// CLIENT KILL addr:port | CLIENT KILL <filter> <value> [<filter> <value> ...]
fn client_kill(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() == 3 {
        // The old form: one address, may be the caller's own; +OK or an error.
        let addr = &args[2];
        let targets: Vec<usize> = ctx
            .srv
            .clients
            .iter()
            .filter(|(_, c)| !c.killed && c.addr.as_bytes() == addr)
            .map(|(k, _)| k)
            .collect();
        if targets.is_empty() {
            return Err(CmdError::err("No such client"));
        }
        for key in targets {
            kill_one(ctx, key);
        }
        ctx.out.ok();
        return Ok(());
    }

    let mut id: Option<u64> = None;
    let mut ctype: Option<ClientType> = None;
    let mut addr: Option<&[u8]> = None;
    let mut laddr: Option<&[u8]> = None;
    let mut skipme = true;
    let mut user: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let opt = &args[i];
        let Some(value) = (i + 1 < args.len()).then(|| args.get(i + 1)) else {
            return Err(CmdError::Syntax);
        };
        if opt.eq_ignore_ascii_case(b"id") {
            match crate::util::num::parse_i64(value) {
                Some(n) if n >= 1 => id = Some(n as u64),
                _ => return Err(CmdError::err("client-id should be greater than 0")),
            }
        } else if opt.eq_ignore_ascii_case(b"type") {
            ctype = Some(ClientType::parse(value)?);
        } else if opt.eq_ignore_ascii_case(b"addr") {
            addr = Some(value);
        } else if opt.eq_ignore_ascii_case(b"laddr") {
            laddr = Some(value);
        } else if opt.eq_ignore_ascii_case(b"user") {
            if !ctx.srv.acl.users.contains_key(value) {
                return Err(ErrorText::new("ERR No such user '")
                    .arg(value)
                    .text("'")
                    .done());
            }
            user = Some(value);
        } else if opt.eq_ignore_ascii_case(b"skipme") {
            if value.eq_ignore_ascii_case(b"yes") {
                skipme = true;
            } else if value.eq_ignore_ascii_case(b"no") {
                skipme = false;
            } else {
                return Err(CmdError::Syntax);
            }
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }

    let me = ctx.client_key;
    let targets: Vec<usize> = ctx
        .srv
        .clients
        .iter()
        .filter(|&(key, c)| {
            !c.killed
                && addr.is_none_or(|a| c.addr.as_bytes() == a)
                && laddr.is_none_or(|a| c.laddr.as_bytes() == a)
                && id.is_none_or(|n| c.id == n)
                && user.is_none_or(|u| c.user_name() == u)
                && ctype.is_none_or(|t| ClientType::of(c) == t)
                && !(skipme && key == me)
        })
        .map(|(k, _)| k)
        .collect();
    for &key in &targets {
        kill_one(ctx, key);
    }
    ctx.out.int(targets.len() as i64);
    Ok(())
}

/// CLIENT SETINFO LIB-NAME|LIB-VER value (Redis 7.2). An empty value clears the attribute.
fn client_setinfo(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let attr = &args[2];
    let value = &args[3];
    let is_name = if attr.eq_ignore_ascii_case(b"lib-name") {
        true
    } else if attr.eq_ignore_ascii_case(b"lib-ver") {
        false
    } else {
        return Err(ErrorText::new("ERR Unrecognized option '")
            .arg(attr)
            .text("'")
            .done());
    };
    if !valid_attr(value) {
        return Err(ErrorText::new("ERR ")
            .arg(attr)
            .text(" cannot contain spaces, newlines or special characters.")
            .done());
    }
    let stored = (!value.is_empty()).then(|| value.to_vec());
    let client = ctx.client();
    if is_name {
        client.lib_name = stored;
    } else {
        client.lib_ver = stored;
    }
    ctx.out.ok();
    Ok(())
}

/// Parses an ON/OFF argument, case-insensitively.
fn on_off(arg: &[u8]) -> Result<bool, CmdError> {
    if arg.eq_ignore_ascii_case(b"on") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"off") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

fn client_no_evict(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let on = on_off(&args[2])?;
    ctx.client().no_evict = on;
    ctx.out.ok();
    Ok(())
}

fn client_no_touch(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let on = on_off(&args[2])?;
    ctx.client().no_touch = on;
    ctx.out.ok();
    Ok(())
}

/// CLIENT UNBLOCK id [TIMEOUT|ERROR]: releases a client blocked in BLPOP & co. (see
/// `state/blocking.rs`) with its timeout reply or an UNBLOCKED error; 1 if it was blocked.
fn client_unblock(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 4 {
        return Err(CmdError::err(
            "unknown subcommand or wrong number of arguments for 'unblock'. Try CLIENT HELP.",
        ));
    }
    let as_error = match args.len() {
        4 if args[3].eq_ignore_ascii_case(b"timeout") => false,
        4 if args[3].eq_ignore_ascii_case(b"error") => true,
        4 => {
            return Err(CmdError::err(
                "CLIENT UNBLOCK reason should be TIMEOUT or ERROR",
            ))
        }
        _ => false,
    };
    let id = super::arg_i64(&args[2])?;
    let target = ctx
        .srv
        .clients
        .iter()
        .find(|(_, c)| c.id as i64 == id)
        .map(|(k, _)| k);
    let reply = if as_error {
        let mut r = crate::resp::Reply::new();
        r.error(crate::state::blocking::UNBLOCKED_ERROR);
        r.buf
    } else {
        crate::state::blocking::TIMEOUT_REPLY.to_vec()
    };
    let unblocked = target.is_some_and(|k| ctx.srv.blocking.unblock_with(k, reply));
    if unblocked && as_error {
        ctx.srv
            .count_error(crate::state::blocking::UNBLOCKED_ERROR.as_bytes());
    }
    ctx.out.int(unblocked as i64);
    Ok(())
}

/// CLIENT REPLY ON|OFF|SKIP. OFF and SKIP answer nothing (SKIP drops the next command's reply
/// too); the reactor drops the replies, errors included (`apply_reply_mode` in
/// `net/mod.rs`). A bad mode is a syntax error, itself silent under OFF.
fn client_reply(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mode = &args[2];
    let client = ctx.client();
    if mode.eq_ignore_ascii_case(b"on") {
        client.reply_off = false;
        client.reply_skip = false;
        ctx.out.ok();
    } else if mode.eq_ignore_ascii_case(b"off") {
        client.reply_off = true;
    } else if mode.eq_ignore_ascii_case(b"skip") {
        if !client.reply_off {
            client.reply_skip_next = true;
        }
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(())
}

/// CLIENT PAUSE timeout [WRITE|ALL]: the mode is checked before the timeout, as in Redis.
/// The deadline is `now + timeout` with Redis's wrapping arithmetic, so an absurdly large
/// timeout lands in the past and pauses nothing beyond the current turn.
fn client_pause(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 4 {
        return Err(
            ErrorText::new("ERR unknown subcommand or wrong number of arguments for '")
                .arg_max(&args[1], 128)
                .text("'. Try CLIENT HELP.")
                .done(),
        );
    }
    let kind = match (args.len() == 4).then(|| args.get(3)) {
        None => PauseKind::All,
        Some(mode) if mode.eq_ignore_ascii_case(b"write") => PauseKind::Write,
        Some(mode) if mode.eq_ignore_ascii_case(b"all") => PauseKind::All,
        Some(_) => return Err(CmdError::err("CLIENT PAUSE mode must be WRITE or ALL")),
    };
    let timeout = crate::util::num::parse_i64(&args[2])
        .ok_or_else(|| CmdError::err("timeout is not an integer or out of range"))?;
    if timeout < 0 {
        return Err(CmdError::err("timeout is negative"));
    }
    let end = if timeout > 0 {
        timeout.wrapping_add(ctx.now_ms)
    } else {
        0
    };
    ctx.srv.pause.start(kind, end);
    ctx.out.ok();
    Ok(())
}

/// CLIENT UNPAUSE: ends the pause; the reactor resumes the held clients in order.
fn client_unpause(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.srv.pause.end();
    ctx.out.ok();
    Ok(())
}

/// Commands Redis 7.0 flags `may_replicate` (they may add to the replication stream although
/// they are not writes): CLIENT PAUSE WRITE holds them. COMMAND INFO in 7.0 does not list
/// that flag, so the table, which mirrors COMMAND INFO, does not carry it.
const MAY_REPLICATE_COMMANDS: &[&str] =
    &["publish", "spublish", "pfcount", "eval", "evalsha", "fcall"];

/// Whether the command in `args` must wait for the end of the pause in force, as Redis
/// 7.0's processCommand decides: under ALL every command, under WRITE the write and
/// may-replicate ones and an EXEC whose transaction queued one. Commands that fail the early
/// checks (unknown, wrong arity, OOM) are not held: they answer their error at once. A held
/// client is marked and queued on the pause, with the command as its `cmd`, and true is
/// returned: the caller leaves the command in the input buffer.
pub fn postpone(srv: &mut Server, client_key: usize, args: &Args) -> bool {
    use super::table::flags::{DENYOOM, MAY_REPLICATE, WRITE};
    let reg = super::table::registry();
    let Ok(id) = super::resolve(args) else {
        return false;
    };
    let cmd = reg.command(id);
    if !super::arity_ok(cmd.arity, args.len()) {
        return false;
    }
    if cmd.has(DENYOOM)
        && srv.config.maxmemory > 0
        && crate::alloc::allocated() > srv.config.maxmemory as usize
    {
        return false;
    }
    let name = reg.full_name(id);
    let client = &srv.clients[client_key];
    let held = match srv.pause.kind() {
        PauseKind::Off => false,
        PauseKind::All => true,
        PauseKind::Write => {
            cmd.has(WRITE | MAY_REPLICATE)
                || MAY_REPLICATE_COMMANDS.contains(&name)
                || (name == "exec"
                    && client.multi.as_ref().is_some_and(|tx| {
                        tx.flags() & (WRITE | MAY_REPLICATE) != 0
                            || crate::cmd::multi::queues_any_of(tx, MAY_REPLICATE_COMMANDS)
                    }))
        }
    };
    if held {
        let client = &mut srv.clients[client_key];
        client.postponed = true;
        client.last_cmd = Some(id);
        let id = client.id;
        srv.pause.hold(client_key, id);
    }
    held
}

/// Redis's CLIENT HELP lines for the subcommands ferrodis implements.
const HELP: &[&str] = &[
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "SETINFO <option> <value>",
    "    Set client meta attr. Options are:",
    "    * LIB-NAME: the client lib name.",
    "    * LIB-VER: the client lib version.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "NO-TOUCH (ON|OFF)",
    "    Will not touch LRU/LFU stats when this mode is on.",
    "HELP",
    "    Prints this help.",
];

fn client_help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.out.array(HELP.len());
    for line in HELP {
        ctx.out.simple(line);
    }
    Ok(())
}
