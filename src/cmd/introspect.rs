//! COMMAND and its subcommands: the command table described to clients (Redis 7.0 layout).
//!
//! An info entry is `[name, arity, [flags…], first key, last key, step, [@categories…],
//! [tips…], [key specs…], [subcommand entries…]]`; a docs entry is a map of summary, since,
//! group, complexity, the arguments (see [`super::argspec`]) and, for containers, subcommands.

use super::argspec::{Arg, Kind as ArgKind};
use super::table::{
    acl, doc_flags, flags, flags::*, key_flags, names, registry, tips::*, BeginSearch, Command,
    CommandId, CommandNames, FindKeys, GetKeys, Group, KeySpec,
};
use super::{CmdError, CmdResult, Ctx};
use crate::resp::{Args, Reply};
use crate::util::glob::glob_match;

const SUBCOMMANDS: &[Command] = &[
    Command::new("count", 2, command_count)
        .group(Group::Server)
        .flags(LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Get total number of Redis commands")
        .since("2.8.13")
        .complexity("O(1)"),
    Command::new("docs", -2, command_docs)
        .group(Group::Server)
        .flags(LOADING | STALE)
        .acl(acl::CONNECTION)
        .tips(&[NONDETERMINISTIC_OUTPUT_ORDER])
        .summary("Get array of specific Redis command documentation")
        .since("7.0.0")
        .complexity("O(N) where N is the number of commands to look up")
        .args("?command-name..."),
    Command::new("getkeys", -4, command_getkeys)
        .group(Group::Server)
        .flags(LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Extract keys given a full Redis command")
        .since("2.8.13")
        .complexity("O(N) where N is the number of arguments to the command"),
    Command::new("getkeysandflags", -4, command_getkeysandflags)
        .group(Group::Server)
        .flags(LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Extract keys and access flags given a full Redis command")
        .since("7.0.0")
        .complexity("O(N) where N is the number of arguments to the command"),
    Command::new("help", 2, command_help)
        .group(Group::Server)
        .flags(LOADING | STALE)
        .acl(acl::CONNECTION)
        .summary("Show helpful text about the different subcommands")
        .since("5.0.0")
        .complexity("O(1)"),
    Command::new("info", -2, command_info)
        .group(Group::Server)
        .flags(LOADING | STALE)
        .acl(acl::CONNECTION)
        .tips(&[NONDETERMINISTIC_OUTPUT_ORDER])
        .summary("Get array of specific Redis command details, or all when no argument is given.")
        .since("2.8.13")
        .complexity("O(N) where N is the number of commands to look up")
        .history(&[(
            "7.0.0",
            "Allowed to be called with no argument to get info on all commands.",
        )])
        .args("?command-name..."),
    Command::new("list", -2, command_list)
        .group(Group::Server)
        .flags(LOADING | STALE)
        .acl(acl::CONNECTION)
        .tips(&[NONDETERMINISTIC_OUTPUT_ORDER])
        .summary("Get an array of Redis command names")
        .since("7.0.0")
        .complexity("O(N) where N is the total number of Redis commands")
        .args("?FILTERBY=filterby(MODULE=module-name|ACLCAT=category|PATTERN=pattern:pattern)"),
];

pub static COMMANDS: &[Command] = &[Command::new("command", -1, command_all)
    .group(Group::Server)
    .flags(LOADING | STALE)
    .acl(acl::CONNECTION)
    .tips(&[NONDETERMINISTIC_OUTPUT_ORDER])
    .summary("Get array of Redis command details")
    .since("2.8.13")
    .complexity("O(N) where N is the total number of Redis commands")
    .subcommands(SUBCOMMANDS)];

/// A command's ACL categories (without `@`), in Redis's order.
pub fn categories(cmd: &Command) -> impl Iterator<Item = &'static str> + Clone {
    let cats = cmd.acl_categories();
    acl::NAMES
        .iter()
        .filter(move |(bit, _)| cats & bit != 0)
        .map(|(_, name)| *name)
}

/// Names of the set bits of `bits`, in the order of `names`.
fn names_of(
    bits: u32,
    names: &'static [(u32, &'static str)],
) -> impl Iterator<Item = &'static str> + Clone {
    names
        .iter()
        .filter(move |(bit, _)| bits & bit != 0)
        .map(|(_, name)| *name)
}

/// A set of status replies (Redis's `addReplyCommandFlags` & co.).
fn write_status_set<'a>(out: &mut Reply, items: impl Iterator<Item = &'a str> + Clone) {
    out.set(items.clone().count());
    for item in items {
        out.simple(item);
    }
}

fn write_key_spec(out: &mut Reply, spec: &KeySpec) {
    out.map(3 + !spec.notes.is_empty() as usize);
    if !spec.notes.is_empty() {
        out.bulk(b"notes");
        out.bulk(spec.notes.as_bytes());
    }
    out.bulk(b"flags");
    write_status_set(out, names_of(spec.flags, key_flags::NAMES));
    out.bulk(b"begin_search");
    out.map(2);
    out.bulk(b"type");
    match spec.begin {
        BeginSearch::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
        BeginSearch::Index(pos) => {
            out.bulk(b"index");
            out.bulk(b"spec");
            out.map(1);
            out.bulk(b"index");
            out.int(i64::from(pos));
        }
        BeginSearch::Keyword { keyword, startfrom } => {
            out.bulk(b"keyword");
            out.bulk(b"spec");
            out.map(2);
            out.bulk(b"keyword");
            out.bulk(keyword.as_bytes());
            out.bulk(b"startfrom");
            out.int(i64::from(startfrom));
        }
    }
    out.bulk(b"find_keys");
    out.map(2);
    out.bulk(b"type");
    match spec.find {
        FindKeys::Unknown => {
            out.bulk(b"unknown");
            out.bulk(b"spec");
            out.map(0);
        }
        FindKeys::Range {
            lastkey,
            keystep,
            limit,
        } => {
            out.bulk(b"range");
            out.bulk(b"spec");
            out.map(3);
            for (field, v) in [
                (&b"lastkey"[..], lastkey),
                (b"keystep", keystep),
                (b"limit", limit),
            ] {
                out.bulk(field);
                out.int(i64::from(v));
            }
        }
        FindKeys::Keynum {
            keynumidx,
            firstkey,
            keystep,
        } => {
            out.bulk(b"keynum");
            out.bulk(b"spec");
            out.map(3);
            for (field, v) in [
                (&b"keynumidx"[..], keynumidx),
                (b"firstkey", firstkey),
                (b"keystep", keystep),
            ] {
                out.bulk(field);
                out.int(i64::from(v));
            }
        }
    }
}

/// One COMMAND INFO entry (10 elements), subcommands nested with their full names.
fn write_info(out: &mut Reply, full_name: &str, cmd: &Command) {
    out.array(10);
    out.bulk(full_name.as_bytes());
    out.int(i64::from(cmd.arity));
    write_status_set(out, names_of(cmd.info_flags(), flags::NAMES));
    let (first, last, step) = cmd.legacy_range();
    out.int(i64::from(first));
    out.int(i64::from(last));
    out.int(i64::from(step));
    let cats = categories(cmd);
    out.set(cats.clone().count());
    for cat in cats {
        out.simple(&format!("@{cat}"));
    }
    out.set(cmd.tips.len());
    for tip in cmd.tips {
        out.bulk(tip.as_bytes());
    }
    out.set(cmd.key_specs.len());
    for spec in cmd.key_specs {
        write_key_spec(out, spec);
    }
    if cmd.subcommands.is_empty() {
        out.set(0);
    } else {
        out.array(cmd.subcommands.len());
        for sub in cmd.subcommands {
            write_info(out, &format!("{full_name}|{}", sub.name), sub);
        }
    }
}

/// One COMMAND DOCS map; its keys come in Redis's order (`arguments` before `subcommands`).
fn write_docs(out: &mut Reply, id: CommandId) {
    let reg = registry();
    let cmd = reg.command(id);
    let args = reg.args(id);
    let has_subs = !cmd.subcommands.is_empty();
    out.map(
        3 + !cmd.complexity.is_empty() as usize
            + (cmd.doc_flags != 0) as usize
            + 2 * cmd.deprecated.is_some() as usize
            + !cmd.history.is_empty() as usize
            + !args.is_empty() as usize
            + has_subs as usize,
    );
    out.bulk(b"summary");
    out.bulk(cmd.summary.as_bytes());
    out.bulk(b"since");
    out.bulk(cmd.since.as_bytes());
    out.bulk(b"group");
    out.bulk(cmd.group.name().as_bytes());
    // Redis omits it for the commands that document none (MONITOR).
    if !cmd.complexity.is_empty() {
        out.bulk(b"complexity");
        out.bulk(cmd.complexity.as_bytes());
    }
    if cmd.doc_flags != 0 {
        out.bulk(b"doc_flags");
        write_status_set(out, names_of(cmd.doc_flags, doc_flags::NAMES));
    }
    if let Some((since, replaced_by)) = cmd.deprecated {
        out.bulk(b"deprecated_since");
        out.bulk(since.as_bytes());
        out.bulk(b"replaced_by");
        out.bulk(replaced_by.as_bytes());
    }
    if !cmd.history.is_empty() {
        out.bulk(b"history");
        out.set(cmd.history.len());
        for (version, change) in cmd.history {
            out.array(2);
            out.bulk(version.as_bytes());
            out.bulk(change.as_bytes());
        }
    }
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
            write_status_set(out, flags.iter().copied());
        }
        if !children.is_empty() {
            out.bulk(b"arguments");
            write_args(out, children);
        }
    }
}

/// Looks a command up by its full name (`get`, `config|get`), case-insensitively.
fn lookup_full_name(names: &CommandNames, name: &[u8]) -> Option<CommandId> {
    let reg = registry();
    let mut parts = name.splitn(3, |&b| b == b'|');
    let base = names.lookup(parts.next()?)?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(base),
        (Some(sub), None) => reg.lookup_sub(base, sub),
        (Some(_), Some(_)) => None,
    }
}

/// Bare COMMAND: every command's info entry.
fn command_all(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let reg = registry();
    let names = names();
    let all: Vec<(CommandId, &Command)> = reg
        .top_level()
        .filter(|&(id, _)| names.listed(id))
        .collect();
    ctx.out.array(all.len());
    for (id, cmd) in all {
        write_info(ctx.out, reg.full_name(id), cmd);
    }
    Ok(())
}

fn command_count(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let names = names();
    let n = registry()
        .top_level()
        .filter(|&(id, _)| names.listed(id))
        .count();
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
        match lookup_full_name(names(), name) {
            Some(id) => write_info(ctx.out, reg.full_name(id), reg.command(id)),
            None => ctx.out.null(),
        }
    }
    Ok(())
}

fn command_docs(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let reg = registry();
    let names = names();
    let ids: Vec<CommandId> = if args.len() == 2 {
        reg.top_level()
            .map(|(id, _)| id)
            .filter(|&id| names.listed(id))
            .collect()
    } else {
        args.iter()
            .skip(2)
            .filter_map(|name| lookup_full_name(names, name))
            .collect()
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
    let in_force = names();
    let names: Vec<&str> = reg
        .all
        .iter()
        .enumerate()
        .filter(|&(id, _)| in_force.listed(id))
        .map(|(_, entry)| entry)
        .filter(|(full, cmd)| match filter {
            ListFilter::None => true,
            ListFilter::Module => false,
            ListFilter::AclCat(cat) => {
                acl::by_name(cat).is_some_and(|bit| cmd.acl_categories() & bit != 0)
            }
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

/// A key COMMAND GETKEYS found: its index in the target command's arguments, and how the
/// command uses it ([`key_flags`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FoundKey {
    pub pos: usize,
    pub flags: u32,
}

/// The keys of the call `argv` (name first) to `cmd`, as Redis's
/// `getKeysFromCommandWithSpecs` finds them: from the key specs when they are reliable and
/// complete, else from the command's getkeys procedure. Empty when there are none or the
/// arguments are malformed.
pub fn command_keys(cmd: &Command, argv: &[&[u8]]) -> Vec<FoundKey> {
    let named = cmd
        .key_specs
        .iter()
        .any(|s| s.flags & key_flags::NOT_KEY == 0);
    let variable = cmd
        .key_specs
        .iter()
        .any(|s| s.flags & key_flags::VARIABLE_FLAGS != 0);
    if named && !variable {
        if let Some(keys) = keys_from_specs(cmd.key_specs, argv) {
            return keys;
        }
    }
    keys_from_proc(cmd.getkeys, argv)
}

/// Redis's `getKeysUsingKeySpecs`: `None` when a spec cannot be followed (unknown, incomplete,
/// a bad key count, keys past the end).
fn keys_from_specs(specs: &[KeySpec], argv: &[&[u8]]) -> Option<Vec<FoundKey>> {
    let argc = i64::try_from(argv.len()).ok()?;
    let mut keys = Vec::new();
    for spec in specs {
        if spec.flags & key_flags::NOT_KEY != 0 {
            continue;
        }
        let first: i64 = match spec.begin {
            BeginSearch::Index(pos) => i64::from(pos),
            BeginSearch::Keyword { keyword, startfrom } => {
                let startfrom = i64::from(startfrom);
                let (start, end) = if startfrom > 0 {
                    (startfrom, argc - 1)
                } else {
                    (argc + startfrom, 1)
                };
                // Like Redis, the search stops before `end` (no key could follow a keyword
                // there).
                let mut found = 0;
                let mut i = start;
                while i != end && (1..argc).contains(&i) {
                    if argv[i as usize].eq_ignore_ascii_case(keyword.as_bytes()) {
                        found = i + 1;
                        break;
                    }
                    i += if start <= end { 1 } else { -1 };
                }
                if found == 0 {
                    continue;
                }
                found
            }
            BeginSearch::Unknown => return None,
        };
        let (first, last, step) = match spec.find {
            FindKeys::Range {
                lastkey,
                keystep,
                limit,
            } => {
                let lastkey = i64::from(lastkey);
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit == 0 {
                    argc + lastkey
                } else {
                    first + ((argc - first) / i64::from(limit) + lastkey)
                };
                (first, last, i64::from(keystep))
            }
            FindKeys::Keynum {
                keynumidx,
                firstkey,
                keystep,
            } => {
                let at = usize::try_from(first + i64::from(keynumidx)).ok()?;
                let numkeys = crate::util::num::parse_i64(argv.get(at)?)?;
                if numkeys < 0 {
                    return None;
                }
                let first = first + i64::from(firstkey);
                // Redis adds the count as a C int.
                let last = first + i64::from(numkeys as i32) - 1;
                (first, last, i64::from(keystep))
            }
            FindKeys::Unknown => return None,
        };
        if last >= argc || last < first || first >= argc || step <= 0 {
            return None;
        }
        let mut i = first;
        while i <= last {
            keys.push(FoundKey {
                pos: i as usize,
                flags: spec.flags,
            });
            i += step;
        }
        if spec.flags & key_flags::INCOMPLETE != 0 {
            return None;
        }
    }
    Some(keys)
}

/// C's `atoi` as glibc has it (`(int)strtol(s, NULL, 10)`): leading blanks, a sign, digits up
/// to the first non-digit, clamped to a long and then truncated to an int.
fn atoi(arg: &[u8]) -> i32 {
    let mut rest = arg;
    while let [b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c', tail @ ..] = rest {
        rest = tail;
    }
    let negative = rest.first() == Some(&b'-');
    if matches!(rest.first(), Some(b'-' | b'+')) {
        rest = &rest[1..];
    }
    let mut n: i64 = 0;
    for &b in rest.iter().take_while(|b| b.is_ascii_digit()) {
        let d = i64::from(b - b'0');
        n = if negative {
            n.saturating_mul(10).saturating_sub(d)
        } else {
            n.saturating_mul(10).saturating_add(d)
        };
    }
    n as i32
}

/// Redis's native getkeys procedures (`genericGetKeys`, `sortGetKeys`, `setGetKeys`, …).
fn keys_from_proc(proc: GetKeys, argv: &[&[u8]]) -> Vec<FoundKey> {
    use key_flags::*;
    let argc = argv.len();
    let key = |pos: usize, flags: u32| FoundKey { pos, flags };
    match proc {
        GetKeys::Specs => Vec::new(),
        GetKeys::NumKeys {
            store,
            count,
            first,
        } => {
            let (store, count, first) =
                (usize::from(store), usize::from(count), usize::from(first));
            let Some(num) = argv.get(count).map(|a| atoi(a)) else {
                return Vec::new();
            };
            let Ok(num) = usize::try_from(num) else {
                return Vec::new();
            };
            if num < 1 || num > argc.saturating_sub(first) {
                return Vec::new();
            }
            let mut keys: Vec<FoundKey> = (first..first + num).map(|p| key(p, 0)).collect();
            if store != 0 {
                keys.push(key(store, 0));
            }
            keys
        }
        GetKeys::Sort => {
            let mut keys = vec![key(1, RO | ACCESS)];
            let mut store = None;
            let mut i = 2;
            while i < argc {
                let word = argv[i];
                if word.eq_ignore_ascii_case(b"limit") {
                    i += 2;
                } else if word.eq_ignore_ascii_case(b"store") && i + 1 < argc {
                    // The last STORE wins, as in SORT itself.
                    store = Some(key(i + 1, OW | UPDATE));
                } else if word.eq_ignore_ascii_case(b"get") || word.eq_ignore_ascii_case(b"by") {
                    i += 1;
                }
                i += 1;
            }
            keys.extend(store);
            keys
        }
        GetKeys::SortRo => vec![key(1, RO | ACCESS)],
        GetKeys::Set => {
            // Redis compares C strings: "get" followed by a NUL matches too.
            let is_get = |a: &[u8]| {
                a.len() >= 3
                    && a[..3].eq_ignore_ascii_case(b"get")
                    && a.get(3).is_none_or(|&b| b == 0)
            };
            let flags = if argv.iter().skip(3).any(|a| is_get(a)) {
                RW | ACCESS | UPDATE
            } else {
                OW | UPDATE
            };
            vec![key(1, flags)]
        }
    }
}

/// The keys of the command GETKEYS was given (`args[2..]`), with Redis's errors.
fn keys_of(names: &CommandNames, args: &Args) -> Result<Vec<FoundKey>, CmdError> {
    let reg = registry();
    let argv: Vec<&[u8]> = args.iter().skip(2).collect();
    let id = names.lookup(argv[0]).and_then(|id| {
        if argv.len() >= 2 && !reg.command(id).subcommands.is_empty() {
            reg.lookup_sub(id, argv[1])
        } else {
            Some(id)
        }
    });
    let Some(id) = id else {
        return Err(CmdError::err("Invalid command specified"));
    };
    let cmd = reg.command(id);
    if !cmd.has_keys() {
        return Err(CmdError::err("The command has no key arguments"));
    }
    if !super::arity_ok(cmd.arity, argv.len()) {
        return Err(CmdError::err(
            "Invalid number of arguments specified for command",
        ));
    }
    let keys = command_keys(cmd, &argv);
    if keys.is_empty() && !cmd.has(NO_MANDATORY_KEYS) {
        return Err(CmdError::err("Invalid arguments specified for command"));
    }
    Ok(keys)
}

fn command_getkeys(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let keys = keys_of(names(), args)?;
    ctx.out.array(keys.len());
    for k in keys {
        ctx.out.bulk(&args[k.pos + 2]);
    }
    Ok(())
}

fn command_getkeysandflags(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let keys = keys_of(names(), args)?;
    ctx.out.array(keys.len());
    for k in keys {
        ctx.out.array(2);
        ctx.out.bulk(&args[k.pos + 2]);
        write_status_set(ctx.out, names_of(k.flags, key_flags::NAMES));
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

#[cfg(test)]
mod tests {
    use super::*;
    use key_flags::*;

    fn positions(specs: &[KeySpec], call: &str) -> Option<Vec<usize>> {
        let argv: Vec<&[u8]> = call.split(' ').map(str::as_bytes).collect();
        keys_from_specs(specs, &argv).map(|keys| keys.iter().map(|k| k.pos).collect())
    }

    #[test]
    fn keyword_searches_forwards_and_backwards() {
        // GEORADIUS … STORE key: searched from the start, skipping the last argument.
        let store = [KeySpec::keyword("STORE", 6).flags(OW | UPDATE)];
        assert_eq!(positions(&store, "g k 1 2 3 m STORE d"), Some(vec![7]));
        assert_eq!(positions(&store, "g k 1 2 3 m ASC"), Some(vec![]));
        assert_eq!(positions(&store, "g k 1 2 3 m x STORE"), Some(vec![]));
        // MIGRATE … KEYS k…: searched backwards from the end.
        let keys = [KeySpec::keyword("KEYS", -2).range(-1, 1, 0).flags(RW)];
        assert_eq!(positions(&keys, "m h p x 0 5 KEYS a b"), Some(vec![7, 8]));
        assert_eq!(positions(&keys, "m h p x 0 5 keys a"), Some(vec![7]));
    }

    #[test]
    fn range_limit_takes_a_share_of_the_rest() {
        // XREAD … STREAMS k1 k2 id1 id2: half of what follows STREAMS.
        let streams = [KeySpec::keyword("STREAMS", 1).range(-1, 1, 2).flags(RO)];
        assert_eq!(
            positions(&streams, "x COUNT 2 STREAMS a b 0 0"),
            Some(vec![4, 5])
        );
    }

    #[test]
    fn keynum_counts_are_checked() {
        let spec = [KeySpec::at(1).keynum(0, 1, 1).flags(RW)];
        assert_eq!(positions(&spec, "l 2 a b LEFT"), Some(vec![2, 3]));
        assert_eq!(positions(&spec, "l 0 a"), None);
        assert_eq!(positions(&spec, "l -1 a"), None);
        assert_eq!(positions(&spec, "l 3 a b"), None);
        assert_eq!(positions(&spec, "l x a"), None);
        // Redis adds the count as a C int: 2^32 + 1 is 1.
        assert_eq!(positions(&spec, "l 4294967297 a"), Some(vec![2]));
        assert_eq!(positions(&spec, "l"), None);
        let unknown = [KeySpec::unknown().flags(RO)];
        assert_eq!(positions(&unknown, "s k"), None);
        let incomplete = [KeySpec::at(1).flags(RO | INCOMPLETE)];
        assert_eq!(positions(&incomplete, "s k"), None);
    }

    #[test]
    fn atoi_is_glibc_s() {
        assert_eq!(atoi(b" 12x"), 12);
        assert_eq!(atoi(b"-3"), -3);
        assert_eq!(atoi(b"x"), 0);
        assert_eq!(atoi(b"+7"), 7);
        assert_eq!(atoi(b"4294967298"), 2);
        assert_eq!(atoi(b"99999999999999999999"), -1);
    }
}
