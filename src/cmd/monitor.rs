//! MONITOR: a connection that sees every command the server runs, one status line each.
//!
//! As in Redis 7.0, a command is shown after it ran (failed or not), with the database its
//! client has selected afterwards; commands flagged `admin` or `skip_monitor` (CONFIG,
//! SLOWLOG, MONITOR itself…) are never shown, nor are commands refused before they ran
//! (unknown, wrong arity, ACL, OOM…), nor queued ones: a transaction shows MULTI, its commands
//! when EXEC runs them, then EXEC. A blocking command is shown when it blocks, not again when
//! it is served. Secrets are redacted as the slow log redacts them (`"AUTH" "(redacted)"`).
//!
//! A monitor may still run commands that touch no key (PING, CLIENT ID, HELLO, SUBSCRIBE…),
//! and sees its own; a command with keys is refused as Redis refuses a replica's. RESET (or
//! disconnecting) leaves monitor mode. The lines are simple strings in RESP2 and RESP3 alike,
//! delivered through the out-of-band outbox, after the reply of the command being run.

use std::io::Write;

use super::table::{acl, flags::*, Command, Group};
use super::table::{registry, CommandId};
use super::{CmdResult, Ctx};
use crate::resp::Args;
use crate::state::Server;

pub static COMMANDS: &[Command] = &[Command::new("monitor", 1, monitor)
    .group(Group::Server)
    .flags(ADMIN | NOSCRIPT | LOADING | STALE)
    .acl(acl::ADMIN | acl::DANGEROUS)
    .summary("Listen for all requests received by the server in real time")
    .since("1.0.0")];

/// The error a monitor gets for a command with keys (Redis's replica check).
pub const KEYSPACE_REFUSED: &str = "ERR Replica can't interact with the keyspace";

/// The command flags a monitor may not run (Redis's read, write and may-replicate commands).
pub const KEYSPACE_FLAGS: u32 = READONLY | WRITE | MAY_REPLICATE;

fn monitor(ctx: &mut Ctx, _args: &Args) -> CmdResult {
    let key = ctx.client_key;
    let client = ctx.client();
    // Redis refuses it for a client that must not block (MONITOR run by EXEC).
    if client.in_exec {
        return Err("ERR MONITOR isn't allowed for DENY BLOCKING client".into());
    }
    // Already monitoring: Redis answers nothing at all.
    if client.monitor {
        return Ok(());
    }
    client.monitor = true;
    ctx.srv.monitors.push(key);
    ctx.out.ok();
    Ok(())
}

/// Takes `client` out of monitor mode (RESET).
pub fn stop(srv: &mut Server, client: usize) {
    if let Some(c) = srv.clients.get_mut(client) {
        if c.monitor {
            c.monitor = false;
            srv.monitors.retain(|&m| m != client);
        }
    }
}

/// Shows the command `id` that `client_key` just ran to every monitor, unless its flags keep
/// it from them. The caller has checked that there are monitors.
pub fn feed(srv: &mut Server, client_key: usize, id: CommandId, args: &Args) {
    let cmd = registry().command(id);
    if cmd.has(ADMIN | SKIP_MONITOR) {
        return;
    }
    let Some(client) = srv.clients.get(client_key) else {
        return;
    };
    let secret = super::slowlog::secret_args(id, args);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let mut line = Vec::with_capacity(48 + args.iter().map(|a| a.len() + 3).sum::<usize>());
    // Writing into a Vec cannot fail.
    let _ = write!(
        line,
        "+{}.{:06} [{} {}]",
        now.as_secs(),
        now.subsec_micros(),
        client.db,
        client.addr
    );
    for (i, arg) in args.iter().enumerate() {
        line.push(b' ');
        if secret.contains(&i) {
            line.extend_from_slice(b"\"(redacted)\"");
        } else {
            quote(&mut line, arg);
        }
    }
    line.extend_from_slice(b"\r\n");
    srv.push_to_monitors(|out| out.raw(&line));
}

/// Appends `arg` in double quotes with Redis's escapes (its `sdscatrepr`).
fn quote(out: &mut Vec<u8>, arg: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for &b in arg {
        match b {
            b'\\' | b'"' => out.extend_from_slice(&[b'\\', b]),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn quote_escapes_as_sdscatrepr() {
        let mut out = Vec::new();
        quote(&mut out, b"a\"b\\c\n\r\t\x07\x08\x00\x7f\xff ~");
        assert_eq!(out, br#""a\"b\\c\n\r\t\a\b\x00\x7f\xff ~""#.to_vec());
    }
}
