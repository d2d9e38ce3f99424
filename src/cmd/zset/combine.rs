//! ZUNION, ZINTER and ZDIFF, their STORE forms and ZINTERCARD, with the WEIGHTS and AGGREGATE
//! parsing they share.

use super::{arg_long, limits, reply_items, store_result};
use crate::cmd::{CmdError, CmdResult, Ctx};
use crate::resp::Args;
use crate::store::zset::{cmp_entry, ZSet};
use crate::store::{Db, Value};
use crate::util::num::parse_f64;

// ---------------------------------------------------------------------------------------------
// ZUNION, ZINTER, ZDIFF, their STORE forms, ZINTERCARD
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// Redis's zunionInterAggregate.
fn aggregate(target: &mut f64, val: f64, agg: Aggregate) {
    match agg {
        Aggregate::Sum => {
            *target += val;
            // inf + -inf: Redis keeps the convention that the result is 0.
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if val < *target {
                *target = val;
            }
        }
        Aggregate::Max => {
            if val > *target {
                *target = val;
            }
        }
    }
}

/// One input of a set operation: a sorted set, a plain set (every score 1), or nothing.
#[derive(Clone, Copy)]
enum Source<'a> {
    Missing,
    Z(&'a ZSet),
    S(&'a crate::store::set::Set),
}

impl<'a> Source<'a> {
    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::Z(z) => z.len(),
            Source::S(s) => s.len(),
        }
    }

    /// The score of `member`, if present.
    fn find(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::Z(z) => z.score(member),
            Source::S(s) => s.contains(member).then_some(1.0),
        }
    }

    /// Every `(member, score)`.
    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Source::Missing => {}
            Source::Z(z) => {
                for (m, s) in z.iter() {
                    f(m, s);
                }
            }
            Source::S(s) => {
                let mut buf = itoa::Buffer::new();
                for m in s.iter() {
                    f(m.bytes(&mut buf), 1.0);
                }
            }
        }
    }

    /// Identity of the underlying value (Redis compares `subject` pointers).
    fn id(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::Z(z) => *z as *const ZSet as usize,
            Source::S(s) => *s as *const crate::store::set::Set as usize,
        }
    }
}

pub(super) fn zunion(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_generic(ctx, args, None, 1, SetOp::Union, false)
}

pub(super) fn zinter(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_generic(ctx, args, None, 1, SetOp::Inter, false)
}

pub(super) fn zdiff(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_generic(ctx, args, None, 1, SetOp::Diff, false)
}

pub(super) fn zunionstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_generic(ctx, args, Some(1), 2, SetOp::Union, false)
}

pub(super) fn zinterstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_generic(ctx, args, Some(1), 2, SetOp::Inter, false)
}

pub(super) fn zdiffstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_generic(ctx, args, Some(1), 2, SetOp::Diff, false)
}

pub(super) fn zintercard(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_generic(ctx, args, None, 1, SetOp::Inter, true)
}

/// Redis's zunionInterDiffGenericCommand.
fn set_op_generic(
    ctx: &mut Ctx,
    args: &Args,
    dst: Option<usize>,
    numkeys_idx: usize,
    op: SetOp,
    card_only: bool,
) -> CmdResult {
    let setnum = arg_long(&args[numkeys_idx])?;
    if setnum < 1 {
        let name = crate::cmd::table::registry().full_name(ctx.id);
        return Err(CmdError::err(format!(
            "at least 1 input key is needed for '{name}' command"
        )));
    }
    let avail = args.len() - (numkeys_idx + 1);
    if setnum as u64 > avail as u64 {
        return Err(CmdError::Syntax);
    }
    let setnum = setnum as usize;

    // Keys are looked up (and type checked) before the options are parsed, as Redis does.
    let mut slots: Vec<Option<u32>> = Vec::with_capacity(setnum);
    for i in 0..setnum {
        let key = &args[numkeys_idx + 1 + i];
        let slot = ctx.lookup_read(key);
        if let Some(s) = slot {
            match ctx.db().entry(s).map(|e| &e.value) {
                Some(Value::ZSet(_)) | Some(Value::Set(_)) => {}
                Some(_) => return Err(CmdError::WrongType),
                None => {}
            }
        }
        slots.push(slot);
    }

    let mut weights = vec![1.0f64; setnum];
    let mut agg = Aggregate::Sum;
    let mut withscores = false;
    let mut limit: u64 = 0;
    let mut j = numkeys_idx + 1 + setnum;
    while j < args.len() {
        let remaining = args.len() - j;
        let opt = &args[j];
        if op != SetOp::Diff
            && !card_only
            && remaining > setnum
            && opt.eq_ignore_ascii_case(b"weights")
        {
            j += 1;
            for w in weights.iter_mut() {
                *w =
                    parse_f64(&args[j]).ok_or(CmdError::from("ERR weight value is not a float"))?;
                j += 1;
            }
        } else if op != SetOp::Diff
            && !card_only
            && remaining >= 2
            && opt.eq_ignore_ascii_case(b"aggregate")
        {
            let a = &args[j + 1];
            agg = if a.eq_ignore_ascii_case(b"sum") {
                Aggregate::Sum
            } else if a.eq_ignore_ascii_case(b"min") {
                Aggregate::Min
            } else if a.eq_ignore_ascii_case(b"max") {
                Aggregate::Max
            } else {
                return Err(CmdError::Syntax);
            };
            j += 2;
        } else if dst.is_none() && !card_only && opt.eq_ignore_ascii_case(b"withscores") {
            withscores = true;
            j += 1;
        } else if card_only && remaining >= 2 && opt.eq_ignore_ascii_case(b"limit") {
            limit = crate::util::num::parse_i64(&args[j + 1])
                .and_then(|n| u64::try_from(n).ok())
                .ok_or(CmdError::from("ERR LIMIT can't be negative"))?;
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }

    let lim = limits(ctx);
    let (result, cardinality) = {
        let db: &Db = ctx.db();
        let mut srcs: Vec<(Source, f64)> = slots
            .iter()
            .zip(weights.iter())
            .map(|(slot, &w)| {
                let src = match slot.and_then(|s| db.entry(s)).map(|e| &e.value) {
                    Some(Value::ZSet(z)) => Source::Z(z),
                    Some(Value::Set(s)) => Source::S(s),
                    _ => Source::Missing,
                };
                (src, w)
            })
            .collect();
        if op != SetOp::Diff {
            // Smallest first (a stable sort, as glibc's merge-sort qsort).
            srcs.sort_by_key(|(s, _)| s.len());
        }

        let mut result: Vec<(Vec<u8>, f64)> = Vec::new();
        let mut cardinality: u64 = 0;
        match op {
            SetOp::Inter => {
                if srcs[0].0.len() > 0 {
                    let (first, w0) = srcs[0];
                    let mut stop = false;
                    first.for_each(|m, s| {
                        if stop {
                            return;
                        }
                        let mut score = w0 * s;
                        if score.is_nan() {
                            score = 0.0;
                        }
                        let mut all = true;
                        for &(other, w) in &srcs[1..] {
                            let value = if other.id() == first.id() {
                                Some(s)
                            } else {
                                other.find(m)
                            };
                            match value {
                                Some(v) => aggregate(&mut score, v * w, agg),
                                None => {
                                    all = false;
                                    break;
                                }
                            }
                        }
                        if !all {
                            return;
                        }
                        if card_only {
                            cardinality += 1;
                            if limit != 0 && cardinality >= limit {
                                stop = true;
                            }
                        } else {
                            result.push((m.to_vec(), score));
                        }
                    });
                }
            }
            SetOp::Union => {
                let mut acc: hashbrown::HashMap<Vec<u8>, usize> = hashbrown::HashMap::new();
                for &(src, w) in &srcs {
                    src.for_each(|m, s| {
                        let mut score = w * s;
                        if score.is_nan() {
                            score = 0.0;
                        }
                        match acc.get(m) {
                            Some(&i) => aggregate(&mut result[i].1, score, agg),
                            None => {
                                acc.insert(m.to_vec(), result.len());
                                result.push((m.to_vec(), score));
                            }
                        }
                    });
                }
            }
            SetOp::Diff => {
                let first = srcs[0].0;
                if first.len() > 0
                    && !srcs[1..]
                        .iter()
                        .any(|(s, _)| s.id() != 0 && s.id() == first.id())
                {
                    first.for_each(|m, s| {
                        if !srcs[1..].iter().any(|(o, _)| o.find(m).is_some()) {
                            result.push((m.to_vec(), s));
                        }
                    });
                }
            }
        }
        (result, cardinality)
    };
    if card_only {
        ctx.out.int(cardinality as i64);
        return Ok(());
    }
    match dst {
        Some(d) => {
            let mut result = result;
            result.sort_by(|a, b| cmp_entry(a.1, &a.0, b.1, &b.0));
            let entries: Vec<(&[u8], f64)> = result.iter().map(|(m, s)| (&m[..], *s)).collect();
            let z = ZSet::from_distinct(&entries, lim);
            let event = match op {
                SetOp::Union => "zunionstore",
                SetOp::Inter => "zinterstore",
                SetOp::Diff => "zdiffstore",
            };
            store_result(ctx, &args[d], z, event);
        }
        None => {
            let mut result = result;
            result.sort_by(|a, b| cmp_entry(a.1, &a.0, b.1, &b.0));
            let items: Vec<(&[u8], f64)> = result.iter().map(|(m, s)| (&m[..], *s)).collect();
            reply_items(ctx.out, &items, withscores);
        }
    }
    Ok(())
}
