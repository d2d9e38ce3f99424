//! RDB persistence: restart without loss, files and DUMP payloads that move between ferrodis
//! and a real redis-server in both directions, BGSAVE by fork, failed saves, crashes.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{Raw, Server};

/// A fresh directory that outlives the servers started in it.
struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "ferrodis-persist-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&path).expect("create dir");
        Dir(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().expect("utf-8 temp path")
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ferrodis_in(dir: &Dir, extra: &[&str]) -> Server {
    let mut args = vec!["--dir", dir.path()];
    args.extend_from_slice(extra);
    Server::ferrodis(&args)
}

fn redis_in(dir: &Dir) -> Server {
    Server::redis_with(&["--dir", dir.path(), "--dbfilename", "dump.rdb"])
}

fn text(reply: &[u8]) -> String {
    String::from_utf8_lossy(reply).into_owned()
}

fn wait_until(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

fn wait_bgsave_done(raw: &mut Raw) {
    wait_until(
        "the background save to finish",
        Duration::from_secs(60),
        || raw.info_field("all", "rdb_bgsave_in_progress") == "0",
    );
}

// ------------------------------------------------------------------------------ the data set

/// Runs the commands that build the reference data set: every type, in small (compact) and
/// large encodings, with and without TTLs, in several databases.
fn fill_every_type(raw: &mut Raw) {
    let mut cmds: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut c = |args: &[&[u8]]| cmds.push(args.iter().map(|a| a.to_vec()).collect());
    let big = |n: usize, f: &dyn Fn(usize) -> String| -> Vec<String> { (0..n).map(f).collect() };
    for db in ["0", "3", "15"] {
        c(&[b"SELECT", db.as_bytes()]);
        // strings: integer encodings of every width, integer-looking text, LZF-friendly and
        // incompressible long strings, binary bytes, empty.
        for (k, v) in [
            ("s:small-int", "7".to_string()),
            ("s:int16", "-3000".to_string()),
            ("s:int32", "2000000000".to_string()),
            ("s:int64", "-9223372036854775808".to_string()),
            ("s:leading-zero", "0123".to_string()),
            ("s:text", "hello world".to_string()),
            ("s:empty", String::new()),
            ("s:compressible", "abcabcabc".repeat(200)),
            (
                "s:noisy",
                (0..300u64)
                    .map(|i| char::from(b'!' + ((i * 7919 + i * i * 31) % 90) as u8))
                    .collect(),
            ),
        ] {
            c(&[b"SET", k.as_bytes(), v.as_bytes()]);
        }
        c(&[b"SET", b"s:binary", b"\x00\xff\r\n\x01zero"]);
        c(&[b"SET", b"s:ttl", b"expiring", b"EX", b"5000"]);
        c(&[b"SET", b"s:pttl", b"12345", b"PX", b"900000"]);
        // lists: one small listpack node; several nodes; mixed integers.
        c(&[b"RPUSH", b"l:small", b"a", b"1", b"-2", b"hello", b""]);
        let items = big(1500, &|i| format!("item-{i}-{}", "x".repeat(i % 90)));
        let mut push: Vec<&[u8]> = vec![b"RPUSH", b"l:big"];
        push.extend(items.iter().map(|s| s.as_bytes()));
        c(&push);
        c(&[b"RPUSH", b"l:ttl", b"x", b"y"]);
        c(&[b"EXPIRE", b"l:ttl", b"10000"]);
        // sets: intset, hashtable of strings, too many integers for an intset.
        c(&[
            b"SADD",
            b"set:ints",
            b"5",
            b"-1",
            b"100000",
            b"3000000000",
            b"7",
        ]);
        let members = big(300, &|i| format!("member:{i}"));
        let mut sadd: Vec<&[u8]> = vec![b"SADD", b"set:strings"];
        sadd.extend(members.iter().map(|s| s.as_bytes()));
        c(&sadd);
        let ints = big(700, &|i| (i * 3).to_string());
        let mut sadd: Vec<&[u8]> = vec![b"SADD", b"set:many-ints"];
        sadd.extend(ints.iter().map(|s| s.as_bytes()));
        c(&sadd);
        // hashes: listpack, hashtable by count, hashtable by value length.
        c(&[
            b"HSET", b"h:small", b"f1", b"v1", b"n", b"42", b"neg", b"-9",
        ]);
        let fields = big(600, &|i| format!("field:{i}"));
        let mut hset: Vec<&[u8]> = vec![b"HSET", b"h:big"];
        for f in &fields {
            hset.push(f.as_bytes());
            hset.push(f.as_bytes());
        }
        c(&hset);
        let long = "v".repeat(100);
        c(&[b"HSET", b"h:long-value", b"f", long.as_bytes()]);
        c(&[b"PEXPIRE", b"h:long-value", b"3000000"]);
        // sorted sets: listpack and skiplist, with awkward scores.
        c(&[
            b"ZADD", b"z:small", b"1.5", b"a", b"-inf", b"b", b"inf", b"c", b"0", b"d", b"3", b"e",
        ]);
        let zm = big(300, &|i| format!("zm:{i}"));
        let scores = big(300, &|i| format!("{}", (i as f64) * 0.1 - 7.0));
        let mut zadd: Vec<&[u8]> = vec![b"ZADD", b"z:big"];
        for (s, m) in scores.iter().zip(&zm) {
            zadd.push(s.as_bytes());
            zadd.push(m.as_bytes());
        }
        c(&zadd);
        c(&[
            b"ZADD",
            b"z:tiny-score",
            b"1e-300",
            b"x",
            b"123456789.125",
            b"y",
        ]);
    }
    c(&[b"SELECT", b"0"]);
    let mut pipeline = Vec::new();
    for cmd in &cmds {
        common::encode_into(
            &cmd.iter().map(|a| a.as_slice()).collect::<Vec<_>>(),
            &mut pipeline,
        );
    }
    raw.write(&pipeline);
    let replies = raw.read_replies(cmds.len());
    assert!(
        !replies.starts_with(b"-") && !replies.windows(3).any(|w| w == b"\r\n-"),
        "filling failed: {}",
        common::show_short(&replies, 400)
    );
}

/// Everything observable about one key.
#[derive(Debug, PartialEq)]
struct KeyState {
    kind: String,
    encoding: String,
    value: Vec<String>,
    /// Remaining TTL rounded to 10 s (-1 without one), so two servers read moments apart agree.
    ttl_bucket: i64,
}

type Snapshot = BTreeMap<(u8, String), KeyState>;

/// Reads every key of databases 0..16 with typed commands.
fn snapshot(server: &Server) -> Snapshot {
    snapshot_without(server, "\u{0}never")
}

/// [`snapshot`] of the keys that do not start with `skip`.
fn snapshot_without(server: &Server, skip: &str) -> Snapshot {
    let mut con = server.conn();
    let mut out = Snapshot::new();
    for db in 0..16u8 {
        redis::cmd("SELECT")
            .arg(db)
            .query::<()>(&mut con)
            .expect("select");
        let keys: Vec<Vec<u8>> = redis::cmd("KEYS").arg("*").query(&mut con).expect("keys");
        for key in keys.into_iter().filter(|k| !k.starts_with(skip.as_bytes())) {
            let kind: String = redis::cmd("TYPE").arg(&key).query(&mut con).expect("type");
            let encoding: String = redis::cmd("OBJECT")
                .arg("ENCODING")
                .arg(&key)
                .query(&mut con)
                .expect("encoding");
            let strings = |v: Vec<Vec<u8>>| -> Vec<String> {
                v.into_iter()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .collect()
            };
            let mut value: Vec<String> = match kind.as_str() {
                "string" => {
                    let v: Vec<u8> = redis::cmd("GET").arg(&key).query(&mut con).expect("get");
                    vec![format!("{v:?}")]
                }
                "list" => strings(
                    redis::cmd("LRANGE")
                        .arg(&key)
                        .arg(0)
                        .arg(-1)
                        .query(&mut con)
                        .expect("lrange"),
                ),
                "set" => strings(redis::cmd("SMEMBERS").arg(&key).query(&mut con).expect("s")),
                "hash" => {
                    let pairs: Vec<Vec<u8>> =
                        redis::cmd("HGETALL").arg(&key).query(&mut con).expect("h");
                    strings(pairs)
                        .chunks(2)
                        .map(|p| p.join("="))
                        .collect::<Vec<_>>()
                }
                "zset" => strings(
                    redis::cmd("ZRANGE")
                        .arg(&key)
                        .arg(0)
                        .arg(-1)
                        .arg("WITHSCORES")
                        .query(&mut con)
                        .expect("zrange"),
                ),
                other => panic!("unexpected type {other}"),
            };
            if matches!(kind.as_str(), "set" | "hash") {
                value.sort();
            }
            let pttl: i64 = redis::cmd("PTTL").arg(&key).query(&mut con).expect("pttl");
            let ttl_bucket = if pttl < 0 {
                pttl
            } else {
                (pttl + 5_000) / 10_000
            };
            out.insert(
                (db, String::from_utf8_lossy(&key).into_owned()),
                KeyState {
                    kind,
                    encoding,
                    value,
                    ttl_bucket,
                },
            );
        }
    }
    out
}

fn assert_same(expected: &Snapshot, actual: &Snapshot, what: &str) {
    assert!(!expected.is_empty(), "{what}: the reference holds no keys");
    let missing: Vec<_> = expected
        .keys()
        .filter(|k| !actual.contains_key(*k))
        .collect();
    let extra: Vec<_> = actual
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .collect();
    assert!(missing.is_empty(), "{what}: missing keys {missing:?}");
    assert!(extra.is_empty(), "{what}: unexpected keys {extra:?}");
    for (key, want) in expected {
        assert_eq!(Some(want), actual.get(key), "{what}: key {key:?}");
    }
}

// ------------------------------------------------------------------------------------ tests

#[test]
fn restart_after_sigterm_keeps_every_key() {
    let dir = Dir::new("sigterm");
    let mut first = ferrodis_in(&dir, &["--save", "3600 1"]);
    let mut raw = first.raw();
    assert_eq!(
        raw.cmd(&["DEBUG", "DIGEST"]),
        format!("+{}\r\n", "0".repeat(40)).into_bytes()
    );
    fill_every_type(&mut raw);
    let digest = raw.cmd(&["DEBUG", "DIGEST"]);
    let values = raw.cmd(&["DEBUG", "DIGEST-VALUE", "h:big", "z:small", "nokey"]);
    // DEBUG RELOAD (save, flush, load) keeps the dataset exactly.
    assert_eq!(raw.cmd(&["DEBUG", "RELOAD"]), b"+OK\r\n");
    assert_eq!(raw.cmd(&["DEBUG", "DIGEST"]), digest);
    drop(raw);
    let before = snapshot(&first);
    let status = first
        .signal_and_wait(libc::SIGTERM, Duration::from_secs(30))
        .expect("ferrodis did not exit after SIGTERM");
    assert!(status.success(), "exit status {status:?}");
    assert!(first.output().contains("DB saved on disk"));

    let second = ferrodis_in(&dir, &[]);
    assert!(
        second.output().contains("Done loading RDB, keys loaded: "),
        "{}",
        second.output()
    );
    assert_same(&before, &snapshot(&second), "after restart");
    let mut raw = second.raw();
    assert_eq!(
        raw.cmd(&["DEBUG", "DIGEST"]),
        digest,
        "digest after restart"
    );
    assert_eq!(
        raw.cmd(&["DEBUG", "DIGEST-VALUE", "h:big", "z:small", "nokey"]),
        values
    );
    raw.cmd(&["HSET", "h:big", "field:0", "changed"]);
    assert_ne!(
        raw.cmd(&["DEBUG", "DIGEST"]),
        digest,
        "a change changes the digest"
    );
}

#[test]
fn ferrodis_snapshot_loads_in_redis_and_passes_redis_check_rdb() {
    let dir = Dir::new("to-redis");
    let ferrodis = ferrodis_in(&dir, &[]);
    let mut raw = ferrodis.raw();
    fill_every_type(&mut raw);
    assert_eq!(raw.cmd(&["SAVE"]), b"+OK\r\n");
    let expected = snapshot(&ferrodis);

    let check = std::process::Command::new("redis-check-rdb")
        .arg(dir.file("dump.rdb"))
        .output()
        .expect("run redis-check-rdb");
    let report = text(&check.stdout);
    assert!(
        check.status.success() && report.contains("RDB looks OK"),
        "redis-check-rdb: {report}{}",
        text(&check.stderr)
    );

    let redis = redis_in(&dir);
    assert_same(
        &expected,
        &snapshot(&redis),
        "redis loading ferrodis's file",
    );
}

#[test]
fn redis_snapshot_loads_in_ferrodis() {
    let dir = Dir::new("from-redis");
    let redis = redis_in(&dir);
    let mut raw = redis.raw();
    fill_every_type(&mut raw);
    assert_eq!(raw.cmd(&["SAVE"]), b"+OK\r\n");
    let expected = snapshot(&redis);
    drop(raw);
    drop(redis);

    let ferrodis = ferrodis_in(&dir, &[]);
    assert_same(
        &expected,
        &snapshot(&ferrodis),
        "ferrodis loading redis's file",
    );
}

#[test]
fn dump_payloads_match_redis_and_restore_both_ways() {
    let redis = Server::redis();
    let ferrodis = Server::ferrodis(&[]);
    let (mut r, mut f) = (redis.raw(), ferrodis.raw());
    fill_every_type(&mut r);
    fill_every_type(&mut f);
    let keys = snapshot(&redis);
    let mut moved = 0;
    for (db, key) in keys.keys() {
        let db = db.to_string();
        r.cmd(&["SELECT", &db]);
        f.cmd(&["SELECT", &db]);
        let from_redis = r.cmd(&["DUMP", key]);
        let from_ferrodis = f.cmd(&["DUMP", key]);
        // Compact encodings are laid out deterministically, so the bytes must agree; a
        // hashtable's order depends on Redis's hash seed.
        let state = &keys[&(db.parse().unwrap(), key.clone())];
        if !matches!(state.encoding.as_str(), "hashtable") {
            assert_eq!(
                common::show(&from_ferrodis),
                common::show(&from_redis),
                "DUMP {key} ({})",
                state.encoding
            );
        }
        // Each side restores the other's payload under a new name.
        let payload = |reply: &[u8]| -> Vec<u8> {
            let start = reply.iter().position(|&b| b == b'\n').unwrap() + 1;
            reply[start..reply.len() - 2].to_vec()
        };
        let copy = format!("{key}:copy");
        let ok = f.send(&[b"RESTORE", copy.as_bytes(), b"0", &payload(&from_redis)]);
        assert_eq!(ok, b"+OK\r\n", "ferrodis RESTORE of redis's {key}");
        let ok = r.send(&[b"RESTORE", copy.as_bytes(), b"0", &payload(&from_ferrodis)]);
        assert_eq!(ok, b"+OK\r\n", "redis RESTORE of ferrodis's {key}");
        moved += 1;
    }
    assert!(moved > 20);
    let (rs, fs) = (snapshot(&redis), snapshot(&ferrodis));
    for ((db, key), state) in &rs {
        if let Some(original) = key.strip_suffix(":copy") {
            let want = KeyState {
                ttl_bucket: -1,
                ..clone_state(&rs[&(*db, original.to_string())])
            };
            assert_eq!(&want, state, "redis: restored {key}");
            assert_eq!(Some(&want), fs.get(&(*db, key.clone())), "ferrodis: {key}");
        }
    }
}

fn clone_state(s: &KeyState) -> KeyState {
    KeyState {
        kind: s.kind.clone(),
        encoding: s.encoding.clone(),
        value: s.value.clone(),
        ttl_bucket: s.ttl_bucket,
    }
}

#[test]
fn restore_and_dump_errors_match_redis() {
    let redis = Server::redis();
    let ferrodis = Server::ferrodis(&[]);
    let (mut r, mut f) = (redis.raw(), ferrodis.raw());
    let good = {
        r.cmd(&["SET", "src", "value"]);
        let reply = r.cmd(&["DUMP", "src"]);
        let start = reply.iter().position(|&b| b == b'\n').unwrap() + 1;
        reply[start..reply.len() - 2].to_vec()
    };
    let mut corrupt = good.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0x55;
    let mut bad_version = good.clone();
    let v = bad_version.len() - 10;
    bad_version[v] = 99;
    let cases: Vec<Vec<&[u8]>> = vec![
        vec![b"DUMP", b"nokey"],
        vec![b"SET", b"exists", b"1"],
        vec![b"RESTORE", b"exists", b"0", &good],
        vec![b"RESTORE", b"exists", b"0", &good, b"REPLACE"],
        vec![b"GET", b"exists"],
        vec![b"RESTORE", b"k", b"-1", &good],
        vec![b"RESTORE", b"k", b"abc", &good],
        vec![b"RESTORE", b"k", b"0", &corrupt],
        vec![b"RESTORE", b"k", b"0", &bad_version],
        vec![b"RESTORE", b"k", b"0", b"garbage"],
        vec![b"RESTORE", b"k", b"0", &good, b"IDLETIME", b"-1"],
        vec![b"RESTORE", b"k", b"0", &good, b"FREQ", b"256"],
        vec![
            b"RESTORE",
            b"k",
            b"0",
            &good,
            b"IDLETIME",
            b"5",
            b"FREQ",
            b"5",
        ],
        vec![b"RESTORE", b"k", b"0", &good, b"BOGUS"],
        vec![b"RESTORE", b"k", b"0", &good, b"IDLETIME"],
        vec![b"RESTORE", b"k", b"0", &good, b"IDLETIME", b"1000"],
        vec![b"OBJECT", b"IDLETIME", b"k"],
        vec![b"RESTORE", b"past", b"1", &good, b"ABSTTL"],
        vec![b"EXISTS", b"past"],
        vec![b"RESTORE", b"ttl", b"100000", &good],
        vec![b"TTL", b"ttl"],
        vec![b"RESTORE", b"k"],
    ];
    for case in &cases {
        let want = r.send(case);
        let got = f.send(case);
        assert_eq!(
            common::show(&got),
            common::show(&want),
            "{:?}",
            case.iter()
                .map(|a| common::show_short(a, 20))
                .collect::<Vec<_>>()
        );
    }
}

#[test]
fn bgsave_runs_in_a_child_and_reports_in_info() {
    let dir = Dir::new("bgsave");
    let ferrodis = ferrodis_in(&dir, &[]);
    let mut raw = ferrodis.raw();
    fill_every_type(&mut raw);
    // Enough data that the child is still running when the next pipelined command arrives.
    let mut pipeline = Vec::new();
    for i in 0..200_000 {
        let key = format!("bulk:{i}");
        common::encode_into(&[b"SET", key.as_bytes(), b"some value here"], &mut pipeline);
    }
    raw.write(&pipeline);
    raw.read_replies(200_000);
    let mut batch = Vec::new();
    for cmd in [
        &["BGSAVE"][..],
        &["BGSAVE"],
        &["SAVE"],
        &["BGSAVE", "SCHEDULE"],
        &["INFO", "persistence"],
    ] {
        let args: Vec<&[u8]> = cmd.iter().map(|s| s.as_bytes()).collect();
        common::encode_into(&args, &mut batch);
    }
    raw.write(&batch);
    assert_eq!(raw.read_reply(), b"+Background saving started\r\n");
    assert_eq!(
        raw.read_reply(),
        b"-ERR Background save already in progress\r\n"
    );
    assert_eq!(
        raw.read_reply(),
        b"-ERR Background save already in progress\r\n"
    );
    assert_eq!(raw.read_reply(), b"+Background saving scheduled\r\n");
    let info = text(&raw.read_reply());
    assert!(info.contains("rdb_bgsave_in_progress:1"), "{info}");
    // The scheduled save runs after the first one.
    wait_until("two background saves", Duration::from_secs(60), || {
        raw.info_field("all", "rdb_saves") == "2"
            && raw.info_field("all", "rdb_bgsave_in_progress") == "0"
    });
    assert_eq!(raw.info_field("all", "rdb_last_bgsave_status"), "ok");
    assert_eq!(raw.info_field("all", "rdb_changes_since_last_save"), "0");
    assert!(raw.info_field("all", "total_forks").parse::<u64>().unwrap() >= 2);
    assert_eq!(raw.cmd(&["BGSAVE", "NOW"]), b"-ERR syntax error\r\n");
    // The file holds everything: the bulk keys by count (reading 200,000 keys one by one
    // would take longer than the TTL tolerance), the rest key by key.
    drop(raw);
    let expected = snapshot_without(&ferrodis, "bulk:");
    drop(ferrodis);
    let again = ferrodis_in(&dir, &[]);
    assert_same(
        &expected,
        &snapshot_without(&again, "bulk:"),
        "after BGSAVE",
    );
    let in_db0 = expected.keys().filter(|(db, _)| *db == 0).count();
    let dbsize = text(&again.raw().cmd(&["DBSIZE"]));
    assert_eq!(
        dbsize[1..].trim().parse::<usize>().unwrap(),
        in_db0 + 200_000
    );
}

#[test]
fn failed_save_keeps_the_last_good_file_and_stops_writes() {
    let dir = Dir::new("misconf");
    let ferrodis = ferrodis_in(
        &dir,
        &["--save", "3600 1", "--enable-protected-configs", "yes"],
    );
    let mut raw = ferrodis.raw();
    raw.cmd(&["SET", "k", "v1"]);
    assert_eq!(raw.cmd(&["SAVE"]), b"+OK\r\n");
    let good = std::fs::read(dir.file("dump.rdb")).expect("dump.rdb");
    raw.cmd(&["SET", "k", "v2"]);
    // A directory where the snapshot should go makes the final rename fail.
    std::fs::create_dir(dir.file("blocked")).unwrap();
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "dbfilename", "blocked"]),
        b"+OK\r\n"
    );
    assert_eq!(raw.cmd(&["SAVE"]), b"-ERR\r\n");
    assert_eq!(raw.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    wait_bgsave_done(&mut raw);
    assert_eq!(raw.info_field("all", "rdb_last_bgsave_status"), "err");
    let misconf = raw.cmd(&["SET", "k", "v3"]);
    assert!(misconf.starts_with(b"-MISCONF "), "{}", text(&misconf));
    assert!(raw.cmd(&["PING"]).starts_with(b"-MISCONF "));
    assert_eq!(raw.cmd(&["GET", "k"]), b"$2\r\nv2\r\n");
    assert_eq!(std::fs::read(dir.file("dump.rdb")).unwrap(), good);
    let leftovers: Vec<_> = std::fs::read_dir(&dir.0)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("temp-"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    // SHUTDOWN refuses to exit without a good final save.
    assert_eq!(
        raw.cmd(&["SHUTDOWN"]),
        b"-ERR Errors trying to SHUTDOWN. Check logs.\r\n"
    );
    // Once saving works again, so do writes.
    assert_eq!(
        raw.cmd(&["CONFIG", "SET", "dbfilename", "dump.rdb"]),
        b"+OK\r\n"
    );
    assert_eq!(raw.cmd(&["BGSAVE"]), b"+Background saving started\r\n");
    wait_bgsave_done(&mut raw);
    assert_eq!(raw.info_field("all", "rdb_last_bgsave_status"), "ok");
    assert_eq!(raw.cmd(&["SET", "k", "v3"]), b"+OK\r\n");
}

#[test]
fn shutdown_variants_and_flushall() {
    let dir = Dir::new("shutdown");
    // No save points: SHUTDOWN does not write, SHUTDOWN SAVE does.
    let mut s = ferrodis_in(&dir, &[]);
    let mut raw = s.raw();
    raw.cmd(&["SET", "a", "1"]);
    assert_eq!(
        raw.cmd(&["SHUTDOWN", "ABORT"]),
        b"-ERR No shutdown in progress.\r\n"
    );
    assert_eq!(
        raw.cmd(&["SHUTDOWN", "SAVE", "NOSAVE"]),
        b"-ERR syntax error\r\n"
    );
    assert_eq!(
        raw.cmd(&["SHUTDOWN", "ABORT", "ABORT"]),
        b"-ERR No shutdown in progress.\r\n"
    );
    assert_eq!(
        raw.cmd(&["SHUTDOWN", "ABORT", "NOW"]),
        b"-ERR syntax error\r\n"
    );
    raw.write(&common::encode(&[b"SHUTDOWN"]));
    raw.assert_closed();
    assert!(s
        .wait_exit(Duration::from_secs(10))
        .expect("exit")
        .success());
    assert!(!dir.file("dump.rdb").exists());

    let mut s = ferrodis_in(&dir, &[]);
    let mut raw = s.raw();
    raw.cmd(&["SET", "a", "1"]);
    raw.write(&common::encode(&[b"SHUTDOWN", b"SAVE"]));
    raw.assert_closed();
    assert!(s
        .wait_exit(Duration::from_secs(10))
        .expect("exit")
        .success());
    assert!(dir.file("dump.rdb").exists());

    // With save points, NOSAVE skips the save: the file keeps the old data.
    let mut s = ferrodis_in(&dir, &["--save", "3600 1"]);
    let mut raw = s.raw();
    assert_eq!(raw.cmd(&["GET", "a"]), b"$1\r\n1\r\n");
    raw.cmd(&["SET", "a", "2"]);
    raw.write(&common::encode(&[b"SHUTDOWN", b"NOSAVE"]));
    raw.assert_closed();
    assert!(s
        .wait_exit(Duration::from_secs(10))
        .expect("exit")
        .success());

    // FLUSHALL with save points replaces the file with an empty snapshot.
    let s = ferrodis_in(&dir, &["--save", "3600 1"]);
    let mut raw = s.raw();
    assert_eq!(raw.cmd(&["GET", "a"]), b"$1\r\n1\r\n");
    assert_eq!(raw.cmd(&["FLUSHALL"]), b"+OK\r\n");
    assert_eq!(raw.info_field("all", "rdb_changes_since_last_save"), "0");
    drop(raw);
    drop(s);
    let s = ferrodis_in(&dir, &[]);
    assert_eq!(s.raw().cmd(&["DBSIZE"]), b":0\r\n");
}

#[test]
fn save_points_fire_and_expired_keys_are_dropped_at_load() {
    let dir = Dir::new("savepoints");
    let s = ferrodis_in(&dir, &["--save", "1 2"]);
    let mut raw = s.raw();
    raw.cmd(&["SET", "mid", "z"]);
    raw.cmd(&["SET", "long", "y"]);
    wait_until("a save point to fire", Duration::from_secs(10), || {
        raw.info_field("all", "rdb_saves") == "1"
            && raw.info_field("all", "rdb_bgsave_in_progress") == "0"
    });
    assert!(s.output().contains("2 changes in 1 seconds. Saving..."));
    assert_eq!(raw.info_field("all", "rdb_changes_since_last_save"), "0");
    // A key that expires between the save and the next start is dropped by the load.
    raw.cmd(&["SET", "short", "x", "PX", "300"]);
    assert_eq!(raw.cmd(&["SAVE"]), b"+OK\r\n");
    drop(raw);
    drop(s);
    std::thread::sleep(Duration::from_millis(400));
    let s = ferrodis_in(&dir, &[]);
    let mut raw = s.raw();
    assert_eq!(raw.cmd(&["DBSIZE"]), b":2\r\n");
    assert_eq!(raw.info_field("all", "rdb_last_load_keys_loaded"), "2");
    assert_eq!(raw.info_field("all", "rdb_last_load_keys_expired"), "1");
    assert_eq!(raw.cmd(&["DEBUG", "RELOAD"]), b"+OK\r\n");
    assert_eq!(raw.cmd(&["GET", "long"]), b"$1\r\ny\r\n");
}

#[test]
fn corrupt_file_stops_start_up_with_file_and_offset() {
    let dir = Dir::new("corrupt");
    {
        let s = ferrodis_in(&dir, &[]);
        let mut raw = s.raw();
        fill_every_type(&mut raw);
        assert_eq!(raw.cmd(&["SAVE"]), b"+OK\r\n");
    }
    let path = dir.file("dump.rdb");
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrodis"))
        .args(["--port", "0", "--dir", dir.path()])
        .output()
        .expect("run ferrodis");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!out.status.success(), "{all}");
    assert!(all.contains("dump.rdb") && all.contains("offset"), "{all}");
}

/// kill -9 at random moments, during a BGSAVE or not: the file on disk is always a complete
/// snapshot that loads.
#[test]
fn crash_at_any_moment_leaves_a_loadable_snapshot() {
    let dir = Dir::new("crash");
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut saved_keys = 0u64;
    for round in 0..6 {
        let mut s = ferrodis_in(&dir, &["--save", "1 1"]);
        let mut raw = s.raw();
        let loaded: u64 = String::from_utf8_lossy(&raw.cmd(&["DBSIZE"]))[1..]
            .trim()
            .parse()
            .unwrap();
        assert!(
            loaded >= saved_keys,
            "round {round}: {loaded} < {saved_keys}"
        );
        let mut pipeline = Vec::new();
        for i in 0..50_000 {
            let key = format!("r{round}:{i}");
            common::encode_into(&[b"SET", key.as_bytes(), b"payload-payload"], &mut pipeline);
        }
        raw.write(&pipeline);
        raw.read_replies(50_000);
        if round % 2 == 0 {
            raw.cmd(&["BGSAVE"]);
        } else {
            raw.cmd(&["SAVE"]);
            saved_keys = loaded + 50_000;
        }
        std::thread::sleep(Duration::from_millis(rand() % 40));
        s.signal_and_wait(libc::SIGKILL, Duration::from_secs(10))
            .expect("killed");
        // An orphaned child may still be finishing its rename; let it.
        std::thread::sleep(Duration::from_millis(300));
    }
    let s = ferrodis_in(&dir, &[]);
    assert!(s.output().contains("Done loading RDB"), "{}", s.output());
}

/// DEBUG POPULATE, which Redis's own test suite uses to make data, answers as Redis does.
#[test]
fn debug_populate_matches_redis() {
    let redis = Server::redis_with(&["--enable-debug-command", "yes"]);
    let ferrodis = Server::ferrodis(&[]);
    let (mut r, mut f) = (redis.raw(), ferrodis.raw());
    let cases: &[&[&str]] = &[
        &["DEBUG", "POPULATE", "100"],
        &["DEBUG", "POPULATE", "3", "foo", "10"],
        &["DEBUG", "POPULATE", "3", "bar", "3"],
        &["DEBUG", "POPULATE", "-1"],
        &["DEBUG", "POPULATE", "abc"],
        &["DEBUG", "POPULATE", "1", "x", "-5"],
        &["DEBUG", "POPULATE", "1", "x", "y", "z"],
        &["SET", "key:5", "mine"],
        &["DEBUG", "POPULATE", "10"],
        &["GET", "key:5"],
        &["GET", "key:99"],
        &["GET", "foo:2"],
        &["GET", "bar:1"],
        &["OBJECT", "ENCODING", "key:7"],
        &["DBSIZE"],
    ];
    for case in cases {
        assert_eq!(
            common::show(&f.cmd(case)),
            common::show(&r.cmd(case)),
            "{case:?}"
        );
    }
}
