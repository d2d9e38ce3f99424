//! Pub/Sub in RESP3 and sharded pub/sub (both protocols) against a real redis-server: every
//! reply, push frame and delivered message compared byte for byte, including where messages
//! fall between a RESP3 subscriber's own replies.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{encode, show, Raw, Server};

fn step(log: &mut Vec<String>, c: &mut Raw, who: &str, args: &[&str]) {
    let reply = c.cmd(args);
    log.push(format!("{who}: {} -> {}", args.join(" "), show(&reply)));
}

/// Sends a command without reading its replies (a subscription answers once per name, and a
/// RESP3 subscriber may get pushes before a reply).
fn send(c: &mut Raw, args: &[&str]) {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    c.write(&encode(&a));
}

/// Everything that arrives on `c` until it has been quiet for a moment.
fn drain(log: &mut Vec<String>, c: &mut Raw, who: &str) {
    let (bytes, closed) = c.read_until_quiet(Duration::from_millis(100));
    log.push(format!(
        "{who} received: {} (closed: {closed})",
        show(&bytes)
    ));
}

/// `send` then `drain`: the complete answer of a command, pushes included.
fn exchange(log: &mut Vec<String>, c: &mut Raw, who: &str, args: &[&str]) {
    send(c, args);
    log.push(format!("{who}: {}", args.join(" ")));
    drain(log, c, who);
}

/// A connection switched to RESP3 (HELLO's reply names the client id, so it is not logged).
fn resp3(port: u16) -> Raw {
    let mut c = Raw::connect(port);
    let hello = c.cmd(&["HELLO", "3"]);
    assert!(hello.starts_with(b"%7\r\n"), "{}", show(&hello));
    c
}

/// The pub/sub fields of `c`'s own CLIENT INFO line (the rest names ids, ports and times).
fn client_fields(c: &mut Raw) -> String {
    let reply = c.cmd(&["CLIENT", "INFO"]);
    let text = String::from_utf8_lossy(&reply).into_owned();
    text.split_whitespace()
        .filter(|f| {
            ["flags=", "sub=", "psub=", "ssub=", "resp=", "cmd="]
                .iter()
                .any(|p| f.starts_with(p))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn same_on_both(name: &str, scenario: fn(u16) -> Vec<String>) {
    common::assert_same_transcript(name, &[], scenario);
}

#[test]
fn a_resp3_subscriber_gets_pushes_and_may_run_any_command() {
    same_on_both("resp3 subscriber", |port| {
        let mut log = Vec::new();
        let mut c = resp3(port);
        exchange(&mut log, &mut c, "c", &["SUBSCRIBE", "a", "b", "a"]);
        for args in [
            &["PING"][..],
            &["PING", "hi"],
            &["GET", "x"],
            &["SET", "x", "1"],
            &["ECHO", "e"],
            &["PUBSUB", "NUMSUB", "a", "z"],
            &["PUBSUB", "CHANNELS", "[a]"],
        ] {
            step(&mut log, &mut c, "c", args);
        }
        log.push(format!("c fields: {}", client_fields(&mut c)));
        // Its own message comes before PUBLISH's reply; a pipeline keeps every push right
        // after the command that caused it.
        exchange(&mut log, &mut c, "c", &["PUBLISH", "a", "self"]);
        let mut pipeline = Vec::new();
        for args in [
            &["PUBLISH", "b", "one"][..],
            &["GET", "x"],
            &["PUBLISH", "nobody", "two"],
            &["PUBLISH", "a", "three"],
            &["INCR", "x"],
        ] {
            let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
            pipeline.extend(encode(&a));
        }
        c.write(&pipeline);
        log.push("c: pipeline".into());
        drain(&mut log, &mut c, "c");
        // Patterns and shard channels too.
        exchange(&mut log, &mut c, "c", &["PSUBSCRIBE", "a*"]);
        exchange(&mut log, &mut c, "c", &["PUBLISH", "ab", "pattern"]);
        exchange(&mut log, &mut c, "c", &["PUBLISH", "a", "both"]);
        exchange(&mut log, &mut c, "c", &["SSUBSCRIBE", "s"]);
        exchange(&mut log, &mut c, "c", &["SPUBLISH", "s", "sharded"]);
        log.push(format!("c fields: {}", client_fields(&mut c)));
        // Inside a transaction its messages come in place, inside EXEC's array.
        step(&mut log, &mut c, "c", &["MULTI"]);
        step(&mut log, &mut c, "c", &["PUBLISH", "a", "tx"]);
        step(&mut log, &mut c, "c", &["GET", "x"]);
        step(&mut log, &mut c, "c", &["SPUBLISH", "s", "tx"]);
        exchange(&mut log, &mut c, "c", &["EXEC"]);
        // Another client's messages arrive on their own.
        let mut p = Raw::connect(port);
        step(&mut log, &mut p, "p", &["PUBLISH", "a", "from p"]);
        step(&mut log, &mut p, "p", &["SPUBLISH", "s", "from p"]);
        drain(&mut log, &mut c, "c");
        exchange(&mut log, &mut c, "c", &["UNSUBSCRIBE", "a"]);
        exchange(&mut log, &mut c, "c", &["PUNSUBSCRIBE"]);
        exchange(&mut log, &mut c, "c", &["SUNSUBSCRIBE"]);
        exchange(&mut log, &mut c, "c", &["SUNSUBSCRIBE"]);
        exchange(&mut log, &mut c, "c", &["UNSUBSCRIBE"]);
        exchange(&mut log, &mut c, "c", &["UNSUBSCRIBE"]);
        exchange(&mut log, &mut c, "c", &["PUNSUBSCRIBE", "zz"]);
        log.push(format!("c fields: {}", client_fields(&mut c)));
        // RESET drops the subscriptions and goes back to RESP2.
        exchange(&mut log, &mut c, "c", &["SUBSCRIBE", "a"]);
        step(&mut log, &mut c, "c", &["RESET"]);
        step(&mut log, &mut c, "c", &["PUBLISH", "a", "gone"]);
        step(&mut log, &mut c, "c", &["GET", "nothing"]);
        log
    });
}

#[test]
fn one_message_reaches_resp2_and_resp3_subscribers_in_their_protocols() {
    same_on_both("mixed protocols", |port| {
        let mut log = Vec::new();
        let mut s2 = Raw::connect(port);
        let mut s3 = resp3(port);
        for (c, who) in [(&mut s2, "s2"), (&mut s3, "s3")] {
            exchange(&mut log, c, who, &["SUBSCRIBE", "news"]);
            exchange(&mut log, c, who, &["PSUBSCRIBE", "n*"]);
            exchange(&mut log, c, who, &["SSUBSCRIBE", "news"]);
        }
        let mut p = resp3(port);
        step(&mut log, &mut p, "p", &["PUBLISH", "news", "hello"]);
        step(&mut log, &mut p, "p", &["SPUBLISH", "news", "sharded"]);
        step(&mut log, &mut p, "p", &["PUBLISH", "nope", "pattern only"]);
        let mut burst = Vec::new();
        for i in 0..20 {
            let msg = format!("m{i}");
            burst.extend(encode(&[b"PUBLISH", b"news", msg.as_bytes()]));
            burst.extend(encode(&[b"SPUBLISH", b"news", msg.as_bytes()]));
        }
        p.write(&burst);
        let replies = p.read_replies(40);
        log.push(format!("p burst -> {}", show(&replies)));
        drain(&mut log, &mut s2, "s2");
        drain(&mut log, &mut s3, "s3");
        // A RESP3 subscriber that switches back to RESP2 gets RESP2 messages and the
        // subscribed context; HELLO 3 is then refused, as everything else.
        let hello = s3.cmd(&["HELLO", "2", "SETNAME", "x"]);
        log.push(format!("s3: HELLO 2 -> {}", show(&hello[..4])));
        step(&mut log, &mut s3, "s3", &["GET", "x"]);
        step(&mut log, &mut s3, "s3", &["HELLO", "3"]);
        step(&mut log, &mut s3, "s3", &["PING"]);
        step(&mut log, &mut p, "p", &["PUBLISH", "news", "later"]);
        drain(&mut log, &mut s3, "s3");
        drain(&mut log, &mut s2, "s2");
        log
    });
}

#[test]
fn a_blocked_resp3_subscriber_gets_messages_before_its_reply() {
    same_on_both("blocked subscriber", |port| {
        let mut log = Vec::new();
        let mut c = resp3(port);
        exchange(&mut log, &mut c, "c", &["SUBSCRIBE", "ch"]);
        send(&mut c, &["BLPOP", "list", "0"]);
        let mut p = Raw::connect(port);
        wait_for_blocked(&mut p);
        step(&mut log, &mut p, "p", &["PUBLISH", "ch", "while blocked"]);
        drain(&mut log, &mut c, "c");
        step(&mut log, &mut p, "p", &["RPUSH", "list", "v"]);
        drain(&mut log, &mut c, "c");
        log
    });
}

/// Waits until some client is blocked (INFO `blocked_clients`).
fn wait_for_blocked(p: &mut Raw) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while p.info_u64("clients", "blocked_clients") == 0 {
        assert!(Instant::now() < deadline, "no client blocked");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Sharded pub/sub in protocol `proto`, with a RESP2 publisher.
fn sharded(port: u16, proto: u8) -> Vec<String> {
    let mut log = Vec::new();
    let connect = |port| {
        if proto == 3 {
            resp3(port)
        } else {
            Raw::connect(port)
        }
    };
    let mut c = connect(port);
    let mut p = Raw::connect(port);
    exchange(&mut log, &mut c, "c", &["SSUBSCRIBE", "a", "b", "a"]);
    // Shard subscriptions alone make the subscribed context (RESP2), and are counted apart
    // from channels and patterns.
    step(&mut log, &mut c, "c", &["GET", "x"]);
    step(&mut log, &mut c, "c", &["PING"]);
    exchange(&mut log, &mut c, "c", &["SUBSCRIBE", "c"]);
    exchange(&mut log, &mut c, "c", &["PSUBSCRIBE", "*"]);
    exchange(&mut log, &mut c, "c", &["SSUBSCRIBE", "b", "c"]);
    exchange(&mut log, &mut c, "c", &["UNSUBSCRIBE", "c"]);
    exchange(&mut log, &mut c, "c", &["PUNSUBSCRIBE"]);
    step(&mut log, &mut c, "c", &["GET", "x"]);
    exchange(&mut log, &mut c, "c", &["PUNSUBSCRIBE"]);
    exchange(&mut log, &mut c, "c", &["UNSUBSCRIBE"]);
    // SPUBLISH reaches shard subscribers only; PUBLISH does not reach them.
    exchange(&mut log, &mut c, "c", &["PSUBSCRIBE", "*"]);
    step(&mut log, &mut p, "p", &["SPUBLISH", "a", "to a"]);
    step(&mut log, &mut p, "p", &["SPUBLISH", "zz", "to nobody"]);
    step(&mut log, &mut p, "p", &["PUBLISH", "b", "plain"]);
    drain(&mut log, &mut c, "c");
    exchange(&mut log, &mut c, "c", &["PUNSUBSCRIBE", "*"]);
    // (One name per listing: with several, the order is that of a hash table.)
    step(&mut log, &mut p, "p", &["PUBSUB", "SHARDCHANNELS", "[a]"]);
    step(&mut log, &mut p, "p", &["PUBSUB", "SHARDCHANNELS", "c*"]);
    step(
        &mut log,
        &mut p,
        "p",
        &["PUBSUB", "SHARDCHANNELS", "a", "b"],
    );
    step(
        &mut log,
        &mut p,
        "p",
        &["PUBSUB", "SHARDNUMSUB", "a", "c", "zz"],
    );
    step(&mut log, &mut p, "p", &["PUBSUB", "SHARDNUMSUB"]);
    step(&mut log, &mut p, "p", &["PUBSUB", "NUMSUB", "a"]);
    step(&mut log, &mut p, "p", &["PUBSUB", "CHANNELS"]);
    for field in ["pubsub_channels", "pubsub_patterns", "pubsubshard_channels"] {
        let value = p.info_field("stats", field);
        log.push(format!("{field}:{value}"));
    }
    let list = p.cmd(&["CLIENT", "LIST", "TYPE", "pubsub"]);
    let text = String::from_utf8_lossy(&list).into_owned();
    let fields: Vec<&str> = text
        .split_whitespace()
        .filter(|f| {
            ["flags=", "sub=", "psub=", "ssub=", "resp="]
                .iter()
                .any(|p| f.starts_with(p))
        })
        .collect();
    log.push(format!("pubsub clients: {}", fields.join(" ")));
    // SUNSUBSCRIBE counts shard channels only; without arguments it drops all of them, and
    // with none left it answers with a nil name.
    exchange(&mut log, &mut c, "c", &["SUNSUBSCRIBE", "a", "zz"]);
    exchange(&mut log, &mut c, "c", &["SUNSUBSCRIBE", "c"]);
    exchange(&mut log, &mut c, "c", &["SUNSUBSCRIBE"]);
    exchange(&mut log, &mut c, "c", &["SUNSUBSCRIBE"]);
    step(&mut log, &mut c, "c", &["GET", "x"]);
    step(&mut log, &mut c, "c", &["PING"]);
    // Arity, transactions (EXEC may not run SSUBSCRIBE), COMMAND's view.
    step(&mut log, &mut c, "c", &["SSUBSCRIBE"]);
    step(&mut log, &mut c, "c", &["SPUBLISH", "a"]);
    step(&mut log, &mut c, "c", &["MULTI"]);
    step(&mut log, &mut c, "c", &["SSUBSCRIBE", "q"]);
    step(&mut log, &mut c, "c", &["SPUBLISH", "q", "x"]);
    step(&mut log, &mut c, "c", &["SUNSUBSCRIBE", "q"]);
    exchange(&mut log, &mut c, "c", &["EXEC"]);
    step(&mut log, &mut p, "p", &["PUBSUB", "SHARDNUMSUB", "q"]);
    for args in [
        &["COMMAND", "INFO", "ssubscribe", "sunsubscribe", "spublish"][..],
        &["COMMAND", "DOCS", "ssubscribe", "sunsubscribe", "spublish"],
        &["COMMAND", "GETKEYS", "spublish", "a", "b"],
        &["COMMAND", "GETKEYS", "ssubscribe", "a", "b"],
    ] {
        // (On the RESP2 connection: COMMAND's RESP3 shapes are not this test's business.)
        step(&mut log, &mut p, "p", args);
    }
    // RESET and disconnection drop shard subscriptions.
    exchange(&mut log, &mut c, "c", &["SSUBSCRIBE", "r"]);
    step(&mut log, &mut c, "c", &["RESET"]);
    step(&mut log, &mut p, "p", &["SPUBLISH", "r", "after reset"]);
    let mut d = connect(port);
    exchange(&mut log, &mut d, "d", &["SSUBSCRIBE", "gone"]);
    step(&mut log, &mut p, "p", &["PUBSUB", "SHARDNUMSUB", "gone"]);
    drop(d);
    let deadline = Instant::now() + Duration::from_secs(5);
    while p.cmd(&["PUBSUB", "SHARDNUMSUB", "gone"]) != b"*2\r\n$4\r\ngone\r\n:0\r\n" {
        assert!(
            Instant::now() < deadline,
            "a closed subscriber stays subscribed"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    step(&mut log, &mut p, "p", &["SPUBLISH", "gone", "x"]);
    log.push(format!(
        "pubsubshard_channels:{}",
        p.info_field("stats", "pubsubshard_channels")
    ));
    log
}

#[test]
fn sharded_pubsub_in_resp2() {
    same_on_both("sharded resp2", |port| sharded(port, 2));
}

#[test]
fn sharded_pubsub_in_resp3() {
    same_on_both("sharded resp3", |port| sharded(port, 3));
}

/// What `redis-cli [-3] <subscription>` prints when one message is published to it.
fn cli_subscriber(port: u16, cli_args: &[&str], publish: &[&str], count: &[&str]) -> String {
    let mut child = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(cli_args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn redis-cli (is it installed? `make deps`)");
    let mut p = Raw::connect(port);
    let deadline = Instant::now() + Duration::from_secs(10);
    let subscribed = format!("*2\r\n${}\r\n{}\r\n:1\r\n", count[2].len(), count[2]);
    while p.cmd(count) != subscribed.as_bytes() {
        assert!(Instant::now() < deadline, "redis-cli never subscribed");
        std::thread::sleep(Duration::from_millis(10));
    }
    let reply = p.cmd(publish);
    assert_eq!(reply, b":1\r\n");
    std::thread::sleep(Duration::from_millis(300));
    let _ = child.kill();
    let _ = child.wait();
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut out);
    }
    out
}

#[test]
fn redis_cli_subscribes_in_resp3_and_to_shard_channels() {
    if !common::have_program("redis-cli") {
        eprintln!("redis-cli not installed: skipped");
        return;
    }
    same_on_both("redis-cli", |port| {
        let mut log = Vec::new();
        for (cli, publish, count) in [
            (
                &["-3", "SUBSCRIBE", "ch"][..],
                &["PUBLISH", "ch", "hello"][..],
                &["PUBSUB", "NUMSUB", "ch"][..],
            ),
            (
                &["-3", "SSUBSCRIBE", "sch"],
                &["SPUBLISH", "sch", "hello"],
                &["PUBSUB", "SHARDNUMSUB", "sch"],
            ),
            (
                &["SSUBSCRIBE", "sch2"],
                &["SPUBLISH", "sch2", "hello"],
                &["PUBSUB", "SHARDNUMSUB", "sch2"],
            ),
        ] {
            let out = cli_subscriber(port, cli, publish, count);
            log.push(format!("redis-cli {}: {out:?}", cli.join(" ")));
        }
        log
    });
}

/// A subscriber that never reads is dropped at the `pubsub` class's hard limit in RESP3 too,
/// shard subscriptions included.
#[test]
fn a_resp3_shard_subscriber_that_never_reads_is_disconnected_at_the_hard_limit() {
    let server = Server::ferrodis(&["--client-output-buffer-limit", "pubsub 1mb 0 0"]);
    let mut sub = resp3(server.port);
    send(&mut sub, &["SSUBSCRIBE", "flood"]);
    let mut p = Raw::connect(server.port);
    let payload = "x".repeat(64 * 1024);
    let mut disconnected = false;
    for _ in 0..1024 {
        if p.cmd(&["SPUBLISH", "flood", &payload]) == b":0\r\n" {
            disconnected = true;
            break;
        }
    }
    assert!(disconnected, "the subscriber was never dropped");
    assert_eq!(p.info_u64("stats", "pubsubshard_channels"), 0);
    drop(sub);
}
