//! Expiry: TTL commands against a real redis-server, and the active expiry cycle.

mod common;

use std::time::{Duration, Instant};

use common::Server;

fn int(reply: &[u8]) -> i64 {
    let text = std::str::from_utf8(reply).expect("utf8 reply");
    assert!(text.starts_with(':'), "not an integer reply: {text:?}");
    text[1..].trim_end().parse().expect("integer")
}

/// The proof of the active cycle: 100,000 keys with a 1 s TTL that nobody touches again
/// are gone (below 1%) within 3 s, while PING keeps answering promptly.
#[test]
fn active_cycle_forgets_untouched_keys() {
    let server = Server::ferrodis(&[]);
    let mut loader = server.raw();
    let mut pipeline = Vec::new();
    for i in 0..100_000 {
        common::encode_into(
            &[b"SET", format!("ttl:{i}").as_bytes(), b"v", b"PX", b"1000"],
            &mut pipeline,
        );
    }
    loader.write(&pipeline);
    loader.read_replies(100_000);
    assert_eq!(int(&loader.cmd(&["DBSIZE"])), 100_000);
    let started = Instant::now();
    let mut pinger = server.raw();
    let mut worst = Duration::ZERO;
    let mut dbsize = i64::MAX;
    while started.elapsed() < Duration::from_secs(3) {
        let t = Instant::now();
        assert_eq!(pinger.cmd(&["PING"]), b"+PONG\r\n");
        worst = worst.max(t.elapsed());
        dbsize = int(&pinger.cmd(&["DBSIZE"]));
        if dbsize < 1000 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(dbsize < 1000, "{dbsize} keys left after 3 s");
    assert!(worst < Duration::from_millis(100), "PING took {worst:?}");
    let expired: u64 = pinger
        .info_field("stats", "expired_keys")
        .parse()
        .expect("expired_keys");
    assert!(expired >= 99_000, "expired_keys = {expired}");
    pinger.info_field("stats", "expired_stale_perc");
    pinger.info_field("stats", "expired_time_cap_reached_count");
}

/// TTL commands give Redis's replies; remaining times are compared with a tolerance.
#[test]
fn ttl_commands_match_redis() {
    let ferrodis = Server::ferrodis(&[]);
    let redis = Server::redis();
    let mut f = ferrodis.raw();
    let mut r = redis.raw();
    let script: &[&[&str]] = &[
        &["SET", "a", "1"],
        &["TTL", "a"],
        &["PTTL", "missing"],
        &["EXPIRE", "a", "100"],
        &["EXPIRE", "a", "50", "GT"],
        &["EXPIRE", "a", "500", "GT"],
        &["EXPIRE", "a", "1000", "LT"],
        &["EXPIRE", "a", "10", "NX"],
        &["EXPIRE", "a", "10", "XX", "GT"],
        &["EXPIRE", "a", "10", "NX", "XX"],
        &["EXPIRE", "a", "10", "GT", "LT"],
        &["EXPIRE", "a", "10", "bogus"],
        &["EXPIRE", "a", "abc"],
        &["EXPIRE", "a", "9223372036854775807"],
        &["PEXPIRE", "a", "9223372036854775807"],
        &["EXPIREAT", "a", "9223372036854775807"],
        &["PEXPIREAT", "a", "-9223372036854775808"],
        &["EXISTS", "a"],
        &["SET", "b", "1", "EX", "100"],
        &["PERSIST", "b"],
        &["PERSIST", "b"],
        &["TTL", "b"],
        &["EXPIRETIME", "b"],
        &["PEXPIRETIME", "missing"],
        &["EXPIREAT", "b", "4102444800"],
        &["EXPIRETIME", "b"],
        &["PEXPIRETIME", "b"],
        &["PEXPIREAT", "b", "4102444800123"],
        &["PEXPIRETIME", "b"],
        &["EXPIRE", "b", "-1"],
        &["EXISTS", "b"],
        &["SET", "c", "1", "EX", "100"],
        &["RENAME", "c", "d"],
        &["SET", "e", "1"],
        &["EXPIRE", "e", "100", "LT"],
        &["TTL", "e"],
        &["EXPIRE", "missing", "100"],
        &["EXPIRE"],
        &["TTL", "a", "b"],
        &["SET", "f", "1", "EX", "100"],
        &["SET", "f", "2"],
        &["TTL", "f"],
        &["SET", "g", "1", "EX", "100"],
        &["SET", "g", "2", "KEEPTTL"],
        &["GETEX", "g", "PERSIST"],
        &["TTL", "g"],
    ];
    for cmd in script {
        let a = f.cmd(cmd);
        let b = r.cmd(cmd);
        assert_eq!(
            common::show(&a),
            common::show(&b),
            "reply to {cmd:?} differs from redis"
        );
    }
    for (cmd, tolerance) in [(["TTL", "d"], 1), (["PTTL", "d"], 200), (["TTL", "e"], 1)] {
        let a = int(&f.cmd(&cmd));
        let b = int(&r.cmd(&cmd));
        assert!(
            (a - b).abs() <= tolerance,
            "{cmd:?}: ferrodis {a}, redis {b}"
        );
    }
}

/// Lazy expiry: a key read after its deadline is gone, and counted as expired.
#[test]
fn expired_keys_vanish_on_access() {
    let server = Server::ferrodis(&["--hz", "1"]);
    let mut c = server.raw();
    assert_eq!(c.cmd(&["SET", "k", "v", "PX", "30"]), b"+OK\r\n");
    std::thread::sleep(Duration::from_millis(60));
    assert_eq!(c.cmd(&["GET", "k"]), b"$-1\r\n");
    assert_eq!(int(&c.cmd(&["EXISTS", "k"])), 0);
    assert_eq!(c.info_field("stats", "expired_keys"), "1");
}
