//! Pub/Sub against a real redis-server: subscribers and publishers on separate connections,
//! every reply and every delivered message compared byte for byte.

mod common;

use std::time::Duration;

use common::{encode, show, Raw, Server};

fn step(log: &mut Vec<String>, c: &mut Raw, who: &str, args: &[&str]) {
    let reply = c.cmd(args);
    log.push(format!("{who}: {} -> {}", args.join(" "), show(&reply)));
}

/// Everything that arrives on `c` until it has been quiet for a moment.
fn drain(log: &mut Vec<String>, c: &mut Raw, who: &str) {
    let (bytes, closed) = c.read_until_quiet(Duration::from_millis(100));
    log.push(format!(
        "{who} received: {} (closed: {closed})",
        show(&bytes)
    ));
    c.stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
}

/// Sends a command without reading its replies (a subscription answers once per name).
fn send(c: &mut Raw, args: &[&str]) {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    c.write(&encode(&a));
}

fn same_on_both(name: &str, scenario: fn(u16) -> Vec<String>) {
    common::assert_same_transcript(name, &[], scenario);
}

#[test]
fn subscribers_receive_messages_and_patterns_in_publish_order() {
    same_on_both("delivery", |port| {
        let mut log = Vec::new();
        let mut s1 = Raw::connect(port);
        let mut s2 = Raw::connect(port);
        let mut p = Raw::connect(port);
        send(&mut s1, &["SUBSCRIBE", "news", "sport"]);
        drain(&mut log, &mut s1, "s1");
        // Patterns that never match the same channel: with several, Redis delivers in the
        // order of its hash table, which differs from run to run.
        send(&mut s2, &["PSUBSCRIBE", "n*", "sp*"]);
        drain(&mut log, &mut s2, "s2");
        send(&mut s2, &["SUBSCRIBE", "news"]);
        drain(&mut log, &mut s2, "s2");
        step(&mut log, &mut p, "p", &["PUBLISH", "news", "hello"]);
        step(&mut log, &mut p, "p", &["PUBLISH", "sport", "goal"]);
        step(&mut log, &mut p, "p", &["PUBLISH", "nothing", "x"]);
        step(&mut log, &mut p, "p", &["PUBLISH", "other", "y"]);
        drain(&mut log, &mut s1, "s1");
        drain(&mut log, &mut s2, "s2");
        step(
            &mut log,
            &mut p,
            "p",
            &["PUBSUB", "NUMSUB", "news", "sport", "none"],
        );
        step(&mut log, &mut p, "p", &["PUBSUB", "NUMPAT"]);
        step(&mut log, &mut p, "p", &["PUBSUB", "CHANNELS", "s*"]);
        let info = p.info_field("stats", "pubsub_channels");
        log.push(format!("pubsub_channels {info}"));
        let info = p.info_field("stats", "pubsub_patterns");
        log.push(format!("pubsub_patterns {info}"));
        // A pipelined burst arrives complete and in order.
        let mut burst = Vec::new();
        for i in 0..50 {
            let msg = format!("m{i}");
            burst.extend(encode(&[b"PUBLISH", b"sport", msg.as_bytes()]));
        }
        p.write(&burst);
        let replies = p.read_replies(50);
        log.push(format!("p burst -> {}", show(&replies)));
        drain(&mut log, &mut s1, "s1");
        drain(&mut log, &mut s2, "s2");
        // Unsubscribing stops delivery; a closed subscriber is forgotten.
        send(&mut s1, &["UNSUBSCRIBE", "news"]);
        drain(&mut log, &mut s1, "s1");
        drop(s2);
        std::thread::sleep(Duration::from_millis(100));
        step(&mut log, &mut p, "p", &["PUBLISH", "news", "again"]);
        step(&mut log, &mut p, "p", &["PUBSUB", "NUMPAT"]);
        drain(&mut log, &mut s1, "s1");
        log
    });
}

#[test]
fn subscribed_clients_may_only_run_subscription_commands() {
    same_on_both("context", |port| {
        let mut log = Vec::new();
        let mut c = Raw::connect(port);
        send(&mut c, &["SUBSCRIBE", "a", "b", "a"]);
        drain(&mut log, &mut c, "c");
        for args in [
            &["PING"][..],
            &["PING", "hi"],
            &["GET", "x"],
            &["PUBLISH", "a", "m"],
            &["CLIENT", "LIST"],
            &["MULTI"],
        ] {
            step(&mut log, &mut c, "c", args);
        }
        send(&mut c, &["PSUBSCRIBE", "h*", "[ab]"]);
        drain(&mut log, &mut c, "c");
        send(&mut c, &["UNSUBSCRIBE", "b", "zz"]);
        drain(&mut log, &mut c, "c");
        send(&mut c, &["PUNSUBSCRIBE"]);
        drain(&mut log, &mut c, "c");
        send(&mut c, &["UNSUBSCRIBE"]);
        drain(&mut log, &mut c, "c");
        send(&mut c, &["UNSUBSCRIBE"]);
        drain(&mut log, &mut c, "c");
        step(&mut log, &mut c, "c", &["PING"]);
        step(&mut log, &mut c, "c", &["SET", "x", "1"]);
        send(&mut c, &["SUBSCRIBE", "a"]);
        drain(&mut log, &mut c, "c");
        step(&mut log, &mut c, "c", &["RESET"]);
        step(&mut log, &mut c, "c", &["GET", "x"]);
        step(&mut log, &mut c, "c", &["PUBSUB", "CHANNELS"]);
        step(&mut log, &mut c, "c", &["PUBSUB", "CHANNELS", "a", "b"]);
        step(&mut log, &mut c, "c", &["PUBSUB", "SHARDNUMSUB", "a"]);
        step(&mut log, &mut c, "c", &["PUBSUB"]);
        step(&mut log, &mut c, "c", &["PUBSUB", "NOPE"]);
        step(&mut log, &mut c, "c", &["SUBSCRIBE"]);
        log
    });
}

#[test]
fn a_subscriber_that_never_reads_is_disconnected_at_the_hard_limit() {
    let server = Server::ferrodis(&["--client-output-buffer-limit", "pubsub 1mb 0 0"]);
    let mut sub = Raw::connect(server.port);
    send(&mut sub, &["SUBSCRIBE", "flood"]);
    let mut p = Raw::connect(server.port);
    let payload = "x".repeat(64 * 1024);
    // 64 MiB of messages against a 1 MiB limit; the subscriber reads nothing.
    let mut disconnected = false;
    for _ in 0..1024 {
        let reply = p.cmd(&["PUBLISH", "flood", &payload]);
        if reply == b":0\r\n" {
            disconnected = true;
            break;
        }
    }
    assert!(disconnected, "the subscriber was never dropped");
    assert_eq!(
        p.cmd(&["PUBSUB", "NUMSUB", "flood"]),
        b"*2\r\n$5\r\nflood\r\n:0\r\n"
    );
    assert_eq!(p.cmd(&["PING"]), b"+PONG\r\n", "the server is healthy");
    drop(sub);
}

#[test]
fn a_subscriber_publishing_to_itself_inside_exec_gets_the_message_in_place() {
    same_on_both("self publish", |port| {
        let mut log = Vec::new();
        let mut c = Raw::connect(port);
        for args in [
            &["MULTI"][..],
            &["SUBSCRIBE", "ch"],
            &["PSUBSCRIBE", "c*"],
            &["PUBLISH", "ch", "hi"],
            &["PUBLISH", "other", "no"],
            &["PING"],
        ] {
            step(&mut log, &mut c, "c", args);
        }
        send(&mut c, &["EXEC"]);
        drain(&mut log, &mut c, "c");
        send(&mut c, &["UNSUBSCRIBE"]);
        drain(&mut log, &mut c, "c");
        send(&mut c, &["PUNSUBSCRIBE"]);
        drain(&mut log, &mut c, "c");
        step(&mut log, &mut c, "c", &["PING"]);
        log
    });
}

#[test]
fn messages_of_a_publisher_that_killed_itself_are_delivered_to_the_right_client() {
    same_on_both("killed publisher", |port| {
        let mut log = Vec::new();
        let mut sub = Raw::connect(port);
        send(&mut sub, &["SUBSCRIBE", "ch"]);
        drain(&mut log, &mut sub, "sub");
        let mut p = Raw::connect(port);
        let id = String::from_utf8_lossy(&p.cmd(&["CLIENT", "ID"]))
            .trim_start_matches(':')
            .trim()
            .to_string();
        send(&mut p, &["MULTI"]);
        send(&mut p, &["PUBLISH", "ch", "first"]);
        send(&mut p, &["CLIENT", "KILL", "ID", &id, "SKIPME", "no"]);
        send(&mut p, &["EXEC"]);
        drain(&mut log, &mut p, "p");
        // Delivered at once, not when some other command happens to run.
        drain(&mut log, &mut sub, "sub");
        // Once more with the subscriber gone before anything else runs: the connection that
        // takes its place must not get its mail.
        let mut p = Raw::connect(port);
        let id = String::from_utf8_lossy(&p.cmd(&["CLIENT", "ID"]))
            .trim_start_matches(':')
            .trim()
            .to_string();
        let mut tx = Vec::new();
        for args in [
            &["MULTI"][..],
            &["PUBLISH", "ch", "second"],
            &["CLIENT", "KILL", "ID", &id, "SKIPME", "no"],
            &["EXEC"],
        ] {
            let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
            tx.extend(encode(&a));
        }
        p.write(&tx);
        drop(sub);
        std::thread::sleep(Duration::from_millis(100));
        let mut newcomer = Raw::connect(port);
        step(&mut log, &mut newcomer, "newcomer", &["PING"]);
        let mut other = Raw::connect(port);
        step(&mut log, &mut other, "other", &["PING"]);
        drain(&mut log, &mut newcomer, "newcomer");
        log
    });
}

/// Subscribing to many channels at once, and dropping them, is linear work as in Redis (not
/// quadratic: 200k channels took minutes).
#[test]
fn many_channels_subscribe_and_disconnect_quickly() {
    let server = Server::ferrodis(&[]);
    let mut sub = Raw::connect(server.port);
    let names: Vec<String> = (0..200_000).map(|i| format!("ch{i}")).collect();
    let mut args: Vec<&[u8]> = vec![b"SUBSCRIBE"];
    args.extend(names.iter().map(|n| n.as_bytes()));
    let started = std::time::Instant::now();
    sub.write(&encode(&args));
    let replies = sub.read_replies(names.len());
    assert!(replies.ends_with(b"$8\r\nch199999\r\n:200000\r\n"));
    let patterns: Vec<String> = (0..20_000).map(|i| format!("p{i}*")).collect();
    let mut args: Vec<&[u8]> = vec![b"PSUBSCRIBE"];
    args.extend(patterns.iter().map(|n| n.as_bytes()));
    sub.write(&encode(&args));
    sub.read_replies(patterns.len());
    drop(sub);
    let mut p = Raw::connect(server.port);
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(p.cmd(&["PUBSUB", "NUMPAT"]), b":0\r\n");
    assert_eq!(p.cmd(&["PUBLISH", "ch7", "x"]), b":0\r\n");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}

/// Subscribers past the hard limit get nothing more: an EXEC of many PUBLISHes is not copied
/// whole into every subscriber that never reads before it is dropped.
#[test]
fn an_exec_of_publishes_stops_filling_subscribers_past_the_limit() {
    let server = Server::ferrodis(&["--client-output-buffer-limit", "pubsub 1mb 0 0"]);
    let mut subs: Vec<Raw> = (0..20).map(|_| Raw::connect(server.port)).collect();
    for s in &mut subs {
        send(s, &["SUBSCRIBE", "flood"]);
    }
    let mut p = Raw::connect(server.port);
    std::thread::sleep(Duration::from_millis(100));
    let before = peak_rss(server.pid());
    let payload = "x".repeat(512 * 1024);
    let mut tx = encode(&[b"MULTI"]);
    for _ in 0..40 {
        tx.extend(encode(&[b"PUBLISH", b"flood", payload.as_bytes()]));
    }
    tx.extend(encode(&[b"EXEC"]));
    p.write(&tx);
    let replies = p.read_replies(42);
    assert!(replies.ends_with(b":20\r\n"), "every subscriber counted");
    let peak = peak_rss(server.pid());
    // 20 MiB queued; each subscriber holds about the limit, not all 20 MiB, before it goes.
    assert!(
        peak < before + 150 * 1024,
        "peak RSS {peak} KiB from {before} KiB"
    );
    assert_eq!(
        p.cmd(&["PUBSUB", "NUMSUB", "flood"]),
        b"*2\r\n$5\r\nflood\r\n:0\r\n"
    );
    drop(subs);
}

/// The process's peak resident set (VmHWM), in KiB.
fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Patterns dropped from the middle of the server's list leave the others reachable (the
/// position index over patterns is renumbered), for old and new subscribers alike.
#[test]
fn patterns_stay_reachable_after_others_are_dropped() {
    same_on_both("pattern index", |port| {
        let mut log = Vec::new();
        let mut a = Raw::connect(port);
        let mut b = Raw::connect(port);
        let mut p = Raw::connect(port);
        send(&mut a, &["PSUBSCRIBE", "x*", "y*", "z*"]);
        drain(&mut log, &mut a, "a");
        send(&mut b, &["PSUBSCRIBE", "w*", "y*"]);
        drain(&mut log, &mut b, "b");
        send(&mut a, &["PUNSUBSCRIBE", "x*"]);
        drain(&mut log, &mut a, "a");
        // b leaves entirely: w* goes, y* stays for a.
        send(&mut b, &["PUNSUBSCRIBE"]);
        drain(&mut log, &mut b, "b");
        send(&mut b, &["PSUBSCRIBE", "z*", "x*"]);
        drain(&mut log, &mut b, "b");
        for channel in ["x1", "y1", "z1", "w1"] {
            step(&mut log, &mut p, "p", &["PUBLISH", channel, "m"]);
        }
        step(&mut log, &mut p, "p", &["PUBSUB", "NUMPAT"]);
        drain(&mut log, &mut a, "a");
        drain(&mut log, &mut b, "b");
        log
    });
}
