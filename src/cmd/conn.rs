//! Connection commands. (Skeleton: PING, ECHO, QUIT, SELECT.)

use super::table::{flags::*, Command, Group, KeySpec};
use super::{CmdError, CmdResult, Ctx};
use crate::resp::Args;

pub static COMMANDS: &[Command] = &[
    Command {
        name: "ping",
        arity: -1,
        flags: FAST,
        keys: KeySpec::NONE,
        group: Group::Connection,
        summary: "Ping the server",
        since: "1.0.0",
        complexity: "O(1)",
        handler: ping,
        subcommands: &[],
    },
    Command {
        name: "echo",
        arity: 2,
        flags: FAST,
        keys: KeySpec::NONE,
        group: Group::Connection,
        summary: "Echo the given string",
        since: "1.0.0",
        complexity: "O(1)",
        handler: echo,
        subcommands: &[],
    },
    Command {
        name: "quit",
        arity: -1,
        flags: ALLOW_BUSY | NOSCRIPT | LOADING | STALE | FAST | NO_AUTH,
        keys: KeySpec::NONE,
        group: Group::Connection,
        summary: "Close the connection",
        since: "1.0.0",
        complexity: "O(1)",
        handler: quit,
        subcommands: &[],
    },
    Command {
        name: "select",
        arity: 2,
        flags: LOADING | STALE | FAST,
        keys: KeySpec::NONE,
        group: Group::Connection,
        summary: "Change the selected database for the current connection",
        since: "1.0.0",
        complexity: "O(1)",
        handler: select,
        subcommands: &[],
    },
];

fn ping(ctx: &mut Ctx, args: &Args) -> CmdResult {
    match args.len() {
        1 => ctx.out.simple("PONG"),
        2 => ctx.out.bulk(&args[1]),
        _ => return Err(CmdError::err("wrong number of arguments for 'ping' command")),
    }
    Ok(())
}

fn echo(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ctx.out.bulk(&args[1]);
    Ok(())
}

fn quit(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.out.ok();
    ctx.client().close_after_reply = true;
    Ok(())
}

fn select(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let idx = super::arg_i64(&args[1])
        .map_err(|_| CmdError::from("ERR value is not an integer or out of range"))?;
    if idx < 0 || idx as usize >= ctx.srv.dbs.len() {
        return Err("ERR DB index is out of range".into());
    }
    ctx.client().db = idx as usize;
    ctx.out.ok();
    Ok(())
}
