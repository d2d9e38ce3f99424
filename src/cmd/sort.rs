//! SORT and SORT_RO: the elements of a list, set or sorted set, sorted numerically or
//! lexicographically, by themselves or by other keys (`BY pattern`), optionally mapped through
//! other keys (`GET pattern`), limited, and returned or stored as a list.
//!
//! Follows Redis 7.0's sortCommandGeneric step by step: options are parsed first (a syntax
//! error wins over a wrong type), a `BY` pattern without `*` means "do not sort", a set is
//! still sorted (ALPHA) when the result is stored so that the stored list is deterministic,
//! numeric sorting breaks ties by comparing the elements, and elements whose weight does not
//! parse as a double fail the whole command.

use std::cmp::Ordering;

use super::table::{acl, flags::*, key_flags::*, Command, GetKeys, Group, KeySpec};
use super::{ev, CmdError, CmdResult, Ctx};
use crate::resp::Args;
use crate::store::list::{End, List};
use crate::store::Value;

const SORT_ARGS: &str = "key:key ?BY=pattern:pattern-key1 ?LIMIT=offset_count{offset:integer \
                         count:integer} ?GET=pattern:pattern-key1...+ ?order(ASC|DESC) \
                         ?ALPHA=sorting:pure-token ?STORE=destination:key2";
const SORT_RO_ARGS: &str = "key:key ?BY=pattern:pattern-key1 \
                            ?LIMIT=offset_count{offset:integer count:integer} \
                            ?GET=pattern:pattern-key1...+ ?order(ASC|DESC) \
                            ?ALPHA=sorting:pure-token";
const SORT_COMPLEXITY: &str = "O(N+M*log(M)) where N is the number of elements in the list or \
                               set to sort, and M the number of returned elements. When the \
                               elements are not sorted, complexity is O(N).";

pub static COMMANDS: &[Command] = &[
    Command::new("sort", -2, sort)
        .group(Group::Generic)
        .flags(WRITE | DENYOOM)
        .acl(acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS)
        .keys(&[
            KeySpec::at(1).flags(RO | ACCESS),
            KeySpec::unknown().flags(RO | ACCESS).notes("For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort"),
            KeySpec::unknown().flags(OW | UPDATE).notes("For the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array"),
        ])
        .getkeys(GetKeys::Sort)
        .summary("Sort the elements in a list, set or sorted set")
        .since("1.0.0")
        .complexity(SORT_COMPLEXITY)
        .args(SORT_ARGS),
    Command::new("sort_ro", -2, sort_ro)
        .group(Group::Generic)
        .flags(READONLY)
        .acl(acl::SET | acl::SORTEDSET | acl::LIST | acl::DANGEROUS)
        .keys(&[
            KeySpec::at(1).flags(RO | ACCESS),
            KeySpec::unknown().flags(RO | ACCESS).notes("For the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort"),
        ])
        .getkeys(GetKeys::SortRo)
        .summary("Sort the elements in a list, set or sorted set. Read-only variant of SORT.")
        .since("7.0.0")
        .complexity(SORT_COMPLEXITY)
        .args(SORT_RO_ARGS),
];

fn sort(ctx: &mut Ctx, args: &Args) -> CmdResult {
    sort_generic(ctx, args, false)
}

fn sort_ro(ctx: &mut Ctx, args: &Args) -> CmdResult {
    sort_generic(ctx, args, true)
}

/// The value a pattern names for `element`: `#` is the element itself; otherwise the first
/// `*` is replaced by the element, and `key->field` reads a hash field. Missing keys, keys of
/// the wrong type and patterns without `*` give `None`.
fn lookup_by_pattern(ctx: &mut Ctx, pattern: &[u8], element: &[u8]) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(element.to_vec());
    }
    // C string semantics, as Redis: the pattern ends at a NUL byte for these searches.
    let cstr = &pattern[..pattern
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(pattern.len())];
    let star = cstr.iter().position(|&b| b == b'*')?;
    let arrow = cstr[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| star + 1 + i)
        .filter(|&i| i + 2 < cstr.len());
    let (key_tail, field) = match arrow {
        Some(i) => (&pattern[star + 1..i], Some(&pattern[i + 2..])),
        None => (&pattern[star + 1..], None),
    };
    let mut key = Vec::with_capacity(pattern.len() + element.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(element);
    key.extend_from_slice(key_tail);
    let slot = ctx.lookup_read(&key)?;
    let entry = ctx.db().entry(slot)?;
    let mut scratch = itoa::Buffer::new();
    match (field, &entry.value) {
        (Some(field), Value::Hash(h)) => h.get(field).map(|v| v.bytes(&mut scratch).to_vec()),
        (None, v) if v.is_string() => v.as_bytes(&mut scratch).map(<[u8]>::to_vec),
        _ => None,
    }
}

/// `strtod` as SORT checks it: the whole string (up to a NUL) must parse, without overflow,
/// underflow or NaN; leading spaces and the empty string (0) pass.
fn sort_weight(text: &[u8]) -> Option<f64> {
    let v = crate::util::num::parse_f64_range_bound(text)?;
    let lower = text.to_ascii_lowercase();
    let mentions_inf = lower.windows(3).any(|w| w == b"inf");
    if v.is_infinite() && !mentions_inf {
        return None; // ERANGE: overflow
    }
    if v != 0.0 && v.abs() < f64::MIN_POSITIVE {
        return None; // ERANGE: denormal
    }
    if v == 0.0 {
        let mantissa = lower.split(|&b| b == b'e').next().unwrap_or(&[]);
        if mantissa.iter().any(|b| (b'1'..=b'9').contains(b)) && !lower.starts_with(b"0x") {
            return None; // ERANGE: underflow to zero
        }
    }
    Some(v)
}

/// Bytes up to the first NUL, as `strcoll`/`strcmp` see a string.
fn c_str(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

struct Item {
    element: Vec<u8>,
    score: f64,
    /// The BY value for ALPHA sorting (`None` when the BY key is missing).
    by: Option<Vec<u8>>,
}

fn sort_generic(ctx: &mut Ctx, args: &Args, readonly: bool) -> CmdResult {
    let mut desc = false;
    let mut alpha = false;
    let mut limit: Option<(i64, i64)> = None;
    let mut store: Option<&[u8]> = None;
    let mut sort_by: Option<&[u8]> = None;
    let mut dont_sort = false;
    let mut gets: Vec<&[u8]> = Vec::new();
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        let word = &args[j];
        if word.eq_ignore_ascii_case(b"asc") {
            desc = false;
        } else if word.eq_ignore_ascii_case(b"desc") {
            desc = true;
        } else if word.eq_ignore_ascii_case(b"alpha") {
            alpha = true;
        } else if word.eq_ignore_ascii_case(b"limit") && left >= 2 {
            let start = super::arg_i64(&args[j + 1])?;
            let count = super::arg_i64(&args[j + 2])?;
            limit = Some((start, count));
            j += 2;
        } else if !readonly && word.eq_ignore_ascii_case(b"store") && left >= 1 {
            store = Some(args.get(j + 1));
            j += 1;
        } else if word.eq_ignore_ascii_case(b"by") && left >= 1 {
            let pattern = args.get(j + 1);
            sort_by = Some(pattern);
            if !c_str(pattern).contains(&b'*') {
                dont_sort = true;
            }
            j += 1;
        } else if word.eq_ignore_ascii_case(b"get") && left >= 1 {
            gets.push(args.get(j + 1));
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }

    let key = &args[1];
    // A read lookup with STORE too, as Redis 7.0's (a miss counts, and notifies `keymiss`).
    let slot = ctx.lookup_read(key);
    #[derive(PartialEq)]
    enum Kind {
        List,
        Set,
        ZSet,
    }
    let kind = match slot.and_then(|s| ctx.db().entry(s)).map(|e| &e.value) {
        None => Kind::List,
        Some(Value::List(_)) => Kind::List,
        Some(Value::Set(_)) => Kind::Set,
        Some(Value::ZSet(_)) => Kind::ZSet,
        Some(_) => return Err(CmdError::WrongType),
    };
    if dont_sort && kind == Kind::Set && store.is_some() {
        // A stored result must not depend on the set's internal order.
        dont_sort = false;
        alpha = true;
        sort_by = None;
    }

    // The elements, in the value's own order (a set's is its iteration order).
    let mut elements: Vec<Vec<u8>> = Vec::new();
    if let Some(entry) = slot.and_then(|s| ctx.db().entry(s)) {
        let mut scratch = itoa::Buffer::new();
        match &entry.value {
            Value::List(l) => elements.extend(l.iter_from(0).map(<[u8]>::to_vec)),
            Value::Set(s) => elements.extend(s.iter().map(|m| m.bytes(&mut scratch).to_vec())),
            Value::ZSet(z) => elements.extend(z.iter().map(|(m, _)| m.to_vec())),
            _ => {}
        }
    }
    let len = elements.len() as i64;
    let (limit_start, limit_count) = limit.unwrap_or((0, -1));
    let mut start = limit_start.max(0);
    let mut end = if limit_count < 0 {
        len - 1
    } else {
        start.saturating_add(limit_count).saturating_sub(1)
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }

    let mut items: Vec<Item>;
    if dont_sort && kind != Kind::Set {
        // Native order (reversed for DESC), just the LIMIT range.
        if desc {
            elements.reverse();
        }
        items = if end >= start {
            elements
                .drain(start as usize..=end as usize)
                .map(|element| Item {
                    element,
                    score: 0.0,
                    by: None,
                })
                .collect()
        } else {
            Vec::new()
        };
        end -= start;
        start = 0;
    } else {
        items = elements
            .into_iter()
            .map(|element| Item {
                element,
                score: 0.0,
                by: None,
            })
            .collect();
    }

    let mut conversion_error = false;
    if !dont_sort {
        for item in items.iter_mut() {
            let by_value = match sort_by {
                Some(p) => match lookup_by_pattern(ctx, p, &item.element) {
                    Some(v) => v,
                    None => continue,
                },
                None => item.element.clone(),
            };
            if alpha {
                if sort_by.is_some() {
                    item.by = Some(by_value);
                }
            } else {
                match sort_weight(&by_value) {
                    Some(score) => item.score = score,
                    None => conversion_error = true,
                }
            }
        }
        let by_pattern = sort_by.is_some();
        let stored = store.is_some();
        let compare = |a: &Item, b: &Item| -> Ordering {
            let cmp = if !alpha {
                a.score
                    .partial_cmp(&b.score)
                    .unwrap_or(Ordering::Equal)
                    .then_with(|| a.element.cmp(&b.element))
            } else if by_pattern {
                match (&a.by, &b.by) {
                    (None, None) => Ordering::Equal,
                    (None, Some(_)) => Ordering::Less,
                    (Some(_), None) => Ordering::Greater,
                    (Some(x), Some(y)) if stored => x.cmp(y),
                    (Some(x), Some(y)) => c_str(x).cmp(c_str(y)),
                }
            } else if stored {
                a.element.cmp(&b.element)
            } else {
                c_str(&a.element).cmp(c_str(&b.element))
            };
            if desc {
                cmp.reverse()
            } else {
                cmp
            }
        };
        items.sort_by(compare);
    }

    if conversion_error {
        return Err(CmdError::err(
            "One or more scores can't be converted into double",
        ));
    }
    let range: &[Item] = if end >= start && start >= 0 {
        &items[start as usize..=(end as usize).min(items.len().saturating_sub(1))]
    } else {
        &[]
    };
    // Resolve GET patterns first: they read the keyspace, which the reply may not borrow.
    let mut rows: Vec<Option<Vec<u8>>> = Vec::with_capacity(range.len() * gets.len().max(1));
    for item in range {
        if gets.is_empty() {
            rows.push(Some(item.element.clone()));
        }
        for pattern in &gets {
            rows.push(lookup_by_pattern(ctx, pattern, &item.element));
        }
    }
    let Some(dest) = store else {
        ctx.out.array(rows.len());
        for row in &rows {
            match row {
                Some(v) => ctx.out.bulk(v),
                None => ctx.out.null(),
            }
        }
        return Ok(());
    };
    let n = rows.len();
    if n > 0 {
        let fill = ctx.srv.config.list_max_listpack_size;
        let mut list = List::new();
        for row in &rows {
            list.push(End::Tail, row.as_deref().unwrap_or(b""), fill);
        }
        let clock = ctx.clock;
        // Redis's setKey looks the key up for writing: an expired one goes first.
        let created = ctx.lookup_write(dest).is_none();
        ctx.db()
            .set(dest, Value::List(Box::new(list)), false, clock);
        ctx.srv.dirty += n as u64;
        ctx.touch(dest);
        ctx.notify(ev::LIST, "sortstore", dest);
        if created {
            // Like Redis's dbAdd: a new list may serve clients blocked on its key.
            crate::cmd::blocking::signal_ready(ctx, dest);
        }
    } else if ctx.db().remove(dest).is_some() {
        ctx.srv.dirty += 1;
        ctx.touch(dest);
        ctx.notify(ev::GENERIC, "del", dest);
    }
    ctx.out.int(n as i64);
    Ok(())
}
