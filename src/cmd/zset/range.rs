//! Score and lex intervals (parsing, Redis's bound tests, rank lookups over the
//! `(score, member)` order), the ZRANGE family and ZREMRANGEBYRANK/SCORE/LEX.

use super::{arg_long, drop_if_empty, limits, rank_range, read_slot, reply_items};
use super::{store_result, write_slot, zmut, zref, LEX_RANGE_ERR, SCORE_RANGE_ERR};
use crate::cmd::{ev, CmdError, CmdResult, Ctx};
use crate::resp::Args;
use crate::store::zset::ZSet;
use crate::util::num::parse_f64_range_bound;

// ---------------------------------------------------------------------------------------------
// Ranges
// ---------------------------------------------------------------------------------------------

/// A score or lex interval, with Redis's inclusive/exclusive bound tests.
pub(super) trait Interval {
    /// True when no element can be inside (min above max, or equal and one side open).
    fn empty(&self) -> bool;
    fn gte_min(&self, score: f64, member: &[u8]) -> bool;
    fn lte_max(&self, score: f64, member: &[u8]) -> bool;
}

#[derive(Clone, Copy, Debug)]
pub(super) struct ScoreRange {
    min: f64,
    max: f64,
    minex: bool,
    maxex: bool,
}

impl Interval for ScoreRange {
    fn empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.minex || self.maxex))
    }
    fn gte_min(&self, score: f64, _member: &[u8]) -> bool {
        if self.minex {
            score > self.min
        } else {
            score >= self.min
        }
    }
    fn lte_max(&self, score: f64, _member: &[u8]) -> bool {
        if self.maxex {
            score < self.max
        } else {
            score <= self.max
        }
    }
}

/// One score bound (Redis's zslParseRange): `(` makes it exclusive; the rest is read by the
/// loose strtod check.
fn parse_score_bound(arg: &[u8]) -> Option<(f64, bool)> {
    match arg.first() {
        Some(b'(') => parse_f64_range_bound(&arg[1..]).map(|v| (v, true)),
        _ => parse_f64_range_bound(arg).map(|v| (v, false)),
    }
}

pub(super) fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
    let (Some((min, minex)), Some((max, maxex))) = (parse_score_bound(min), parse_score_bound(max))
    else {
        return Err(SCORE_RANGE_ERR.into());
    };
    Ok(ScoreRange {
        min,
        max,
        minex,
        maxex,
    })
}

/// A lex bound: `-` and `+` are the smallest and greatest strings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LexItem<'a> {
    Min,
    Max,
    Str(&'a [u8]),
}

/// Redis's sdscmplex.
fn cmp_lex(a: LexItem, b: LexItem) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    match (a, b) {
        (LexItem::Min, LexItem::Min) | (LexItem::Max, LexItem::Max) => Equal,
        (LexItem::Min, _) | (_, LexItem::Max) => Less,
        (LexItem::Max, _) | (_, LexItem::Min) => Greater,
        (LexItem::Str(x), LexItem::Str(y)) => x.cmp(y),
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct LexRange<'a> {
    min: LexItem<'a>,
    max: LexItem<'a>,
    minex: bool,
    maxex: bool,
}

impl Interval for LexRange<'_> {
    fn empty(&self) -> bool {
        let c = cmp_lex(self.min, self.max);
        c.is_gt() || (c.is_eq() && (self.minex || self.maxex))
    }
    fn gte_min(&self, _score: f64, member: &[u8]) -> bool {
        let c = cmp_lex(LexItem::Str(member), self.min);
        if self.minex {
            c.is_gt()
        } else {
            c.is_ge()
        }
    }
    fn lte_max(&self, _score: f64, member: &[u8]) -> bool {
        let c = cmp_lex(LexItem::Str(member), self.max);
        if self.maxex {
            c.is_lt()
        } else {
            c.is_le()
        }
    }
}

/// Redis's zslParseLexRangeItem: `+`/`-` alone (C-string: a NUL ends it), `(` or `[` and
/// the string.
fn parse_lex_item(arg: &[u8]) -> Option<(LexItem<'_>, bool)> {
    let alone = arg.len() == 1 || arg.get(1) == Some(&0);
    match arg.first() {
        Some(b'+') if alone => Some((LexItem::Max, true)),
        Some(b'-') if alone => Some((LexItem::Min, true)),
        Some(b'(') => Some((LexItem::Str(&arg[1..]), true)),
        Some(b'[') => Some((LexItem::Str(&arg[1..]), false)),
        _ => None,
    }
}

pub(super) fn parse_lex_range<'a>(min: &'a [u8], max: &'a [u8]) -> Result<LexRange<'a>, CmdError> {
    let (Some((min, minex)), Some((max, maxex))) = (parse_lex_item(min), parse_lex_item(max))
    else {
        return Err(LEX_RANGE_ERR.into());
    };
    Ok(LexRange {
        min,
        max,
        minex,
        maxex,
    })
}

fn first_entry(z: &ZSet) -> Option<(&[u8], f64)> {
    z.iter().next()
}

fn last_entry(z: &ZSet) -> Option<(&[u8], f64)> {
    z.iter_from(z.len().checked_sub(1)?, true).next()
}

/// Redis's zslIsInRange / zzlIsInLexRange: the range is not empty and overlaps the set's
/// first and last elements.
fn overlaps(z: &ZSet, r: &impl Interval) -> bool {
    if r.empty() {
        return false;
    }
    let (Some(first), Some(last)) = (first_entry(z), last_entry(z)) else {
        return false;
    };
    r.gte_min(last.1, last.0) && r.lte_max(first.1, first.0)
}

/// Rank of the first element inside `r` (zslFirstInRange / zzlFirstInRange). A listpack is
/// walked from the head as Redis walks it, which matters for lex ranges over mixed scores.
pub(super) fn first_in(z: &ZSet, r: &impl Interval) -> Option<usize> {
    if !overlaps(z, r) {
        return None;
    }
    let rank = if z.is_listpack() {
        z.iter().position(|(m, s)| r.gte_min(s, m))?
    } else {
        z.count_while(|s, m| !r.gte_min(s, m))
    };
    let (m, s) = z.iter_from(rank, false).next()?;
    r.lte_max(s, m).then_some(rank)
}

/// Rank of the last element inside `r` (zslLastInRange / zzlLastInRange, which walks a
/// listpack from the tail).
pub(super) fn last_in(z: &ZSet, r: &impl Interval) -> Option<usize> {
    if !overlaps(z, r) {
        return None;
    }
    let rank = if z.is_listpack() {
        let n = z.len();
        n - 1
            - z.iter_from(n - 1, true)
                .position(|(m, s)| r.lte_max(s, m))?
    } else {
        z.count_while(|s, m| r.lte_max(s, m)).checked_sub(1)?
    };
    let (m, s) = z.iter_from(rank, false).next()?;
    r.gte_min(s, m).then_some(rank)
}

/// Elements of `r` in order (or reverse order), after skipping `offset` and taking at most
/// `limit` (negative: no limit), as genericZrangebyscoreCommand / ...bylexCommand.
fn interval_items<'a>(
    z: &'a ZSet,
    r: &impl Interval,
    reverse: bool,
    offset: i64,
    limit: i64,
) -> Vec<(&'a [u8], f64)> {
    let mut items = Vec::new();
    if offset > 0 && offset as u64 >= z.len() as u64 {
        return items;
    }
    // A negative offset skips every element (Redis's `while (ln && offset--)`).
    if offset < 0 {
        return items;
    }
    let start = if reverse {
        last_in(z, r)
    } else {
        first_in(z, r)
    };
    let Some(start) = start else {
        return items;
    };
    let mut it = z.iter_from(start, reverse);
    for _ in 0..offset {
        if it.next().is_none() {
            return items;
        }
    }
    let mut left = limit;
    for (m, s) in it {
        if left == 0 {
            break;
        }
        let inside = if reverse {
            r.gte_min(s, m)
        } else {
            r.lte_max(s, m)
        };
        if !inside {
            break;
        }
        items.push((m, s));
        left = left.saturating_sub(1);
    }
    items
}

/// Ranks `lo..hi` of the elements inside `r`, walking forward from the first one.
pub(super) fn interval_ranks(z: &ZSet, r: &impl Interval) -> Option<(usize, usize)> {
    let lo = first_in(z, r)?;
    let n = z
        .iter_from(lo, false)
        .take_while(|(m, s)| r.lte_max(*s, m))
        .count();
    Some((lo, lo + n))
}

// ---------------------------------------------------------------------------------------------
// ZRANGE and friends
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum RangeType {
    Auto,
    Rank,
    Score,
    Lex,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Auto,
    Forward,
    Reverse,
}

pub(super) fn zrange(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 1, false, RangeType::Auto, Direction::Auto)
}

pub(super) fn zrangestore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 2, true, RangeType::Auto, Direction::Auto)
}

pub(super) fn zrevrange(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 1, false, RangeType::Rank, Direction::Reverse)
}

pub(super) fn zrangebyscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 1, false, RangeType::Score, Direction::Forward)
}

pub(super) fn zrevrangebyscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 1, false, RangeType::Score, Direction::Reverse)
}

pub(super) fn zrangebylex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 1, false, RangeType::Lex, Direction::Forward)
}

pub(super) fn zrevrangebylex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 1, false, RangeType::Lex, Direction::Reverse)
}

/// Redis's zrangeGenericCommand: `src` is the index of the source key; `store` means
/// ZRANGESTORE (destination at index 1).
fn zrange_generic(
    ctx: &mut Ctx,
    args: &Args,
    src: usize,
    store: bool,
    mut rangetype: RangeType,
    mut direction: Direction,
) -> CmdResult {
    let mut minidx = src + 1;
    let mut maxidx = src + 2;
    let mut withscores = false;
    let mut offset: i64 = 0;
    let mut limit: i64 = -1;
    let mut j = src + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        let opt = &args[j];
        if !store && opt.eq_ignore_ascii_case(b"withscores") {
            withscores = true;
        } else if opt.eq_ignore_ascii_case(b"limit") && left >= 2 {
            offset = arg_long(&args[j + 1])?;
            limit = arg_long(&args[j + 2])?;
            j += 2;
        } else if direction == Direction::Auto && opt.eq_ignore_ascii_case(b"rev") {
            direction = Direction::Reverse;
        } else if rangetype == RangeType::Auto && opt.eq_ignore_ascii_case(b"bylex") {
            rangetype = RangeType::Lex;
        } else if rangetype == RangeType::Auto && opt.eq_ignore_ascii_case(b"byscore") {
            rangetype = RangeType::Score;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if direction == Direction::Auto {
        direction = Direction::Forward;
    }
    if rangetype == RangeType::Auto {
        rangetype = RangeType::Rank;
    }
    if limit != -1 && rangetype == RangeType::Rank {
        return Err(CmdError::err(
            "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if withscores && rangetype == RangeType::Lex {
        return Err(CmdError::err(
            "syntax error, WITHSCORES not supported in combination with BYLEX",
        ));
    }
    let reverse = direction == Direction::Reverse;
    if reverse && rangetype != RangeType::Rank {
        std::mem::swap(&mut minidx, &mut maxidx);
    }

    enum Spec<'a> {
        Rank(i64, i64),
        Score(ScoreRange),
        Lex(LexRange<'a>),
    }
    let spec = match rangetype {
        RangeType::Score => Spec::Score(parse_score_range(&args[minidx], &args[maxidx])?),
        RangeType::Lex => Spec::Lex(parse_lex_range(&args[minidx], &args[maxidx])?),
        _ => Spec::Rank(arg_long(&args[minidx])?, arg_long(&args[maxidx])?),
    };

    let key = &args[src];
    let Some(slot) = read_slot(ctx, key)? else {
        if store {
            store_result(ctx, &args[1], ZSet::new(), "zrangestore");
        } else {
            ctx.out.array(0);
        }
        return Ok(());
    };
    let lim = limits(ctx);
    let (db, out) = ctx.db_out();
    let Some(z) = zref(db, slot) else {
        out.array(0);
        return Ok(());
    };
    let mut size_hint = 0;
    let items: Vec<(&[u8], f64)> = match spec {
        Spec::Rank(start, end) => match rank_range(start, end, z.len()) {
            None => Vec::new(),
            Some((start, end)) => {
                let n = end - start + 1;
                size_hint = n;
                let from = if reverse { z.len() - 1 - start } else { start };
                z.iter_from(from, reverse).take(n).collect()
            }
        },
        Spec::Score(r) => interval_items(z, &r, reverse, offset, limit),
        Spec::Lex(r) => interval_items(z, &r, reverse, offset, limit),
    };
    if !store {
        reply_items(out, &items, withscores);
        return Ok(());
    }
    // ZRANGESTORE: Redis creates the destination from the result length for a rank range
    // (zsetTypeCreate) and as a listpack otherwise, then adds member by member.
    let mut dst = ZSet::with_hint(size_hint, 0, lim);
    for (m, s) in &items {
        dst.insert_new(m, *s, lim);
    }
    store_result(ctx, &args[1], dst, "zrangestore");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ZREMRANGEBY*
// ---------------------------------------------------------------------------------------------

pub(super) fn zremrangebyrank(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let start = arg_long(&args[2])?;
    let end = arg_long(&args[3])?;
    let Some(slot) = write_slot(ctx, &args[1])? else {
        ctx.out.int(0);
        return Ok(());
    };
    let removed = match zmut(ctx.db(), slot) {
        Some(z) => match rank_range(start, end, z.len()) {
            Some((lo, hi)) => z.remove_ranks(lo, hi + 1),
            None => 0,
        },
        None => 0,
    };
    ctx.srv.dirty += removed as u64;
    if removed > 0 {
        ctx.notify(ev::ZSET, "zremrangebyrank", &args[1]);
    }
    drop_if_empty(ctx, &args[1], slot);
    if removed > 0 {
        ctx.touch(&args[1]);
    }
    ctx.out.int(removed as i64);
    Ok(())
}

pub(super) fn zremrangebyscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let range = parse_score_range(&args[2], &args[3])?;
    zremrange_interval(ctx, args, &range, "zremrangebyscore")
}

pub(super) fn zremrangebylex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let range = parse_lex_range(&args[2], &args[3])?;
    zremrange_interval(ctx, args, &range, "zremrangebylex")
}

fn zremrange_interval(ctx: &mut Ctx, args: &Args, r: &impl Interval, event: &str) -> CmdResult {
    let Some(slot) = write_slot(ctx, &args[1])? else {
        ctx.out.int(0);
        return Ok(());
    };
    let removed = match zmut(ctx.db(), slot) {
        Some(z) => match interval_ranks(z, r) {
            Some((lo, hi)) => z.remove_ranks(lo, hi),
            None => 0,
        },
        None => 0,
    };
    ctx.srv.dirty += removed as u64;
    if removed > 0 {
        ctx.notify(ev::ZSET, event, &args[1]);
    }
    drop_if_empty(ctx, &args[1], slot);
    if removed > 0 {
        ctx.touch(&args[1]);
    }
    ctx.out.int(removed as i64);
    Ok(())
}
