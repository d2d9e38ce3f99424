//! A key created by serving a blocked BLMOVE / BRPOPLPUSH starts with the access time (LRU) or
//! counter (LFU) any new key gets, as in Redis: OBJECT IDLETIME reads 0 right after, OBJECT
//! FREQ the initial counter, compared with a real redis-server under both kinds of policy.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::{show, Raw, Server};

fn wait_blocked(ctl: &mut Raw, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while ctl.info_u64("clients", "blocked_clients") != n {
        assert!(Instant::now() < deadline, "never saw {n} blocked clients");
        thread::sleep(Duration::from_millis(5));
    }
}

/// OBJECT IDLETIME within one second is 0 (or 1 across a second boundary); anything else is
/// shown as it is.
fn idle_class(reply: &[u8]) -> String {
    match reply {
        b":0\r\n" | b":1\r\n" => "idle <= 1 s".to_string(),
        other => show(other),
    }
}

fn scenario(port: u16, policy: &str) -> Vec<String> {
    let mut ctl = Raw::connect(port);
    let mut waiter = Raw::connect(port);
    let mut log = Vec::new();
    ctl.cmd(&["CONFIG", "SET", "maxmemory-policy", policy]);
    // New destinations under each policy (an existing one keeps its own access value).
    let (dst1, dst2) = (format!("{policy}:1"), format!("{policy}:2"));
    let blocking: [&[&str]; 2] = [
        &["BLMOVE", "src", &dst1, "LEFT", "RIGHT", "0"],
        &["BRPOPLPUSH", "src", &dst2, "0"],
    ];
    for (i, command) in blocking.iter().enumerate() {
        let dst = command[2];
        let args: Vec<&[u8]> = command.iter().map(|a| a.as_bytes()).collect();
        waiter.write(&common::encode(&args));
        wait_blocked(&mut ctl, 1);
        ctl.cmd(&["RPUSH", "src", &format!("v{i}")]);
        log.push(format!(
            "{} -> {}",
            command.join(" "),
            show(&waiter.read_reply())
        ));
        let idle = ctl.cmd(&["OBJECT", "IDLETIME", dst]);
        log.push(format!("OBJECT IDLETIME {dst} -> {}", idle_class(&idle)));
        log.push(format!(
            "OBJECT FREQ {dst} -> {}",
            show(&ctl.cmd(&["OBJECT", "FREQ", dst]))
        ));
    }
    log
}

#[test]
fn destinations_created_by_served_waiters_start_fresh_like_redis() {
    let ferrodis = Server::ferrodis(&[]);
    let redis = Server::redis();
    for policy in ["allkeys-lru", "allkeys-lfu"] {
        let got = scenario(ferrodis.port, policy);
        let want = scenario(redis.port, policy);
        assert_eq!(got, want, "{policy}: left ferrodis, right redis-server");
        if policy == "allkeys-lru" {
            assert!(got[1].ends_with("idle <= 1 s"), "{}", got[1]);
        }
    }
}
