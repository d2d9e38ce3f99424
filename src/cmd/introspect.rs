//! COMMAND and its subcommands: the command table described to clients (Redis 7.0 layout).
//!
//! An info entry is `[name, arity, [flags…], first key, last key, step, [@categories…],
//! [tips…], [key specs…], [subcommand entries…]]`; a docs entry is a map of summary, since,
//! group, complexity, the arguments (see [`super::argspec`]) and, for containers, subcommands.

use super::argspec::{Arg, Kind as ArgKind};
use super::table::{flags, flags::*, registry, Command, CommandId, Group, KeySpec};
use super::{CmdError, CmdResult, Ctx};
use crate::resp::{Args, Reply};
use crate::util::glob::glob_match;

const SUBCOMMANDS: &[Command] = &[
    Command {
        name: "count",
        arity: 2,
        flags: LOADING | STALE | CONNECTION,
        keys: KeySpec::NONE,
        group: Group::Server,
        summary: "Get total number of Redis commands",
        since: "2.8.13",
        complexity: "O(1)",
        args: "",
        handler: command_count,
        subcommands: &[],
    },
    Command {
        name: "docs",
        arity: -2,
        flags: LOADING | STALE | CONNECTION,
        keys: KeySpec::NONE,
        group: Group::Server,
        summary: "Get array of specific Redis command documentation",
        since: "7.0.0",
        complexity: "O(N) where N is the number of commands to look up",
        args: "?command-name...",
        handler: command_docs,
        subcommands: &[],
    },
    Command {
        name: "getkeys",
        arity: -4,
        flags: LOADING | STALE | CONNECTION,
        keys: KeySpec::NONE,
        group: Group::Server,
        summary: "Extract keys given a full Redis command",
        since: "2.8.13",
        complexity: "O(N) where N is the number of arguments to the command",
        args: "",
        handler: command_getkeys,
        subcommands: &[],
    },
    Command {
        name: "getkeysandflags",
        arity: -4,
        flags: LOADING | STALE | CONNECTION,
        keys: KeySpec::NONE,
        group: Group::Server,
        summary: "Extract keys and access flags given a full Redis command",
        since: "7.0.0",
        complexity: "O(N) where N is the number of arguments to the command",
        args: "",
        handler: command_getkeysandflags,
        subcommands: &[],
    },
    Command {
        name: "help",
        arity: 2,
        flags: LOADING | STALE | CONNECTION,
        keys: KeySpec::NONE,
        group: Group::Server,
        summary: "Show helpful text about the different subcommands",
        since: "5.0.0",
        complexity: "O(1)",
        args: "",
        handler: command_help,
        subcommands: &[],
    },
    Command {
        name: "info",
        arity: -2,
        flags: LOADING | STALE | CONNECTION,
        keys: KeySpec::NONE,
        group: Group::Server,
        summary: "Get array of specific Redis command details, or all when no argument is given.",
        since: "2.8.13",
        complexity: "O(N) where N is the number of commands to look up",
        args: "?command-name...",
        handler: command_info,
        subcommands: &[],
    },
    Command {
        name: "list",
        arity: -2,
        flags: LOADING | STALE | CONNECTION,
        keys: KeySpec::NONE,
        group: Group::Server,
        summary: "Get an array of Redis command names",
        since: "7.0.0",
        complexity: "O(N) where N is the total number of Redis commands",
        args: "?FILTERBY=filterby(MODULE=module-name|ACLCAT=category|PATTERN=pattern:pattern)",
        handler: command_list,
        subcommands: &[],
    },
];

pub static COMMANDS: &[Command] = &[Command {
    name: "command",
    arity: -1,
    flags: LOADING | STALE | CONNECTION,
    keys: KeySpec::NONE,
    group: Group::Server,
    summary: "Get array of Redis command details",
    since: "2.8.13",
    complexity: "O(N) where N is the total number of Redis commands",
    args: "",
    handler: command_all,
    subcommands: SUBCOMMANDS,
}];

/// Redis's ACL categories in the order it lists them.
const ACL_ORDER: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// A command's ACL categories (without `@`), in Redis's order.
pub fn categories(cmd: &Command) -> Vec<&'static str> {
    let mut cats = cmd.acl_categories();
    cats.sort_by_key(|c| ACL_ORDER.iter().position(|o| o == c).unwrap_or(usize::MAX));
    cats.dedup();
    cats
}

/// The key-spec flags ferrodis reports for a command's keys (derived from its flags). The
/// "keys" of a pub/sub command (SSUBSCRIBE, SPUBLISH) are shard channels: `not_key`.
fn key_flags(cmd: &Command) -> &'static [&'static str] {
    if cmd.has(PUBSUB) {
        &["not_key"]
    } else if cmd.has(WRITE) {
        &["RW", "update"]
    } else {
        &["RO", "access"]
    }
}

/// The one key spec a (first, last, step) triple describes, or none.
fn write_key_specs(out: &mut Reply, cmd: &Command) {
    let k = cmd.keys;
    if k.first <= 0 || k.step <= 0 {
        out.array(0);
        return;
    }
    out.array(1);
    out.map(3);
    out.bulk(b"flags");
    let kf = key_flags(cmd);
    out.array(kf.len());
    for f in kf {
        out.simple(f);
    }
    out.bulk(b"begin_search");
    out.map(2);
    out.bulk(b"type");
    out.bulk(b"index");
    out.bulk(b"spec");
    out.map(1);
    out.bulk(b"index");
    out.int(k.first as i64);
    out.bulk(b"find_keys");
    out.map(2);
    out.bulk(b"type");
    out.bulk(b"range");
    out.bulk(b"spec");
    out.map(3);
    out.bulk(b"lastkey");
    out.int(if k.last >= 0 {
        (k.last - k.first) as i64
    } else {
        k.last as i64
    });
    out.bulk(b"keystep");
    out.int(k.step as i64);
    out.bulk(b"limit");
    out.int(0);
}

/// One COMMAND INFO entry (10 elements), subcommands nested with their full names.
fn write_info(out: &mut Reply, full_name: &str, cmd: &Command) {
    out.array(10);
    out.bulk(full_name.as_bytes());
    out.int(cmd.arity as i64);
    let names: Vec<&str> = flags::NAMES
        .iter()
        .filter(|(bit, _)| cmd.has(*bit))
        .map(|(_, name)| *name)
        .collect();
    out.array(names.len());
    for name in names {
        out.simple(name);
    }
    out.int(cmd.keys.first as i64);
    out.int(cmd.keys.last as i64);
    out.int(cmd.keys.step as i64);
    let cats = categories(cmd);
    out.array(cats.len());
    for cat in cats {
        out.simple(&format!("@{cat}"));
    }
    out.array(0); // tips
    write_key_specs(out, cmd);
    out.array(cmd.subcommands.len());
    for sub in cmd.subcommands {
        write_info(out, &format!("{full_name}|{}", sub.name), sub);
    }
}

/// One COMMAND DOCS map; its keys come in Redis's order (`arguments` before `subcommands`).
fn write_docs(out: &mut Reply, id: CommandId) {
    let reg = registry();
    let cmd = reg.command(id);
    let args = reg.args(id);
    let has_subs = !cmd.subcommands.is_empty();
    out.map(4 + !args.is_empty() as usize + has_subs as usize);
    out.bulk(b"summary");
    out.bulk(cmd.summary.as_bytes());
    out.bulk(b"since");
    out.bulk(cmd.since.as_bytes());
    out.bulk(b"group");
    out.bulk(cmd.group.name().as_bytes());
    out.bulk(b"complexity");
    out.bulk(cmd.complexity.as_bytes());
    if !args.is_empty() {
        out.bulk(b"arguments");
        write_args(out, args);
    }
    if has_subs {
        let subs: Vec<CommandId> = cmd
            .subcommands
            .iter()
            .filter_map(|sub| reg.lookup_sub(id, sub.name.as_bytes()))
            .collect();
        out.bulk(b"subcommands");
        out.map(subs.len());
        for sub in subs {
            out.bulk(reg.full_name(sub).as_bytes());
            write_docs(out, sub);
        }
    }
}

/// COMMAND DOCS `arguments`: one map per argument, fields in Redis 7.0's order.
fn write_args(out: &mut Reply, args: &[Arg]) {
    out.array(args.len());
    for arg in args {
        let key_index = match arg.kind {
            ArgKind::Key(i) | ArgKind::PatternKey(i) => Some(i),
            _ => None,
        };
        let flags = arg.flag_names();
        let children = arg.children();
        out.map(
            2 + key_index.is_some() as usize
                + arg.token.is_some() as usize
                + arg.since.is_some() as usize
                + arg.deprecated_since.is_some() as usize
                + !flags.is_empty() as usize
                + !children.is_empty() as usize,
        );
        out.bulk(b"name");
        out.bulk(arg.name.as_bytes());
        out.bulk(b"type");
        out.bulk(arg.kind.name().as_bytes());
        if let Some(i) = key_index {
            out.bulk(b"key_spec_index");
            out.int(i64::from(i));
        }
        for (field, value) in [
            (&b"token"[..], arg.token),
            (b"since", arg.since),
            (b"deprecated_since", arg.deprecated_since),
        ] {
            if let Some(v) = value {
                out.bulk(field);
                out.bulk(v.as_bytes());
            }
        }
        if !flags.is_empty() {
            out.bulk(b"flags");
            out.array(flags.len());
            for f in flags {
                out.simple(f);
            }
        }
        if !children.is_empty() {
            out.bulk(b"arguments");
            write_args(out, children);
        }
    }
}

/// Looks a command up by its full name (`get`, `config|get`), case-insensitively.
fn lookup_full_name(name: &[u8]) -> Option<CommandId> {
    let reg = registry();
    let mut parts = name.splitn(3, |&b| b == b'|');
    let base = reg.lookup(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(base),
        (Some(sub), None) => reg.lookup_sub(base, sub),
        (Some(_), Some(_)) => None,
    }
}

/// Bare COMMAND: every command's info entry.
fn command_all(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let reg = registry();
    let all: Vec<(CommandId, &Command)> = reg.top_level().collect();
    ctx.out.array(all.len());
    for (id, cmd) in all {
        write_info(ctx.out, reg.full_name(id), cmd);
    }
    Ok(())
}

fn command_count(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let n = registry().top_level().count();
    ctx.out.int(n as i64);
    Ok(())
}

fn command_info(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() == 2 {
        return command_all(ctx, args);
    }
    let reg = registry();
    ctx.out.array(args.len() - 2);
    for name in args.iter().skip(2) {
        match lookup_full_name(name) {
            Some(id) => write_info(ctx.out, reg.full_name(id), reg.command(id)),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn command_docs(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let reg = registry();
    let ids: Vec<CommandId> = if args.len() == 2 {
        reg.top_level().map(|(id, _)| id).collect()
    } else {
        args.iter().skip(2).filter_map(lookup_full_name).collect()
    };
    ctx.out.map(ids.len());
    for id in ids {
        ctx.out.bulk(reg.full_name(id).as_bytes());
        write_docs(ctx.out, id);
    }
    Ok(())
}

/// COMMAND LIST's FILTERBY.
enum ListFilter<'a> {
    None,
    Module,
    AclCat(&'a [u8]),
    Pattern(&'a [u8]),
}

fn command_list(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let mut filter = ListFilter::None;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if !args[i].eq_ignore_ascii_case(b"filterby") || more != 2 {
            return Err(CmdError::Syntax);
        }
        let (kind, value) = (&args[i + 1], &args[i + 2]);
        filter = if kind.eq_ignore_ascii_case(b"module") {
            ListFilter::Module
        } else if kind.eq_ignore_ascii_case(b"aclcat") {
            ListFilter::AclCat(value)
        } else if kind.eq_ignore_ascii_case(b"pattern") {
            ListFilter::Pattern(value)
        } else {
            return Err(CmdError::Syntax);
        };
        i += 3;
    }
    let reg = registry();
    let names: Vec<&str> = reg
        .all
        .iter()
        .filter(|(full, cmd)| match filter {
            ListFilter::None => true,
            ListFilter::Module => false,
            ListFilter::AclCat(cat) => cmd
                .acl_categories()
                .iter()
                .any(|c| c.as_bytes().eq_ignore_ascii_case(cat)),
            ListFilter::Pattern(p) => glob_match(p, full.as_bytes(), true),
        })
        .map(|(full, _)| full.as_str())
        .collect();
    ctx.out.array(names.len());
    for name in names {
        ctx.out.bulk(name.as_bytes());
    }
    Ok(())
}

/// The target command of GETKEYS and its key positions (indices into `args`).
fn keys_of(args: &Args) -> Result<(&'static Command, Vec<usize>), CmdError> {
    let reg = registry();
    let target = args.tail(2);
    let argc = target.len();
    let id = reg.lookup(&target[0]).and_then(|id| {
        if argc >= 2 && !reg.command(id).subcommands.is_empty() {
            reg.lookup_sub(id, &target[1])
        } else {
            Some(id)
        }
    });
    let Some(id) = id else {
        return Err(CmdError::err("Invalid command specified"));
    };
    let cmd = reg.command(id);
    // Shard channels are `not_key` specs, which Redis's GETKEYS leaves out.
    if cmd.keys.first <= 0 || cmd.keys.step <= 0 || cmd.has(PUBSUB) {
        return Err(CmdError::err("The command has no key arguments"));
    }
    if !super::arity_ok(cmd.arity, argc) {
        return Err(CmdError::err(
            "Invalid number of arguments specified for command",
        ));
    }
    let mut positions = cmd.key_positions(argc);
    if reg.full_name(id) == "sort" {
        // Redis's sortGetKeys: the STORE destination is a key too (the last STORE wins).
        let mut i = 2;
        let mut store = None;
        while i < argc {
            let word = target.get(i);
            if word.eq_ignore_ascii_case(b"limit") {
                i += 2;
            } else if word.eq_ignore_ascii_case(b"get") || word.eq_ignore_ascii_case(b"by") {
                i += 1;
            } else if word.eq_ignore_ascii_case(b"store") && i + 1 < argc {
                store = Some(i + 1);
            }
            i += 1;
        }
        positions.extend(store);
    }
    if positions.is_empty() && !cmd.has(NO_MANDATORY_KEYS) {
        return Err(CmdError::err("Invalid arguments specified for command"));
    }
    Ok((cmd, positions.into_iter().map(|p| p + 2).collect()))
}

fn command_getkeys(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (_, positions) = keys_of(args)?;
    ctx.out.array(positions.len());
    for p in positions {
        ctx.out.bulk(&args[p]);
    }
    Ok(())
}

fn command_getkeysandflags(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (cmd, positions) = keys_of(args)?;
    let kf = key_flags(cmd);
    ctx.out.array(positions.len());
    for p in positions {
        ctx.out.array(2);
        ctx.out.bulk(&args[p]);
        ctx.out.array(kf.len());
        for f in kf {
            ctx.out.simple(f);
        }
    }
    Ok(())
}

const HELP: &[&str] = &[
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
];

fn command_help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    super::server::reply_help(ctx, "COMMAND", HELP);
    Ok(())
}
