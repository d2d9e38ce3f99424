//! TTL commands: EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME,
//! PERSIST.

use super::table::{acl, flags::*, key_flags::*, tips::*, Command, Group, KeySpec};
use super::{arg_i64, ev, CmdError, CmdResult, Ctx};
use crate::resp::Args;

pub static COMMANDS: &[Command] = &[
    Command::new("expire", -3, expire)
        .group(Group::Generic)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(1).flags(RW | UPDATE)])
        .summary("Set a key's time to live in seconds")
        .since("1.0.0")
        .complexity("O(1)")
        .history(&[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")])
        .args("key:key seconds:integer ?condition@7.0.0(NX|XX|GT|LT)"),
    Command::new("pexpire", -3, pexpire)
        .group(Group::Generic)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(1).flags(RW | UPDATE)])
        .summary("Set a key's time to live in milliseconds")
        .since("2.6.0")
        .complexity("O(1)")
        .history(&[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")])
        .args("key:key milliseconds:integer ?condition@7.0.0(NX|XX|GT|LT)"),
    Command::new("expireat", -3, expireat)
        .group(Group::Generic)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(1).flags(RW | UPDATE)])
        .summary("Set the expiration for a key as a UNIX timestamp")
        .since("1.2.0")
        .complexity("O(1)")
        .history(&[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")])
        .args("key:key unix-time-seconds:unix-time ?condition@7.0.0(NX|XX|GT|LT)"),
    Command::new("pexpireat", -3, pexpireat)
        .group(Group::Generic)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(1).flags(RW | UPDATE)])
        .summary("Set the expiration for a key as a UNIX timestamp specified in milliseconds")
        .since("2.6.0")
        .complexity("O(1)")
        .history(&[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")])
        .args("key:key unix-time-milliseconds:unix-time ?condition@7.0.0(NX|XX|GT|LT)"),
    Command::new("ttl", 2, ttl)
        .group(Group::Generic)
        .flags(READONLY | FAST)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Get the time to live for a key in seconds")
        .since("1.0.0")
        .complexity("O(1)")
        .history(&[("2.8.0", "Added the -2 reply.")])
        .args("key:key"),
    Command::new("pttl", 2, pttl)
        .group(Group::Generic)
        .flags(READONLY | FAST)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Get the time to live for a key in milliseconds")
        .since("2.6.0")
        .complexity("O(1)")
        .history(&[("2.8.0", "Added the -2 reply.")])
        .args("key:key"),
    Command::new("expiretime", 2, expiretime)
        .group(Group::Generic)
        .flags(READONLY | FAST)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Get the expiration Unix timestamp for a key")
        .since("7.0.0")
        .complexity("O(1)")
        .args("key:key"),
    Command::new("pexpiretime", 2, pexpiretime)
        .group(Group::Generic)
        .flags(READONLY | FAST)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Get the expiration Unix timestamp for a key in milliseconds")
        .since("7.0.0")
        .complexity("O(1)")
        .args("key:key"),
    Command::new("persist", 2, persist)
        .group(Group::Generic)
        .flags(WRITE | FAST)
        .acl(acl::KEYSPACE)
        .keys(&[KeySpec::at(1).flags(RW | UPDATE)])
        .summary("Remove the expiration from a key")
        .since("2.2.0")
        .complexity("O(1)")
        .args("key:key"),
];

const NX: u8 = 1;
const XX: u8 = 2;
const GT: u8 = 4;
const LT: u8 = 8;

/// Whether the deadline `when` is set relative to now and in which unit.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Millis,
}

fn parse_conditions(args: &Args) -> Result<u8, CmdError> {
    let mut flags = 0;
    for opt in args.iter().skip(3) {
        flags |= match opt.to_ascii_lowercase().as_slice() {
            b"nx" => NX,
            b"xx" => XX,
            b"gt" => GT,
            b"lt" => LT,
            _ => {
                return Err(super::ErrorText::new("ERR Unsupported option ")
                    .arg(opt)
                    .done())
            }
        };
    }
    if flags & NX != 0 && flags & (XX | GT | LT) != 0 {
        return Err(CmdError::err(
            "NX and XX, GT or LT options at the same time are not compatible",
        ));
    }
    if flags & GT != 0 && flags & LT != 0 {
        return Err(CmdError::err(
            "GT and LT options at the same time are not compatible",
        ));
    }
    Ok(flags)
}

/// The deadline (unix ms) for `amount` in `unit` after `base_ms`, or Redis's error when the
/// arithmetic overflows.
pub fn deadline(amount: i64, unit: Unit, base_ms: i64, cmd: &str) -> Result<i64, CmdError> {
    let invalid = || CmdError::err(format!("invalid expire time in '{cmd}' command"));
    let ms = match unit {
        Unit::Seconds => amount.checked_mul(1000).ok_or_else(invalid)?,
        Unit::Millis => amount,
    };
    if ms > i64::MAX - base_ms {
        return Err(invalid());
    }
    Ok(ms + base_ms)
}

fn expire_generic(ctx: &mut Ctx, args: &Args, relative: bool, unit: Unit, cmd: &str) -> CmdResult {
    let conditions = parse_conditions(args)?;
    let amount = arg_i64(&args[2])?;
    let base = if relative { ctx.now_ms } else { 0 };
    let when = deadline(amount, unit, base, cmd)?;
    let Some(slot) = ctx.lookup_write(&args[1]) else {
        ctx.out.int(0);
        return Ok(());
    };
    let current = ctx.db().expire_at(slot);
    let refused = (conditions & NX != 0 && current.is_some())
        || (conditions & XX != 0 && current.is_none())
        || (conditions & GT != 0 && current.is_none_or(|c| when <= c))
        || (conditions & LT != 0 && current.is_some_and(|c| when >= c));
    if refused {
        ctx.out.int(0);
        return Ok(());
    }
    let event = if when <= ctx.now_ms {
        ctx.db().remove_slot(slot);
        "del"
    } else {
        ctx.db().set_expire(slot, when);
        "expire"
    };
    // A refused condition or a missing key (above) changes nothing and is not counted.
    ctx.srv.dirty += 1;
    // Redis replies before an `expire` event and after a `del` one (the order a RESP3 client
    // subscribed to its own events sees).
    if event == "expire" {
        ctx.out.int(1);
    }
    ctx.touch(&args[1]);
    ctx.notify(ev::GENERIC, event, &args[1]);
    if event == "del" {
        ctx.out.int(1);
    }
    Ok(())
}

fn expire(ctx: &mut Ctx, args: &Args) -> CmdResult {
    expire_generic(ctx, args, true, Unit::Seconds, "expire")
}

fn pexpire(ctx: &mut Ctx, args: &Args) -> CmdResult {
    expire_generic(ctx, args, true, Unit::Millis, "pexpire")
}

fn expireat(ctx: &mut Ctx, args: &Args) -> CmdResult {
    expire_generic(ctx, args, false, Unit::Seconds, "expireat")
}

fn pexpireat(ctx: &mut Ctx, args: &Args) -> CmdResult {
    expire_generic(ctx, args, false, Unit::Millis, "pexpireat")
}

/// TTL and friends: -2 for a missing key, -1 for no TTL, else the remaining time (or the
/// absolute deadline), rounded to seconds as Redis does.
fn ttl_generic(ctx: &mut Ctx, args: &Args, unit: Unit, absolute: bool) -> CmdResult {
    // Reading a TTL does not count as an access for LRU purposes.
    let Some(slot) = ctx.lookup(&args[1], true, false) else {
        ctx.out.int(-2);
        return Ok(());
    };
    let Some(at) = ctx.db().expire_at(slot) else {
        ctx.out.int(-1);
        return Ok(());
    };
    let ms = if absolute {
        at
    } else {
        at.saturating_sub(ctx.now_ms)
    }
    .max(0);
    ctx.out.int(match unit {
        Unit::Millis => ms,
        Unit::Seconds => round_to_seconds(ms),
    });
    Ok(())
}

/// `(ms + 500) / 1000` for `ms >= 0` without overflowing near `i64::MAX`: Redis answers the
/// exact rounding there (`9223372036854776` for a deadline of `i64::MAX` ms).
fn round_to_seconds(ms: i64) -> i64 {
    ms / 1000 + i64::from(ms % 1000 >= 500)
}

fn ttl(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ttl_generic(ctx, args, Unit::Seconds, false)
}

fn pttl(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ttl_generic(ctx, args, Unit::Millis, false)
}

fn expiretime(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ttl_generic(ctx, args, Unit::Seconds, true)
}

fn pexpiretime(ctx: &mut Ctx, args: &Args) -> CmdResult {
    ttl_generic(ctx, args, Unit::Millis, true)
}

fn persist(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let removed = match ctx.lookup_write(&args[1]) {
        Some(slot) => ctx.db().clear_expire(slot),
        None => false,
    };
    if removed {
        ctx.srv.dirty += 1;
        ctx.touch(&args[1]);
        ctx.notify(ev::GENERIC, "persist", &args[1]);
    }
    ctx.out.int(removed as i64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_overflow_is_an_error() {
        assert!(deadline(i64::MAX, Unit::Seconds, 0, "expire").is_err());
        assert!(deadline(i64::MAX / 1000, Unit::Seconds, 1_700_000_000_000, "expire").is_err());
        assert_eq!(deadline(-5, Unit::Seconds, 10_000, "expire"), Ok(5_000));
        assert!(deadline(i64::MIN, Unit::Millis, 0, "pexpireat").is_ok());
    }

    #[test]
    fn seconds_round_half_up_up_to_the_top_of_the_range() {
        assert_eq!(round_to_seconds(0), 0);
        assert_eq!(round_to_seconds(499), 0);
        assert_eq!(round_to_seconds(500), 1);
        assert_eq!(round_to_seconds(i64::MAX - 500), 9_223_372_036_854_775);
        assert_eq!(round_to_seconds(i64::MAX - 499), 9_223_372_036_854_775);
        assert_eq!(round_to_seconds(i64::MAX), 9_223_372_036_854_776);
    }
}
