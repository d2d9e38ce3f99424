//! WATCH sees exactly the modifications Redis 7.0 signals (`signalModifiedKey`,
//! `touchAllWatchedKeysInDb`): for each scenario a client B watches one key, a client A runs a
//! command, and B's `MULTI` / `PING` / `EXEC` must fail (null array) on ferrodis exactly when
//! it fails on a real `redis-server`. Each scenario also states the expected outcome, so the
//! table documents Redis's rules: no-op forms touch nothing, a *STORE touches only its
//! destination, LTRIM of an existing list always touches, and so on.

mod common;

use common::{decode, show_short, Raw, Resp, Server};
use std::time::{Duration, Instant};

type Cmds = &'static [&'static [&'static str]];

struct Case {
    name: &'static str,
    /// Run by A in database 0 after a FLUSHALL, before B watches.
    setup: Cmds,
    /// The database B watches in.
    db: u8,
    watch: &'static str,
    /// Run by A from database 0. An argument `@dump:KEY` is replaced by `DUMP KEY`'s payload.
    run: Cmds,
    touched: bool,
}

const fn case(
    name: &'static str,
    setup: Cmds,
    watch: &'static str,
    run: Cmds,
    touched: bool,
) -> Case {
    Case {
        name,
        setup,
        db: 0,
        watch,
        run,
        touched,
    }
}

const fn in_db(db: u8, c: Case) -> Case {
    Case { db, ..c }
}

const T: bool = true;
const F: bool = false;

#[rustfmt::skip]
const CASES: &[Case] = &[
    // Strings.
    case("set new", &[], "k", &[&["SET", "k", "v"]], T),
    case("set same value", &[&["SET", "k", "v"]], "k", &[&["SET", "k", "v"]], T),
    case("set nx existing", &[&["SET", "k", "v"]], "k", &[&["SET", "k", "w", "NX"]], F),
    case("set xx missing", &[], "k", &[&["SET", "k", "w", "XX"]], F),
    case("set ex", &[&["SET", "k", "v"]], "k", &[&["SET", "k", "v", "EX", "100"]], T),
    case("setnx existing", &[&["SET", "k", "v"]], "k", &[&["SETNX", "k", "w"]], F),
    case("setnx new", &[], "k", &[&["SETNX", "k", "w"]], T),
    case("setex", &[], "k", &[&["SETEX", "k", "100", "v"]], T),
    case("getset", &[&["SET", "k", "v"]], "k", &[&["GETSET", "k", "w"]], T),
    case("mset second key", &[], "k", &[&["MSET", "a", "1", "k", "2"]], T),
    case("mset other keys", &[], "k", &[&["MSET", "a", "1", "b", "2"]], F),
    case("sort store dest", &[&["RPUSH", "l", "b", "a"]], "k", &[&["SORT", "l", "ALPHA", "STORE", "k"]], T),
    case("sort store source", &[&["RPUSH", "k", "b", "a"]], "k", &[&["SORT", "k", "ALPHA", "STORE", "d"]], F),
    case("sort store empty deletes", &[&["SET", "k", "x"]], "k", &[&["SORT", "nokey", "STORE", "k"]], T),
    case("setbit new", &[], "k", &[&["SETBIT", "k", "3", "1"]], T),
    case("setbit same bit", &[&["SETBIT", "k", "3", "1"]], "k", &[&["SETBIT", "k", "3", "1"]], F),
    case("setbit grows", &[&["SETBIT", "k", "3", "1"]], "k", &[&["SETBIT", "k", "30", "0"]], T),
    case("bitop dest", &[&["SET", "a", "x"]], "k", &[&["BITOP", "OR", "k", "a"]], T),
    case("bitop source", &[&["SET", "k", "x"]], "k", &[&["BITOP", "OR", "d", "k"]], F),
    case("bitop empty deletes", &[&["SET", "k", "x"]], "k", &[&["BITOP", "AND", "k", "nokey"]], T),
    case("msetnx refused", &[&["SET", "k", "v"]], "k", &[&["MSETNX", "a", "1", "k", "2"]], F),
    case("msetnx", &[], "k", &[&["MSETNX", "a", "1", "k", "2"]], T),
    case("get", &[&["SET", "k", "v"]], "k", &[&["GET", "k"]], F),
    case("getdel existing", &[&["SET", "k", "v"]], "k", &[&["GETDEL", "k"]], T),
    case("getdel missing", &[], "k", &[&["GETDEL", "k"]], F),
    case("getex plain", &[&["SET", "k", "v"]], "k", &[&["GETEX", "k"]], F),
    case("getex ex", &[&["SET", "k", "v"]], "k", &[&["GETEX", "k", "EX", "100"]], T),
    case("getex pxat past", &[&["SET", "k", "v"]], "k", &[&["GETEX", "k", "PXAT", "1"]], T),
    case("getex persist no ttl", &[&["SET", "k", "v"]], "k", &[&["GETEX", "k", "PERSIST"]], F),
    case("getex persist ttl", &[&["SET", "k", "v", "EX", "100"]], "k", &[&["GETEX", "k", "PERSIST"]], T),
    case("append", &[&["SET", "k", "v"]], "k", &[&["APPEND", "k", "w"]], T),
    case("append nothing", &[&["SET", "k", "v"]], "k", &[&["APPEND", "k", ""]], T),
    case("append new", &[], "k", &[&["APPEND", "k", "w"]], T),
    case("setrange", &[&["SET", "k", "v"]], "k", &[&["SETRANGE", "k", "3", "w"]], T),
    case("setrange empty", &[&["SET", "k", "v"]], "k", &[&["SETRANGE", "k", "3", ""]], F),
    case("setrange missing empty", &[], "k", &[&["SETRANGE", "k", "3", ""]], F),
    case("incr", &[], "k", &[&["INCR", "k"]], T),
    case("incr not integer", &[&["SET", "k", "x"]], "k", &[&["INCR", "k"]], F),
    case("decrby", &[&["SET", "k", "5"]], "k", &[&["DECRBY", "k", "2"]], T),
    case("incrbyfloat", &[&["SET", "k", "5"]], "k", &[&["INCRBYFLOAT", "k", "0.5"]], T),
    case("strlen", &[&["SET", "k", "v"]], "k", &[&["STRLEN", "k"]], F),
    // Generic keyspace commands.
    case("del existing", &[&["SET", "a", "1"]], "a", &[&["DEL", "a", "b"]], T),
    case("del partial, missing watched", &[&["SET", "a", "1"]], "b", &[&["DEL", "a", "b"]], F),
    case("unlink", &[&["SET", "k", "1"]], "k", &[&["UNLINK", "k"]], T),
    case("exists type touch", &[&["SET", "k", "1"]], "k", &[&["EXISTS", "k"], &["TYPE", "k"], &["TOUCH", "k"]], F),
    case("rename source", &[&["SET", "a", "1"]], "a", &[&["RENAME", "a", "b"]], T),
    case("rename destination", &[&["SET", "a", "1"]], "b", &[&["RENAME", "a", "b"]], T),
    case("rename same key", &[&["SET", "a", "1"]], "a", &[&["RENAME", "a", "a"]], F),
    case("rename missing", &[], "b", &[&["RENAME", "a", "b"]], F),
    case("renamenx refused", &[&["SET", "a", "1"], &["SET", "b", "2"]], "a", &[&["RENAMENX", "a", "b"]], F),
    case("copy source", &[&["SET", "a", "1"]], "a", &[&["COPY", "a", "b"]], F),
    case("copy destination", &[&["SET", "a", "1"]], "b", &[&["COPY", "a", "b"]], T),
    case("copy refused", &[&["SET", "a", "1"], &["SET", "b", "2"]], "b", &[&["COPY", "a", "b"]], F),
    case("copy replace", &[&["SET", "a", "1"], &["SET", "b", "2"]], "b", &[&["COPY", "a", "b", "REPLACE"]], T),
    in_db(1, case("copy to db 1", &[&["SET", "a", "1"]], "b", &[&["COPY", "a", "b", "DB", "1"]], T)),
    case("copy to db 1, db 0 watched", &[&["SET", "a", "1"]], "b", &[&["COPY", "a", "b", "DB", "1"]], F),
    case("move source", &[&["SET", "k", "1"]], "k", &[&["MOVE", "k", "1"]], T),
    in_db(1, case("move destination", &[&["SET", "k", "1"]], "k", &[&["MOVE", "k", "1"]], T)),
    case("move refused", &[&["SET", "k", "1"], &["SELECT", "1"], &["SET", "k", "2"]], "k", &[&["MOVE", "k", "1"]], F),
    case("swapdb key only in other", &[&["SELECT", "1"], &["SET", "k", "1"]], "k", &[&["SWAPDB", "0", "1"]], T),
    case("swapdb key only in watched", &[&["SET", "k", "1"]], "k", &[&["SWAPDB", "0", "1"]], T),
    case("swapdb key nowhere", &[&["SET", "x", "1"]], "k", &[&["SWAPDB", "0", "1"]], F),
    in_db(1, case("swapdb watched in db 1", &[&["SET", "k", "1"]], "k", &[&["SWAPDB", "1", "0"]], T)),
    case("swapdb same db", &[&["SET", "k", "1"]], "k", &[&["SWAPDB", "0", "0"]], F),
    case("flushdb existing", &[&["SET", "k", "1"]], "k", &[&["FLUSHDB"]], T),
    case("flushdb missing", &[&["SET", "x", "1"]], "k", &[&["FLUSHDB"]], F),
    case("flushdb other db", &[&["SET", "k", "1"]], "k", &[&["SELECT", "1"], &["FLUSHDB"]], F),
    case("flushall existing", &[&["SET", "k", "1"]], "k", &[&["FLUSHALL"]], T),
    case("flushall missing", &[&["SET", "x", "1"]], "k", &[&["FLUSHALL"]], F),
    in_db(1, case("flushall existing in db 1", &[&["SELECT", "1"], &["SET", "k", "1"]], "k", &[&["FLUSHALL", "ASYNC"]], T)),
    in_db(1, case("watch db 1, write db 0", &[], "k", &[&["SET", "k", "1"]], F)),
    in_db(1, case("watch db 1, write db 1", &[], "k", &[&["SELECT", "1"], &["SET", "k", "1"]], T)),
    case("restore", &[&["SET", "src", "v"]], "k", &[&["RESTORE", "k", "0", "@dump:src"]], T),
    case("restore busy", &[&["SET", "src", "v"], &["SET", "k", "w"]], "k", &[&["RESTORE", "k", "0", "@dump:src"]], F),
    case("restore replace expired", &[&["SET", "src", "v"], &["SET", "k", "w"]], "k", &[&["RESTORE", "k", "1", "@dump:src", "REPLACE", "ABSTTL"]], T),
    case("restore expired, nothing replaced", &[&["SET", "src", "v"]], "k", &[&["RESTORE", "k", "1", "@dump:src", "ABSTTL"]], F),
    // Expiry.
    case("expire future", &[&["SET", "k", "1"]], "k", &[&["EXPIRE", "k", "100"]], T),
    case("expire past", &[&["SET", "k", "1"]], "k", &[&["EXPIRE", "k", "-1"]], T),
    case("expire missing", &[], "k", &[&["EXPIRE", "k", "100"]], F),
    case("expire nx refused", &[&["SET", "k", "1", "EX", "100"]], "k", &[&["EXPIRE", "k", "200", "NX"]], F),
    case("pexpireat past", &[&["SET", "k", "1"]], "k", &[&["PEXPIREAT", "k", "1"]], T),
    case("persist ttl", &[&["SET", "k", "1", "EX", "100"]], "k", &[&["PERSIST", "k"]], T),
    case("persist no ttl", &[&["SET", "k", "1"]], "k", &[&["PERSIST", "k"]], F),
    case("ttl", &[&["SET", "k", "1", "EX", "100"]], "k", &[&["TTL", "k"], &["PTTL", "k"]], F),
    // Hashes.
    case("hset new field", &[], "h", &[&["HSET", "h", "f", "v"]], T),
    case("hset same value", &[&["HSET", "h", "f", "v"]], "h", &[&["HSET", "h", "f", "v"]], T),
    case("hmset", &[], "h", &[&["HMSET", "h", "f", "v"]], T),
    case("hsetnx existing field", &[&["HSET", "h", "f", "v"]], "h", &[&["HSETNX", "h", "f", "w"]], F),
    case("hsetnx new field", &[&["HSET", "h", "f", "v"]], "h", &[&["HSETNX", "h", "g", "w"]], T),
    case("hdel missing field", &[&["HSET", "h", "f", "v"]], "h", &[&["HDEL", "h", "x"]], F),
    case("hdel last field", &[&["HSET", "h", "f", "v"]], "h", &[&["HDEL", "h", "f"]], T),
    case("hincrby", &[], "h", &[&["HINCRBY", "h", "f", "2"]], T),
    case("hincrbyfloat", &[], "h", &[&["HINCRBYFLOAT", "h", "f", "2.5"]], T),
    case("hash reads", &[&["HSET", "h", "f", "v"]], "h", &[&["HGET", "h", "f"], &["HGETALL", "h"], &["HLEN", "h"]], F),
    // Sets.
    case("sadd new member", &[&["SADD", "s", "a"]], "s", &[&["SADD", "s", "b"]], T),
    case("sadd existing member", &[&["SADD", "s", "a"]], "s", &[&["SADD", "s", "a"]], F),
    case("srem missing member", &[&["SADD", "s", "a"]], "s", &[&["SREM", "s", "x"]], F),
    case("srem last member", &[&["SADD", "s", "a"]], "s", &[&["SREM", "s", "a"]], T),
    case("spop", &[&["SADD", "s", "a", "b"]], "s", &[&["SPOP", "s"]], T),
    case("spop count all", &[&["SADD", "s", "a", "b"]], "s", &[&["SPOP", "s", "5"]], T),
    case("spop count 0", &[&["SADD", "s", "a", "b"]], "s", &[&["SPOP", "s", "0"]], F),
    case("spop missing", &[], "s", &[&["SPOP", "s"]], F),
    case("srandmember", &[&["SADD", "s", "a", "b"]], "s", &[&["SRANDMEMBER", "s", "2"]], F),
    case("sinterstore source", &[&["SADD", "s", "a"]], "s", &[&["SINTERSTORE", "d", "s"]], F),
    case("sinterstore destination", &[&["SADD", "s", "a"]], "d", &[&["SINTERSTORE", "d", "s"]], T),
    case("sinterstore empty, dest existed", &[&["SADD", "s", "a"], &["SET", "d", "x"]], "d", &[&["SINTERSTORE", "d", "s", "nosuch"]], T),
    case("sunionstore empty, no dest", &[], "d", &[&["SUNIONSTORE", "d", "nosuch"]], F),
    case("sdiffstore destination", &[&["SADD", "s", "a"]], "d", &[&["SDIFFSTORE", "d", "s", "x"]], T),
    case("smove source", &[&["SADD", "s", "a"]], "s", &[&["SMOVE", "s", "d", "a"]], T),
    case("smove destination", &[&["SADD", "s", "a"]], "d", &[&["SMOVE", "s", "d", "a"]], T),
    case("smove already in destination", &[&["SADD", "s", "a"], &["SADD", "d", "a"]], "d", &[&["SMOVE", "s", "d", "a"]], F),
    case("smove already in destination, source", &[&["SADD", "s", "a", "b"], &["SADD", "d", "a"]], "s", &[&["SMOVE", "s", "d", "a"]], T),
    case("smove missing member", &[&["SADD", "s", "a"]], "s", &[&["SMOVE", "s", "d", "x"]], F),
    case("smove same set", &[&["SADD", "s", "a"]], "s", &[&["SMOVE", "s", "s", "a"]], F),
    // Lists.
    case("lpush", &[], "l", &[&["LPUSH", "l", "a"]], T),
    case("rpushx missing", &[], "l", &[&["RPUSHX", "l", "a"]], F),
    case("rpushx existing", &[&["RPUSH", "l", "a"]], "l", &[&["RPUSHX", "l", "b"]], T),
    case("rpop", &[&["RPUSH", "l", "a", "b"]], "l", &[&["RPOP", "l"]], T),
    case("lpop count 0", &[&["RPUSH", "l", "a"]], "l", &[&["LPOP", "l", "0"]], F),
    case("lpop missing", &[], "l", &[&["LPOP", "l"]], F),
    case("ltrim keeping all", &[&["RPUSH", "l", "a", "b"]], "l", &[&["LTRIM", "l", "0", "-1"]], T),
    case("ltrim missing", &[], "l", &[&["LTRIM", "l", "0", "-1"]], F),
    case("lset", &[&["RPUSH", "l", "a"]], "l", &[&["LSET", "l", "0", "b"]], T),
    case("lrem nothing", &[&["RPUSH", "l", "a"]], "l", &[&["LREM", "l", "0", "x"]], F),
    case("lrem", &[&["RPUSH", "l", "a", "b"]], "l", &[&["LREM", "l", "0", "a"]], T),
    case("linsert missing pivot", &[&["RPUSH", "l", "a"]], "l", &[&["LINSERT", "l", "BEFORE", "x", "y"]], F),
    case("linsert", &[&["RPUSH", "l", "a"]], "l", &[&["LINSERT", "l", "BEFORE", "a", "y"]], T),
    case("list reads", &[&["RPUSH", "l", "a"]], "l", &[&["LRANGE", "l", "0", "-1"], &["LINDEX", "l", "0"], &["LPOS", "l", "a"]], F),
    case("lmove source", &[&["RPUSH", "l", "a"]], "l", &[&["LMOVE", "l", "d", "LEFT", "RIGHT"]], T),
    case("lmove destination", &[&["RPUSH", "l", "a"]], "d", &[&["LMOVE", "l", "d", "LEFT", "RIGHT"]], T),
    case("lmove missing source", &[], "d", &[&["LMOVE", "l", "d", "LEFT", "RIGHT"]], F),
    case("rpoplpush same list", &[&["RPUSH", "l", "a", "b"]], "l", &[&["RPOPLPUSH", "l", "l"]], T),
    case("brpoplpush destination", &[&["RPUSH", "l", "a"]], "d", &[&["BRPOPLPUSH", "l", "d", "0"]], T),
    case("lmpop skipped key", &[&["RPUSH", "b", "x"]], "a", &[&["LMPOP", "2", "a", "b", "LEFT"]], F),
    case("lmpop popped key", &[&["RPUSH", "b", "x"]], "b", &[&["LMPOP", "2", "a", "b", "LEFT"]], T),
    case("lmpop second key, first not popped", &[&["RPUSH", "a", "x"], &["RPUSH", "b", "y"]], "b", &[&["LMPOP", "2", "a", "b", "LEFT", "COUNT", "5"]], F),
    case("blpop popped key", &[&["RPUSH", "b", "x"]], "b", &[&["BLPOP", "a", "b", "0"]], T),
    case("blmpop popped key", &[&["RPUSH", "b", "x"]], "b", &[&["BLMPOP", "0", "2", "a", "b", "RIGHT"]], T),
    // Sorted sets.
    case("zadd new member", &[], "z", &[&["ZADD", "z", "1", "a"]], T),
    case("zadd same score", &[&["ZADD", "z", "1", "a"]], "z", &[&["ZADD", "z", "1", "a"]], F),
    case("zadd new score", &[&["ZADD", "z", "1", "a"]], "z", &[&["ZADD", "z", "2", "a"]], T),
    case("zadd xx missing", &[], "z", &[&["ZADD", "z", "XX", "1", "a"]], F),
    case("zadd nx existing", &[&["ZADD", "z", "1", "a"]], "z", &[&["ZADD", "z", "NX", "2", "a"]], F),
    case("zadd gt lower", &[&["ZADD", "z", "5", "a"]], "z", &[&["ZADD", "z", "GT", "2", "a"]], F),
    case("zadd incr", &[&["ZADD", "z", "5", "a"]], "z", &[&["ZADD", "z", "INCR", "2", "a"]], T),
    case("zincrby", &[], "z", &[&["ZINCRBY", "z", "2", "a"]], T),
    case("zrem missing member", &[&["ZADD", "z", "1", "a"]], "z", &[&["ZREM", "z", "x"]], F),
    case("zrem", &[&["ZADD", "z", "1", "a"]], "z", &[&["ZREM", "z", "a"]], T),
    case("zremrangebyscore nothing", &[&["ZADD", "z", "1", "a"]], "z", &[&["ZREMRANGEBYSCORE", "z", "5", "9"]], F),
    case("zremrangebyrank", &[&["ZADD", "z", "1", "a", "2", "b"]], "z", &[&["ZREMRANGEBYRANK", "z", "0", "0"]], T),
    case("zremrangebylex", &[&["ZADD", "z", "0", "a", "0", "b"]], "z", &[&["ZREMRANGEBYLEX", "z", "[a", "[a"]], T),
    case("zpopmin", &[&["ZADD", "z", "1", "a"]], "z", &[&["ZPOPMIN", "z"]], T),
    case("zpopmax count 0", &[&["ZADD", "z", "1", "a"]], "z", &[&["ZPOPMAX", "z", "0"]], F),
    case("zpopmin missing", &[], "z", &[&["ZPOPMIN", "z"]], F),
    case("zmpop skipped key", &[&["ZADD", "b", "1", "x"]], "a", &[&["ZMPOP", "2", "a", "b", "MIN"]], F),
    case("zmpop popped key", &[&["ZADD", "b", "1", "x"]], "b", &[&["ZMPOP", "2", "a", "b", "MAX"]], T),
    case("bzpopmin popped key", &[&["ZADD", "b", "1", "x"]], "b", &[&["BZPOPMIN", "a", "b", "0"]], T),
    case("bzmpop popped key", &[&["ZADD", "b", "1", "x"]], "b", &[&["BZMPOP", "0", "2", "a", "b", "MIN"]], T),
    case("zunionstore source", &[&["ZADD", "z", "1", "a"]], "z", &[&["ZUNIONSTORE", "d", "1", "z"]], F),
    case("zunionstore destination", &[&["ZADD", "z", "1", "a"]], "d", &[&["ZUNIONSTORE", "d", "1", "z"]], T),
    case("zinterstore empty, dest existed", &[&["ZADD", "z", "1", "a"], &["SET", "d", "x"]], "d", &[&["ZINTERSTORE", "d", "2", "z", "nosuch"]], T),
    case("zdiffstore empty, no dest", &[&["ZADD", "z", "1", "a"]], "d", &[&["ZDIFFSTORE", "d", "2", "z", "z"]], F),
    case("zrangestore source", &[&["ZADD", "z", "1", "a"]], "z", &[&["ZRANGESTORE", "d", "z", "0", "-1"]], F),
    case("zrangestore destination", &[&["ZADD", "z", "1", "a"]], "d", &[&["ZRANGESTORE", "d", "z", "0", "-1"]], T),
    case("zrangestore missing source, dest existed", &[&["SET", "d", "x"]], "d", &[&["ZRANGESTORE", "d", "nosuch", "0", "-1"]], T),
    case("zset reads", &[&["ZADD", "z", "1", "a"]], "z", &[&["ZRANGE", "z", "0", "-1"], &["ZSCORE", "z", "a"], &["ZCARD", "z"]], F),
    // DEBUG.
    case("debug populate", &[], "key:1", &[&["DEBUG", "POPULATE", "3"]], T),
    case("debug populate existing", &[&["SET", "key:1", "v"]], "key:1", &[&["DEBUG", "POPULATE", "3"]], F),
    case("debug reload existing", &[&["SET", "k", "v"]], "k", &[&["DEBUG", "RELOAD"]], T),
    case("debug reload missing", &[&["SET", "x", "v"]], "k", &[&["DEBUG", "RELOAD"]], F),
];

const EXEC_FAILED: &[u8] = b"*-1\r\n";
const EXEC_RAN: &[u8] = b"*1\r\n+PONG\r\n";

fn servers() -> (Server, Server) {
    (
        Server::ferrodis(&[]),
        Server::redis_with(&["--enable-debug-command", "yes"]),
    )
}

/// `args` with each `@dump:KEY` replaced by the DUMP payload of KEY.
fn expand(a: &mut Raw, args: &[&str]) -> Vec<Vec<u8>> {
    args.iter()
        .map(|arg| match arg.strip_prefix("@dump:") {
            Some(key) => match decode(&a.cmd(&["DUMP", key])) {
                Resp::Bulk(Some(payload)) => payload,
                other => panic!("DUMP {key}: {other:?}"),
            },
            None => arg.as_bytes().to_vec(),
        })
        .collect()
}

fn send_all(a: &mut Raw, cmds: Cmds) -> Vec<Vec<u8>> {
    cmds.iter()
        .map(|c| {
            let args = expand(a, c);
            let refs: Vec<&[u8]> = args.iter().map(|v| v.as_slice()).collect();
            a.send(&refs)
        })
        .collect()
}

/// B's `MULTI` / `PING` / `EXEC`: whether the transaction was refused.
fn exec_failed(b: &mut Raw, what: &str) -> bool {
    assert_eq!(b.cmd(&["MULTI"]), b"+OK\r\n", "{what}");
    assert_eq!(b.cmd(&["PING"]), b"+QUEUED\r\n", "{what}");
    let reply = b.cmd(&["EXEC"]);
    assert!(
        reply == EXEC_FAILED || reply == EXEC_RAN,
        "{what}: EXEC answered {}",
        show_short(&reply, 200)
    );
    reply == EXEC_FAILED
}

/// Runs `c` on one server; returns whether B's transaction failed, and A's replies.
fn outcome(a: &mut Raw, b: &mut Raw, c: &Case, server: &str) -> (bool, Vec<Vec<u8>>) {
    let what = format!("{} on {server}", c.name);
    a.cmd(&["SELECT", "0"]);
    assert_eq!(a.cmd(&["FLUSHALL"]), b"+OK\r\n", "{what}");
    for (cmd, reply) in c.setup.iter().zip(send_all(a, c.setup)) {
        assert!(
            !reply.starts_with(b"-"),
            "{what}: setup {cmd:?} answered {}",
            show_short(&reply, 200)
        );
    }
    a.cmd(&["SELECT", "0"]);
    b.cmd(&["SELECT", &c.db.to_string()]);
    assert_eq!(b.cmd(&["WATCH", c.watch]), b"+OK\r\n", "{what}");
    let replies = send_all(a, c.run);
    let failed = exec_failed(b, &what);
    b.cmd(&["SELECT", "0"]);
    (failed, replies)
}

#[test]
fn watch_sees_what_redis_signals() {
    let (ferrodis, redis) = servers();
    let (mut fa, mut fb) = (ferrodis.raw(), ferrodis.raw());
    let (mut ra, mut rb) = (redis.raw(), redis.raw());
    let mut failures = Vec::new();
    for c in CASES {
        let (r_touched, r_replies) = outcome(&mut ra, &mut rb, c, "redis");
        let (f_touched, f_replies) = outcome(&mut fa, &mut fb, c, "ferrodis");
        let show_all = |rs: &[Vec<u8>]| {
            rs.iter()
                .map(|r| show_short(r, 80))
                .collect::<Vec<_>>()
                .join(" | ")
        };
        if r_touched != c.touched {
            failures.push(format!(
                "{}: the table says touched={}, redis says {r_touched} (redis replied {})",
                c.name,
                c.touched,
                show_all(&r_replies)
            ));
        }
        if f_touched != r_touched {
            failures.push(format!(
                "{}: redis touched={r_touched}, ferrodis touched={f_touched} \
                 (redis replied {}; ferrodis replied {})",
                c.name,
                show_all(&r_replies),
                show_all(&f_replies)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} scenarios differ:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

/// Waits until `a`'s server reports `n` blocked clients.
fn wait_blocked(a: &mut Raw, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while a.info_u64("clients", "blocked_clients") != n {
        assert!(Instant::now() < deadline, "no client blocked");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A BLMOVE served by another client's push signals its destination (Redis's
/// lmoveHandlePush), though the served client's command itself is long done.
fn served_blmove_touches_destination(server: &Server) -> bool {
    let (mut a, mut b, mut c) = (server.raw(), server.raw(), server.raw());
    a.cmd(&["FLUSHALL"]);
    c.write(&common::encode(&[
        b"BLMOVE", b"src", b"dst", b"LEFT", b"RIGHT", b"0",
    ]));
    wait_blocked(&mut a, 1);
    b.cmd(&["WATCH", "dst"]);
    a.cmd(&["LPUSH", "src", "x"]);
    assert_eq!(c.read_reply(), b"$1\r\nx\r\n");
    exec_failed(&mut b, "served blmove")
}

/// Eviction signals the keys it deletes: `key` is watched, the policy may or may not pick it.
fn eviction_touches(server: &Server, policy: &str) -> bool {
    let (mut a, mut b) = (server.raw(), server.raw());
    a.cmd(&["FLUSHALL"]);
    a.cmd(&["CONFIG", "SET", "maxmemory-policy", policy]);
    a.cmd(&["SET", "key", "v"]);
    a.cmd(&["SET", "volatile", "v", "EX", "100"]);
    b.cmd(&["WATCH", "key"]);
    a.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
    a.cmd(&["SET", "other", "v"]);
    a.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
    a.cmd(&["CONFIG", "SET", "maxmemory-policy", "noeviction"]);
    exec_failed(&mut b, &format!("eviction under {policy}"))
}

#[test]
fn served_pops_and_evictions_touch_like_redis() {
    let (ferrodis, redis) = servers();
    assert!(served_blmove_touches_destination(&redis));
    assert!(served_blmove_touches_destination(&ferrodis));
    for (policy, touched) in [("allkeys-random", true), ("volatile-random", false)] {
        assert_eq!(eviction_touches(&redis, policy), touched, "redis, {policy}");
        assert_eq!(
            eviction_touches(&ferrodis, policy),
            touched,
            "ferrodis, {policy}"
        );
    }
}
