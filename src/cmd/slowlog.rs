//! SLOWLOG: the commands that took longer than `slowlog-log-slower-than` microseconds.
//!
//! The dispatcher offers every finished command to [`record`] (except those flagged
//! `skip_slowlog`, such as EXEC, whose queued commands are offered one by one). Entries keep
//! Redis's shape: at most 32 arguments (the last one then says how many more there were),
//! each cut to 128 bytes with a note of how many more there were, and AUTH's arguments
//! redacted.

use crate::state::slowlog::Entry;

use super::server::{reply_help, subcommand_syntax_error};
use super::table::{flags::*, policy::REDACT_ARGS, registry, tips::*, Command, CommandId, Group};
use super::{CmdError, CmdResult, Ctx};
use crate::resp::Args;
use crate::state::Server;

/// Redis's SLOWLOG_ENTRY_MAX_ARGC and SLOWLOG_ENTRY_MAX_STRING.
const MAX_ARGS: usize = 32;
const MAX_ARG_BYTES: usize = 128;

pub static COMMANDS: &[Command] = &[Command::new("slowlog", -2, container)
    .group(Group::Server)
    .summary("A container for slow log commands")
    .since("2.2.12")
    .complexity("Depends on subcommand.")
    .subcommands(SUBCOMMANDS)];

/// In the order Redis 7.0 lists them in COMMAND INFO / DOCS.
static SUBCOMMANDS: &[Command] = &[
    Command::new("help", 2, help)
        .group(Group::Server)
        .flags(LOADING | STALE)
        .summary("Show helpful text about the different subcommands")
        .since("6.2.0")
        .complexity("O(1)"),
    Command::new("reset", 2, reset)
        .group(Group::Server)
        .flags(ADMIN | LOADING | STALE)
        .tips(&[REQUEST_ALL_NODES, RESPONSE_ALL_SUCCEEDED])
        .summary("Clear all entries from the slow log")
        .since("2.2.12")
        .complexity("O(N) where N is the number of entries in the slowlog"),
    Command::new("len", 2, len)
        .group(Group::Server)
        .flags(ADMIN | LOADING | STALE)
        .tips(&[REQUEST_ALL_NODES, RESPONSE_AGG_SUM, NONDETERMINISTIC_OUTPUT])
        .summary("Get the slow log's length")
        .since("2.2.12")
        .complexity("O(1)"),
    Command::new("get", -2, get)
        .group(Group::Server)
        .flags(ADMIN | LOADING | STALE)
        .tips(&[REQUEST_ALL_NODES, NONDETERMINISTIC_OUTPUT])
        .summary("Get the slow log's entries")
        .since("2.2.12")
        .complexity("O(N) where N is the number of entries returned")
        .history(&[(
            "4.0.0",
            "Added client IP address, port and name to the reply.",
        )])
        .args("?count:integer"),
];

const HELP: &[&str] = &[
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
];

/// The positions of the arguments Redis 7.0 logs as `(redacted)`: every argument of a
/// REDACT_ARGS command (AUTH), the user and password of HELLO's AUTH option, and the value of
/// a sensitive setting (`requirepass`) in CONFIG SET. Options are walked as the commands parse
/// them, so nothing after the first one Redis would stop at is hidden.
pub(crate) fn secret_args(id: CommandId, args: &Args) -> Vec<usize> {
    let reg = registry();
    if reg.command(id).has_policy(REDACT_ARGS) {
        return (1..args.len()).collect();
    }
    let mut secret = Vec::new();
    match reg.full_name(id) {
        // Everything after SETUSER: the user name and its rules (passwords), as Redis.
        "acl|setuser" => secret.extend(2..args.len()),
        "hello" if matches!(args.get(1), b"2" | b"3") => {
            let mut j = 2;
            while j < args.len() {
                let more = args.len() - 1 - j;
                if args[j].eq_ignore_ascii_case(b"auth") && more >= 2 {
                    secret.extend([j + 1, j + 2]);
                    j += 3;
                } else if args[j].eq_ignore_ascii_case(b"setname") && more >= 1 {
                    j += 2;
                } else {
                    break;
                }
            }
        }
        "config|set" if args.len().is_multiple_of(2) => {
            for j in (2..args.len()).step_by(2) {
                match crate::config::lookup(&args[j]) {
                    Some(("requirepass", _)) => secret.push(j + 1),
                    Some(_) => {}
                    None => break,
                }
            }
        }
        _ => {}
    }
    secret
}

/// Offers a finished command to the log.
#[inline]
pub fn record(srv: &mut Server, client_key: usize, id: CommandId, args: &Args, micros: u64) {
    let threshold = srv.config.slowlog_log_slower_than;
    if threshold < 0 || srv.config.slowlog_max_len == 0 || (micros as i128) < i128::from(threshold)
    {
        return;
    }
    add_entry(srv, client_key, id, args, micros);
}

/// Adds a command that ran for `micros` to the log (its arguments redacted and shortened as
/// Redis logs them), dropping the oldest entries past `slowlog-max-len`.
fn add_entry(srv: &mut Server, client_key: usize, id: CommandId, args: &Args, micros: u64) {
    let max_len = srv.config.slowlog_max_len;
    let Some(client) = srv.clients.get(client_key) else {
        return;
    };
    let redacted = secret_args(id, args);
    let kept = args.len().min(MAX_ARGS);
    let mut logged = Vec::with_capacity(kept);
    for (i, arg) in args.iter().take(kept).enumerate() {
        if kept != args.len() && i == kept - 1 {
            logged.push(format!("... ({} more arguments)", args.len() - kept + 1).into_bytes());
        } else if redacted.contains(&i) {
            logged.push(b"(redacted)".to_vec());
        } else if arg.len() > MAX_ARG_BYTES {
            let mut cut = arg[..MAX_ARG_BYTES].to_vec();
            cut.extend_from_slice(
                format!("... ({} more bytes)", arg.len() - MAX_ARG_BYTES).as_bytes(),
            );
            logged.push(cut);
        } else {
            logged.push(arg.to_vec());
        }
    }
    let entry = Entry {
        id: srv.slowlog.next_id,
        unix_secs: crate::state::unix_ms() / 1000,
        micros,
        args: logged,
        peer: client.addr.clone(),
        name: client.name.clone().unwrap_or_default(),
    };
    let log = &mut srv.slowlog;
    log.next_id += 1;
    log.entries.push_front(entry);
    let keep = usize::try_from(max_len).unwrap_or(usize::MAX);
    log.entries.truncate(keep);
}

fn container(_ctx: &mut Ctx, _args: &Args) -> CmdResult {
    Err(CmdError::err(
        "wrong number of arguments for 'slowlog' command",
    ))
}

fn help(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    reply_help(ctx, "SLOWLOG", HELP);
    Ok(())
}

fn reset(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.srv.slowlog.entries.clear();
    ctx.out.ok();
    Ok(())
}

fn len(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let n = ctx.srv.slowlog.entries.len();
    ctx.out.int(n as i64);
    Ok(())
}

fn get(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(subcommand_syntax_error(args, "SLOWLOG"));
    }
    let mut count = 10usize;
    if args.len() == 3 {
        let n = crate::util::num::parse_i64(&args[2])
            .filter(|&n| n >= -1)
            .ok_or_else(|| CmdError::err("count should be greater than or equal to -1"))?;
        count = if n == -1 { usize::MAX } else { n as usize };
    }
    let log = &ctx.srv.slowlog;
    let n = log.entries.len().min(count);
    ctx.out.array(n);
    for e in log.entries.iter().take(n) {
        ctx.out.array(6);
        ctx.out.int(e.id as i64);
        ctx.out.int(e.unix_secs);
        ctx.out.int(e.micros as i64);
        ctx.out.array(e.args.len());
        for a in &e.args {
            ctx.out.bulk(a);
        }
        ctx.out.bulk(e.peer.as_bytes());
        ctx.out.bulk(&e.name);
    }
    Ok(())
}
