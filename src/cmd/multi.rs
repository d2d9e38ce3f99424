//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.
//!
//! Between MULTI and EXEC a client's commands are checked as usual (unknown command, arity,
//! OOM, MISCONF, commands not allowed in a transaction) and then queued instead of run; a
//! command refused while queueing marks the transaction aborted, and EXEC then answers
//! EXECABORT. EXEC runs the queued commands back to back, with nothing else in between (the
//! reactor runs one command at a time), and replies with an array of their replies. Blocking
//! commands inside EXEC answer at once, as if they had timed out (see `state/blocking.rs`).
//! Clients blocked on keys the transaction filled are served after EXEC as a whole, as Redis
//! serves them after the command that made the keys ready.
//!
//! WATCH state lives in `state/watch.rs`.

use crate::state::multi::{Queued, Transaction};

use super::table::{
    acl, flags::*, key_flags::*, policy::*, registry, Command, CommandId, Group, KeySpec,
};
use super::{CmdError, CmdResult, Ctx};
use crate::resp::{Args, Reply};
use crate::state::Server;

pub static COMMANDS: &[Command] = &[
    Command::new("multi", 1, multi)
        .group(Group::Transactions)
        .policy(NOT_QUEUED)
        .flags(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY)
        .acl(acl::TRANSACTION)
        .summary("Mark the start of a transaction block")
        .since("1.2.0")
        .complexity("O(1)"),
    Command::new("exec", 1, exec)
        .group(Group::Transactions)
        .policy(NOT_QUEUED | OOM_OK_IN_MULTI | EXEC)
        .flags(NOSCRIPT | LOADING | STALE | SKIP_SLOWLOG)
        .acl(acl::TRANSACTION)
        .summary("Execute all commands issued after MULTI")
        .since("1.2.0")
        .complexity("Depends on commands in the transaction"),
    Command::new("discard", 1, discard)
        .group(Group::Transactions)
        .policy(NOT_QUEUED | OOM_OK_IN_MULTI)
        .flags(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY)
        .acl(acl::TRANSACTION)
        .summary("Discard all commands issued after MULTI")
        .since("2.0.0")
        .complexity("O(N), when N is the number of queued commands"),
    Command::new("watch", -2, watch)
        .group(Group::Transactions)
        .policy(NOT_QUEUED)
        .flags(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY)
        .acl(acl::TRANSACTION)
        .keys(&[KeySpec::at(1).range(-1, 1, 0).flags(RO)])
        .summary("Watch the given keys to determine execution of the MULTI/EXEC block")
        .since("2.2.0")
        .complexity("O(1) for every key.")
        .args("key:key..."),
    Command::new("unwatch", 1, unwatch)
        .group(Group::Transactions)
        .flags(NOSCRIPT | LOADING | STALE | FAST | ALLOW_BUSY)
        .acl(acl::TRANSACTION)
        .summary("Forget about all watched keys")
        .since("2.2.0")
        .complexity("O(1)"),
];

/// Whether a command queued in `tx` is one of `names` (full names: CLIENT PAUSE WRITE holds an
/// EXEC that would run a may-replicate command).
pub fn queues_any_of(tx: &Transaction, names: &[&str]) -> bool {
    let reg = registry();
    tx.queued
        .iter()
        .any(|q| names.contains(&reg.full_name(q.id)))
}

/// Marks `client`'s transaction (if it has one) as aborted: a command was refused.
pub fn flag_aborted(srv: &mut Server, client: usize) {
    if let Some(tx) = srv.clients[client].multi.as_mut() {
        tx.aborted = true;
    }
}

/// Queues a checked command in `client`'s transaction and answers `+QUEUED`.
pub fn queue(srv: &mut Server, client: usize, id: CommandId, args: &Args, out: &mut Reply) {
    out.simple("QUEUED");
    let c = &srv.clients[client];
    if c.dirty_cas || c.multi.as_ref().is_some_and(|tx| tx.aborted) {
        // The transaction cannot run any more: like Redis, keep no copy of the command.
        return;
    }
    let mut buf = Vec::with_capacity(args.iter().map(<[u8]>::len).sum());
    let mut ranges = Vec::with_capacity(args.len());
    for arg in args.iter() {
        let start = buf.len();
        buf.extend_from_slice(arg);
        ranges.push(start..buf.len());
    }
    if let Some(tx) = srv.clients[client].multi.as_mut() {
        tx.flags |= registry().command(id).flags;
        tx.queued.push(Queued { id, buf, ranges });
    }
}

/// Ends `client`'s transaction without running it, and forgets its watches.
pub fn discard_transaction(srv: &mut Server, client: usize) {
    let c = &mut srv.clients[client];
    c.multi = None;
    c.dirty_cas = false;
    srv.unwatch_all(client);
}

fn multi(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let client = ctx.client();
    if client.multi.is_some() {
        return Err("ERR MULTI calls can not be nested".into());
    }
    client.multi = Some(Transaction::default());
    ctx.out.ok();
    Ok(())
}

fn discard(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    if ctx.client_ref().multi.is_none() {
        return Err("ERR DISCARD without MULTI".into());
    }
    discard_transaction(ctx.srv, ctx.client_key);
    ctx.out.ok();
    Ok(())
}

fn exec(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let key = ctx.client_key;
    let Some(mut tx) = ctx.client().multi.take() else {
        return Err("ERR EXEC without MULTI".into());
    };
    if tx.aborted {
        discard_transaction(ctx.srv, key);
        return Err("EXECABORT Transaction discarded because of previous errors.".into());
    }
    let spoiled = ctx.client_ref().dirty_cas || ctx.srv.watched_key_expired(key, ctx.now_ms);
    // Watching ends here either way; what the transaction itself changes must not spoil it.
    discard_transaction(ctx.srv, key);
    if spoiled {
        ctx.out.null_array();
        return Ok(());
    }
    ctx.out.array(tx.queued.len());
    // The client stays in its transaction (flag `x`, `multi=N`) until the commands are done.
    let running = Some((tx.queued.len(), tx.memory()));
    let queued = std::mem::take(&mut tx.queued);
    tx.running = running;
    let client = ctx.client();
    client.multi = Some(tx);
    client.in_exec = true;
    for q in &queued {
        let args = Args::new(&q.buf, &q.ranges);
        super::call_and_reply(ctx.srv, key, q.id, &args, ctx.out, ctx.now_ms);
        if ctx.srv.clients.get(key).is_none() {
            break;
        }
    }
    if let Some(client) = ctx.srv.clients.get_mut(key) {
        client.multi = None;
        client.in_exec = false;
        // A command of the transaction touching a key it watched is not a conflict.
        client.dirty_cas = false;
    }
    Ok(())
}

fn watch(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if ctx.client_ref().multi.is_some() {
        return Err("ERR WATCH inside MULTI is not allowed".into());
    }
    let db = ctx.db_index();
    for key in args.iter().skip(1) {
        ctx.srv.watch_key(ctx.client_key, db, key, ctx.now_ms);
    }
    ctx.out.ok();
    Ok(())
}

fn unwatch(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    ctx.srv.unwatch_all(ctx.client_key);
    ctx.client().dirty_cas = false;
    ctx.out.ok();
    Ok(())
}

/// The error EXEC answers when the transaction is refused as a whole (OOM, MISCONF).
pub fn exec_abort(srv: &mut Server, client: usize, reason: &CmdError) -> CmdError {
    discard_transaction(srv, client);
    let mut text = b"EXECABORT Transaction discarded because of: ".to_vec();
    // Redis formats its own refusals (arity, "not allowed") without the ERR code here, while
    // shared errors (OOM, MISCONF) keep theirs.
    let reason = reason.bytes();
    text.extend_from_slice(reason.strip_prefix(b"ERR ").unwrap_or(reason));
    CmdError::Bytes(text)
}
