//! MULTI / EXEC / DISCARD / WATCH / UNWATCH against a real redis-server: each scenario runs on
//! both servers over raw connections and the transcripts (every reply, byte for byte) must be
//! equal, in RESP2 and (HELLO 3) RESP3.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::{show, Raw};

/// Sends one command on `c` and records its reply in `log`.
fn step(log: &mut Vec<String>, c: &mut Raw, args: &[&str]) {
    let reply = c.cmd(args);
    log.push(format!("{} -> {}", args.join(" "), show(&reply)));
}

/// Runs a list of commands on one connection.
fn steps(log: &mut Vec<String>, c: &mut Raw, cmds: &[&[&str]]) {
    for args in cmds {
        step(log, c, args);
    }
}

fn same_on_both(name: &str, scenario: fn(u16) -> Vec<String>) {
    common::assert_same_transcript(name, &["--enable-debug-command", "yes"], scenario);
}

#[test]
fn queued_commands_run_in_order_and_errors_are_elements() {
    same_on_both("basic", |port| {
        let mut log = Vec::new();
        let mut c = Raw::connect(port);
        steps(
            &mut log,
            &mut c,
            &[
                &["MULTI"],
                &["SET", "a", "1"],
                &["INCR", "a"],
                &["LPUSH", "a", "x"],
                &["GET", "a"],
                &["EXEC"],
                &["GET", "a"],
                &["MULTI"],
                &["EXEC"],
                &["MULTI"],
                &["GET", "a"],
                &["EXEC"],
            ],
        );
        let dirty = c.info_field("persistence", "rdb_changes_since_last_save");
        log.push(format!("dirty {dirty}"));
        let stats = c.cmd(&["INFO", "commandstats"]);
        for line in String::from_utf8_lossy(&stats).lines() {
            // Only the counts: timings differ.
            if let Some(rest) = line.strip_prefix("cmdstat_") {
                let name = rest.split(':').next().unwrap_or("");
                if ["multi", "exec", "set", "incr", "lpush", "get"].contains(&name) {
                    let counts: Vec<&str> =
                        rest.split(',').filter(|f| !f.contains("usec")).collect();
                    log.push(counts.join(","));
                }
            }
        }
        log.sort();
        log
    });
}

#[test]
fn refused_commands_abort_the_transaction() {
    same_on_both("refused", |port| {
        let mut log = Vec::new();
        let mut c = Raw::connect(port);
        steps(
            &mut log,
            &mut c,
            &[
                &["MULTI"],
                &["SET", "a"],
                &["NOSUCHCOMMAND", "x"],
                &["SET", "b", "1"],
                &["EXEC"],
                &["GET", "b"],
                &["EXEC"],
                &["DISCARD"],
                &["MULTI"],
                &["MULTI"],
                &["WATCH", "x"],
                &["SET", "c", "1"],
                &["EXEC"],
                &["MULTI"],
                &["SAVE"],
                &["SHUTDOWN"],
                &["EXEC"],
                &["MULTI"],
                &["EXEC", "extra"],
                &["EXEC"],
                &["MULTI"],
                &["CONFIG", "NOSUCHSUB"],
                &["EXEC"],
                &["MULTI"],
                &["SET", "d", "1"],
                &["DISCARD"],
                &["EXEC"],
                &["GET", "d"],
                &["UNWATCH"],
                &["WATCH"],
            ],
        );
        log
    });
}

#[test]
fn blocking_commands_answer_at_once_inside_exec() {
    same_on_both("blocking", |port| {
        let mut log = Vec::new();
        let mut c = Raw::connect(port);
        steps(
            &mut log,
            &mut c,
            &[
                &["MULTI"],
                &["BLPOP", "nokey", "0"],
                &["BRPOP", "nokey", "0"],
                &["BLMOVE", "nokey", "dst", "LEFT", "LEFT", "0"],
                &["BRPOPLPUSH", "nokey", "dst", "0"],
                &["BLMPOP", "0", "1", "nokey", "LEFT"],
                &["BZPOPMIN", "nozset", "0"],
                &["BZPOPMAX", "nozset", "0"],
                &["BZMPOP", "0", "1", "nozset", "MIN"],
                &["RPUSH", "l", "a", "b"],
                &["BLPOP", "l", "0"],
                &["BLMOVE", "l", "dst", "RIGHT", "LEFT", "0"],
                &["EXEC"],
                &["LRANGE", "dst", "0", "-1"],
                &["PING"],
            ],
        );
        log
    });
}

#[test]
fn a_push_inside_exec_serves_a_blocked_client_after_the_transaction() {
    same_on_both("wake", |port| {
        let mut log = Vec::new();
        let mut waiter = Raw::connect(port);
        let mut c = Raw::connect(port);
        waiter.write(&common::encode(&[b"BLPOP", b"q", b"0"]));
        let start = Instant::now();
        while c.info_u64("clients", "blocked_clients") != 1 {
            assert!(
                start.elapsed() < Duration::from_secs(5),
                "waiter never blocked"
            );
            thread::sleep(Duration::from_millis(5));
        }
        steps(
            &mut log,
            &mut c,
            &[
                &["MULTI"],
                &["RPUSH", "q", "a", "b"],
                &["LLEN", "q"],
                &["RPUSH", "q", "c"],
                &["EXEC"],
            ],
        );
        log.push(format!("waiter -> {}", show(&waiter.read_reply())));
        step(&mut log, &mut c, &["LRANGE", "q", "0", "-1"]);
        log
    });
}

#[test]
fn select_inside_exec_stays_selected() {
    same_on_both("select", |port| {
        let mut log = Vec::new();
        let mut c = Raw::connect(port);
        steps(
            &mut log,
            &mut c,
            &[
                &["MULTI"],
                &["SELECT", "2"],
                &["SET", "k", "in2"],
                &["EXEC"],
                &["GET", "k"],
                &["SELECT", "0"],
                &["GET", "k"],
            ],
        );
        log
    });
}

#[test]
fn watch_fails_exec_only_when_a_watched_key_is_touched() {
    same_on_both("watch", |port| {
        let mut log = Vec::new();
        let mut a = Raw::connect(port);
        let mut b = Raw::connect(port);
        let exec_ping = |log: &mut Vec<String>, b: &mut Raw| {
            steps(log, b, &[&["MULTI"], &["PING"], &["EXEC"]]);
        };
        // Modified by another client.
        step(&mut log, &mut a, &["SET", "x", "1"]);
        step(&mut log, &mut b, &["WATCH", "x"]);
        step(&mut log, &mut a, &["SET", "x", "2"]);
        exec_ping(&mut log, &mut b);
        // Not modified; then EXEC has unwatched it.
        step(&mut log, &mut b, &["WATCH", "x"]);
        exec_ping(&mut log, &mut b);
        step(&mut log, &mut a, &["SET", "x", "3"]);
        exec_ping(&mut log, &mut b);
        // Modified by the transaction itself.
        steps(
            &mut log,
            &mut b,
            &[&["WATCH", "x"], &["MULTI"], &["SET", "x", "4"], &["EXEC"]],
        );
        // UNWATCH and DISCARD forget the watch.
        step(&mut log, &mut b, &["WATCH", "x"]);
        step(&mut log, &mut b, &["UNWATCH"]);
        step(&mut log, &mut a, &["SET", "x", "5"]);
        exec_ping(&mut log, &mut b);
        step(&mut log, &mut b, &["WATCH", "x"]);
        step(&mut log, &mut a, &["SET", "x", "6"]);
        steps(&mut log, &mut b, &[&["MULTI"], &["DISCARD"]]);
        exec_ping(&mut log, &mut b);
        // A watched key that expires before EXEC spoils it (whether or not the active cycle
        // removed it meanwhile: `expiry_spoils_watched_keys_as_in_redis_7_0` has both cases).
        step(&mut log, &mut a, &["SET", "e", "1", "PX", "30"]);
        step(&mut log, &mut b, &["WATCH", "e"]);
        thread::sleep(Duration::from_millis(60));
        exec_ping(&mut log, &mut b);
        // Watching is per database.
        steps(
            &mut log,
            &mut b,
            &[&["SELECT", "1"], &["WATCH", "x"], &["SELECT", "0"]],
        );
        step(&mut log, &mut a, &["SET", "x", "7"]);
        exec_ping(&mut log, &mut b);
        // FLUSHDB touches watched keys that exist, not missing ones.
        step(&mut log, &mut b, &["WATCH", "nokey"]);
        step(&mut log, &mut a, &["FLUSHDB"]);
        exec_ping(&mut log, &mut b);
        step(&mut log, &mut a, &["SET", "w", "1"]);
        step(&mut log, &mut b, &["WATCH", "w"]);
        step(&mut log, &mut a, &["FLUSHALL"]);
        exec_ping(&mut log, &mut b);
        // SWAPDB brings a key into the watched database.
        steps(
            &mut log,
            &mut a,
            &[&["SELECT", "1"], &["SET", "q", "1"], &["SELECT", "0"]],
        );
        step(&mut log, &mut b, &["WATCH", "q"]);
        step(&mut log, &mut a, &["SWAPDB", "0", "1"]);
        exec_ping(&mut log, &mut b);
        // CLIENT LIST shows the transaction and the spoilt watch.
        step(&mut log, &mut a, &["SET", "f", "1"]);
        step(&mut log, &mut b, &["WATCH", "f"]);
        step(&mut log, &mut a, &["SET", "f", "2"]);
        steps(&mut log, &mut b, &[&["MULTI"], &["PING"]]);
        let list = a.cmd(&["CLIENT", "LIST"]);
        for line in String::from_utf8_lossy(&list).lines() {
            if line.contains("cmd=multi") || line.contains("cmd=ping") {
                let flags = line.split(' ').find(|f| f.starts_with("flags="));
                let multi = line.split(' ').find(|f| f.starts_with("multi="));
                log.push(format!("{flags:?} {multi:?}"));
            }
        }
        step(&mut log, &mut b, &["EXEC"]);
        log
    });
}

#[test]
fn stale_watched_keys_follow_redis_7_0() {
    same_on_both("stale", |port| {
        let mut log = Vec::new();
        let mut c = Raw::connect(port);
        step(&mut log, &mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        let stale = |log: &mut Vec<String>, c: &mut Raw, then: &[&[&str]]| {
            step(log, c, &["SET", "x", "foo", "PX", "1"]);
            thread::sleep(Duration::from_millis(5));
            step(log, c, &["WATCH", "x"]);
            steps(log, c, then);
            steps(log, c, &[&["MULTI"], &["PING"], &["EXEC"]]);
        };
        stale(&mut log, &mut c, &[]);
        stale(&mut log, &mut c, &[&["EXISTS", "x"]]);
        stale(&mut log, &mut c, &[&["FLUSHDB"]]);
        stale(&mut log, &mut c, &[&["SET", "x", "bar"]]);
        stale(&mut log, &mut c, &[&["DEL", "x"]]);
        step(&mut log, &mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
        log
    });
}

/// Waits until the server's `expired_keys` counter passes `before` (the active cycle removed a
/// key), without reading any key; panics after a few seconds.
fn wait_expired(c: &mut Raw, before: u64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while c.info_u64("stats", "expired_keys") <= before {
        assert!(
            Instant::now() < deadline,
            "the active expiry cycle removed nothing"
        );
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn expiry_spoils_watched_keys_as_in_redis_7_0() {
    same_on_both("expiry", |port| {
        let mut log = Vec::new();
        let mut a = Raw::connect(port);
        let mut b = Raw::connect(port);
        let exec_ping = |log: &mut Vec<String>, b: &mut Raw| {
            steps(log, b, &[&["MULTI"], &["PING"], &["EXEC"]]);
        };
        // Live when watched, expired before EXEC and never touched (no active cycle):
        // Redis's isWatchedKeyExpired spoils the transaction.
        step(&mut log, &mut a, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        step(&mut log, &mut a, &["SET", "k", "1", "PX", "30"]);
        step(&mut log, &mut b, &["WATCH", "k"]);
        thread::sleep(Duration::from_millis(60));
        exec_ping(&mut log, &mut b);
        // Live when watched, then removed lazily by another client's read.
        step(&mut log, &mut a, &["SET", "k", "1", "PX", "30"]);
        step(&mut log, &mut b, &["WATCH", "k"]);
        thread::sleep(Duration::from_millis(60));
        step(&mut log, &mut a, &["GET", "k"]);
        exec_ping(&mut log, &mut b);
        // ... or by a write that finds it expired and recreates it.
        step(&mut log, &mut a, &["SET", "k", "1", "PX", "30"]);
        step(&mut log, &mut b, &["WATCH", "k"]);
        thread::sleep(Duration::from_millis(60));
        step(&mut log, &mut a, &["SET", "k", "2"]);
        exec_ping(&mut log, &mut b);
        // Live when watched, then removed by the active expiry cycle.
        step(&mut log, &mut a, &["DEL", "k"]);
        step(&mut log, &mut a, &["SET", "k", "1", "PX", "30"]);
        step(&mut log, &mut b, &["WATCH", "k"]);
        let before = a.info_u64("stats", "expired_keys");
        step(&mut log, &mut a, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
        wait_expired(&mut a, before);
        step(&mut log, &mut a, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        exec_ping(&mut log, &mut b);
        // Already expired when watched, then removed by the active cycle: no logical change.
        step(&mut log, &mut a, &["SET", "k", "1", "PX", "1"]);
        thread::sleep(Duration::from_millis(5));
        step(&mut log, &mut b, &["WATCH", "k"]);
        let before = a.info_u64("stats", "expired_keys");
        step(&mut log, &mut a, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
        wait_expired(&mut a, before);
        step(&mut log, &mut a, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        exec_ping(&mut log, &mut b);
        // Already expired when watched, then removed lazily by another client.
        step(&mut log, &mut a, &["SET", "k", "1", "PX", "1"]);
        thread::sleep(Duration::from_millis(5));
        step(&mut log, &mut b, &["WATCH", "k"]);
        step(&mut log, &mut a, &["EXISTS", "k"]);
        exec_ping(&mut log, &mut b);
        // A watched key (of two) evicted for maxmemory spoils it too.
        step(&mut log, &mut a, &["SET", "w", "1"]);
        step(&mut log, &mut a, &["SET", "v", "1"]);
        steps(
            &mut log,
            &mut b,
            &[&["WATCH", "w", "v"], &["MULTI"], &["PING"]],
        );
        step(
            &mut log,
            &mut a,
            &["CONFIG", "SET", "maxmemory-policy", "allkeys-random"],
        );
        step(&mut log, &mut a, &["CONFIG", "SET", "maxmemory", "1"]);
        // Evicts every key (before this command runs, in both servers) and lifts the limit.
        step(&mut log, &mut a, &["CONFIG", "SET", "maxmemory", "0"]);
        step(&mut log, &mut a, &["DBSIZE"]);
        step(&mut log, &mut b, &["EXEC"]);
        step(&mut log, &mut a, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
        log
    });
}

#[test]
fn oom_refuses_queueing_and_exec_of_writes() {
    same_on_both("oom", |port| {
        let mut log = Vec::new();
        let mut a = Raw::connect(port);
        let mut b = Raw::connect(port);
        steps(
            &mut log,
            &mut b,
            &[&["MULTI"], &["SET", "x", "1"], &["GET", "x"]],
        );
        step(&mut log, &mut a, &["CONFIG", "SET", "maxmemory", "1"]);
        step(&mut log, &mut b, &["EXEC"]);
        steps(&mut log, &mut b, &[&["MULTI"], &["GET", "x"], &["EXEC"]]);
        step(&mut log, &mut a, &["CONFIG", "SET", "maxmemory", "0"]);
        steps(&mut log, &mut b, &[&["MULTI"], &["GET", "x"]]);
        step(&mut log, &mut a, &["CONFIG", "SET", "maxmemory", "1"]);
        step(&mut log, &mut b, &["EXEC"]);
        // Out of memory, even a nested MULTI or a WATCH inside MULTI is refused as OOM (and
        // aborts the transaction); only EXEC, DISCARD, QUIT and RESET get through.
        steps(
            &mut log,
            &mut b,
            &[
                &["MULTI"],
                &["MULTI"],
                &["WATCH", "x"],
                &["EXEC"],
                &["MULTI"],
                &["DISCARD"],
            ],
        );
        step(&mut log, &mut a, &["CONFIG", "SET", "maxmemory", "0"]);
        let stats = a.cmd(&["INFO", "commandstats"]);
        let mut stats_lines = Vec::new();
        for line in String::from_utf8_lossy(&stats).lines() {
            let name = line.split(':').next().unwrap_or("");
            if ["cmdstat_exec", "cmdstat_multi", "cmdstat_watch"].contains(&name) {
                let counts: Vec<&str> = line.split(',').filter(|f| !f.contains("usec")).collect();
                stats_lines.push(counts.join(","));
            }
        }
        // Redis lists commandstats in hash order.
        stats_lines.sort();
        log.extend(stats_lines);
        log
    });
}

/// The `flags`, `multi` and `cmd` fields of the CLIENT LIST line of the client `id`.
fn client_fields(list: &[u8], id: &str) -> String {
    let text = String::from_utf8_lossy(list);
    let prefix = format!("id={id} ");
    text.lines()
        .find_map(|l| l.split_once(&prefix).map(|(_, rest)| rest.to_string()))
        .map(|rest| {
            rest.split(' ')
                .filter(|f| {
                    ["flags=", "multi=", "cmd="]
                        .iter()
                        .any(|p| f.starts_with(p))
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default()
}

#[test]
fn client_list_shows_the_transaction_as_redis() {
    same_on_both("client list", |port| {
        let mut log = Vec::new();
        let mut a = Raw::connect(port);
        let mut b = Raw::connect(port);
        let id = String::from_utf8_lossy(&a.cmd(&["CLIENT", "ID"]))
            .trim_start_matches(':')
            .trim()
            .to_string();
        // The last command is recorded when looked up: queued, refused (NULL when unknown).
        for args in [
            &["MULTI"][..],
            &["SET", "a", "1"],
            &["GET"],
            &["NOPE"],
            &["DISCARD"],
            &["WATCH", "a"],
            &["MULTI"],
            &["GET", "a"],
        ] {
            a.cmd(args);
            let fields = client_fields(&b.cmd(&["CLIENT", "LIST"]), &id);
            log.push(format!("{} -> {fields}", args.join(" ")));
        }
        // Inside EXEC the client is still in its transaction, and its command is EXEC.
        a.cmd(&["CLIENT", "LIST"]);
        let reply = a.cmd(&["EXEC"]);
        let inner = String::from_utf8_lossy(&reply);
        let fields = client_fields(inner.as_bytes(), &id);
        log.push(format!("inside exec -> {fields}"));
        let fields = client_fields(&b.cmd(&["CLIENT", "LIST"]), &id);
        log.push(format!("after exec -> {fields}"));
        log
    });
}

/// Switches `c` to RESP3 (the HELLO reply names the server: checked for its type only).
fn hello3(c: &mut Raw) {
    let reply = c.cmd(&["HELLO", "3"]);
    assert!(reply.starts_with(b"%"), "HELLO 3: {}", show(&reply));
}

#[test]
fn resp3_exec_replies_and_watch_abort() {
    same_on_both("resp3", |port| {
        let mut log = Vec::new();
        let mut a = Raw::connect(port);
        let mut b = Raw::connect(port);
        hello3(&mut b);
        // Each element of EXEC's array keeps its RESP3 type: nulls, maps, verbatim text.
        steps(
            &mut log,
            &mut b,
            &[
                &["MULTI"],
                &["GET", "nokey"],
                &["RPUSH", "l", "a", "b"],
                &["LPOS", "l", "zz"],
                &["LPOP", "nokey", "2"],
                &["LMPOP", "1", "nokey", "LEFT"],
                &["BLPOP", "nokey", "0"],
                &["BLMOVE", "nokey", "dst", "LEFT", "LEFT", "0"],
                &["OBJECT", "ENCODING", "nokey"],
                &["CONFIG", "GET", "maxmemory-policy"],
                &["INCRBYFLOAT", "f", "1.5"],
                &["SORT", "l", "ALPHA", "GET", "nokey*"],
                &["INFO", "keyspace"],
                &["DEBUG", "PROTOCOL", "double"],
                &["EXEC"],
            ],
        );
        // A touched watched key aborts EXEC with RESP3's null; RESP2 keeps `*-1`.
        for c in [&mut b, &mut a] {
            step(&mut log, c, &["WATCH", "w"]);
        }
        step(&mut log, &mut a, &["SET", "w", "1"]);
        for c in [&mut b, &mut a] {
            steps(&mut log, c, &[&["MULTI"], &["GET", "w"], &["EXEC"]]);
        }
        // Refused queueing aborts with the same error in both protocols.
        steps(
            &mut log,
            &mut b,
            &[&["MULTI"], &["GET"], &["GET", "w"], &["EXEC"], &["EXEC"]],
        );
        log
    });
}
