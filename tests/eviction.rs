//! maxmemory: every policy keeps the server near its limit and evicts what the policy says.

mod common;

use common::{Raw, Server};

const LIMIT: u64 = 16 * 1024 * 1024;
const VALUE: usize = 1000;

fn int(reply: &[u8]) -> i64 {
    std::str::from_utf8(reply).unwrap()[1..]
        .trim_end()
        .parse()
        .unwrap()
}

/// Writes `n` keys with `VALUE`-byte values, every other one with a TTL, pipelined in chunks.
/// Returns the replies that were errors.
fn fill(raw: &mut Raw, prefix: &str, n: usize) -> Vec<String> {
    let value = vec![b'x'; VALUE];
    let mut errors = Vec::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(500) {
        let mut pipeline = Vec::new();
        for &i in chunk {
            let key = format!("{prefix}:{i}");
            if i % 2 == 0 {
                common::encode_into(
                    &[b"SET", key.as_bytes(), &value, b"EX", b"10000"],
                    &mut pipeline,
                );
            } else {
                common::encode_into(&[b"SET", key.as_bytes(), &value], &mut pipeline);
            }
        }
        raw.write(&pipeline);
        for _ in chunk {
            let reply = raw.read_reply();
            if reply.first() == Some(&b'-') {
                errors.push(String::from_utf8_lossy(&reply).into_owned());
            }
        }
    }
    errors
}

fn persistent_keys_left(raw: &mut Raw, prefix: &str, n: usize) -> usize {
    (0..n)
        .filter(|i| i % 2 == 1)
        .filter(|i| int(&raw.cmd(&["EXISTS", &format!("{prefix}:{i}")])) == 1)
        .count()
}

#[test]
fn every_policy_stays_within_the_limit() {
    let policies = [
        "allkeys-lru",
        "allkeys-lfu",
        "allkeys-random",
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ];
    for policy in policies {
        let limit = LIMIT.to_string();
        let server = Server::ferrodis(&["--maxmemory", &limit, "--maxmemory-policy", policy]);
        let mut c = server.raw();
        // About 3x the limit in values.
        let n = 3 * LIMIT as usize / VALUE;
        let errors = fill(&mut c, "k", n);
        let used = c.info_u64("all", "used_memory");
        let evicted = c.info_u64("all", "evicted_keys");
        assert!(
            used as f64 <= LIMIT as f64 * 1.05,
            "{policy}: used_memory {used} is more than 5% over {LIMIT}"
        );
        assert!(evicted > 0, "{policy}: nothing evicted");
        if policy.starts_with("volatile") {
            // Keys without a TTL are never candidates: once the volatile ones are gone, writes
            // fail with OOM instead, and every persistent key written before that survives.
            assert!(
                errors
                    .iter()
                    .all(|e| e.starts_with("-OOM command not allowed")),
                "{policy}: {errors:?}"
            );
            let written = n / 2 - errors.len().min(n / 2);
            let left = persistent_keys_left(&mut c, "k", n);
            assert!(
                left + errors.len() >= n / 2,
                "{policy}: {left} persistent keys left of {written}"
            );
        } else {
            assert!(
                errors.is_empty(),
                "{policy}: {:?}",
                &errors[..errors.len().min(3)]
            );
        }
        assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n", "{policy}: server unhealthy");
    }
}

#[test]
fn noeviction_refuses_writes_but_serves_reads_and_deletes() {
    let limit = LIMIT.to_string();
    let server = Server::ferrodis(&["--maxmemory", &limit, "--maxmemory-policy", "noeviction"]);
    let mut c = server.raw();
    let n = 2 * LIMIT as usize / VALUE;
    let errors = fill(&mut c, "k", n);
    assert!(!errors.is_empty(), "no write was refused");
    assert!(errors
        .iter()
        .all(|e| e == "-OOM command not allowed when used memory > 'maxmemory'.\r\n"));
    assert!(c.info_u64("all", "used_memory") as f64 <= LIMIT as f64 * 1.05);
    assert_eq!(c.info_u64("all", "evicted_keys"), 0);
    assert_eq!(c.cmd(&["GET", "k:0"]).len(), VALUE + 9);
    assert_eq!(c.cmd(&["DEL", "k:0", "k:1", "k:2"]), b":3\r\n");
    // Deleting made room again.
    for i in 0..2000 {
        c.cmd(&["DEL", &format!("k:{i}")]);
    }
    assert_eq!(c.cmd(&["SET", "fresh", "v"]), b"+OK\r\n");
}

#[test]
fn lfu_policy_reports_access_frequency() {
    let server = Server::ferrodis(&["--maxmemory-policy", "allkeys-lfu"]);
    let mut c = server.raw();
    c.cmd(&["SET", "hot", "v"]);
    c.cmd(&["SET", "cold", "v"]);
    for _ in 0..2000 {
        c.cmd(&["GET", "hot"]);
    }
    let hot = int(&c.cmd(&["OBJECT", "FREQ", "hot"]));
    let cold = int(&c.cmd(&["OBJECT", "FREQ", "cold"]));
    assert!(hot > cold && cold >= 5, "hot {hot}, cold {cold}");
    assert!(c
        .cmd(&["OBJECT", "IDLETIME", "hot"])
        .starts_with(b"-ERR An LFU maxmemory policy is selected"));
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]),
        b"+OK\r\n"
    );
    assert_eq!(c.cmd(&["OBJECT", "IDLETIME", "hot"])[0], b':');
}

/// `maxmemory-rss`: once the resident size passes the limit, the cron evicts by the policy
/// until the process is back under it, and INFO says how many keys that cost.
#[test]
fn maxmemory_rss_brings_resident_size_back_under_the_limit() {
    let limit: u64 = 48 * 1024 * 1024;
    let server = Server::ferrodis(&[
        "--maxmemory-rss",
        &limit.to_string(),
        "--maxmemory-policy",
        "allkeys-random",
    ]);
    let mut c = server.raw();
    let errors = fill(&mut c, "r", 2 * limit as usize / VALUE);
    assert!(errors.is_empty(), "{:?}", &errors[..errors.len().min(3)]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut rss = c.info_u64("all", "used_memory_rss");
    while rss > limit && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
        rss = c.info_u64("all", "used_memory_rss");
    }
    assert!(
        rss <= limit,
        "used_memory_rss {rss} still above maxmemory-rss {limit}"
    );
    assert!(c.info_u64("all", "evicted_keys_rss") > 0);
    assert_eq!(c.info_u64("all", "maxmemory_rss"), limit);
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
}
