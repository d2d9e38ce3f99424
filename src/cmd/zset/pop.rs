//! ZPOPMIN, ZPOPMAX and ZMPOP, and the blocking BZPOPMIN, BZPOPMAX and BZMPOP with the serve
//! functions that pop for a client woken on a key.

use super::{drop_if_empty, write_slot, zmut, zref};
use crate::cmd::blocking::{self, Served};
use crate::cmd::{ev, CmdError, CmdResult, Ctx};
use crate::resp::Args;
use crate::state::blocking::ServeKind;

// ---------------------------------------------------------------------------------------------
// Pops
// ---------------------------------------------------------------------------------------------

pub(super) fn zpopmin(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zpop_minmax(ctx, args, false)
}

pub(super) fn zpopmax(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zpop_minmax(ctx, args, true)
}

fn zpop_minmax(ctx: &mut Ctx, args: &Args, max: bool) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = if args.len() == 3 {
        match crate::util::num::parse_i64(&args[2]) {
            Some(n) if n >= 0 => Some(n),
            _ => return Err(CmdError::err("value is out of range, must be positive")),
        }
    } else {
        None
    };
    let keys = [&args[1]];
    // Without COUNT one flat `[member, score]`; with it a list of pairs (nested in RESP3).
    let how = if count.is_some() {
        PopReply::Pairs
    } else {
        PopReply::Flat
    };
    zpop_generic(ctx, &keys, max, count.unwrap_or(1), how)?;
    Ok(())
}

/// How a pop answers.
#[derive(Clone, Copy, PartialEq, Eq)]
enum PopReply {
    /// ZPOPMIN/ZPOPMAX without COUNT: `[member, score]` in both protocols; an empty array
    /// when there is nothing.
    Flat,
    /// ZPOPMIN/ZPOPMAX with COUNT: `[member, score, ...]` in RESP2, `[[member, score], ...]`
    /// in RESP3; an empty array when there is nothing.
    Pairs,
    /// BZPOPMIN/BZPOPMAX: `[key, member, score]` in both protocols.
    WithKey,
    /// ZMPOP/BZMPOP: `[key, [[member, score], ...]]` in both protocols; a null array when
    /// there is nothing.
    Nested,
}

/// Redis's genericZpopCommand over `keys` (the first non-empty one is popped). Returns the
/// key popped from, or `None` when every key was missing (and the empty reply was written).
fn zpop_generic(
    ctx: &mut Ctx,
    keys: &[&[u8]],
    max: bool,
    count: i64,
    how: PopReply,
) -> Result<Option<usize>, CmdError> {
    let mut found = None;
    for (i, key) in keys.iter().enumerate() {
        if let Some(slot) = write_slot(ctx, key)? {
            found = Some((i, slot));
            break;
        }
    }
    let Some((i, slot)) = found else {
        match how {
            PopReply::Nested => ctx.out.null_array(),
            _ => ctx.out.array(0),
        }
        return Ok(None);
    };
    if count == 0 {
        ctx.out.array(0);
        return Ok(Some(i));
    }
    let (db, out) = ctx.db_out();
    let Some(z) = zmut(db, slot) else {
        out.array(0);
        return Ok(None);
    };
    let n = usize::try_from(count).unwrap_or(usize::MAX).min(z.len());
    match how {
        PopReply::Flat => out.array(n * 2),
        PopReply::Pairs => out.pairs(n),
        PopReply::WithKey => {
            out.array(n * 2 + 1);
            out.bulk(keys[i]);
        }
        PopReply::Nested => {
            out.array(2);
            out.bulk(keys[i]);
            out.array(n);
        }
    }
    let len = z.len();
    let popped: Vec<(Vec<u8>, f64)> = {
        let items: Box<dyn Iterator<Item = (&[u8], f64)>> = if max {
            Box::new(z.iter_from(len - 1, true))
        } else {
            Box::new(z.iter())
        };
        items.take(n).map(|(m, s)| (m.to_vec(), s)).collect()
    };
    if max {
        z.remove_ranks(len - n, len);
    } else {
        z.remove_ranks(0, n);
    }
    ctx.srv.dirty += n as u64;
    // Redis notifies as it pops the first element, after the reply's headers and before the
    // elements: where a RESP3 client subscribed to its own events sees the event.
    if n > 0 {
        ctx.notify(ev::ZSET, if max { "zpopmax" } else { "zpopmin" }, keys[i]);
    }
    let out = &mut *ctx.out;
    for (m, s) in &popped {
        match how {
            PopReply::Nested => out.array(2),
            PopReply::Pairs => out.pair(),
            PopReply::Flat | PopReply::WithKey => {}
        }
        out.bulk(m);
        out.double(*s);
    }
    drop_if_empty(ctx, keys[i], slot);
    if n > 0 {
        ctx.touch(keys[i]);
    }
    Ok(Some(i))
}

/// Parses ZMPOP's `numkeys key... MIN|MAX [COUNT count]` from `numkeys_idx`.
fn parse_mpop(args: &Args, numkeys_idx: usize) -> Result<(usize, bool, i64), CmdError> {
    let numkeys = crate::util::num::parse_i64(&args[numkeys_idx])
        .filter(|&n| n >= 1)
        .ok_or(CmdError::from("ERR numkeys should be greater than 0"))?;
    let where_idx = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(numkeys_idx + 1))
        .filter(|&w| w < args.len())
        .ok_or(CmdError::Syntax)?;
    let max = if args[where_idx].eq_ignore_ascii_case(b"min") {
        false
    } else if args[where_idx].eq_ignore_ascii_case(b"max") {
        true
    } else {
        return Err(CmdError::Syntax);
    };
    let mut count = -1i64;
    let mut j = where_idx + 1;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if count == -1 && args[j].eq_ignore_ascii_case(b"count") && more > 0 {
            j += 1;
            count = crate::util::num::parse_i64(&args[j])
                .filter(|&n| n >= 1)
                .ok_or(CmdError::from("ERR count should be greater than 0"))?;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok((numkeys as usize, max, if count == -1 { 1 } else { count }))
}

pub(super) fn zmpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (numkeys, max, count) = parse_mpop(args, 1)?;
    let keys: Vec<&[u8]> = (2..2 + numkeys).map(|i| &args[i]).collect();
    zpop_generic(ctx, &keys, max, count, PopReply::Nested)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// BZPOPMIN, BZPOPMAX, BZMPOP
// ---------------------------------------------------------------------------------------------

/// Whether the key at `key` holds a non-empty sorted set now (a blocked pop can be served).
fn poppable(ctx: &mut Ctx, key: &[u8]) -> Result<bool, CmdError> {
    Ok(match write_slot(ctx, key)? {
        Some(slot) => zref(ctx.db(), slot).is_some_and(|z| !z.is_empty()),
        None => false,
    })
}

pub(super) fn bzpopmin(ctx: &mut Ctx, args: &Args) -> CmdResult {
    bzpop_generic(ctx, args, false)
}

pub(super) fn bzpopmax(ctx: &mut Ctx, args: &Args) -> CmdResult {
    bzpop_generic(ctx, args, true)
}

/// BZPOPMIN / BZPOPMAX key [key ...] timeout: the timeout is parsed first, then the first
/// non-empty sorted set is popped (`[key, member, score]`); otherwise the client blocks.
fn bzpop_generic(ctx: &mut Ctx, args: &Args, max: bool) -> CmdResult {
    let last = args.len() - 1;
    let deadline = blocking::parse_timeout(&args[last], ctx.now_ms)?;
    let keys: Vec<&[u8]> = args.iter().skip(1).take(last - 1).collect();
    for &key in &keys {
        if poppable(ctx, key)? {
            zpop_generic(ctx, &[key], max, 1, PopReply::WithKey)?;
            return Ok(());
        }
    }
    blocking::block(ctx, args, &keys, deadline, ServeKind::ZsetPop);
    Ok(())
}

/// Serves a blocked BZPOPMIN / BZPOPMAX from `key` (only a non-empty sorted set serves;
/// anything else keeps the client waiting, as Redis 7.0).
pub fn serve_bzpop(ctx: &mut Ctx, args: &Args, key: &[u8]) -> Result<Served, CmdError> {
    let max = args[0].eq_ignore_ascii_case(b"bzpopmax");
    match poppable(ctx, key) {
        Ok(true) => {
            zpop_generic(ctx, &[key], max, 1, PopReply::WithKey)?;
            Ok(Served::Done)
        }
        _ => Ok(Served::NotReady),
    }
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: ZMPOP's checks come first,
/// then the timeout.
pub(super) fn bzmpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (numkeys, max, count) = parse_mpop(args, 2)?;
    let deadline = blocking::parse_timeout(&args[1], ctx.now_ms)?;
    let keys: Vec<&[u8]> = (3..3 + numkeys).map(|i| &args[i]).collect();
    for &key in &keys {
        if poppable(ctx, key)? {
            zpop_generic(ctx, &[key], max, count, PopReply::Nested)?;
            return Ok(());
        }
    }
    blocking::block(ctx, args, &keys, deadline, ServeKind::ZsetMpop);
    Ok(())
}

pub fn serve_bzmpop(ctx: &mut Ctx, args: &Args, key: &[u8]) -> Result<Served, CmdError> {
    let (_, max, count) = parse_mpop(args, 2)?;
    match poppable(ctx, key) {
        Ok(true) => {
            zpop_generic(ctx, &[key], max, count, PopReply::Nested)?;
            Ok(Served::Done)
        }
        _ => Ok(Served::NotReady),
    }
}
