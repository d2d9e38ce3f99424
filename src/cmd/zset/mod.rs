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
//!
//! Files: this one holds the command table, the lookups and reply helpers the others share,
//! ZADD/ZINCRBY/ZREM, the point reads, ZRANDMEMBER and ZSCAN; `range` the score and lex
//! intervals, the ZRANGE family and ZREMRANGEBY*; `pop` the pops, blocking ones included;
//! `combine` ZUNION/ZINTER/ZDIFF, their STORE forms and ZINTERCARD.

use super::parse_scan_cursor as parse_cursor;
use super::table::{acl, flags::*, key_flags::*, tips::*, Command, GetKeys, Group, KeySpec};
use super::{arg_i64, ev, CmdError, CmdResult, Ctx};
use crate::cmd::blocking;
use crate::resp::{Args, Reply};
use crate::store::zset::{Limits, ZSet};
use crate::store::{Db, Value};
use crate::util::glob::glob_match;
use crate::util::num::parse_f64;

mod combine;
pub(crate) mod pop;
mod range;

use combine::{zdiff, zdiffstore, zinter, zintercard, zinterstore, zunion, zunionstore};
use pop::{bzmpop, bzpopmax, bzpopmin, zmpop, zpopmax, zpopmin};
use range::{first_in, interval_ranks, last_in, parse_lex_range, parse_score_range, Interval};
use range::{
    zrange, zrangebylex, zrangebyscore, zrangestore, zremrangebylex, zremrangebyrank,
    zremrangebyscore, zrevrange, zrevrangebylex, zrevrangebyscore,
};

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

/// Stores `z` at `key` (replacing any value and TTL), or deletes `key` when `z` is empty, and
/// replies with the stored length, before the notification as Redis does. `event` is the
/// notification of a stored result.
fn store_result(ctx: &mut Ctx, key: &[u8], z: ZSet, event: &str) {
    let clock = ctx.clock;
    let n = z.len();
    if n == 0 {
        ctx.out.int(0);
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
        ctx.out.int(n as i64);
        ctx.srv.dirty += 1;
        ctx.touch(key);
        ctx.notify(ev::ZSET, event, key);
        // Redis's setKey wakes waiters only when it creates the key (dbAdd), not when it
        // overwrites another type's value (dbOverwrite); an existing sorted set has no waiters.
        if !existed {
            signal_ready(ctx, key);
        }
    }
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
    // The reply precedes the notification, in Redis's order.
    if f.incr {
        if processed > 0 {
            ctx.out.double(last_score);
        } else {
            ctx.out.null();
        }
    } else {
        ctx.out.int(if ch { added + updated } else { added });
    }
    if added + updated > 0 {
        ctx.touch(key);
        ctx.notify(ev::ZSET, if f.incr { "zincr" } else { "zadd" }, key);
    }
    // Only a new key wakes waiters, as Redis's dbAdd: a BZPOPMIN still waiting on an existing
    // sorted set (one a ZUNIONSTORE wrote over another type's value) keeps waiting.
    if slot.is_none() && added > 0 {
        signal_ready(ctx, key);
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
