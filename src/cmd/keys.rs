//! Generic key commands. (Skeleton: DEL; the family is completed in its own change.)

use super::table::{flags::*, Command, Group, KeySpec};
use super::{CmdResult, Ctx};
use crate::resp::Args;

pub static COMMANDS: &[Command] = &[Command {
    name: "del",
    arity: -2,
    flags: WRITE,
    keys: KeySpec::ALL,
    group: Group::Generic,
    summary: "Delete a key",
    since: "1.0.0",
    complexity: "O(N) where N is the number of keys that will be removed.",
    handler: del,
    subcommands: &[],
}];

fn del(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let now = ctx.now_ms;
    let mut removed = 0;
    for key in args.iter().skip(1) {
        let db = ctx.db();
        if db.lookup(key, now).is_some() && db.remove(key).is_some() {
            removed += 1;
        }
    }
    ctx.out.int(removed);
    Ok(())
}
