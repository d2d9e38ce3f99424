//! Change counter test: INFO persistence `rdb_changes_since_last_save` (Redis's `server.dirty`,
//! what the `save` points count) must move exactly as it does in Redis 7.0 after every command.
//!
//! A fixed list of edge cases (no-op forms, errors, RESTORE's expired and wrapping TTLs, pops
//! served to a blocked client), then a seeded random stream of write and read commands over a
//! small key space, go to ferrodis and to a real `redis-server`. Each command is pipelined
//! with `INFO persistence clients`, and the change of `rdb_changes_since_last_save` must be
//! the same on both sides (the replies must match too, so that the two keyspaces stay
//! identical). Every write command of every family is generated, with its no-op, wrong-type,
//! syntax-error and multi-key / multi-field forms. A second connection per server blocks now
//! and then on missing keys (BLPOP, BLMOVE, BLMPOP, BZPOPMIN, BZMPOP…), so pops served by
//! another client's write are counted as well.
//!
//! At the end the test checks that every write command of ferrodis's table (COMMAND LIST
//! FILTERBY ACLCAT write) ran, and that each of them both changed something and did nothing
//! at least once: a generator that silently stopped producing a command fails the test.
//!
//! `DIRTY_SEED=<n>` runs one seed; `DIRTY_COMMANDS=<n>` sets the stream length per seed.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{decode, encode_owned, show_short, Raw, Resp, Rng, Server};

// ---------------------------------------------------------------------------------------------
// Argument pools: small, so that commands keep hitting the same keys, fields and members and
// the no-op cases (existing key for NX, missing member for SREM…) come up often.
// ---------------------------------------------------------------------------------------------

const STRINGS: &[&str] = &["s0", "s1", "s2"];
const LISTS: &[&str] = &["l0", "l1", "l2"];
const HASHES: &[&str] = &["h0", "h1", "h2"];
const SETS: &[&str] = &["t0", "t1", "t2"];
const ZSETS: &[&str] = &["z0", "z1", "z2"];
/// Keys no family prefers (they still get written by whatever picks them).
const OTHER: &[&str] = &["k", "nokey"];

const VALUES: &[&str] = &[
    "a",
    "b",
    "c",
    "1",
    "2",
    "-3",
    "10",
    "3.5",
    "",
    "hello world",
];
const MEMBERS: &[&str] = &["a", "b", "c", "d", "1", "2", "3"];
const FIELDS: &[&str] = &["f0", "f1", "f2", "f3"];
const SCORES: &[&str] = &[
    "1", "2", "3", "-1", "0", "1.5", "+inf", "-inf", "nan", "abc",
];
const COUNTS: &[&str] = &["0", "1", "2", "3", "5", "-1", "abc"];
const INCRS: &[&str] = &["1", "-1", "5", "100", "abc", "9223372036854775807"];
const FLOATS: &[&str] = &["1.5", "-2", "0.1", "abc", "inf", "10"];
const INDEXES: &[&str] = &["0", "1", "-1", "2", "-2", "5", "-5", "abc"];
const DBS: &[&str] = &["0", "1", "2", "1", "16", "-1", "x"];

/// Which family's keys a generator prefers.
#[derive(Clone, Copy)]
enum Family {
    String,
    List,
    Hash,
    Set,
    ZSet,
}

struct Gen {
    rng: Rng,
    /// Unix seconds at the start, for absolute expiry times far from any relative one.
    now_s: i64,
}

impl Gen {
    /// A key of `family` most of the time, any key otherwise (wrong types, missing keys).
    fn key(&mut self, family: Family) -> String {
        let own = match family {
            Family::String => STRINGS,
            Family::List => LISTS,
            Family::Hash => HASHES,
            Family::Set => SETS,
            Family::ZSet => ZSETS,
        };
        if self.rng.chance(80) {
            self.rng.pick(own).to_string()
        } else {
            self.any_key()
        }
    }

    fn any_key(&mut self) -> String {
        let pools = [STRINGS, LISTS, HASHES, SETS, ZSETS, OTHER];
        let pool = pools[self.rng.below(pools.len())];
        self.rng.pick(pool).to_string()
    }

    fn keys(&mut self, family: Family, max: usize) -> Vec<String> {
        let n = 1 + self.rng.below(max);
        (0..n).map(|_| self.key(family)).collect()
    }

    fn pick(&mut self, items: &[&str]) -> String {
        self.rng.pick(items).to_string()
    }

    /// An expiry argument. Relative times are at least 100 s and absolute future ones at
    /// least 1000 s ahead, so nothing expires during the run and GT/LT comparisons never
    /// depend on which millisecond each server ran a command in; absolute past times delete
    /// (or store an already expired key) right away.
    fn ttl(&mut self, millis: bool, absolute: bool) -> String {
        let scale = if millis { 1000 } else { 1 };
        let n: i64 = match self.rng.below(10) {
            0 => 0,
            1 => -5,
            2 => return self.pick(&["abc", "9223372036854775807", "1.5"]),
            _ if absolute => {
                if self.rng.chance(25) {
                    self.now_s - 100
                } else {
                    self.now_s + [1000, 2000, 3000][self.rng.below(3)]
                }
            }
            _ => [100, 200, 5000][self.rng.below(3)],
        };
        (n * scale).to_string()
    }
}

/// One generated request.
struct Cmd {
    args: Vec<String>,
    /// The name Redis gets instead of `args[0]` (ferrodis's legacy aliases DELETE and CLEAR).
    redis_name: Option<&'static str>,
    /// Its reply is random (SPOP): not compared, and the key is dropped afterwards on both
    /// sides so that their contents stay the same.
    random: Option<String>,
    /// RESTORE: `args[3]` is replaced by each server's own DUMP of this key.
    dump_of: Option<String>,
    /// A key that may now hold an already expired value: read it on both sides right away,
    /// so that both delete it now rather than whenever their active expiry gets to it.
    settle: Option<String>,
}

fn cmd(args: Vec<String>) -> Cmd {
    Cmd {
        args,
        redis_name: None,
        random: None,
        dump_of: None,
        settle: None,
    }
}

macro_rules! args {
    ($($e:expr),* $(,)?) => { vec![$(String::from($e)),*] };
}

// ---------------------------------------------------------------------------------------------
// Generators, one per family
// ---------------------------------------------------------------------------------------------

fn gen_string(g: &mut Gen) -> Cmd {
    let k = g.key(Family::String);
    let v = g.pick(VALUES);
    match g.rng.below(19) {
        0 | 1 => {
            let mut args = args!["SET", k.clone(), v];
            match g.rng.below(4) {
                0 => args.push("NX".into()),
                1 => args.push("XX".into()),
                _ => {}
            }
            if g.rng.chance(25) {
                args.push("GET".into());
            }
            let mut past = false;
            match g.rng.below(8) {
                0 => args.extend(["EX".into(), g.ttl(false, false)]),
                1 => args.extend(["PX".into(), g.ttl(true, false)]),
                2 => {
                    args.extend(["EXAT".into(), g.ttl(false, true)]);
                    past = true;
                }
                3 => {
                    args.extend(["PXAT".into(), g.ttl(true, true)]);
                    past = true;
                }
                4 => args.push("KEEPTTL".into()),
                5 if g.rng.chance(30) => args.push(g.pick(&["NX XX", "EX", "BOGUS"])),
                _ => {}
            }
            let mut c = cmd(args);
            if past {
                c.settle = Some(k);
            }
            c
        }
        2 => cmd(args!["SETNX", k, v]),
        3 => cmd(args!["SETEX", k, g.ttl(false, false), v]),
        4 => cmd(args!["PSETEX", k, g.ttl(true, false), v]),
        5 => cmd(args!["GETSET", k, v]),
        6 => cmd(args!["GETDEL", k]),
        7 => {
            let mut args = args!["GETEX", k];
            match g.rng.below(7) {
                0 => args.extend(["EX".into(), g.ttl(false, false)]),
                1 => args.extend(["PX".into(), g.ttl(true, false)]),
                2 => args.extend(["EXAT".into(), g.ttl(false, true)]),
                3 => args.extend(["PXAT".into(), g.ttl(true, true)]),
                4 => args.push("PERSIST".into()),
                5 => args.push("KEEPTTL".into()),
                _ => {}
            }
            cmd(args)
        }
        8 | 9 => {
            let name = if g.rng.chance(50) { "MSET" } else { "MSETNX" };
            let mut args = args![name];
            for _ in 0..1 + g.rng.below(3) {
                args.push(g.key(Family::String));
                args.push(g.pick(VALUES));
            }
            if g.rng.chance(5) {
                args.pop();
            }
            cmd(args)
        }
        10 => cmd(args!["APPEND", k, v]),
        11 => cmd(args![
            "SETRANGE",
            k,
            g.pick(&["0", "1", "3", "-1", "abc"]),
            g.pick(&["x", "yz", ""])
        ]),
        12 => cmd(args!["INCR", k]),
        13 => cmd(args!["DECR", k]),
        14 => cmd(args!["INCRBY", k, g.pick(INCRS)]),
        15 => cmd(args!["DECRBY", k, g.pick(INCRS)]),
        16 => cmd(args![
            "SETBIT",
            k,
            g.pick(&["0", "1", "7", "30", "-1"]),
            g.pick(&["0", "1", "2"])
        ]),
        17 => {
            let op = g.pick(&["AND", "OR", "XOR", "NOT"]);
            cmd(args!["BITOP", op, k, g.key(Family::String)])
        }
        _ => cmd(args!["INCRBYFLOAT", k, g.pick(FLOATS)]),
    }
}

fn gen_keys(g: &mut Gen) -> Cmd {
    let family = match g.rng.below(5) {
        0 => Family::String,
        1 => Family::List,
        2 => Family::Hash,
        3 => Family::Set,
        _ => Family::ZSet,
    };
    let k = g.key(family);
    match g.rng.below(20) {
        0..=2 => {
            let name = g.pick(&["DEL", "DEL", "UNLINK", "DELETE"]);
            let mut args = args![name.clone()];
            args.extend(g.keys(family, 3));
            let mut c = cmd(args);
            if name == "DELETE" {
                c.redis_name = Some("DEL");
            }
            c
        }
        3 | 4 => {
            let dst = if g.rng.chance(10) {
                k.clone()
            } else {
                g.key(family)
            };
            cmd(args![g.pick(&["RENAME", "RENAMENX"]), k, dst])
        }
        5 | 6 => {
            let dst = if g.rng.chance(10) {
                k.clone()
            } else {
                g.key(family)
            };
            let mut args = args!["COPY", k, dst];
            if g.rng.chance(40) {
                args.extend(["DB".into(), g.pick(DBS)]);
            }
            if g.rng.chance(40) {
                args.push("REPLACE".into());
            }
            cmd(args)
        }
        7 => cmd(args!["MOVE", k, g.pick(DBS)]),
        8 => cmd(args!["SWAPDB", g.pick(DBS), g.pick(DBS)]),
        9 => {
            // Rare: they wipe out everything the stream has built.
            if g.rng.chance(60) {
                return cmd(args!["EXISTS", k]);
            }
            let mut args = match g.rng.below(4) {
                0 => args!["FLUSHALL"],
                1 | 2 => args!["FLUSHDB"],
                _ => args!["CLEAR"],
            };
            if g.rng.chance(50) {
                args.push(g.pick(&["ASYNC", "SYNC", "BOGUS", "BOGUS"]));
            }
            let mut c = cmd(args);
            if c.args[0] == "CLEAR" {
                c.redis_name = Some("FLUSHDB");
            }
            c
        }
        10 | 11 => {
            let dst = g.key(family);
            let ttl = match g.rng.below(4) {
                0 => g.ttl(true, false),
                _ => "0".to_string(),
            };
            let mut args = args!["RESTORE", dst, ttl.clone(), "payload"];
            if g.rng.chance(50) {
                args.push("REPLACE".into());
            }
            if ttl != "0" && g.rng.chance(30) {
                // ABSTTL with a relative-sized number: a deadline long past.
                args.push("ABSTTL".into());
            }
            let mut c = cmd(args);
            // A missing source leaves the literal, invalid payload in place.
            c.dump_of = Some(k);
            c
        }
        12..=15 => {
            let (name, millis, absolute) = match g.rng.below(4) {
                0 => ("EXPIRE", false, false),
                1 => ("PEXPIRE", true, false),
                2 => ("EXPIREAT", false, true),
                _ => ("PEXPIREAT", true, true),
            };
            let mut args = args![name, k, g.ttl(millis, absolute)];
            if g.rng.chance(40) {
                // GT and LT compare deadlines: only with absolute times (see `Gen::ttl`).
                let conditions: &[&str] = if absolute {
                    &["NX", "XX", "GT", "LT", "NX XX"]
                } else {
                    &["NX", "XX"]
                };
                args.extend(g.pick(conditions).split(' ').map(String::from));
            }
            cmd(args)
        }
        16 | 17 => cmd(args!["PERSIST", k]),
        _ => cmd(args![g.pick(&["EXISTS", "TYPE", "GET"]), k]),
    }
}

fn gen_hash(g: &mut Gen) -> Cmd {
    let k = g.key(Family::Hash);
    let f = g.pick(FIELDS);
    match g.rng.below(8) {
        0 | 1 => {
            let name = g.pick(&["HSET", "HSET", "HMSET"]);
            let mut args = args![name, k];
            for _ in 0..1 + g.rng.below(3) {
                args.push(g.pick(FIELDS));
                args.push(g.pick(VALUES));
            }
            if g.rng.chance(5) {
                args.pop();
            }
            cmd(args)
        }
        2 => cmd(args!["HSETNX", k, f, g.pick(VALUES)]),
        3 | 4 => {
            let mut args = args!["HDEL", k];
            for _ in 0..1 + g.rng.below(4) {
                args.push(g.pick(FIELDS));
            }
            cmd(args)
        }
        5 => cmd(args!["HINCRBY", k, f, g.pick(INCRS)]),
        6 => cmd(args!["HINCRBYFLOAT", k, f, g.pick(FLOATS)]),
        _ if g.rng.chance(50) => cmd(args!["HLEN", k]),
        _ => cmd(args!["HGET", k, f]),
    }
}

/// A blocking command's timeout on the main connection: short, because it only matters when
/// every key is missing and the command then just times out.
const SHORT_TIMEOUT: &str = "0.01";

fn gen_list(g: &mut Gen) -> Cmd {
    let k = g.key(Family::List);
    let end = |g: &mut Gen| g.pick(&["LEFT", "RIGHT", "LEFT", "RIGHT", "UP"]);
    match g.rng.below(21) {
        0..=3 => {
            let name = g.pick(&["LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"]);
            let mut args = args![name, k];
            for _ in 0..1 + g.rng.below(3) {
                args.push(g.pick(MEMBERS));
            }
            cmd(args)
        }
        4 => cmd(args![
            "LINSERT",
            k,
            g.pick(&["BEFORE", "AFTER", "AFTER", "MIDDLE"]),
            g.pick(MEMBERS),
            g.pick(MEMBERS)
        ]),
        5 => cmd(args!["LSET", k, g.pick(INDEXES), g.pick(MEMBERS)]),
        6 => cmd(args![
            "LREM",
            k,
            g.pick(&["0", "1", "-1", "2", "x"]),
            g.pick(MEMBERS)
        ]),
        7 => cmd(args!["LTRIM", k, g.pick(INDEXES), g.pick(INDEXES)]),
        8 | 9 => {
            let mut args = args![g.pick(&["LPOP", "RPOP"]), k];
            if g.rng.chance(40) {
                args.push(g.pick(COUNTS));
            }
            cmd(args)
        }
        10 => cmd(args!["LMOVE", k, g.key(Family::List), end(g), end(g)]),
        11 => cmd(args!["RPOPLPUSH", k, g.key(Family::List)]),
        12 | 13 => {
            let keys = g.keys(Family::List, 3);
            let mut args = args!["LMPOP", keys.len().to_string()];
            args.extend(keys);
            args.push(end(g));
            if g.rng.chance(50) {
                args.extend(["COUNT".into(), g.pick(COUNTS)]);
            }
            cmd(args)
        }
        14 | 15 => {
            // Rarer: when every key is missing they wait for the short timeout.
            match g.rng.below(4) {
                0 => {
                    let mut args = args![g.pick(&["BLPOP", "BRPOP"])];
                    args.extend(g.keys(Family::List, 2));
                    args.push(SHORT_TIMEOUT.into());
                    cmd(args)
                }
                1 => cmd(args![
                    "BLMOVE",
                    k,
                    g.key(Family::List),
                    end(g),
                    end(g),
                    SHORT_TIMEOUT
                ]),
                2 => cmd(args!["BRPOPLPUSH", k, g.key(Family::List), SHORT_TIMEOUT]),
                _ => {
                    let keys = g.keys(Family::List, 2);
                    let mut args = args!["BLMPOP", SHORT_TIMEOUT, keys.len().to_string()];
                    args.extend(keys);
                    args.push(end(g));
                    if g.rng.chance(50) {
                        args.extend(["COUNT".into(), g.pick(COUNTS)]);
                    }
                    cmd(args)
                }
            }
        }
        _ if g.rng.chance(50) => cmd(args!["LLEN", k]),
        _ => cmd(args!["LRANGE", k, "0", "-1"]),
    }
}

fn gen_set(g: &mut Gen) -> Cmd {
    let k = g.key(Family::Set);
    match g.rng.below(12) {
        0..=2 => {
            let mut args = args!["SADD", k];
            for _ in 0..1 + g.rng.below(3) {
                args.push(g.pick(MEMBERS));
            }
            cmd(args)
        }
        3 | 4 => {
            let mut args = args!["SREM", k];
            for _ in 0..1 + g.rng.below(3) {
                args.push(g.pick(MEMBERS));
            }
            cmd(args)
        }
        5 => cmd(args!["SMOVE", k, g.key(Family::Set), g.pick(MEMBERS)]),
        6 => {
            let mut args = args!["SPOP", k.clone()];
            if g.rng.chance(50) {
                args.push(g.pick(COUNTS));
            }
            let mut c = cmd(args);
            c.random = Some(k);
            c
        }
        7..=9 => {
            let name = g.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]);
            let mut args = args![name, g.key(Family::Set)];
            args.extend(g.keys(Family::Set, 3));
            cmd(args)
        }
        _ if g.rng.chance(50) => cmd(args!["SCARD", k]),
        _ => cmd(args!["SISMEMBER", k, g.pick(MEMBERS)]),
    }
}

fn gen_zset(g: &mut Gen) -> Cmd {
    let k = g.key(Family::ZSet);
    let lex = |g: &mut Gen| g.pick(&["-", "+", "[a", "(b", "[c", "a"]);
    let range = |g: &mut Gen| g.pick(&["-inf", "+inf", "1", "(1", "2", "(3", "0", "x"]);
    match g.rng.below(23) {
        0..=3 => {
            let mut args = args!["ZADD", k];
            for flag in ["NX", "XX", "GT", "LT", "CH"] {
                if g.rng.chance(12) {
                    args.push(flag.into());
                }
            }
            let incr = g.rng.chance(10);
            if incr {
                args.push("INCR".into());
            }
            let pairs = if incr { 1 } else { 1 + g.rng.below(3) };
            for _ in 0..pairs {
                args.push(g.pick(SCORES));
                args.push(g.pick(MEMBERS));
            }
            cmd(args)
        }
        4 => cmd(args!["ZINCRBY", k, g.pick(SCORES), g.pick(MEMBERS)]),
        5 | 6 => {
            let mut args = args!["ZREM", k];
            for _ in 0..1 + g.rng.below(3) {
                args.push(g.pick(MEMBERS));
            }
            cmd(args)
        }
        7 => cmd(args!["ZREMRANGEBYSCORE", k, range(g), range(g)]),
        8 => cmd(args![
            "ZREMRANGEBYRANK",
            k,
            g.pick(INDEXES),
            g.pick(INDEXES)
        ]),
        9 => cmd(args!["ZREMRANGEBYLEX", k, lex(g), lex(g)]),
        10 | 11 => {
            let mut args = args![g.pick(&["ZPOPMIN", "ZPOPMAX"]), k];
            if g.rng.chance(40) {
                args.push(g.pick(COUNTS));
            }
            cmd(args)
        }
        12 => {
            let keys = g.keys(Family::ZSet, 3);
            let mut args = args!["ZMPOP", keys.len().to_string()];
            args.extend(keys);
            args.push(g.pick(&["MIN", "MAX", "MIN", "MAX", "MID"]));
            if g.rng.chance(50) {
                args.extend(["COUNT".into(), g.pick(COUNTS)]);
            }
            cmd(args)
        }
        13 | 14 => {
            // Rarer, as the blocking list commands.
            if g.rng.chance(50) {
                let mut args = args![g.pick(&["BZPOPMIN", "BZPOPMAX"])];
                args.extend(g.keys(Family::ZSet, 2));
                args.push(SHORT_TIMEOUT.into());
                cmd(args)
            } else {
                let keys = g.keys(Family::ZSet, 2);
                let mut args = args!["BZMPOP", SHORT_TIMEOUT, keys.len().to_string()];
                args.extend(keys);
                args.push(g.pick(&["MIN", "MAX"]));
                if g.rng.chance(50) {
                    args.extend(["COUNT".into(), g.pick(COUNTS)]);
                }
                cmd(args)
            }
        }
        15..=17 => {
            let name = g.pick(&["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]);
            let keys = g.keys(Family::ZSet, 3);
            let mut args = args![name.clone(), g.key(Family::ZSet), keys.len().to_string()];
            args.extend(keys);
            if name != "ZDIFFSTORE" && g.rng.chance(20) {
                args.extend(["AGGREGATE".into(), g.pick(&["SUM", "MIN", "MAX"])]);
            }
            cmd(args)
        }
        18 | 19 => {
            let mut args = args!["ZRANGESTORE", g.key(Family::ZSet), k];
            match g.rng.below(3) {
                0 => args.extend([g.pick(INDEXES), g.pick(INDEXES)]),
                1 => args.extend([range(g), range(g), "BYSCORE".into()]),
                _ => args.extend([lex(g), lex(g), "BYLEX".into()]),
            }
            if g.rng.chance(20) {
                args.push("REV".into());
            }
            cmd(args)
        }
        _ if g.rng.chance(50) => cmd(args!["ZCARD", k]),
        _ => cmd(args!["ZRANGE", k, "0", "-1", "WITHSCORES"]),
    }
}

fn generate(g: &mut Gen) -> Cmd {
    match g.rng.below(12) {
        0..=2 => gen_string(g),
        3 | 4 => gen_keys(g),
        5 => gen_hash(g),
        6 | 7 => gen_list(g),
        8 | 9 => gen_set(g),
        _ => gen_zset(g),
    }
}

/// A command for the second connection: it blocks, since its keys are checked to be missing
/// first, and is served later by a write of the main stream (or released by CLIENT UNBLOCK).
fn gen_waiter(g: &mut Gen) -> (Vec<String>, Vec<String>) {
    let lists = |g: &mut Gen| g.keys(Family::List, 2);
    let end = |g: &mut Gen| g.pick(&["LEFT", "RIGHT"]);
    let count = |g: &mut Gen, args: &mut Vec<String>| {
        if g.rng.chance(60) {
            args.extend(["COUNT".into(), g.pick(&["1", "2", "5"])]);
        }
    };
    let (args, keys) = match g.rng.below(7) {
        0 | 1 => {
            let keys = lists(g);
            let mut args = args![g.pick(&["BLPOP", "BRPOP"])];
            args.extend(keys.clone());
            args.push("0".into());
            (args, keys)
        }
        2 => {
            let src = g.key(Family::List);
            let args = args![
                "BLMOVE",
                src.clone(),
                g.key(Family::List),
                end(g),
                end(g),
                "0"
            ];
            (args, vec![src])
        }
        3 => {
            let src = g.key(Family::List);
            (
                args!["BRPOPLPUSH", src.clone(), g.key(Family::List), "0"],
                vec![src],
            )
        }
        4 => {
            let keys = lists(g);
            let mut args = args!["BLMPOP", "0", keys.len().to_string()];
            args.extend(keys.clone());
            args.push(end(g));
            count(g, &mut args);
            (args, keys)
        }
        5 => {
            let keys = g.keys(Family::ZSet, 2);
            let mut args = args![g.pick(&["BZPOPMIN", "BZPOPMAX"])];
            args.extend(keys.clone());
            args.push("0".into());
            (args, keys)
        }
        _ => {
            let keys = g.keys(Family::ZSet, 2);
            let mut args = args!["BZMPOP", "0", keys.len().to_string()];
            args.extend(keys.clone());
            args.push(g.pick(&["MIN", "MAX"]));
            count(g, &mut args);
            (args, keys)
        }
    };
    (args, keys)
}

// ---------------------------------------------------------------------------------------------
// Running the stream against both servers
// ---------------------------------------------------------------------------------------------

/// One server's connections and what the test last saw of it.
struct Side {
    name: &'static str,
    main: Raw,
    waiter: Raw,
    waiter_id: String,
    /// `rdb_changes_since_last_save` after the last command.
    dirty: i64,
}

/// The two fields of `INFO persistence clients` the test reads.
struct Info {
    dirty: i64,
    blocked: i64,
}

fn info_field(text: &str, name: &str) -> i64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("INFO has no numeric {name}: {text}"))
}

fn parse_info(reply: &[u8]) -> Info {
    let Resp::Bulk(Some(body)) = decode(reply) else {
        panic!(
            "INFO reply is not a bulk string: {}",
            show_short(reply, 200)
        );
    };
    let text = String::from_utf8_lossy(&body);
    Info {
        dirty: info_field(&text, "rdb_changes_since_last_save"),
        blocked: info_field(&text, "blocked_clients"),
    }
}

fn bytes(args: &[String]) -> Vec<Vec<u8>> {
    args.iter().map(|a| a.as_bytes().to_vec()).collect()
}

const INFO: &[&str] = &["INFO", "persistence", "clients"];

impl Side {
    fn connect(server: &Server, name: &'static str) -> Side {
        let main = server.raw();
        let mut waiter = server.raw();
        let id = match decode(&waiter.cmd(&["CLIENT", "ID"])) {
            Resp::Int(n) => n.to_string(),
            other => panic!("{name}: CLIENT ID replied {other:?}"),
        };
        let mut side = Side {
            name,
            main,
            waiter,
            waiter_id: id,
            dirty: 0,
        };
        side.dirty = side.info().dirty;
        side
    }

    fn info(&mut self) -> Info {
        parse_info(&self.main.cmd(INFO))
    }

    /// Sends `args` followed by INFO without waiting (the two sides run concurrently).
    fn send(&mut self, args: &[Vec<u8>]) {
        let mut out = encode_owned(args);
        let info: Vec<&[u8]> = INFO.iter().map(|s| s.as_bytes()).collect();
        out.extend(common::encode(&info));
        self.main.write(&out);
    }

    /// The reply to what [`Side::send`] sent, the change of the counter, and the INFO.
    fn receive(&mut self) -> (Vec<u8>, i64, Info) {
        let reply = self.main.read_reply();
        let info = parse_info(&self.main.read_reply());
        let delta = info.dirty - self.dirty;
        self.dirty = info.dirty;
        (reply, delta, info)
    }

    /// Waits until the waiter's command is parked (INFO blocked_clients reaches 1).
    fn await_blocked(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.info().blocked < 1 {
            assert!(
                Instant::now() < deadline,
                "{}: the waiter never blocked",
                self.name
            );
            std::thread::sleep(Duration::from_micros(200));
        }
    }
}

/// What one command did on both sides, for the failure message.
fn fail(seed: u64, step: usize, what: &str, args: &[String], history: &[String]) -> ! {
    let recent = history[history.len().saturating_sub(12)..].join("\n    ");
    panic!(
        "seed {seed}, step {step}: {what}\n  command: {}\n  recent commands (oldest first):\n    \
         {recent}\n  reproduce with DIRTY_SEED={seed}",
        args.join(" ")
    );
}

/// Per-command tally: (runs that changed something, runs that changed nothing).
type Tally = BTreeMap<String, (u64, u64)>;

struct Run {
    seed: u64,
    f: Side,
    r: Side,
    step: usize,
    history: Vec<String>,
    tally: Tally,
    /// Whether the waiters are parked, and since which step.
    waiting: Option<usize>,
    waiter_cmd: Vec<String>,
}

impl Run {
    /// Runs one command on both sides and compares the counter's change (and the replies,
    /// unless `compare_replies` is false). `redis_args` replaces `args` for Redis.
    fn both(
        &mut self,
        args: &[Vec<u8>],
        redis_args: &[Vec<u8>],
        compare_replies: bool,
    ) -> (Vec<u8>, Vec<u8>) {
        let shown: Vec<String> = args.iter().map(|a| show_short(a, 40)).collect::<Vec<_>>();
        self.history.push(shown.join(" "));
        self.f.send(args);
        self.r.send(redis_args);
        let (f_reply, f_delta, f_info) = self.f.receive();
        let (r_reply, r_delta, r_info) = self.r.receive();
        if compare_replies && f_reply != r_reply {
            fail(
                self.seed,
                self.step,
                &format!(
                    "replies differ: ferrodis {} / redis {}",
                    show_short(&f_reply, 200),
                    show_short(&r_reply, 200)
                ),
                &shown,
                &self.history,
            );
        }
        if f_delta != r_delta {
            fail(
                self.seed,
                self.step,
                &format!(
                    "rdb_changes_since_last_save changed by {f_delta} in ferrodis, \
                     {r_delta} in redis (reply {})",
                    show_short(&r_reply, 200)
                ),
                &shown,
                &self.history,
            );
        }
        let name = String::from_utf8_lossy(&args[0]).to_ascii_lowercase();
        let entry = self.tally.entry(name).or_default();
        if r_delta > 0 {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
        self.after_blocking_changes(f_info.blocked, r_info.blocked);
        (f_reply, r_reply)
    }

    /// Collects the waiters' replies once the last command served (or released) them.
    fn after_blocking_changes(&mut self, f_blocked: i64, r_blocked: i64) {
        if self.waiting.is_none() {
            return;
        }
        if (f_blocked == 0) != (r_blocked == 0) {
            fail(
                self.seed,
                self.step,
                &format!(
                    "the waiter ({}) was served on one side only: blocked_clients \
                     ferrodis {f_blocked} / redis {r_blocked}",
                    self.waiter_cmd.join(" ")
                ),
                &[],
                &self.history,
            );
        }
        if f_blocked == 0 {
            let f = self.f.waiter.read_reply();
            let r = self.r.waiter.read_reply();
            if f != r {
                fail(
                    self.seed,
                    self.step,
                    &format!(
                        "the waiter ({}) got ferrodis {} / redis {}",
                        self.waiter_cmd.join(" "),
                        show_short(&f, 200),
                        show_short(&r, 200)
                    ),
                    &[],
                    &self.history,
                );
            }
            self.waiting = None;
        }
    }

    fn run(&mut self, c: &Cmd) {
        let mut f_args = bytes(&c.args);
        let mut r_args = f_args.clone();
        if let Some(name) = c.redis_name {
            r_args[0] = name.as_bytes().to_vec();
        }
        if let Some(src) = &c.dump_of {
            let dump = vec![b"DUMP".to_vec(), src.as_bytes().to_vec()];
            let (f_dump, r_dump) = self.both(&dump, &dump, false);
            // Each server restores its own payload; both must agree there is one.
            for (reply, args) in [(&f_dump, &mut f_args), (&r_dump, &mut r_args)] {
                if let Resp::Bulk(Some(payload)) = decode(reply) {
                    args[3] = payload;
                }
            }
        }
        self.both(&f_args, &r_args, c.random.is_none());
        if let Some(key) = &c.random {
            let del = vec![b"DEL".to_vec(), key.as_bytes().to_vec()];
            self.both(&del, &del, true);
        }
        if let Some(key) = &c.settle {
            let exists = vec![b"EXISTS".to_vec(), key.as_bytes().to_vec()];
            self.both(&exists, &exists, true);
        }
    }

    /// Parks both waiters on the same missing keys, if they are free and the keys missing.
    fn maybe_block(&mut self, g: &mut Gen) {
        if let Some(since) = self.waiting {
            if self.step - since > 150 {
                // Nobody served it for a while: release it, which must change nothing.
                let f = bytes(&["CLIENT".into(), "UNBLOCK".into(), self.f.waiter_id.clone()]);
                let r = bytes(&["CLIENT".into(), "UNBLOCK".into(), self.r.waiter_id.clone()]);
                self.both(&f, &r, true);
            }
            return;
        }
        if !g.rng.chance(4) {
            return;
        }
        let (args, keys) = gen_waiter(g);
        let mut exists = vec![b"EXISTS".to_vec()];
        exists.extend(bytes(&keys));
        let (f, _) = self.both(&exists, &exists, true);
        if decode(&f) != Resp::Int(0) {
            return;
        }
        self.park(&args);
    }

    /// Sends `args` on both waiter connections and waits until both are blocked.
    fn park(&mut self, args: &[String]) {
        for side in [&mut self.f, &mut self.r] {
            side.waiter.write(&encode_owned(&bytes(args)));
        }
        self.f.await_blocked();
        self.r.await_blocked();
        self.history.push(format!("(waiter) {}", args.join(" ")));
        self.waiting = Some(self.step);
        self.waiter_cmd = args.to_vec();
        // Parking must not have changed anything either.
        let (f_dirty, r_dirty) = (self.f.info().dirty, self.r.info().dirty);
        if f_dirty != self.f.dirty || r_dirty != self.r.dirty {
            fail(
                self.seed,
                self.step,
                "blocking the waiter changed the counter",
                args,
                &self.history,
            );
        }
    }
}

impl Run {
    fn new(ferrodis: &Server, redis: &Server, seed: u64) -> Run {
        let mut run = Run {
            seed,
            f: Side::connect(ferrodis, "ferrodis"),
            r: Side::connect(redis, "redis"),
            step: 0,
            history: Vec::new(),
            tally: Tally::new(),
            waiting: None,
            waiter_cmd: Vec::new(),
        };
        let flush = bytes(&["FLUSHALL".to_string()]);
        run.both(&flush, &flush, true);
        run
    }

    /// Adds this run's tally to `tally`.
    fn finish(self, tally: &mut Tally) {
        for (name, (changed, unchanged)) in self.tally {
            let e = tally.entry(name).or_default();
            e.0 += changed;
            e.1 += unchanged;
        }
    }
}

fn unix_now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(1_700_000_000)
}

fn run_seed(ferrodis: &Server, redis: &Server, seed: u64, commands: usize, tally: &mut Tally) {
    let mut g = Gen {
        rng: Rng(seed ^ 0x5eed_d1a7),
        now_s: unix_now_s(),
    };
    let mut run = Run::new(ferrodis, redis, seed);
    for step in 0..commands {
        run.step = step;
        run.maybe_block(&mut g);
        let c = generate(&mut g);
        run.run(&c);
    }
    run.finish(tally);
}

/// A command written as one line: arguments separated by single spaces, `''` for an empty
/// argument.
fn line(text: &str) -> Cmd {
    let args: Vec<String> = text
        .split(' ')
        .map(|a| {
            if a == "''" {
                String::new()
            } else {
                a.to_string()
            }
        })
        .collect();
    let mut c = cmd(args);
    c.redis_name = match c.args[0].as_str() {
        "DELETE" => Some("DEL"),
        "CLEAR" => Some("FLUSHDB"),
        _ => None,
    };
    c
}

/// The cases that decide each command's count, in a fixed order, before the random stream:
/// no-op forms (NX on an existing key, a missing field, a refused condition), errors, keys
/// named twice, and pops served to a blocked client.
const EDGE_CASES: &[&str] = &[
    "FLUSHALL",
    "FLUSHALL",
    "RPUSH l0 c a b",
    "SORT l0 ALPHA STORE l1",
    "SORT l0 ALPHA LIMIT 0 2 GET # GET nokey_* STORE l1",
    "SORT nokey STORE l1",
    "SORT nokey STORE l1",
    "SORT l0 STORE l1",
    "SORT l0 ALPHA",
    "SET s0 v EXAT 1000",
    "EXISTS s0",
    "SET s0 v",
    "SET s0 v NX",
    "SET s0 v NX GET",
    "SET s0 w XX GET",
    "SET s1 v XX",
    "RPUSH l0 a",
    "SET l0 v GET",
    "SETEX s0 -1 v",
    "SETEX s0 100 v",
    "GETEX s0 PERSIST",
    "GETEX s0 PERSIST",
    "GETEX s0",
    "GETEX s0 EX 100",
    "GETEX s0 PXAT 1000",
    "GETEX nokey EX 10",
    "GETDEL nokey",
    "MSET a 1 b 2 a 3",
    "MSETNX a 1 c 3",
    "MSETNX c 3 d 4 c 5",
    "MSET a",
    "APPEND a ''",
    "APPEND new ''",
    "SETRANGE a 0 ''",
    "SETRANGE nn 0 ''",
    "SETRANGE a 0 z",
    "SETRANGE a 5 z",
    "SETRANGE a -1 z",
    "INCR a",
    "INCR l0",
    "SET big 9223372036854775807",
    "INCR big",
    "INCRBYFLOAT big x",
    "INCRBYFLOAT n 1.5",
    "DEL a a b nokey",
    "DELETE c nokey",
    "UNLINK d d",
    "RENAME big big",
    "RENAME big big2",
    "RENAME nokey x",
    "RENAMENX big2 new",
    "RENAMENX new big2",
    "COPY big2 c1",
    "COPY big2 c1",
    "COPY big2 c1 REPLACE",
    "COPY big2 big2",
    "COPY big2 c1 DB 1",
    "COPY nokey c2",
    "MOVE c1 1",
    "MOVE c1 1",
    "MOVE c1 0",
    "SWAPDB 0 0",
    "SWAPDB 0 16",
    "SWAPDB 0 1",
    "SWAPDB 1 0",
    "EXPIRE c1 100",
    "EXPIRE c1 100 NX",
    "EXPIRE c1 100 GT LT",
    "EXPIRE c1 -1",
    "EXPIRE c1 10",
    "EXPIRE nokey 10",
    "SET e v",
    "PEXPIREAT e 1",
    "SET e v",
    "PERSIST e",
    "EXPIRE e 100",
    "PERSIST e",
    "PERSIST e",
    "HSET h f v f v f2 v",
    "HSET h f v",
    "HSET h f",
    "HMSET h f v g v",
    "HSETNX h f v",
    "HSETNX h z v",
    "HDEL h f f nokey",
    "HDEL h g f2 z x y",
    "HDEL h a",
    "HINCRBY h x 1",
    "HINCRBY h x abc",
    "HSET h s str",
    "HINCRBY h s 1",
    "HINCRBYFLOAT h y 1.5",
    "HINCRBYFLOAT h s 1.5",
    "HSET l0 f v",
    "LPUSHX nolist a",
    "RPUSH l1 a b c a",
    "LREM l1 0 a",
    "LREM l1 0 zz",
    "LTRIM l1 0 -1",
    "LTRIM l1 5 10",
    "RPUSH l1 a b c",
    "LPOP l1 0",
    "RPOP l1 5",
    "LPOP l1",
    "SADD t0 a a b",
    "SADD t0 a",
    "SREM t0 a a x",
    "SMOVE t0 t0 b",
    "SMOVE t0 t1 b",
    "SINTERSTORE t2 nokey",
    "SADD t2 x",
    "SINTERSTORE t2 nokey",
    "SPOP t1 0",
    "ZADD z0 1 a 2 b 1 a",
    "ZADD z0 XX CH 5 a 6 nokey",
    "ZADD z0 NX 7 a",
    "ZREM z0 a a x",
    "ZUNIONSTORE z1 1 nokey",
    "ZRANGESTORE z1 z0 5 9",
    "ZADD z1 1 q",
    "ZRANGESTORE z1 z0 5 9",
    "ZPOPMIN z0 0",
    "CLEAR BOGUS",
    "CLEAR",
    "CLEAR",
    "FLUSHDB ASYNC",
];

/// Pops served to a blocked client: (setup commands separated by ` | `, the waiter's command,
/// a write, whether that write serves the waiter); an empty setup or waiter is skipped. Redis counts a served BLMPOP or
/// BZPOP* pop but not a served BLPOP, BRPOP or BLMOVE one.
const SERVED: &[(&str, &str, &str, bool)] = &[
    ("DEL bl", "BLPOP bl 0", "RPUSH bl a b c", true),
    ("DEL bl", "BRPOP bl 0", "LPUSH bl a", true),
    ("DEL bl", "BLMOVE bl dst LEFT RIGHT 0", "RPUSH bl a b", true),
    ("DEL bl", "BRPOPLPUSH bl bl 0", "RPUSH bl a", true),
    (
        "DEL bl",
        "BLMPOP 0 1 bl LEFT COUNT 2",
        "RPUSH bl a b c",
        true,
    ),
    ("DEL bz", "BZPOPMIN bz 0", "ZADD bz 1 a 2 b", true),
    (
        "DEL bz",
        "BZMPOP 0 1 bz MAX COUNT 5",
        "ZADD bz 1 a 2 b",
        true,
    ),
    (
        "DEL bl | RPUSH src a b",
        "BLMPOP 0 1 bl LEFT COUNT 5",
        "RENAME src bl",
        true,
    ),
    (
        "RPUSH src a b",
        "BLMPOP 0 1 bl LEFT COUNT 5",
        "COPY src bl",
        true,
    ),
    (
        "DEL bl | RPUSH src a b",
        "BLMPOP 0 1 bl LEFT COUNT 5",
        "MOVE src 0",
        false,
    ),
    (
        "SELECT 1 | RPUSH bl a b | SELECT 0",
        "",
        "MOVE src 1",
        false,
    ),
    ("", "", "SWAPDB 0 1", true),
    (
        "DEL bz src | ZADD src 1 a",
        "BZPOPMIN bz 0",
        "RENAME src bz",
        true,
    ),
    // Redis wakes waiters when a key is created (dbAdd), not when a value is replaced or
    // grows: the BZPOPMIN keeps waiting on the sorted set the ZUNIONSTORE wrote over a
    // string, even after a ZADD to it, until the key is created anew.
    ("DEL bz", "BZPOPMIN bz 0", "SET bz x", false),
    ("ZADD src 1 a", "", "ZUNIONSTORE bz 1 src", false),
    ("", "", "ZADD bz 5 e", false),
    ("DEL bz", "", "ZADD bz 7 f", true),
];

fn run_edge_cases(ferrodis: &Server, redis: &Server, tally: &mut Tally) {
    let mut run = Run::new(ferrodis, redis, 0);
    for (step, text) in EDGE_CASES.iter().enumerate() {
        run.step = step;
        let mut c = line(text);
        if c.args[0] == "SET" && c.args.iter().any(|a| a == "EXAT") {
            c.settle = Some(c.args[1].clone());
        }
        run.run(&c);
    }
    // RESTORE: replacing, busy, already expired (with and without a key to replace), and a
    // relative TTL so large that Redis's addition wraps into the past.
    let restores = [
        "RESTORE r1 0 -",
        "RESTORE r1 0 - REPLACE",
        "RESTORE r1 1 - ABSTTL REPLACE",
        "RESTORE r1 1 - ABSTTL REPLACE",
        "RESTORE r1 9223372036854775807 -",
        "RESTORE r1 100000 -",
        "RESTORE r1 9223372036854775807 - REPLACE",
        "RESTORE r1 0 - ABSTTL",
        "RESTORE r1 -1 - REPLACE",
        "RESTORE r1 0 garbage REPLACE",
    ];
    run.run(&line("SET rsrc hello"));
    for text in restores {
        let mut c = line(text.trim_end());
        c.dump_of = (c.args[3] == "-").then(|| "rsrc".to_string());
        run.step += 1;
        run.run(&c);
    }
    for &(setup, waiter, write, serves) in SERVED {
        run.step += 1;
        for text in setup.split(" | ").filter(|t| !t.is_empty()) {
            run.run(&line(text));
        }
        if !waiter.is_empty() {
            run.park(&line(waiter).args);
        }
        run.run(&line(write));
        assert_eq!(
            run.waiting.is_none(),
            serves,
            "after {write}, waiter {:?}",
            run.waiter_cmd
        );
    }
    run.finish(tally);
}

/// Ferrodis's write commands, from its own command table.
fn write_commands(server: &Server) -> BTreeSet<String> {
    let reply = server
        .raw()
        .cmd(&["COMMAND", "LIST", "FILTERBY", "ACLCAT", "write"]);
    let Resp::Array(Some(items)) = decode(&reply) else {
        panic!("COMMAND LIST replied {}", show_short(&reply, 200));
    };
    items
        .into_iter()
        .map(|item| match item {
            Resp::Bulk(Some(name)) => String::from_utf8_lossy(&name).into_owned(),
            other => panic!("COMMAND LIST item {other:?}"),
        })
        .collect()
}

#[test]
fn change_counter_matches_redis() {
    let seeds: Vec<u64> = match std::env::var("DIRTY_SEED") {
        Ok(s) => vec![s.trim().parse().expect("DIRTY_SEED must be an integer")],
        Err(_) => vec![1, 2, 0xd1a7],
    };
    let commands: usize = std::env::var("DIRTY_COMMANDS")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(6000);
    // hz 100: Redis notices a blocked client's timeout in its cron, and the short timeouts of
    // the random stream should cost milliseconds, not a tenth of a second.
    let ferrodis = Server::ferrodis(&["--hz", "100"]);
    let redis = Server::redis_with(&["--hz", "100"]);
    let mut tally = Tally::new();
    run_edge_cases(&ferrodis, &redis, &mut tally);
    for &seed in &seeds {
        run_seed(&ferrodis, &redis, seed, commands, &mut tally);
    }
    let summary: Vec<String> = tally
        .iter()
        .map(|(name, (c, u))| format!("{name}:{c}/{u}"))
        .collect();
    eprintln!(
        "runs that changed / did not change something: {}",
        summary.join(" ")
    );

    // Coverage: every write command ran, changed something at least once and, in a no-op or
    // error case, nothing at least once.
    if std::env::var("DIRTY_SEED").is_err() {
        for name in write_commands(&ferrodis) {
            let (changed, unchanged) = tally.get(&name).copied().unwrap_or_default();
            assert!(
                changed > 0 && unchanged > 0,
                "write command {name} is not exercised both ways (changed {changed} times, \
                 unchanged {unchanged} times): add it to the generators of tests/dirty.rs"
            );
        }
    }
}
