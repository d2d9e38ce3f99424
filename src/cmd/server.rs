//! Server commands. (Skeleton: DBSIZE, FLUSHALL.)

use super::table::{flags::*, Command, Group, KeySpec};
use super::{CmdResult, Ctx};
use crate::resp::Args;
use crate::store::Db;

pub static COMMANDS: &[Command] = &[
    Command {
        name: "dbsize",
        arity: 1,
        flags: READONLY | FAST,
        keys: KeySpec::NONE,
        group: Group::Server,
        summary: "Return the number of keys in the selected database",
        since: "1.0.0",
        complexity: "O(1)",
        handler: dbsize,
        subcommands: &[],
    },
    Command {
        name: "flushall",
        arity: -1,
        flags: WRITE | DANGEROUS,
        keys: KeySpec::NONE,
        group: Group::Server,
        summary: "Remove all keys from all databases",
        since: "1.0.0",
        complexity: "O(N) where N is the total number of keys in all databases",
        handler: flushall,
        subcommands: &[],
    },
];

fn dbsize(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let n = ctx.db().len();
    ctx.out.int(n as i64);
    Ok(())
}

fn flushall(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    for db in ctx.srv.dbs.iter_mut() {
        *db = Db::new();
    }
    ctx.out.ok();
    Ok(())
}
