//! CLIENT subcommands: ID, SETNAME, GETNAME, LIST, INFO, KILL, SETINFO, NO-EVICT, NO-TOUCH,
//! HELP. The CLIENT container itself is declared with the connection family (`conn.rs`).

use std::io::Write;

use super::table::{flags::*, Command, Group, KeySpec};
use super::{CmdError, CmdResult, Ctx, ErrorText};
use crate::resp::Args;
use crate::server::state::Client;

const SUB_FLAGS: u32 = NOSCRIPT | LOADING | STALE;

pub static SUBCOMMANDS: &[Command] = &[
    Command {
        name: "id",
        arity: 2,
        flags: SUB_FLAGS,
        keys: KeySpec::NONE,
        group: Group::Connection,
        summary: "Returns the client ID for the current connection",
        since: "5.0.0",
        complexity: "O(1)",
        args: "",
        handler: client_id,
        subcommands: &[],
    },
    Command {
        name: "setname",
        arity: 3,
        flags: SUB_FLAGS,
        keys: KeySpec::NONE,
        group: Group::Connection,
        summary: "Set the current connection name",
        since: "2.6.9",
        complexity: "O(1)",
        args: "connection-name",
        handler: client_setname,
        subcommands: &[],
    },
    Command {
        name: "getname",
        arity: 2,
        flags: SUB_FLAGS,
        keys: KeySpec::NONE,
        group: Group::Connection,
        summary: "Get the current connection name",
        since: "2.6.9",
        complexity: "O(1)",
        args: "",
        handler: client_getname,
        subcommands: &[],
    },
    Command {
        name: "list",
        arity: -2,
        flags: ADMIN | SUB_FLAGS,
        keys: KeySpec::NONE,
        group: Group::Connection,
        summary: "Get the list of client connections",
        since: "2.4.0",
        complexity: "O(N) where N is the number of client connections",
        args: "?TYPE=normal_master_replica_pubsub@5.0.0(NORMAL|MASTER|REPLICA|PUBSUB) \
            ?ID=id@6.2.0{client-id:integer...}",
        handler: client_list,
        subcommands: &[],
    },
    Command {
        name: "info",
        arity: 2,
        flags: SUB_FLAGS,
        keys: KeySpec::NONE,
        group: Group::Connection,
        summary: "Returns information about the current client connection.",
        since: "6.2.0",
        complexity: "O(1)",
        args: "",
        handler: client_info,
        subcommands: &[],
    },
    Command {
        name: "kill",
        arity: -3,
        flags: ADMIN | SUB_FLAGS,
        keys: KeySpec::NONE,
        group: Group::Connection,
        summary: "Kill the connection of a client",
        since: "2.4.0",
        complexity: "O(N) where N is the number of client connections",
        args: "filter(ip:port!2.8.12|new-format...(?ID=client-id:integer@2.8.12|\
            ?TYPE=normal_master_slave_pubsub@2.8.12(NORMAL|MASTER@3.2.0|SLAVE|REPLICA@5.0.0|\
            PUBSUB)|?USER=username|?ADDR=ip:port|?LADDR=ip:port@6.2.0|?SKIPME=yes/no))",
        handler: client_kill,
        subcommands: &[],
    },
    Command {
        name: "setinfo",
        arity: 4,
        flags: SUB_FLAGS,
        keys: KeySpec::NONE,
        group: Group::Connection,
        summary: "Set client or connection specific info",
        since: "7.2.0",
        complexity: "O(1)",
        args: "attr(LIB-NAME=libname|LIB-VER=libver)",
        handler: client_setinfo,
        subcommands: &[],
    },
    Command {
        name: "no-evict",
        arity: 3,
        flags: ADMIN | SUB_FLAGS,
        keys: KeySpec::NONE,
        group: Group::Connection,
        summary: "Set client eviction mode for the current connection",
        since: "7.0.0",
        complexity: "O(1)",
        args: "enabled(ON|OFF)",
        handler: client_no_evict,
        subcommands: &[],
    },
    Command {
        name: "no-touch",
        arity: 3,
        flags: SUB_FLAGS,
        keys: KeySpec::NONE,
        group: Group::Connection,
        summary: "Controls whether commands sent by the client will alter the LRU/LFU of the \
                  keys they access.",
        since: "7.2.0",
        complexity: "O(1)",
        args: "enabled(ON|OFF)",
        handler: client_no_touch,
        subcommands: &[],
    },
    Command {
        name: "unblock",
        arity: -3,
        flags: ADMIN | SUB_FLAGS,
        keys: KeySpec::NONE,
        group: Group::Connection,
        summary: "Unblock a client blocked in a blocking command from a different connection",
        since: "5.0.0",
        complexity: "O(log N) where N is the number of client connections",
        args: "client-id:integer ?timeout_error(TIMEOUT|ERROR)",
        handler: client_unblock,
        subcommands: &[],
    },
    Command {
        name: "help",
        arity: 2,
        flags: LOADING | STALE,
        keys: KeySpec::NONE,
        group: Group::Connection,
        summary: "Show helpful text about the different subcommands",
        since: "5.0.0",
        complexity: "O(1)",
        args: "",
        handler: client_help,
        subcommands: &[],
    },
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
        if client.channels.is_empty() && client.patterns.is_empty() {
            ClientType::Normal
        } else {
            ClientType::PubSub
        }
    }
}

/// The caller of the command being run, whose `idle` is 0 (Redis records the interaction
/// before the command runs; ferrodis after).
struct Caller<'a> {
    key: usize,
    /// The blocked-client registry, for flag `b`.
    blocking: &'a crate::server::blocking::Blocking,
}

/// Appends `client`'s CLIENT LIST line (with its trailing newline), with Redis 7.0's fields in
/// Redis 7.0's order. Figures ferrodis does not track are reported as Redis reports an idle
/// client (0, -1 for `multi` and `redir`).
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
    if !client.channels.is_empty() || !client.patterns.is_empty() {
        flags.push('P');
    }
    if client.multi.is_some() {
        flags.push('x');
    }
    if caller.blocking.is_blocked(key) {
        flags.push('b');
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
    let cmd = client.last_cmd.as_str();
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
        " age={age} idle={idle} flags={flags} db={db} sub={sub} psub={psub} ssub=0 multi={multi} \
         qbuf={qbuf} qbuf-free={qbuf_free} argv-mem={argv_mem} multi-mem={multi_mem} rbs=0 rbp=0 \
         obl=0 oll=0 omem={omem} tot-mem={tot_mem} events=r cmd={cmd} user=default \
         redir=-1 resp={resp}",
        db = client.db,
        sub = client.channels.len(),
        psub = client.patterns.len(),
        multi = client.multi.as_ref().map_or(-1, |tx| tx.len() as i64),
        multi_mem = client.multi.as_ref().map_or(0, |tx| tx.memory()),
        qbuf = client.qbuf,
        qbuf_free = client.qbuf_free,
        argv_mem = client.argv_mem,
        omem = client.omem,
        tot_mem = client.tot_mem,
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
    let caller = Caller {
        key: ctx.client_key,
        blocking: &ctx.srv.blocking,
    };
    let now = ctx.now_ms;
    let clients = &ctx.srv.clients;
    let mut text = Vec::new();
    match filter {
        Filter::Ids(ids) => {
            // One line per requested id that exists, in the order asked (as Redis).
            for id in ids {
                if let Some((key, client)) = clients.iter().find(|(_, c)| c.id == id) {
                    write_client_line(&mut text, key, client, now, &caller);
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
    ctx.out.bulk(&text);
    Ok(())
}

fn client_info(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let caller = Caller {
        key: ctx.client_key,
        blocking: &ctx.srv.blocking,
    };
    let mut text = Vec::new();
    write_client_line(
        &mut text,
        ctx.client_key,
        &ctx.srv.clients[ctx.client_key],
        ctx.now_ms,
        &caller,
    );
    ctx.out.bulk(&text);
    Ok(())
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
            // Every connection is authenticated as `default`, the only user.
            if value != b"default" {
                return Err(ErrorText::new("ERR No such user '")
                    .arg(value)
                    .text("'")
                    .done());
            }
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
/// `server/blocking.rs`) with its timeout reply or an UNBLOCKED error; 1 if it was blocked.
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
        r.error(crate::server::blocking::UNBLOCKED_ERROR);
        r.buf
    } else {
        crate::server::blocking::TIMEOUT_REPLY.to_vec()
    };
    let unblocked = target.is_some_and(|k| ctx.srv.blocking.unblock_with(k, reply));
    if unblocked && as_error {
        ctx.srv
            .count_error(crate::server::blocking::UNBLOCKED_ERROR.as_bytes());
    }
    ctx.out.int(unblocked as i64);
    Ok(())
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
