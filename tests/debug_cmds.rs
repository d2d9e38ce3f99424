//! DEBUG subcommands Redis's own test suite leans on, compared with a real redis-server:
//! DEBUG OBJECT's fields (all but the address, the LRU clock and the idle time, which differ
//! between any two processes) and DEBUG SET-ACTIVE-EXPIRE.

mod common;

use std::thread;
use std::time::Duration;

use common::{show, Raw};

/// DEBUG OBJECT's reply without `Value at:…`, `lru:…` and `lru_seconds_idle:…`.
fn stable_fields(reply: &[u8]) -> String {
    let text = String::from_utf8_lossy(reply).into_owned();
    text.split(' ')
        .filter(|f| {
            !f.starts_with("at:") && !f.starts_with("lru:") && !f.starts_with("lru_seconds_idle:")
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn transcript(port: u16) -> Vec<String> {
    let mut c = Raw::connect(port);
    let mut log = Vec::new();
    let run = |log: &mut Vec<String>, c: &mut Raw, args: &[&str]| {
        let reply = c.cmd(args);
        log.push(format!("{} -> {}", args.join(" "), show(&reply)));
    };
    let big = "x".repeat(100);
    let many: Vec<String> = (0..3000).map(|i| format!("element-{i}")).collect();
    let mut rpush: Vec<&str> = vec!["RPUSH", "biglist"];
    rpush.extend(many.iter().map(String::as_str));
    for setup in [
        &["SET", "s", "hello"][..],
        &["SET", "i", "123"],
        &["SET", "big", &big],
        &["SET", "n", "123456789012"],
        &["RPUSH", "l", "a", "b", "c"],
        &rpush,
        &["HSET", "h", "f", "v"],
        &["SADD", "st", "1", "2"],
        &["SADD", "st2", "a", "b"],
        &["ZADD", "z", "1", "a"],
    ] {
        run(&mut log, &mut c, setup);
    }
    for key in ["s", "i", "big", "n", "l", "biglist", "h", "st", "st2", "z"] {
        let reply = c.cmd(&["DEBUG", "OBJECT", key]);
        log.push(format!("DEBUG OBJECT {key} -> {}", stable_fields(&reply)));
    }
    run(&mut log, &mut c, &["DEBUG", "OBJECT", "nokey"]);
    // (Not compared: a list built before CONFIG SET list-max-listpack-size keeps its old node
    // layout in Redis, while ferrodis lays nodes out when it encodes; docs/deployment.md.)
    // With background expiry off, an expired key stays until something touches it.
    run(&mut log, &mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    run(&mut log, &mut c, &["SET", "e", "1", "PX", "1"]);
    thread::sleep(Duration::from_millis(300));
    run(&mut log, &mut c, &["DBSIZE"]);
    run(&mut log, &mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    log
}

#[test]
fn debug_object_and_set_active_expire_match_redis() {
    common::assert_same_transcript(
        "debug object",
        &["--enable-debug-command", "yes"],
        transcript,
    );
}
