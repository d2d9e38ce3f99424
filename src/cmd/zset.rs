//! Sorted set commands: ZADD, ZINCRBY, ZREM, ZSCORE, ZMSCORE, ZCARD, ZCOUNT, ZLEXCOUNT, the
//! ZRANGE family (ZRANGE, ZRANGESTORE, ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE,
//! ZRANGEBYLEX, ZREVRANGEBYLEX), ZRANK, ZREVRANK, ZREMRANGEBYRANK/SCORE/LEX, ZPOPMIN,
//! ZPOPMAX, ZMPOP, the blocking BZPOPMIN, BZPOPMAX and BZMPOP, ZRANDMEMBER, ZUNION/ZINTER/ZDIFF and their STORE forms, ZINTERCARD, ZSCAN.
//!
//! Argument checks, their order and the error texts follow Redis 7.0's `t_zset.c`; the value
//! type lives in `store/zset`. Ranges are computed as ranks over the `(score, member)` order
//! (see [`first_in`] / [`last_in`]), walking a listpack the way Redis walks it.
//!
//! Replies take Redis 7.0's RESP3 types through [`Reply`]: every score is a double (ZSCORE,
//! ZMSCORE, ZINCRBY, ZADD INCR, WITHSCORES, pops); WITHSCORES lists (the ZRANGE family,
//! ZUNION/ZINTER/ZDIFF, ZRANDMEMBER) and ZPOPMIN/ZPOPMAX with COUNT are `[member, score]` pairs
//! in RESP3 and flat in RESP2; ZPOPMIN/ZPOPMAX without COUNT and BZPOPMIN/BZPOPMAX stay flat;
//! ZMPOP/BZMPOP are nested in both; ZSCAN stays an array of bulk strings.

use super::parse_scan_cursor as parse_cursor;
use super::table::{acl, flags::*, key_flags::*, tips::*, Command, GetKeys, Group, KeySpec};
use super::{arg_i64, ev, CmdError, CmdResult, Ctx};
use crate::resp::{Args, Reply};
use crate::server::blocking::{self, Served};
use crate::store::zset::{cmp_entry, Limits, ZSet};
use crate::store::{Db, Value};
use crate::util::glob::glob_match;
use crate::util::num::{parse_f64, parse_f64_range_bound};

pub static COMMANDS: &[Command] = &[
    Command::new("zadd", -4, zadd)
        .group(Group::SortedSet)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RW | UPDATE)])
        .summary("Add one or more members to a sorted set, or update its score if it already exists")
        .since("1.2.0")
        .complexity("O(log(N)) for each item added, where N is the number of elements in the sorted set.")
        .history(&[("2.4.0", "Accepts multiple elements."), ("3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options."), ("6.2.0", "Added the `GT` and `LT` options.")])
        .args("key:key ?condition@3.0.2(NX|XX) ?comparison@6.2.0(GT|LT) \
            ?CH=change:pure-token@3.0.2 ?INCR=increment:pure-token@3.0.2 \
            score_member...{score:double member}"),
    Command::new("zincrby", 4, zincrby)
        .group(Group::SortedSet)
        .flags(WRITE | DENYOOM | FAST)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RW | ACCESS | UPDATE)])
        .summary("Increment the score of a member in a sorted set")
        .since("1.2.0")
        .complexity("O(log(N)) where N is the number of elements in the sorted set.")
        .args("key:key increment:integer member"),
    Command::new("zrem", -3, zrem)
        .group(Group::SortedSet)
        .flags(WRITE | FAST)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RW | DELETE)])
        .summary("Remove one or more members from a sorted set")
        .since("1.2.0")
        .complexity("O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.")
        .history(&[("2.4.0", "Accepts multiple elements.")])
        .args("key:key member..."),
    Command::new("zscore", 3, zscore)
        .group(Group::SortedSet)
        .flags(READONLY | FAST)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Get the score associated with the given member in a sorted set")
        .since("1.2.0")
        .complexity("O(1)")
        .args("key:key member"),
    Command::new("zmscore", -3, zmscore)
        .group(Group::SortedSet)
        .flags(READONLY | FAST)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Get the score associated with the given members in a sorted set")
        .since("6.2.0")
        .complexity("O(N) where N is the number of members being requested.")
        .args("key:key member..."),
    Command::new("zcard", 2, zcard)
        .group(Group::SortedSet)
        .flags(READONLY | FAST)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RO)])
        .summary("Get the number of members in a sorted set")
        .since("1.2.0")
        .complexity("O(1)")
        .args("key:key"),
    Command::new("zcount", 4, zcount)
        .group(Group::SortedSet)
        .flags(READONLY | FAST)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Count the members in a sorted set with scores within the given values")
        .since("2.0.0")
        .complexity("O(log(N)) with N being the number of elements in the sorted set.")
        .args("key:key min:double max:double"),
    Command::new("zlexcount", 4, zlexcount)
        .group(Group::SortedSet)
        .flags(READONLY | FAST)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Count the number of members in a sorted set between a given lexicographical range")
        .since("2.8.9")
        .complexity("O(log(N)) with N being the number of elements in the sorted set.")
        .args("key:key min max"),
    Command::new("zrange", -4, zrange)
        .group(Group::SortedSet)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Return a range of members in a sorted set")
        .since("1.2.0")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.")
        .history(&[("6.2.0", "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options.")])
        .args("key:key start stop ?sortby@6.2.0(BYSCORE|BYLEX) ?REV@6.2.0 \
            ?LIMIT=offset_count@6.2.0{offset:integer count:integer} ?WITHSCORES"),
    Command::new("zrangestore", -5, zrangestore)
        .group(Group::SortedSet)
        .flags(WRITE | DENYOOM)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(OW | UPDATE), KeySpec::at(2).flags(RO | ACCESS)])
        .summary("Store a range of members from sorted set into another key")
        .since("6.2.0")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.")
        .args("dst:key src:key min max ?sortby(BYSCORE|BYLEX) ?REV \
            ?LIMIT=offset_count{offset:integer count:integer}"),
    Command::new("zrangebyscore", -4, zrangebyscore)
        .group(Group::SortedSet)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Return a range of members in a sorted set, by score")
        .since("1.0.5")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")
        .deprecated("6.2.0", "`ZRANGE` with the `BYSCORE` argument")
        .history(&[("2.0.0", "Added the `WITHSCORES` modifier.")])
        .args("key:key min:double max:double ?WITHSCORES@2.0.0 ?LIMIT=offset_count{offset:integer \
            count:integer}"),
    Command::new("zrevrangebyscore", -4, zrevrangebyscore)
        .group(Group::SortedSet)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Return a range of members in a sorted set, by score, with scores ordered from high to low")
        .since("2.2.0")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")
        .deprecated("6.2.0", "`ZRANGE` with the `REV` and `BYSCORE` arguments")
        .history(&[("2.1.6", "`min` and `max` can be exclusive.")])
        .args("key:key max:double min:double ?WITHSCORES ?LIMIT=offset_count{offset:integer \
            count:integer}"),
    Command::new("zrangebylex", -4, zrangebylex)
        .group(Group::SortedSet)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Return a range of members in a sorted set, by lexicographical range")
        .since("2.8.9")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")
        .deprecated("6.2.0", "`ZRANGE` with the `BYLEX` argument")
        .args("key:key min max ?LIMIT=offset_count{offset:integer count:integer}"),
    Command::new("zrevrangebylex", -4, zrevrangebylex)
        .group(Group::SortedSet)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.")
        .since("2.8.9")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).")
        .deprecated("6.2.0", "`ZRANGE` with the `REV` and `BYLEX` arguments")
        .args("key:key max min ?LIMIT=offset_count{offset:integer count:integer}"),
    Command::new("zrevrange", -4, zrevrange)
        .group(Group::SortedSet)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Return a range of members in a sorted set, by index, with scores ordered from high to low")
        .since("1.2.0")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.")
        .deprecated("6.2.0", "`ZRANGE` with the `REV` argument")
        .args("key:key start:integer stop:integer ?WITHSCORES"),
    Command::new("zrank", 3, zrank)
        .group(Group::SortedSet)
        .flags(READONLY | FAST)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Determine the index of a member in a sorted set")
        .since("2.0.0")
        .complexity("O(log(N))")
        .args("key:key member"),
    Command::new("zrevrank", 3, zrevrank)
        .group(Group::SortedSet)
        .flags(READONLY | FAST)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .summary("Determine the index of a member in a sorted set, with scores ordered from high to low")
        .since("2.0.0")
        .complexity("O(log(N))")
        .args("key:key member"),
    Command::new("zremrangebyrank", 4, zremrangebyrank)
        .group(Group::SortedSet)
        .flags(WRITE)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RW | DELETE)])
        .summary("Remove all members in a sorted set within the given indexes")
        .since("2.0.0")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")
        .args("key:key start:integer stop:integer"),
    Command::new("zremrangebyscore", 4, zremrangebyscore)
        .group(Group::SortedSet)
        .flags(WRITE)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RW | DELETE)])
        .summary("Remove all members in a sorted set within the given scores")
        .since("1.2.0")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")
        .args("key:key min:double max:double"),
    Command::new("zremrangebylex", 4, zremrangebylex)
        .group(Group::SortedSet)
        .flags(WRITE)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RW | DELETE)])
        .summary("Remove all members in a sorted set between the given lexicographical range")
        .since("2.8.9")
        .complexity("O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.")
        .args("key:key min max"),
    Command::new("zpopmin", -2, zpopmin)
        .group(Group::SortedSet)
        .flags(WRITE | FAST)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RW | ACCESS | DELETE)])
        .summary("Remove and return members with the lowest scores in a sorted set")
        .since("5.0.0")
        .complexity("O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")
        .args("key:key ?count:integer"),
    Command::new("zpopmax", -2, zpopmax)
        .group(Group::SortedSet)
        .flags(WRITE | FAST)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RW | ACCESS | DELETE)])
        .summary("Remove and return members with the highest scores in a sorted set")
        .since("5.0.0")
        .complexity("O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.")
        .args("key:key ?count:integer"),
    Command::new("zmpop", -4, zmpop)
        .group(Group::SortedSet)
        .flags(WRITE)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).keynum(0, 1, 1).flags(RW | ACCESS | DELETE)])
        .getkeys(GetKeys::NumKeys {
            store: 0,
            count: 1,
            first: 2,
        })
        .summary("Remove and return members with scores in a sorted set")
        .since("7.0.0")
        .complexity("O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.")
        .args("numkeys:integer key:key... where(MIN|MAX) ?COUNT=count:integer"),
    Command::new("zrandmember", -2, zrandmember)
        .group(Group::SortedSet)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Get one or multiple random elements from a sorted set")
        .since("6.2.0")
        .complexity("O(N) where N is the number of elements returned")
        .args("key:key ?options{count:integer ?WITHSCORES}"),
    Command::new("zunion", -3, zunion)
        .group(Group::SortedSet)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).keynum(0, 1, 1).flags(RO | ACCESS)])
        .getkeys(GetKeys::NumKeys {
            store: 0,
            count: 1,
            first: 2,
        })
        .summary("Add multiple sorted sets")
        .since("6.2.0")
        .complexity("O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.")
        .args("numkeys:integer key:key... ?WEIGHTS=weight:integer... ?AGGREGATE=aggregate(SUM|MIN|\
            MAX) ?WITHSCORES"),
    Command::new("zinter", -3, zinter)
        .group(Group::SortedSet)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).keynum(0, 1, 1).flags(RO | ACCESS)])
        .getkeys(GetKeys::NumKeys {
            store: 0,
            count: 1,
            first: 2,
        })
        .summary("Intersect multiple sorted sets")
        .since("6.2.0")
        .complexity("O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.")
        .args("numkeys:integer key:key... ?WEIGHTS=weight:integer... ?AGGREGATE=aggregate(SUM|MIN|\
            MAX) ?WITHSCORES"),
    Command::new("zdiff", -3, zdiff)
        .group(Group::SortedSet)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).keynum(0, 1, 1).flags(RO | ACCESS)])
        .getkeys(GetKeys::NumKeys {
            store: 0,
            count: 1,
            first: 2,
        })
        .summary("Subtract multiple sorted sets")
        .since("6.2.0")
        .complexity("O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.")
        .args("numkeys:integer key:key... ?WITHSCORES"),
    Command::new("zunionstore", -4, zunionstore)
        .group(Group::SortedSet)
        .flags(WRITE | DENYOOM)
        .acl(acl::SORTEDSET)
        .keys(&[
            KeySpec::at(1).flags(OW | UPDATE),
            KeySpec::at(2).keynum(0, 1, 1).flags(RO | ACCESS),
        ])
        .getkeys(GetKeys::NumKeys {
            store: 1,
            count: 2,
            first: 3,
        })
        .summary("Add multiple sorted sets and store the resulting sorted set in a new key")
        .since("2.0.0")
        .complexity("O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.")
        .args("destination:key numkeys:integer key:key... ?WEIGHTS=weight:integer... \
            ?AGGREGATE=aggregate(SUM|MIN|MAX)"),
    Command::new("zinterstore", -4, zinterstore)
        .group(Group::SortedSet)
        .flags(WRITE | DENYOOM)
        .acl(acl::SORTEDSET)
        .keys(&[
            KeySpec::at(1).flags(OW | UPDATE),
            KeySpec::at(2).keynum(0, 1, 1).flags(RO | ACCESS),
        ])
        .getkeys(GetKeys::NumKeys {
            store: 1,
            count: 2,
            first: 3,
        })
        .summary("Intersect multiple sorted sets and store the resulting sorted set in a new key")
        .since("2.0.0")
        .complexity("O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.")
        .args("destination:key numkeys:integer key:key... ?WEIGHTS=weight:integer... \
            ?AGGREGATE=aggregate(SUM|MIN|MAX)"),
    Command::new("zdiffstore", -4, zdiffstore)
        .group(Group::SortedSet)
        .flags(WRITE | DENYOOM)
        .acl(acl::SORTEDSET)
        .keys(&[
            KeySpec::at(1).flags(OW | UPDATE),
            KeySpec::at(2).keynum(0, 1, 1).flags(RO | ACCESS),
        ])
        .getkeys(GetKeys::NumKeys {
            store: 1,
            count: 2,
            first: 3,
        })
        .summary("Subtract multiple sorted sets and store the resulting sorted set in a new key")
        .since("6.2.0")
        .complexity("O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.")
        .args("destination:key numkeys:integer key:key..."),
    Command::new("zintercard", -3, zintercard)
        .group(Group::SortedSet)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).keynum(0, 1, 1).flags(RO | ACCESS)])
        .getkeys(GetKeys::NumKeys {
            store: 0,
            count: 1,
            first: 2,
        })
        .summary("Intersect multiple sorted sets and return the cardinality of the result")
        .since("7.0.0")
        .complexity("O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.")
        .args("numkeys:integer key:key... ?LIMIT=limit:integer"),
    Command::new("zscan", -3, zscan)
        .group(Group::SortedSet)
        .flags(READONLY)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).flags(RO | ACCESS)])
        .tips(&[NONDETERMINISTIC_OUTPUT])
        .summary("Incrementally iterate sorted sets elements and associated scores")
        .since("2.8.0")
        .complexity("O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..")
        .args("key:key cursor:integer ?MATCH=pattern:pattern ?COUNT=count:integer"),
    Command::new("bzpopmin", -3, bzpopmin)
        .group(Group::SortedSet)
        .flags(WRITE | NOSCRIPT | BLOCKING | FAST)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).range(-2, 1, 0).flags(RW | ACCESS | DELETE)])
        .summary("Remove and return the member with the lowest score from one or more sorted sets, or block until one is available")
        .since("5.0.0")
        .complexity("O(log(N)) with N being the number of elements in the sorted set.")
        .history(&[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")])
        .args("key:key... timeout:double"),
    Command::new("bzpopmax", -3, bzpopmax)
        .group(Group::SortedSet)
        .flags(WRITE | NOSCRIPT | BLOCKING | FAST)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(1).range(-2, 1, 0).flags(RW | ACCESS | DELETE)])
        .summary("Remove and return the member with the highest score from one or more sorted sets, or block until one is available")
        .since("5.0.0")
        .complexity("O(log(N)) with N being the number of elements in the sorted set.")
        .history(&[("6.0.0", "`timeout` is interpreted as a double instead of an integer.")])
        .args("key:key... timeout:double"),
    Command::new("bzmpop", -5, bzmpop)
        .group(Group::SortedSet)
        .flags(WRITE | BLOCKING)
        .acl(acl::SORTEDSET)
        .keys(&[KeySpec::at(2).keynum(0, 1, 1).flags(RW | ACCESS | DELETE)])
        .getkeys(GetKeys::NumKeys {
            store: 0,
            count: 2,
            first: 3,
        })
        .summary("Remove and return members with scores in a sorted set or block until one is available")
        .since("7.0.0")
        .complexity("O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.")
        .args("timeout:double numkeys:integer key:key... where(MIN|MAX) ?COUNT=count:integer"),
];

// ---------------------------------------------------------------------------------------------
// Lookups and shared helpers
// ---------------------------------------------------------------------------------------------

const NAN_ERR: &str = "ERR resulting score is not a number (NaN)";
const SCORE_RANGE_ERR: &str = "ERR min or max is not a float";
const LEX_RANGE_ERR: &str = "ERR min or max not valid string range item";

/// The conversion thresholds currently configured.
fn limits(ctx: &Ctx) -> Limits {
    Limits {
        max_entries: ctx.srv.config.zset_max_listpack_entries,
        max_value: ctx.srv.config.zset_max_listpack_value,
    }
}

/// The sorted set in `slot`, if that slot holds one.
fn zref(db: &Db, slot: u32) -> Option<&ZSet> {
    match db.entry(slot).map(|e| &e.value) {
        Some(Value::ZSet(z)) => Some(z),
        _ => None,
    }
}

fn zmut(db: &mut Db, slot: u32) -> Option<&mut ZSet> {
    match db.entry_mut(slot).map(|e| &mut e.value) {
        Some(Value::ZSet(z)) => Some(z),
        _ => None,
    }
}

/// Checks that a found key holds a sorted set.
fn typed(ctx: &mut Ctx, slot: Option<u32>) -> Result<Option<u32>, CmdError> {
    match slot {
        None => Ok(None),
        Some(s) => match ctx.db().entry(s).map(|e| &e.value) {
            Some(Value::ZSet(_)) => Ok(Some(s)),
            Some(_) => Err(CmdError::WrongType),
            None => Ok(None),
        },
    }
}

/// Looks `key` up for reading: its slot when it holds a sorted set, `None` when missing,
/// WRONGTYPE otherwise.
fn read_slot(ctx: &mut Ctx, key: &[u8]) -> Result<Option<u32>, CmdError> {
    let slot = ctx.lookup_read(key);
    typed(ctx, slot)
}

/// [`read_slot`] for writing.
fn write_slot(ctx: &mut Ctx, key: &[u8]) -> Result<Option<u32>, CmdError> {
    let slot = ctx.lookup_write(key);
    typed(ctx, slot)
}

/// Deletes `key` (in `slot`) when its sorted set became empty, with Redis's `del`
/// notification.
fn drop_if_empty(ctx: &mut Ctx, key: &[u8], slot: u32) -> bool {
    let db = ctx.db();
    if zref(db, slot).is_some_and(|z| z.is_empty()) {
        db.remove_slot(slot);
        ctx.notify(ev::GENERIC, "del", key);
        true
    } else {
        false
    }
}

/// Tells blocked BZPOP*/BZMPOP clients that `key` may have members now.
fn signal_ready(ctx: &mut Ctx, key: &[u8]) {
    blocking::signal_ready(ctx, key);
}

/// Stores `z` at `key` (replacing any value and TTL), or deletes `key` when `z` is empty.
/// Returns the stored length. `event` is the notification of a stored result.
fn store_result(ctx: &mut Ctx, key: &[u8], z: ZSet, event: &str) -> usize {
    let clock = ctx.clock;
    let n = z.len();
    if n == 0 {
        // An empty result only counts as a change when it deleted a stored key (Redis's
        // dbDelete: expired or not).
        if ctx.db().remove(key).is_some() {
            ctx.srv.dirty += 1;
            ctx.touch(key);
            ctx.notify(ev::GENERIC, "del", key);
        }
    } else {
        // Redis's setKey looks the key up for writing: an expired one goes first.
        let existed = ctx.lookup_write(key).is_some();
        ctx.db().set(key, Value::ZSet(Box::new(z)), false, clock);
        ctx.srv.dirty += 1;
        ctx.touch(key);
        ctx.notify(ev::ZSET, event, key);
        // Redis's setKey wakes waiters only when it creates the key (dbAdd), not when it
        // overwrites another type's value (dbOverwrite); an existing sorted set has no waiters.
        if !existed {
            signal_ready(ctx, key);
        }
    }
    n
}

/// Parses a `long` argument (Redis's getLongFromObjectOrReply).
fn arg_long(arg: &[u8]) -> Result<i64, CmdError> {
    arg_i64(arg)
}

/// Opens a reply of `n` members, or of `n` `(member, score)` pairs with WITHSCORES (flat in
/// RESP2, `[member, score]` arrays in RESP3), as Redis's zrange result handlers do.
fn items_header(out: &mut Reply, n: usize, withscores: bool) {
    if withscores {
        out.pairs(n);
    } else {
        out.array(n);
    }
}

/// One member of an [`items_header`] reply; its score is a double (`,` in RESP3).
fn item(out: &mut Reply, member: &[u8], score: f64, withscores: bool) {
    if withscores {
        out.pair();
        out.bulk(member);
        out.double(score);
    } else {
        out.bulk(member);
    }
}

/// Writes members, or `(member, score)` pairs with WITHSCORES.
fn reply_items(out: &mut Reply, items: &[(&[u8], f64)], withscores: bool) {
    items_header(out, items.len(), withscores);
    for &(m, s) in items {
        item(out, m, s, withscores);
    }
}

/// Applies Redis's rank index rules (negative from the end) to `start..=end` over `len`
/// elements; `None` when the range is empty.
fn rank_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = i64::try_from(len).unwrap_or(i64::MAX);
    let mut start = start;
    let mut end = end;
    if start < 0 {
        start = llen.saturating_add(start);
    }
    if end < 0 {
        end = llen.saturating_add(end);
    }
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    if end >= llen {
        end = llen - 1;
    }
    Some((start as usize, end as usize))
}

// ---------------------------------------------------------------------------------------------
// Ranges
// ---------------------------------------------------------------------------------------------

/// A score or lex interval, with Redis's inclusive/exclusive bound tests.
trait Interval {
    /// True when no element can be inside (min above max, or equal and one side open).
    fn empty(&self) -> bool;
    fn gte_min(&self, score: f64, member: &[u8]) -> bool;
    fn lte_max(&self, score: f64, member: &[u8]) -> bool;
}

#[derive(Clone, Copy, Debug)]
struct ScoreRange {
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

fn parse_score_range(min: &[u8], max: &[u8]) -> Result<ScoreRange, CmdError> {
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
struct LexRange<'a> {
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

fn parse_lex_range<'a>(min: &'a [u8], max: &'a [u8]) -> Result<LexRange<'a>, CmdError> {
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
fn first_in(z: &ZSet, r: &impl Interval) -> Option<usize> {
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
fn last_in(z: &ZSet, r: &impl Interval) -> Option<usize> {
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
fn interval_ranks(z: &ZSet, r: &impl Interval) -> Option<(usize, usize)> {
    let lo = first_in(z, r)?;
    let n = z
        .iter_from(lo, false)
        .take_while(|(m, s)| r.lte_max(*s, m))
        .count();
    Some((lo, lo + n))
}

// ---------------------------------------------------------------------------------------------
// ZADD, ZINCRBY, ZREM
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Default)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    incr: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum AddOutcome {
    Added,
    Updated,
    /// Processed, score unchanged.
    Same,
    Nop,
}

/// Redis's zsetAdd for one member; `Err` when an increment produced NaN.
fn zset_add(
    z: &mut ZSet,
    member: &[u8],
    score: f64,
    f: AddFlags,
    lim: Limits,
) -> Result<(AddOutcome, f64), CmdError> {
    if score.is_nan() {
        return Err(NAN_ERR.into());
    }
    match z.score(member) {
        Some(cur) => {
            if f.nx {
                return Ok((AddOutcome::Nop, score));
            }
            let mut score = score;
            if f.incr {
                score += cur;
                if score.is_nan() {
                    return Err(NAN_ERR.into());
                }
            }
            if (f.lt && score >= cur) || (f.gt && score <= cur) {
                return Ok((AddOutcome::Nop, score));
            }
            if score != cur {
                z.set_score(member, score);
                Ok((AddOutcome::Updated, score))
            } else {
                Ok((AddOutcome::Same, score))
            }
        }
        None if !f.xx => {
            z.insert_new(member, score, lim);
            Ok((AddOutcome::Added, score))
        }
        None => Ok((AddOutcome::Nop, score)),
    }
}

fn zadd(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zadd_generic(ctx, args, false)
}

fn zincrby(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zadd_generic(ctx, args, true)
}

fn zadd_generic(ctx: &mut Ctx, args: &Args, incr_cmd: bool) -> CmdResult {
    let mut f = AddFlags {
        incr: incr_cmd,
        ..AddFlags::default()
    };
    let mut ch = false;
    let mut idx = 2;
    while idx < args.len() {
        let opt = &args[idx];
        if opt.eq_ignore_ascii_case(b"nx") {
            f.nx = true;
        } else if opt.eq_ignore_ascii_case(b"xx") {
            f.xx = true;
        } else if opt.eq_ignore_ascii_case(b"ch") {
            ch = true;
        } else if opt.eq_ignore_ascii_case(b"incr") {
            f.incr = true;
        } else if opt.eq_ignore_ascii_case(b"gt") {
            f.gt = true;
        } else if opt.eq_ignore_ascii_case(b"lt") {
            f.lt = true;
        } else {
            break;
        }
        idx += 1;
    }
    let rest = args.len() - idx;
    if rest % 2 == 1 || rest == 0 {
        return Err(CmdError::Syntax);
    }
    let pairs = rest / 2;
    if f.nx && f.xx {
        return Err(CmdError::err(
            "XX and NX options at the same time are not compatible",
        ));
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return Err(CmdError::err(
            "GT, LT, and/or NX options at the same time are not compatible",
        ));
    }
    if f.incr && pairs > 1 {
        return Err(CmdError::err(
            "INCR option supports a single increment-element pair",
        ));
    }
    let mut scores = Vec::with_capacity(pairs.min(1024));
    for j in 0..pairs {
        scores.push(parse_f64(&args[idx + j * 2]).ok_or(CmdError::NotFloat)?);
    }

    let key = &args[1];
    let lim = limits(ctx);
    let slot = write_slot(ctx, key)?;
    let (mut added, mut updated, mut processed) = (0i64, 0i64, 0i64);
    let mut last_score = 0.0;
    let mut result: Result<(), CmdError> = Ok(());
    let mut run = |z: &mut ZSet| {
        for (j, &score) in scores.iter().enumerate() {
            match zset_add(z, &args[idx + 1 + j * 2], score, f, lim) {
                Err(e) => {
                    result = Err(e);
                    return;
                }
                Ok((o, s)) => {
                    match o {
                        AddOutcome::Added => added += 1,
                        AddOutcome::Updated => updated += 1,
                        _ => {}
                    }
                    if o != AddOutcome::Nop {
                        processed += 1;
                    }
                    last_score = s;
                }
            }
        }
    };
    match slot {
        Some(slot) => {
            if let Some(z) = zmut(ctx.db(), slot) {
                run(z);
            }
        }
        None if f.xx => {}
        None => {
            let mut z = ZSet::new();
            run(&mut z);
            if !z.is_empty() {
                let clock = ctx.clock;
                ctx.db().set(key, Value::ZSet(Box::new(z)), false, clock);
            }
        }
    }
    result?;
    ctx.srv.dirty += (added + updated) as u64;
    if added + updated > 0 {
        ctx.touch(key);
        ctx.notify(ev::ZSET, if f.incr { "zincr" } else { "zadd" }, key);
    }
    // Only a new key wakes waiters, as Redis's dbAdd: a BZPOPMIN still waiting on an existing
    // sorted set (one a ZUNIONSTORE wrote over another type's value) keeps waiting.
    if slot.is_none() && added > 0 {
        signal_ready(ctx, key);
    }
    if f.incr {
        if processed > 0 {
            ctx.out.double(last_score);
        } else {
            ctx.out.null();
        }
    } else {
        ctx.out.int(if ch { added + updated } else { added });
    }
    Ok(())
}

fn zrem(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let Some(slot) = write_slot(ctx, &args[1])? else {
        ctx.out.int(0);
        return Ok(());
    };
    let mut deleted = 0;
    if let Some(z) = zmut(ctx.db(), slot) {
        for m in args.iter().skip(2) {
            if z.remove(m).is_some() {
                deleted += 1;
                if z.is_empty() {
                    break;
                }
            }
        }
    }
    ctx.srv.dirty += deleted as u64;
    if deleted > 0 {
        ctx.notify(ev::ZSET, "zrem", &args[1]);
    }
    drop_if_empty(ctx, &args[1], slot);
    if deleted > 0 {
        ctx.touch(&args[1]);
    }
    ctx.out.int(deleted);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Point reads
// ---------------------------------------------------------------------------------------------

fn zscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let slot = read_slot(ctx, &args[1])?;
    let score = slot.and_then(|s| zref(ctx.db(), s).and_then(|z| z.score(&args[2])));
    match score {
        Some(s) => ctx.out.double(s),
        None => ctx.out.null(),
    }
    Ok(())
}

fn zmscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let slot = read_slot(ctx, &args[1])?;
    let (db, out) = ctx.db_out();
    let z = slot.and_then(|s| zref(db, s));
    out.array(args.len() - 2);
    for m in args.iter().skip(2) {
        match z.and_then(|z| z.score(m)) {
            Some(s) => out.double(s),
            None => out.null(),
        }
    }
    Ok(())
}

fn zcard(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let slot = read_slot(ctx, &args[1])?;
    let n = slot.and_then(|s| zref(ctx.db(), s)).map_or(0, |z| z.len());
    ctx.out.int(n as i64);
    Ok(())
}

fn zrank(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrank_generic(ctx, args, false)
}

fn zrevrank(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrank_generic(ctx, args, true)
}

fn zrank_generic(ctx: &mut Ctx, args: &Args, reverse: bool) -> CmdResult {
    let slot = read_slot(ctx, &args[1])?;
    let rank = slot.and_then(|s| {
        zref(ctx.db(), s).and_then(|z| {
            z.rank(&args[2])
                .map(|(r, _)| if reverse { z.len() - 1 - r } else { r })
        })
    });
    match rank {
        Some(r) => ctx.out.int(r as i64),
        None => ctx.out.null(),
    }
    Ok(())
}

fn zcount(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let range = parse_score_range(&args[2], &args[3])?;
    let slot = read_slot(ctx, &args[1])?;
    let n = slot
        .and_then(|s| zref(ctx.db(), s))
        .map_or(0, |z| count_in(z, &range));
    ctx.out.int(n as i64);
    Ok(())
}

fn zlexcount(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let range = parse_lex_range(&args[2], &args[3])?;
    let slot = read_slot(ctx, &args[1])?;
    let n = slot
        .and_then(|s| zref(ctx.db(), s))
        .map_or(0, |z| count_in(z, &range));
    ctx.out.int(n as i64);
    Ok(())
}

/// ZCOUNT / ZLEXCOUNT: a listpack counts forward from the first element in range; a
/// skiplist subtracts the ranks of the first and last.
fn count_in(z: &ZSet, r: &impl Interval) -> usize {
    if z.is_listpack() {
        interval_ranks(z, r).map_or(0, |(lo, hi)| hi - lo)
    } else {
        match (first_in(z, r), last_in(z, r)) {
            (Some(lo), Some(hi)) if hi >= lo => hi - lo + 1,
            _ => 0,
        }
    }
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

fn zrange(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 1, false, RangeType::Auto, Direction::Auto)
}

fn zrangestore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 2, true, RangeType::Auto, Direction::Auto)
}

fn zrevrange(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 1, false, RangeType::Rank, Direction::Reverse)
}

fn zrangebyscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 1, false, RangeType::Score, Direction::Forward)
}

fn zrevrangebyscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 1, false, RangeType::Score, Direction::Reverse)
}

fn zrangebylex(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zrange_generic(ctx, args, 1, false, RangeType::Lex, Direction::Forward)
}

fn zrevrangebylex(ctx: &mut Ctx, args: &Args) -> CmdResult {
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
            ctx.out.int(0);
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
    let n = store_result(ctx, &args[1], dst, "zrangestore");
    ctx.out.int(n as i64);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// ZREMRANGEBY*
// ---------------------------------------------------------------------------------------------

fn zremrangebyrank(ctx: &mut Ctx, args: &Args) -> CmdResult {
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

fn zremrangebyscore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let range = parse_score_range(&args[2], &args[3])?;
    zremrange_interval(ctx, args, &range, "zremrangebyscore")
}

fn zremrangebylex(ctx: &mut Ctx, args: &Args) -> CmdResult {
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

// ---------------------------------------------------------------------------------------------
// Pops
// ---------------------------------------------------------------------------------------------

fn zpopmin(ctx: &mut Ctx, args: &Args) -> CmdResult {
    zpop_minmax(ctx, args, false)
}

fn zpopmax(ctx: &mut Ctx, args: &Args) -> CmdResult {
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
    {
        let items: Box<dyn Iterator<Item = (&[u8], f64)>> = if max {
            Box::new(z.iter_from(len - 1, true))
        } else {
            Box::new(z.iter())
        };
        for (m, s) in items.take(n) {
            match how {
                PopReply::Nested => out.array(2),
                PopReply::Pairs => out.pair(),
                PopReply::Flat | PopReply::WithKey => {}
            }
            out.bulk(m);
            out.double(s);
        }
    }
    if max {
        z.remove_ranks(len - n, len);
    } else {
        z.remove_ranks(0, n);
    }
    ctx.srv.dirty += n as u64;
    if n > 0 {
        ctx.notify(ev::ZSET, if max { "zpopmax" } else { "zpopmin" }, keys[i]);
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

fn zmpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
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

fn bzpopmin(ctx: &mut Ctx, args: &Args) -> CmdResult {
    bzpop_generic(ctx, args, false)
}

fn bzpopmax(ctx: &mut Ctx, args: &Args) -> CmdResult {
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
    blocking::block(ctx, args, &keys, deadline, serve_bzpop);
    Ok(())
}

/// Serves a blocked BZPOPMIN / BZPOPMAX from `key` (only a non-empty sorted set serves;
/// anything else keeps the client waiting, as Redis 7.0).
fn serve_bzpop(ctx: &mut Ctx, args: &Args, key: &[u8]) -> Result<Served, CmdError> {
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
fn bzmpop(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (numkeys, max, count) = parse_mpop(args, 2)?;
    let deadline = blocking::parse_timeout(&args[1], ctx.now_ms)?;
    let keys: Vec<&[u8]> = (3..3 + numkeys).map(|i| &args[i]).collect();
    for &key in &keys {
        if poppable(ctx, key)? {
            zpop_generic(ctx, &[key], max, count, PopReply::Nested)?;
            return Ok(());
        }
    }
    blocking::block(ctx, args, &keys, deadline, serve_bzmpop);
    Ok(())
}

fn serve_bzmpop(ctx: &mut Ctx, args: &Args, key: &[u8]) -> Result<Served, CmdError> {
    let (_, max, count) = parse_mpop(args, 2)?;
    match poppable(ctx, key) {
        Ok(true) => {
            zpop_generic(ctx, &[key], max, count, PopReply::Nested)?;
            Ok(Served::Done)
        }
        _ => Ok(Served::NotReady),
    }
}

// ---------------------------------------------------------------------------------------------
// ZRANDMEMBER
// ---------------------------------------------------------------------------------------------

/// A small splitmix64 stream, so the keyspace can stay borrowed while numbers are drawn.
fn rng(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn zrandmember(ctx: &mut Ctx, args: &Args) -> CmdResult {
    if args.len() == 2 {
        let slot = read_slot(ctx, &args[1])?;
        let seed = ctx.random();
        let (db, out) = ctx.db_out();
        match slot.and_then(|s| zref(db, s)) {
            Some(z) if !z.is_empty() => {
                let r = (rng(seed)() % z.len() as u64) as usize;
                match z.iter_from(r, false).next() {
                    Some((m, _)) => out.bulk(m),
                    None => out.null(),
                }
            }
            _ => out.null(),
        }
        return Ok(());
    }
    let l = arg_i64(&args[2])?;
    if l == i64::MIN {
        return Err(CmdError::err(
            "value is out of range, value must between -9223372036854775807 and \
             9223372036854775807",
        ));
    }
    if (args.len() == 4 && !args[3].eq_ignore_ascii_case(b"withscores")) || args.len() > 4 {
        return Err(CmdError::Syntax);
    }
    let withscores = args.len() == 4;
    let (count, uniq) = if l >= 0 {
        (l.unsigned_abs(), true)
    } else {
        (l.unsigned_abs(), false)
    };
    if withscores && count > (i64::MAX / 2) as u64 {
        return Err(CmdError::err("value is out of range"));
    }
    let Some(slot) = read_slot(ctx, &args[1])? else {
        ctx.out.array(0);
        return Ok(());
    };
    let seed = ctx.random();
    let mut rand = rng(seed);
    let (db, out) = ctx.db_out();
    let Some(z) = zref(db, slot) else {
        out.array(0);
        return Ok(());
    };
    if count == 0 {
        out.array(0);
        return Ok(());
    }
    let size = z.len();
    // Case 1: a negative count (repetitions allowed), or a single element.
    if !uniq || count == 1 {
        // Redis would build an unbounded reply here; ferrodis refuses rather than exhaust memory.
        if count > super::set::MAX_REPEATED_PICKS {
            return Err(CmdError::err(format!(
                "ZRANDMEMBER count is too large: at most {} repeated members can be returned",
                super::set::MAX_REPEATED_PICKS
            )));
        }
        items_header(out, count as usize, withscores);
        let all: Option<Vec<(&[u8], f64)>> = z.is_listpack().then(|| z.iter().collect());
        for _ in 0..count {
            let r = (rand() % size as u64) as usize;
            let picked = match &all {
                Some(v) => v.get(r).copied(),
                None => z.iter_from(r, false).next(),
            };
            if let Some((m, s)) = picked {
                item(out, m, s, withscores);
            }
        }
        return Ok(());
    }
    // Case 2: at least the whole set: all of it.
    if count >= size as u64 {
        let items: Vec<(&[u8], f64)> = z.iter().collect();
        reply_items(out, &items, withscores);
        return Ok(());
    }
    // Cases 3/4: `count` distinct members, by a partial Fisher-Yates shuffle of the ranks.
    let count = count as usize;
    let mut ranks: Vec<usize> = (0..size).collect();
    for i in 0..count {
        let j = i + (rand() % (size - i) as u64) as usize;
        ranks.swap(i, j);
    }
    let all: Vec<(&[u8], f64)> = z.iter().collect();
    let picked: Vec<(&[u8], f64)> = ranks[..count].iter().map(|&r| all[r]).collect();
    reply_items(out, &picked, withscores);
    Ok(())
}

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

fn zunion(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_generic(ctx, args, None, 1, SetOp::Union, false)
}

fn zinter(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_generic(ctx, args, None, 1, SetOp::Inter, false)
}

fn zdiff(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_generic(ctx, args, None, 1, SetOp::Diff, false)
}

fn zunionstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_generic(ctx, args, Some(1), 2, SetOp::Union, false)
}

fn zinterstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_generic(ctx, args, Some(1), 2, SetOp::Inter, false)
}

fn zdiffstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    set_op_generic(ctx, args, Some(1), 2, SetOp::Diff, false)
}

fn zintercard(ctx: &mut Ctx, args: &Args) -> CmdResult {
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
            let n = store_result(ctx, &args[d], z, event);
            ctx.out.int(n as i64);
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

// ---------------------------------------------------------------------------------------------
// ZSCAN
// ---------------------------------------------------------------------------------------------

fn zscan(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let cursor = parse_cursor(&args[2])?;
    let Some(slot) = read_slot(ctx, &args[1])? else {
        ctx.out.array(2);
        ctx.out.bulk(b"0");
        ctx.out.array(0);
        return Ok(());
    };
    let (count, pattern) = super::parse_scan_options(args, 3)?;
    let (db, out) = ctx.db_out();
    let Some(z) = zref(db, slot) else {
        out.array(2);
        out.bulk(b"0");
        out.array(0);
        return Ok(());
    };
    let mut items: Vec<(&[u8], f64)> = Vec::new();
    let next = z.scan(cursor, count, |m, s| {
        if pattern.is_none_or(|p| glob_match(p, m, false)) {
            items.push((m, s));
        }
    });
    // ZSCAN stays `[cursor, [member, score, ...]]` with scores as bulk strings in RESP3 too.
    out.array(2);
    out.bulk(itoa::Buffer::new().format(next).as_bytes());
    out.array(items.len() * 2);
    for (m, s) in items {
        out.bulk(m);
        out.bulk_double(s);
    }
    Ok(())
}
