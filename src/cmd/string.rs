//! String commands. (Skeleton: GET and SET; the family is completed in its own change.)

use super::table::{flags::*, Command, Group, KeySpec};
use super::{CmdError, CmdResult, Ctx};
use crate::resp::Args;
use crate::store::Value;

pub static COMMANDS: &[Command] = &[
    Command {
        name: "get",
        arity: 2,
        flags: READONLY | FAST,
        keys: KeySpec::ONE,
        group: Group::String,
        summary: "Get the value of a key",
        since: "1.0.0",
        complexity: "O(1)",
        handler: get,
        subcommands: &[],
    },
    Command {
        name: "set",
        arity: -3,
        flags: WRITE | DENYOOM,
        keys: KeySpec::ONE,
        group: Group::String,
        summary: "Set the string value of a key",
        since: "1.0.0",
        complexity: "O(1)",
        handler: set,
        subcommands: &[],
    },
];

fn get(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(slot) = ctx.lookup_read(&args[1]) else {
        ctx.out.null();
        return Ok(());
    };
    let (db, out) = ctx.db_out();
    let Some(entry) = db.entry(slot) else {
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

fn set(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() != 3 {
        return Err(CmdError::Syntax);
    }
    let clock = ctx.clock;
    ctx.db().set(&args[1], Value::from_bytes(&args[2]), false, clock);
    ctx.out.ok();
    Ok(())
}
