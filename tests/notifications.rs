//! Keyspace notifications against a real redis-server: seeded random command sequences over
//! every family run on both servers with `notify-keyspace-events` set, a subscriber on
//! `__key*__:*` in each, and the full notification streams (and the replies) must be equal.
//! Lazy expiry is part of the random runs (the active cycle is off there, so a key expires
//! exactly when a command meets it); the active cycle and eviction have their own cases,
//! compared as sets since the two servers pick their victims in their own order.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::{show, Raw, Rng, Server};

/// The channel the command client publishes to last: the subscriber reads up to it.
const END: &str = "__keyspace@0__:__end__";

/// One step of a scenario.
#[derive(Clone, Debug)]
enum Op {
    /// A command; `random` when its reply depends on the server's random choices.
    Cmd { args: Vec<String>, random: bool },
    /// DUMP `from`, then RESTORE `to` with the payload (REPLACE when asked).
    DumpRestore {
        from: String,
        to: String,
        replace: bool,
    },
    /// Lets short TTLs pass.
    Sleep(u64),
}

fn cmd(args: &[&str]) -> Op {
    Op::Cmd {
        args: args.iter().map(|s| s.to_string()).collect(),
        random: false,
    }
}

fn cmd_owned(args: Vec<String>) -> Op {
    Op::Cmd {
        args,
        random: false,
    }
}

/// A subscriber on `__key*__:*`.
fn subscriber(port: u16) -> Raw {
    let mut s = Raw::connect(port);
    let reply = s.cmd(&["PSUBSCRIBE", "__key*__:*"]);
    assert!(show(&reply).contains("psubscribe"), "{}", show(&reply));
    s
}

/// Reads the subscriber's messages up to the END marker; returns them as `channel message`.
fn notifications(sub: &mut Raw) -> Vec<String> {
    let mut got = Vec::new();
    loop {
        let reply = sub.read_reply();
        let common::Resp::Array(Some(items)) = common::decode(&reply) else {
            panic!("not a message: {}", show(&reply));
        };
        let text: Vec<String> = items
            .iter()
            .map(|i| match i {
                common::Resp::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(text.len(), 4, "{text:?}");
        if text[2] == END {
            return got;
        }
        got.push(format!("{} {}", text[2], text[3]));
    }
}

/// Runs `ops` on one server (already configured) and returns (replies, notifications).
fn run(port: u16, ops: &[Op]) -> (Vec<String>, Vec<String>) {
    let mut sub = subscriber(port);
    let mut c = Raw::connect(port);
    let mut replies = Vec::new();
    for op in ops {
        match op {
            Op::Cmd { args, random } => {
                let a: Vec<&str> = args.iter().map(String::as_str).collect();
                let reply = c.cmd(&a);
                let shown = if *random {
                    "(random)".to_string()
                } else {
                    show(&reply)
                };
                replies.push(format!("{} -> {shown}", args.join(" ")));
            }
            Op::DumpRestore { from, to, replace } => {
                let dumped = c.cmd(&["DUMP", from]);
                let common::Resp::Bulk(Some(payload)) = common::decode(&dumped) else {
                    replies.push(format!("DUMP {from} -> {}", show(&dumped)));
                    continue;
                };
                let mut args: Vec<&[u8]> = vec![b"RESTORE", to.as_bytes(), b"0", &payload];
                if *replace {
                    args.push(b"REPLACE");
                }
                let reply = c.send(&args);
                replies.push(format!("RESTORE {to} <{from}> -> {}", show(&reply)));
            }
            Op::Sleep(ms) => thread::sleep(Duration::from_millis(*ms)),
        }
    }
    c.cmd(&["PUBLISH", END, "end"]);
    (replies, notifications(&mut sub))
}

/// The frames one command produces on a RESP3 connection subscribed to its own events: its
/// reply with the notifications it fired, in the order the server wrote them. A PING with a
/// marker follows each command, so everything before the marker's reply belongs to it.
fn frames_until_marker(c: &mut Raw, request: &[u8]) -> Vec<u8> {
    const MARK: &[u8] = b"$10\r\n__marker__\r\n";
    let mut bytes = request.to_vec();
    bytes.extend_from_slice(&common::encode(&[b"PING", b"__marker__"]));
    c.write(&bytes);
    let mut got = Vec::new();
    loop {
        let frame = c.read_reply();
        if frame == MARK {
            return got;
        }
        got.extend_from_slice(&frame);
    }
}

/// [`run`] with the commands sent by a RESP3 client that is itself subscribed to every
/// event: where each notification lands among its own replies must match too.
fn run_self_subscribed(port: u16, ops: &[Op]) -> Vec<String> {
    let mut c = Raw::connect(port);
    c.cmd(&["HELLO", "3"]);
    c.cmd(&["PSUBSCRIBE", "__key*__:*"]);
    let mut transcript = Vec::new();
    let mut queueing = false;
    for op in ops {
        match op {
            Op::Cmd { args, random } => {
                let a: Vec<&[u8]> = args.iter().map(|x| x.as_bytes()).collect();
                let name = args[0].to_ascii_lowercase();
                // Inside MULTI the marker would be queued too; a queued command fires nothing.
                let frames = if name == "multi" || (queueing && name != "exec" && name != "discard")
                {
                    c.send(&a)
                } else {
                    frames_until_marker(&mut c, &common::encode(&a))
                };
                if name == "multi" && frames.starts_with(b"+OK") {
                    queueing = true;
                } else if name == "exec" || name == "discard" {
                    queueing = false;
                }
                let shown = if *random {
                    format!("(random, {} bytes)", frames.len())
                } else {
                    show(&frames)
                };
                transcript.push(format!("{} -> {shown}", args.join(" ")));
            }
            Op::DumpRestore { .. } => {}
            Op::Sleep(ms) => thread::sleep(Duration::from_millis(*ms)),
        }
    }
    transcript
}

/// Asserts both transcripts are equal, showing the first difference with some context.
fn assert_same(what: &str, got: &[String], want: &[String]) {
    let first = got.iter().zip(want).position(|(g, w)| g != w);
    if first.is_none() && got.len() == want.len() {
        return;
    }
    let at = first.unwrap_or(got.len().min(want.len()));
    let from = at.saturating_sub(8);
    panic!(
        "{what}: first difference at {at} (ferrodis {} entries, redis {})\n\
         ferrodis:\n  {}\nredis:\n  {}",
        got.len(),
        want.len(),
        got[from..(at + 4).min(got.len())].join("\n  "),
        want[from..(at + 4).min(want.len())].join("\n  "),
    );
}

/// Starts both servers with `classes` set (ferrodis from its command line, Redis from its own),
/// the active expiry cycle off and a database 1 for MOVE/COPY, runs `ops` on each, and
/// compares replies and notifications.
fn compare(classes: &str, ops: &[Op]) {
    let ferrodis = Server::ferrodis(&["--notify-keyspace-events", classes]);
    let redis = Server::redis_with(&[
        "--notify-keyspace-events",
        classes,
        "--enable-debug-command",
        "yes",
    ]);
    let mut results = Vec::new();
    for server in [&ferrodis, &redis] {
        let mut c = Raw::connect(server.port);
        assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), b"+OK\r\n");
        results.push(run(server.port, ops));
    }
    assert_same(
        &format!("replies ({classes})"),
        &results[0].0,
        &results[1].0,
    );
    assert_same(
        &format!("notifications ({classes})"),
        &results[0].1,
        &results[1].1,
    );
}

// ---------------------------------------------------------------------------------------------
// The random command generator
// ---------------------------------------------------------------------------------------------

const STRINGS: &[&str] = &["s1", "s2", "s3"];
const LISTS: &[&str] = &["l1", "l2", "l3"];
const HASHES: &[&str] = &["h1", "h2"];
const SETS: &[&str] = &["t1", "t2", "t3"];
const ZSETS: &[&str] = &["z1", "z2", "z3"];
const VALUES: &[&str] = &["a", "b", "c", "1", "2", "10", "-3"];

struct Gen {
    rng: Rng,
    ops: Vec<Op>,
}

impl Gen {
    fn any_key(&mut self) -> &'static str {
        let family = [STRINGS, LISTS, HASHES, SETS, ZSETS][self.rng.below(5)];
        family[self.rng.below(family.len())]
    }

    fn push(&mut self, args: Vec<String>) {
        self.ops.push(cmd_owned(args));
    }

    fn random(&mut self, args: Vec<String>) {
        self.ops.push(Op::Cmd { args, random: true });
    }

    fn num(&mut self, lo: i64, hi: i64) -> String {
        (lo + self.rng.below((hi - lo + 1) as usize) as i64).to_string()
    }

    fn string_op(&mut self) {
        let k = self.rng.pick(STRINGS).to_string();
        let v = self.rng.pick(VALUES).to_string();
        let args: Vec<String> = match self.rng.below(20) {
            0 => {
                let mut a = vec!["SET".into(), k, v];
                match self.rng.below(6) {
                    0 => a.extend(["EX".into(), "100".into()]),
                    1 => a.push("KEEPTTL".into()),
                    2 => a.push("NX".into()),
                    3 => a.push("XX".into()),
                    4 => a.push("GET".into()),
                    _ => {}
                }
                a
            }
            1 => vec!["SETNX".into(), k, v],
            2 => vec!["SETEX".into(), k, "100".into(), v],
            3 => vec!["PSETEX".into(), k, "100000".into(), v],
            4 => vec!["GETSET".into(), k, v],
            5 => {
                let k2 = self.rng.pick(STRINGS).to_string();
                vec!["MSET".into(), k, v, k2, "x".into()]
            }
            6 => {
                let k2 = self.rng.pick(STRINGS).to_string();
                vec!["MSETNX".into(), k, v, k2, "x".into()]
            }
            7 => vec!["GETDEL".into(), k],
            8 => match self.rng.below(3) {
                0 => vec!["GETEX".into(), k, "EX".into(), "100".into()],
                1 => vec!["GETEX".into(), k, "PERSIST".into()],
                _ => vec!["GETEX".into(), k, "EXAT".into(), "1".into()],
            },
            9 => vec!["APPEND".into(), k, v],
            10 => vec!["SETRANGE".into(), k, self.num(0, 5), v],
            11 => vec!["INCR".into(), k],
            12 => vec!["DECRBY".into(), k, self.num(-5, 5)],
            13 => vec!["INCRBYFLOAT".into(), k, "1.5".into()],
            14 => vec!["SETBIT".into(), k, self.num(0, 20), self.num(0, 1)],
            15 => {
                let op = self.rng.pick(&["AND", "OR", "XOR"]).to_string();
                let a = self.rng.pick(STRINGS).to_string();
                let b = self.rng.pick(STRINGS).to_string();
                vec!["BITOP".into(), op, k, a, b]
            }
            16 => vec!["SETRANGE".into(), k, "0".into(), "".into()],
            17 => vec!["GET".into(), k],
            18 => vec!["DECR".into(), k],
            _ => vec!["INCRBY".into(), k, self.num(-5, 5)],
        };
        self.push(args);
    }

    fn list_op(&mut self) {
        let k = self.rng.pick(LISTS).to_string();
        let k2 = self.rng.pick(LISTS).to_string();
        let v = self.rng.pick(VALUES).to_string();
        let end = || ["LEFT", "RIGHT"];
        let args: Vec<String> = match self.rng.below(18) {
            0 | 1 => {
                let mut a = vec![self.rng.pick(&["LPUSH", "RPUSH"]).to_string(), k, v];
                if self.rng.chance(50) {
                    a.push(self.rng.pick(VALUES).to_string());
                }
                a
            }
            2 => vec![self.rng.pick(&["LPUSHX", "RPUSHX"]).into(), k, v],
            3 => vec![self.rng.pick(&["LPOP", "RPOP"]).into(), k],
            4 => vec![self.rng.pick(&["LPOP", "RPOP"]).into(), k, self.num(0, 3)],
            5 => vec![
                "LINSERT".into(),
                k,
                self.rng.pick(&["BEFORE", "AFTER"]).into(),
                self.rng.pick(VALUES).into(),
                v,
            ],
            6 => vec!["LSET".into(), k, self.num(-2, 2), v],
            7 => vec!["LTRIM".into(), k, self.num(0, 2), self.num(-2, 3)],
            8 => vec!["LREM".into(), k, self.num(-2, 2), v],
            9 => {
                let e = end();
                vec![
                    "LMOVE".into(),
                    k,
                    k2,
                    self.rng.pick(&e).into(),
                    self.rng.pick(&e).into(),
                ]
            }
            10 => vec!["RPOPLPUSH".into(), k, k2],
            11 => vec![
                "LMPOP".into(),
                "2".into(),
                k,
                k2,
                self.rng.pick(&end()).into(),
                "COUNT".into(),
                self.num(1, 3),
            ],
            12 => vec![
                self.rng.pick(&["BLPOP", "BRPOP"]).into(),
                k,
                k2,
                "0.01".into(),
            ],
            13 => {
                let e = end();
                vec![
                    "BLMOVE".into(),
                    k,
                    k2,
                    self.rng.pick(&e).into(),
                    self.rng.pick(&e).into(),
                    "0.01".into(),
                ]
            }
            14 => vec![
                "BLMPOP".into(),
                "0.01".into(),
                "1".into(),
                k,
                self.rng.pick(&end()).into(),
            ],
            15 => vec!["LRANGE".into(), k, "0".into(), "-1".into()],
            _ => vec!["RPUSH".into(), k, v, "a".into(), "b".into(), "c".into()],
        };
        self.push(args);
    }

    fn hash_op(&mut self) {
        let k = self.rng.pick(HASHES).to_string();
        let f = self.rng.pick(&["f1", "f2", "f3"]).to_string();
        let v = self.rng.pick(VALUES).to_string();
        let args: Vec<String> = match self.rng.below(8) {
            0 | 1 => vec!["HSET".into(), k, f, v, "f9".into(), "x".into()],
            2 => vec!["HMSET".into(), k, f, v],
            3 => vec!["HSETNX".into(), k, f, v],
            4 => vec!["HDEL".into(), k, f, "f9".into()],
            5 => vec!["HINCRBY".into(), k, f, self.num(-3, 3)],
            6 => vec!["HINCRBYFLOAT".into(), k, f, "0.5".into()],
            _ => vec!["HGETALL".into(), k],
        };
        self.push(args);
    }

    fn set_op(&mut self) {
        let k = self.rng.pick(SETS).to_string();
        let a = self.rng.pick(SETS).to_string();
        let b = self.rng.pick(SETS).to_string();
        let v = self.rng.pick(VALUES).to_string();
        let v2 = self.rng.pick(VALUES).to_string();
        match self.rng.below(10) {
            0 | 1 => self.push(vec!["SADD".into(), k, v, v2]),
            2 => self.push(vec!["SREM".into(), k, v, "c".into()]),
            3 => self.push(vec!["SMOVE".into(), a, b, v]),
            // Whole sets only: which members a partial SPOP takes is each server's choice.
            4 => self.random(vec!["SPOP".into(), k, "100".into()]),
            5 => self.push(vec!["SINTERSTORE".into(), k, a, b]),
            6 => self.push(vec!["SUNIONSTORE".into(), k, a, b]),
            7 => self.push(vec!["SDIFFSTORE".into(), k, a, b]),
            8 => self.push(vec!["SPOP".into(), k, "0".into()]),
            _ => self.push(vec!["SCARD".into(), k]),
        }
    }

    fn zset_op(&mut self) {
        let k = self.rng.pick(ZSETS).to_string();
        let a = self.rng.pick(ZSETS).to_string();
        let b = self.rng.pick(ZSETS).to_string();
        let m = self.rng.pick(&["m1", "m2", "m3", "m4"]).to_string();
        let score = self.num(-3, 5);
        let args: Vec<String> = match self.rng.below(16) {
            0..=2 => {
                let mut z = vec!["ZADD".into(), k];
                if self.rng.chance(40) {
                    z.push(self.rng.pick(&["NX", "XX", "GT", "LT", "CH"]).into());
                }
                if self.rng.chance(15) {
                    z.push("INCR".into());
                    z.extend([score, m]);
                } else {
                    z.extend([score, m, self.num(0, 9), "m5".into()]);
                }
                z
            }
            3 => vec!["ZINCRBY".into(), k, score, m],
            4 => vec!["ZREM".into(), k, m, "m5".into()],
            5 => vec!["ZREMRANGEBYRANK".into(), k, self.num(0, 1), self.num(0, 2)],
            6 => vec![
                "ZREMRANGEBYSCORE".into(),
                k,
                self.num(-3, 2),
                self.num(0, 9),
            ],
            7 => vec!["ZREMRANGEBYLEX".into(), k, "[m2".into(), "[m4".into()],
            8 => vec![
                self.rng.pick(&["ZPOPMIN", "ZPOPMAX"]).into(),
                k,
                self.num(0, 2),
            ],
            9 => vec![
                "ZMPOP".into(),
                "2".into(),
                k,
                a,
                self.rng.pick(&["MIN", "MAX"]).into(),
            ],
            10 => vec!["ZUNIONSTORE".into(), k, "2".into(), a, b],
            11 => vec!["ZINTERSTORE".into(), k, "2".into(), a, b],
            12 => vec!["ZDIFFSTORE".into(), k, "2".into(), a, b],
            13 => vec!["ZRANGESTORE".into(), k, a, "0".into(), self.num(-1, 2)],
            14 => vec![
                self.rng.pick(&["BZPOPMIN", "BZPOPMAX"]).into(),
                k,
                "0.01".into(),
            ],
            _ => vec![
                "BZMPOP".into(),
                "0.01".into(),
                "1".into(),
                k,
                "MIN".into(),
                "COUNT".into(),
                "2".into(),
            ],
        };
        self.push(args);
    }

    fn generic_op(&mut self) {
        let k = self.any_key().to_string();
        let k2 = self.any_key().to_string();
        match self.rng.below(17) {
            0 => self.push(vec!["DEL".into(), k, k2]),
            1 => self.push(vec!["UNLINK".into(), k]),
            2 => self.push(vec!["RENAME".into(), k, k2]),
            3 => self.push(vec!["RENAMENX".into(), k, k2]),
            4 => {
                let mut a = vec!["COPY".into(), k, k2];
                if self.rng.chance(50) {
                    a.push("REPLACE".into());
                }
                if self.rng.chance(30) {
                    a.extend(["DB".into(), "1".into()]);
                }
                self.push(a);
            }
            5 => self.push(vec!["MOVE".into(), k, "1".into()]),
            6 => self.push(vec!["EXPIRE".into(), k, "100".into()]),
            7 => self.push(vec!["PEXPIRE".into(), k, "-1".into()]),
            8 => self.push(vec!["EXPIREAT".into(), k, "1".into()]),
            9 => self.push(vec!["PERSIST".into(), k]),
            10 => {
                // Short TTLs that have surely passed at the next command: lazy expiry.
                self.push(vec!["PEXPIRE".into(), k, "1".into()]);
                self.ops.push(Op::Sleep(3));
            }
            11 => {
                let v = self.rng.pick(VALUES).to_string();
                self.push(vec!["SET".into(), k, v, "PX".into(), "1".into()]);
                self.ops.push(Op::Sleep(3));
            }
            12 => {
                let replace = self.rng.chance(50);
                self.ops.push(Op::DumpRestore {
                    from: k,
                    to: k2,
                    replace,
                });
            }
            13 => {
                let src = self.rng.pick(&["l1", "t1", "z1"]).to_string();
                self.push(vec!["SORT".into(), src, "ALPHA".into(), "STORE".into(), k]);
            }
            14 => self.push(vec!["SWAPDB".into(), "0".into(), "1".into()]),
            15 => self.push(vec!["EXISTS".into(), k, k2]),
            _ => self.push(vec!["TYPE".into(), k]),
        }
    }

    fn op(&mut self) {
        match self.rng.below(6) {
            0 => self.string_op(),
            1 => self.list_op(),
            2 => self.hash_op(),
            3 => self.set_op(),
            4 => self.zset_op(),
            _ => self.generic_op(),
        }
    }
}

/// `n` random steps from `seed`, some inside MULTI/EXEC.
fn generate(seed: u64, n: usize) -> Vec<Op> {
    let mut g = Gen {
        rng: Rng(seed),
        ops: Vec::new(),
    };
    while g.ops.len() < n {
        if g.rng.chance(5) {
            g.ops.push(cmd(&["MULTI"]));
            let (mut random, mut sleep) = (false, false);
            for _ in 0..1 + g.rng.below(4) {
                // No sleeps inside a transaction (they come after EXEC), no DUMP/RESTORE.
                let before = g.ops.len();
                g.op();
                let mut added = g.ops.split_off(before);
                sleep |= added.iter().any(|op| matches!(op, Op::Sleep(_)));
                added.retain(|op| matches!(op, Op::Cmd { .. }));
                random |= added
                    .iter()
                    .any(|op| matches!(op, Op::Cmd { random: true, .. }));
                g.ops.extend(added);
            }
            // EXEC answers with the queued commands' replies, random ones included.
            g.ops.push(Op::Cmd {
                args: vec!["EXEC".into()],
                random,
            });
            if sleep {
                g.ops.push(Op::Sleep(3));
            }
        } else {
            g.op();
        }
    }
    g.ops
}

#[test]
fn random_commands_notify_as_redis_with_all_classes() {
    for seed in 1u64..=4 {
        compare("KEA", &generate(seed, 800));
    }
}

#[test]
fn narrower_class_sets_publish_only_their_events() {
    // Keyevent channels only, generic + list + expired + new keys; then keyspace only with
    // string, hash, set, sorted set and key misses.
    compare("Eglxn", &generate(11, 500));
    compare("K$hszm", &generate(12, 500));
}

#[test]
fn config_set_turns_notifications_on_and_off() {
    let ops = vec![
        cmd(&["SET", "a", "1"]),
        cmd(&["CONFIG", "SET", "notify-keyspace-events", "KEA"]),
        cmd(&["CONFIG", "GET", "notify-keyspace-events"]),
        cmd(&["SET", "a", "2"]),
        cmd(&["LPUSH", "l", "x"]),
        cmd(&["CONFIG", "SET", "notify-keyspace-events", "Ex"]),
        cmd(&["CONFIG", "GET", "notify-keyspace-events"]),
        cmd(&["SET", "b", "1", "PX", "1"]),
        Op::Sleep(3),
        cmd(&["GET", "b"]),
        cmd(&["CONFIG", "SET", "notify-keyspace-events", "nKE"]),
        cmd(&["CONFIG", "GET", "notify-keyspace-events"]),
        cmd(&["SET", "c", "1"]),
        cmd(&["CONFIG", "SET", "notify-keyspace-events", "KE lx"]),
        cmd(&["CONFIG", "SET", "notify-keyspace-events", ""]),
        cmd(&["CONFIG", "GET", "notify-keyspace-events"]),
        cmd(&["SET", "d", "1"]),
    ];
    compare("", &ops);
}

/// Waits until `expired_keys` reaches `n`.
fn wait_expired(c: &mut Raw, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while c.info_u64("stats", "expired_keys") < n {
        assert!(
            Instant::now() < deadline,
            "active expiry did not remove the keys"
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// Runs `scenario` on a fresh server of each kind configured with `classes`; returns the
/// notifications each produced, sorted (the servers choose their own order for active expiry
/// and eviction).
fn sorted_notifications(classes: &str, scenario: fn(&mut Raw)) -> [Vec<String>; 2] {
    let ferrodis = Server::ferrodis(&["--notify-keyspace-events", classes]);
    let redis = Server::redis_with(&["--notify-keyspace-events", classes]);
    [&ferrodis, &redis].map(|server| {
        let mut sub = subscriber(server.port);
        let mut c = Raw::connect(server.port);
        scenario(&mut c);
        c.cmd(&["PUBLISH", END, "end"]);
        let mut got = notifications(&mut sub);
        got.sort();
        got
    })
}

#[test]
fn the_active_cycle_publishes_expired() {
    let [got, want] = sorted_notifications("KEA", |c| {
        for key in ["e1", "e2", "e3", "e4"] {
            c.cmd(&["SET", key, "v", "PX", "20"]);
        }
        c.cmd(&["HSET", "e5", "f", "v"]);
        c.cmd(&["PEXPIRE", "e5", "20"]);
        c.cmd(&["SET", "stays", "v"]);
        wait_expired(c, 5);
    });
    assert_same("active expiry", &got, &want);
    assert!(
        got.iter().any(|n| n == "__keyevent@0__:expired e5"),
        "{got:?}"
    );
}

#[test]
fn eviction_publishes_evicted() {
    let [got, want] = sorted_notifications("KEA", |c| {
        c.cmd(&["SET", "v1", "a"]);
        c.cmd(&["RPUSH", "v2", "a", "b"]);
        c.cmd(&["SELECT", "1"]);
        c.cmd(&["SADD", "v3", "a"]);
        c.cmd(&["SELECT", "0"]);
        c.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]);
        c.cmd(&["CONFIG", "SET", "maxmemory", "1"]);
        // Evicts every key before it runs, and lifts the limit.
        c.cmd(&["CONFIG", "SET", "maxmemory", "0"]);
        assert_eq!(c.cmd(&["DBSIZE"]), b":0\r\n");
    });
    assert_same("eviction", &got, &want);
    assert!(
        got.iter().any(|n| n == "__keyevent@1__:evicted v3"),
        "{got:?}"
    );
}

#[test]
fn a_resp3_client_gets_its_own_notifications_where_redis_puts_them() {
    let ferrodis = Server::ferrodis(&["--notify-keyspace-events", "KEA"]);
    let redis = Server::redis_with(&[
        "--notify-keyspace-events",
        "KEA",
        "--enable-debug-command",
        "yes",
    ]);
    for seed in 21u64..=26 {
        let ops = generate(seed, 600);
        let mut results = Vec::new();
        for server in [&ferrodis, &redis] {
            let mut c = Raw::connect(server.port);
            assert_eq!(c.cmd(&["FLUSHALL"]), b"+OK\r\n");
            assert_eq!(c.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]), b"+OK\r\n");
            results.push(run_self_subscribed(server.port, &ops));
        }
        assert_same(
            &format!("self-subscribed transcript (seed {seed})"),
            &results[0],
            &results[1],
        );
    }
}
