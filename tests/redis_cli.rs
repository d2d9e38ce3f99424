//! Smoke tests with the real Redis tools: `redis-cli` (single commands, `--no-raw`, `--pipe`)
//! and `redis-benchmark`, each pointed at ferrodis; outputs are compared with a real
//! `redis-server` where that is meaningful.

mod common;

use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{encode, have_program, redis_cli, redis_cli_stdin, Server};

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn single_commands_match_redis() {
    let ferrodis = Server::ferrodis(&[]);
    let redis = Server::redis();
    let script: &[&[&str]] = &[
        &["PING"],
        &["PING", "hello"],
        &["SET", "foo", "bar"],
        &["GET", "foo"],
        &["GET", "missing"],
        &["INCR", "n"],
        &["INCRBY", "n", "41"],
        &["INCR", "foo"],
        &["SET", "sp", "a b\tc"],
        &["GET", "sp"],
        &["MSET", "a", "1", "b", "2"],
        &["MGET", "a", "b", "nope"],
        &["--no-raw", "GET", "foo"],
        &["--no-raw", "INCR", "n"],
        &["--no-raw", "GET", "missing"],
        &["--no-raw", "MGET", "a", "b", "nope"],
        &["--no-raw", "SET", "foo", "bar"],
        &["--no-raw", "INCR", "foo"],
        &["--raw", "GET", "sp"],
        &["EXISTS", "foo", "a", "nope"],
        &["DEL", "a", "b"],
        &["DBSIZE"],
        &["ECHO", "with\nnewline"],
        &["--no-raw", "ECHO", "with\nnewline"],
        &["NOSUCHCOMMAND", "x"],
    ];
    for args in script {
        let f = redis_cli(ferrodis.port, args);
        let r = redis_cli(redis.port, args);
        assert_eq!(
            stdout(&f),
            stdout(&r),
            "redis-cli {args:?}: stdout differs (left ferrodis, right redis)"
        );
        assert_eq!(
            f.status.code(),
            r.status.code(),
            "redis-cli {args:?}: status"
        );
    }
    // And a few absolute expectations, so a broken redis-server cannot hide a bug.
    assert_eq!(stdout(&redis_cli(ferrodis.port, &["PING"])), "PONG\n");
    assert_eq!(stdout(&redis_cli(ferrodis.port, &["GET", "foo"])), "bar\n");
    assert_eq!(
        stdout(&redis_cli(ferrodis.port, &["--no-raw", "GET", "foo"])),
        "\"bar\"\n"
    );
    assert_eq!(
        stdout(&redis_cli(ferrodis.port, &["--no-raw", "INCR", "n"])),
        "(integer) 44\n"
    );
}

#[test]
fn pipe_mode_ten_thousand_sets() {
    let ferrodis = Server::ferrodis(&[]);
    let mut input = Vec::new();
    for i in 0..10_000 {
        let key = format!("key:{i}");
        let value = format!("value:{i}:{}", "x".repeat(i % 50));
        input.extend(encode(&[b"SET", key.as_bytes(), value.as_bytes()]));
    }
    let out = redis_cli_stdin(ferrodis.port, &["--pipe"], Some(&input));
    let text = stdout(&out);
    assert!(out.status.success(), "redis-cli --pipe failed: {text}");
    assert!(
        text.contains("errors: 0, replies: 10000"),
        "unexpected --pipe summary: {text}"
    );
    assert_eq!(stdout(&redis_cli(ferrodis.port, &["DBSIZE"])), "10000\n");
    assert_eq!(
        stdout(&redis_cli(ferrodis.port, &["GET", "key:9999"])),
        format!("value:9999:{}\n", "x".repeat(9999 % 50))
    );
}

#[test]
fn benchmark_completes() {
    if !have_program("redis-benchmark") {
        eprintln!("redis-benchmark is not installed: skipping");
        return;
    }
    let ferrodis = Server::ferrodis(&[]);
    let port = ferrodis.port.to_string();
    let mut child = Command::new("redis-benchmark")
        .args(["-h", "127.0.0.1", "-p", &port])
        .args(["-t", "set,get,incr,mset", "-n", "2000", "-P", "16", "-q"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn redis-benchmark");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "redis-benchmark did not finish within 60 s; output so far:\n{}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "redis-benchmark failed:\n{text}");
    for test in ["SET", "GET", "INCR", "MSET"] {
        assert!(
            // Progress lines end in \r; results in \n.
            text.split(['\r', '\n'])
                .any(|l| l.trim().starts_with(test) && l.contains(" requests per second")),
            "no {test} result in redis-benchmark output:\n{text}"
        );
    }
    // The server is still healthy afterwards.
    assert_eq!(stdout(&redis_cli(ferrodis.port, &["PING"])), "PONG\n");
}
