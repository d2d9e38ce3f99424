//! Blocked clients: the registry behind BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP (and, with the
//! same mechanism, BZPOPMIN / BZPOPMAX / BZMPOP).
//!
//! A blocked client gets no reply and runs none of its further pipelined commands until it is
//! served, times out, is released by CLIENT UNBLOCK, or disconnects. Everything runs on the
//! reactor thread.
//!
//! # How a command blocks
//!
//! A blocking command's handler validates its arguments and tries to serve immediately, exactly
//! like its non-blocking variant. When there is nothing to serve it calls
//!
//! ```ignore
//! let deadline = blocking::parse_timeout(&args[i], ctx.now_ms)?; // early, in Redis's order
//! ...
//! blocking::block(ctx, args, &keys, deadline, serve_fn);
//! return Ok(()); // and writes no reply
//! ```
//!
//! `block` copies the command's arguments, queues the client (FIFO) on every `(db, key)` it
//! waits for, and records the deadline (0 = forever). The reactor sees that the client is
//! blocked after the command and stops running its input.
//!
//! Inside EXEC a command must not block: `block` then answers at once as Redis's
//! CLIENT_DENY_BLOCKING path does, with a null array (`*-1`; a null bulk `$-1` for BLMOVE and
//! BRPOPLPUSH; `_` for all of them in RESP3), and the client is not registered.
//!
//! # How a write signals readiness
//!
//! Every command that can make a waited key servable (LPUSH/RPUSH/LINSERT, the push side
//! of LMOVE, ZADD/ZINCRBY/ZUNIONSTORE…, RENAME, COPY, MOVE, RESTORE) calls
//! [`signal_ready`]`(ctx, key)` (or `Blocking::signal` for another database) after changing
//! the key, and SWAPDB signals every waited key of both databases. Signalling is a no-op
//! unless some client waits on that key, so it is cheap to call unconditionally.
//!
//! Only signalled keys are served, as in Redis, and Redis signals a key when it is created
//! (`dbAdd`), not when an existing value is overwritten (`dbOverwrite`): a BZPOPMIN waiting on
//! a key that a ZUNIONSTORE turns from a string into a sorted set keeps waiting. There is no
//! periodic sweep for waited keys that exist, since it would serve such a waiter. Serving right
//! after the command also matters beyond latency: a served BLMPOP/BZPOPMIN counts in `dirty`,
//! and Redis counts it before the next command runs.
//!
//! # How serving re-runs the command
//!
//! After each command (and after timeouts, CLIENT UNBLOCK and the cron) the reactor calls
//! [`process`]. For every ready key, in the order they were signalled, and for every client
//! waiting on it in the order they blocked, the client's [`ServeFn`] (chosen by its `ServeKind`) runs with a `Ctx` whose
//! caller is the blocked client and whose reply buffer is that client's output, given the stored
//! arguments and the ready key. It returns:
//! - `Ok(Served::Done)` after writing its reply: the client is unblocked;
//! - `Ok(Served::NotReady)` when the key cannot serve it (gone, emptied, or of another type —
//!   Redis 7.0 keeps such clients waiting): nothing written, the client keeps its place;
//! - `Err(e)`: the error is its reply (BLMOVE onto a key of the wrong type) and it is unblocked.
//!
//! A serve function that writes (BLMOVE's push) signals readiness itself, and those keys are
//! served in the same pass. Unblocked clients have their output queued for writing and their
//! buffered input resumed by the reactor.
//!
//! Timeouts and `CLIENT UNBLOCK … TIMEOUT` reply with Redis 7.0's null array for every list
//! and sorted-set blocking command (BLMOVE included): `*-1` in RESP2, `_` in RESP3. The reply
//! is rendered when it is delivered, in the blocked client's protocol. `CLIENT UNBLOCK … ERROR`
//! replies `-UNBLOCKED client unblocked via CLIENT UNBLOCK`.

use crate::cmd::{CmdError, Ctx};
use crate::resp::{Args, Reply};
use crate::state::blocking::{Blocked, ServeKind, Unblocked};
use crate::state::{ReactorOp, Server};

/// What a [`ServeFn`] achieved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Served {
    /// The reply was written; unblock the client.
    Done,
    /// The key cannot serve this client now; it keeps waiting (nothing written).
    NotReady,
}

/// Serves a blocked command from a ready key: `(ctx, the command's arguments, ready key)`.
pub type ServeFn = fn(&mut Ctx, &Args, &[u8]) -> Result<Served, CmdError>;

/// The serve function of a blocked command.
fn serve_fn(kind: ServeKind) -> ServeFn {
    match kind {
        ServeKind::ListPop => crate::cmd::list::serve_bpop,
        ServeKind::ListMove => crate::cmd::list::serve_blmove,
        ServeKind::ListMpop => crate::cmd::list::serve_blmpop,
        ServeKind::ZsetPop => crate::cmd::zset::pop::serve_bzpop,
        ServeKind::ZsetMpop => crate::cmd::zset::pop::serve_bzmpop,
    }
}

/// Where served and unblocked clients' replies go: each client's output buffer, which the
/// network layer owns (a client without one has disconnected).
pub trait ClientOutputs {
    fn output(&mut self, client: usize) -> Option<&mut Reply>;
}

/// Blocks the calling client on `keys` until one is served, `deadline_ms` passes (0 = never),
/// CLIENT UNBLOCK, or disconnection. The handler must then return `Ok(())` without replying.
pub fn block(ctx: &mut Ctx, args: &Args, keys: &[&[u8]], deadline_ms: i64, serve: ServeKind) {
    if ctx.client_ref().in_exec {
        let name = args.get(0);
        if name.eq_ignore_ascii_case(b"blmove") || name.eq_ignore_ascii_case(b"brpoplpush") {
            ctx.out.null();
        } else {
            ctx.out.null_array();
        }
        return;
    }
    let mut args_buf = Vec::new();
    let mut ranges = Vec::with_capacity(args.len());
    for arg in args.iter() {
        let start = args_buf.len();
        args_buf.extend_from_slice(arg);
        ranges.push(start..args_buf.len());
    }
    let mut distinct: Vec<Vec<u8>> = Vec::with_capacity(keys.len().min(64));
    for key in keys {
        if !distinct.iter().any(|k| k == key) {
            distinct.push(key.to_vec());
        }
    }
    let blocked = Blocked {
        id: ctx.id,
        db: ctx.db_index(),
        keys: distinct,
        deadline_ms,
        args_buf,
        ranges,
        serve,
    };
    let client = ctx.client_key;
    ctx.srv.blocking.remove_client(client);
    ctx.srv.blocking.register(client, blocked);
}

/// Signals that `key` (in the caller's database) may now serve blocked clients.
pub fn signal_ready(ctx: &mut Ctx, key: &[u8]) {
    let db = ctx.db_index();
    ctx.srv.blocking.signal(db, key);
}

/// Parses a blocking command's timeout in seconds as Redis 7.0's
/// `getTimeoutFromObjectOrReply(…, UNIT_SECONDS)`: a `long double`, times 1000, rounded up to
/// whole milliseconds (`ceill`). Returns the absolute deadline in unix ms, or 0 for "block forever". (Redis
/// 7.0 has no "timeout is out of range" check yet.)
pub fn parse_timeout(arg: &[u8], now_ms: i64) -> Result<i64, CmdError> {
    let ld = crate::util::num::parse_long_double(arg)
        .ok_or_else(|| CmdError::err("timeout is not a float or out of range"))?;
    let ms = ld_times_1000_ceil(&ld);
    if ms < 0 {
        return Err(CmdError::err("timeout is negative"));
    }
    if ms == 0 {
        return Ok(0);
    }
    // Redis 7.0 adds the clock with a wrapping add and files the (then negative) deadline as
    // an unsigned key of its timeout table, so a client whose deadline overflows waits forever.
    Ok(ms.checked_add(now_ms).unwrap_or(i64::MAX))
}

/// `(long long) ceill(v * 1000.0)` computed as C does with a `long double` `v`: the product
/// rounded to the type's precision, rounded up to an integer, converted; out-of-range and
/// non-finite results give `LLONG_MIN`, as x86's conversion does. On x86_64 Linux
/// `long double` is the 80-bit x87 format (64-bit significand), decoded here exactly; elsewhere
/// a double approximation is used.
fn ld_times_1000_ceil(v: &crate::util::num::LongDouble) -> i64 {
    #[cfg(all(target_arch = "x86_64", target_os = "linux"))]
    {
        // SAFETY: `LongDouble` is a 16-byte `repr(C)` wrapper around the raw bytes of a C
        // `long double`; reading them as a byte array is always valid.
        let bytes: [u8; 16] = unsafe { std::mem::transmute_copy(v) };
        let mut m = [0u8; 8];
        m.copy_from_slice(&bytes[..8]);
        let mantissa = u64::from_le_bytes(m);
        let se = u16::from_le_bytes([bytes[8], bytes[9]]);
        let negative = se & 0x8000 != 0;
        let exp = (se & 0x7fff) as i64;
        if exp == 0x7fff {
            return i64::MIN; // inf / nan
        }
        if mantissa == 0 {
            return 0;
        }
        // value = mantissa * 2^(exp - 16383 - 63), denormals using exp = 1.
        let product = mantissa as u128 * 1000;
        let mut e = exp.max(1) - 16383 - 63;
        // Round the product to 64 significant bits, ties to even.
        let bits = 128 - product.leading_zeros() as i64;
        let mut q = product;
        if bits > 64 {
            let shift = (bits - 64) as u32;
            let rem = product & ((1u128 << shift) - 1);
            let half = 1u128 << (shift - 1);
            q = product >> shift;
            if rem > half || (rem == half && q & 1 == 1) {
                q += 1;
            }
            e += shift as i64;
            if q >> 64 != 0 {
                q >>= 1;
                e += 1;
            }
        }
        // |q * 2^e| split into its integer part and whether a fraction remains.
        let (whole, fraction): (u128, bool) = if e >= 0 {
            if e >= 64 {
                return i64::MIN;
            }
            (q << e, false)
        } else if -e >= 128 {
            (0, true)
        } else {
            let sh = (-e) as u32;
            (q >> sh, q & ((1u128 << sh) - 1) != 0)
        };
        // Ceiling: up for positive values with a fraction, towards zero for negative ones.
        let magnitude = if !negative && fraction {
            whole + 1
        } else {
            whole
        };
        if negative {
            if magnitude > 1u128 << 63 {
                return i64::MIN;
            }
            (magnitude as i128).wrapping_neg() as i64
        } else if magnitude > i64::MAX as u128 {
            i64::MIN
        } else {
            magnitude as i64
        }
    }
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux")))]
    {
        let x = (v.to_f64() * 1000.0).ceil();
        if x.is_finite() && x >= -9.223_372_036_854_776e18 && x < 9.223_372_036_854_776e18 {
            x as i64
        } else {
            i64::MIN
        }
    }
}

/// Serves ready keys and delivers pending timeout / CLIENT UNBLOCK replies. Clients that were
/// unblocked are queued as [`ReactorOp::Resume`], for the reactor to flush and resume.
pub fn process(srv: &mut Server, conns: &mut dyn ClientOutputs, now_ms: i64) {
    loop {
        let ready = std::mem::take(&mut srv.blocking.ready);
        if ready.is_empty() {
            break;
        }
        for (db, key) in ready {
            serve_key(srv, conns, db, &key, now_ms);
        }
    }
    for (client, outcome) in std::mem::take(&mut srv.blocking.outbox) {
        if let Some(out) = conns.output(client) {
            match outcome {
                Unblocked::Timeout => out.null_array(),
                Unblocked::Raw(reply) => out.raw(&reply),
            }
            srv.ops.push(ReactorOp::Resume(client));
        }
    }
}

/// Serves the clients waiting on `key` of `db`, in the order they blocked.
fn serve_key(srv: &mut Server, conns: &mut dyn ClientOutputs, db: usize, key: &[u8], now_ms: i64) {
    let waiters: Vec<usize> = match srv.blocking.queues.get(db).and_then(|q| q.get(key)) {
        Some(q) => q.iter().copied().collect(),
        None => return,
    };
    for client in waiters {
        if srv.dbs.get(db).is_none_or(|d| d.find(key).is_none()) {
            // Emptied (and so deleted) or never there: the rest keep waiting.
            break;
        }
        if srv.clients.get(client).is_none_or(|c| c.killed) {
            continue;
        }
        let Some(out) = conns.output(client) else {
            continue;
        };
        // Take the record out while its serve function runs against the server.
        let Some(blocked) = srv.blocking.clients.remove(&client) else {
            continue;
        };
        let args = Args::new(&blocked.args_buf, &blocked.ranges);
        // What `call` gives a command: a key it creates starts with this access value.
        let clock =
            crate::store::evict::initial_access(srv.config.maxmemory_policy, now_ms, srv.lru_now);
        let mut ctx = Ctx {
            srv: &mut *srv,
            id: blocked.id,
            client_key: client,
            out,
            now_ms,
            clock,
        };
        let log_new = ctx.srv.wants_new_events();
        ctx.srv.log_new_keys(log_new);
        let result = serve_fn(blocked.serve)(&mut ctx, &args, key);
        if log_new {
            srv.drain_all_key_events();
            srv.log_new_keys(false);
        }
        match result {
            Ok(Served::NotReady) => {
                srv.blocking.clients.insert(client, blocked);
            }
            Ok(Served::Done) => {
                srv.blocking.unregister(client, &blocked);
                srv.ops.push(ReactorOp::Resume(client));
            }
            Err(e) => {
                let text = e.bytes();
                srv.count_error(text);
                out.error_bytes(text);
                srv.blocking.unregister(client, &blocked);
                srv.ops.push(ReactorOp::Resume(client));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::num::parse_long_double;

    fn ms(s: &str) -> i64 {
        ld_times_1000_ceil(&parse_long_double(s.as_bytes()).unwrap())
    }

    #[test]
    fn timeouts_round_up_like_long_double_arithmetic() {
        assert_eq!(ms("0"), 0);
        assert_eq!(ms("-0"), 0);
        assert_eq!(ms("1"), 1000);
        assert_eq!(ms("0.1"), 100);
        assert_eq!(ms("1.5"), 1500);
        // 0.001L * 1000 is just below 1; ceill makes it 1 ms.
        assert_eq!(ms("0.001"), 1);
        assert_eq!(ms("0.002"), 2);
        assert_eq!(ms("0.0001"), 1);
        // Redis blocks forever on these (the product rounds up to -0), but not on -0.002.
        assert_eq!(ms("-0.001"), 0);
        assert_eq!(ms("-0.0009"), 0);
        assert_eq!(ms("-0.002"), -1);
        assert_eq!(ms("inf"), i64::MIN);
        assert_eq!(ms("-inf"), i64::MIN);
        assert_eq!(ms("1e30"), i64::MIN);
        assert_eq!(ms("9.2e15"), 9_200_000_000_000_000_000);
        assert_eq!(ms("0x10"), 16000);
        assert_eq!(ms("1e-400"), 1);
        assert_eq!(ms("-1e-400"), 0);
    }

    #[test]
    fn parse_timeout_errors() {
        let now = 1_700_000_000_000;
        assert_eq!(parse_timeout(b"0", now), Ok(0));
        assert_eq!(parse_timeout(b"0.5", now), Ok(now + 500));
        let neg = CmdError::err("timeout is negative");
        assert_eq!(parse_timeout(b"-1", now), Err(neg.clone()));
        assert_eq!(parse_timeout(b"inf", now), Err(neg));
        let bad = CmdError::err("timeout is not a float or out of range");
        assert_eq!(parse_timeout(b"abc", now), Err(bad.clone()));
        assert_eq!(parse_timeout(b"", now), Err(bad.clone()));
        assert_eq!(parse_timeout(b" 1", now), Err(bad.clone()));
        assert_eq!(parse_timeout(b"nan", now), Err(bad));
        assert_eq!(parse_timeout(b"9223372036854775", now), Ok(i64::MAX));
    }
}
