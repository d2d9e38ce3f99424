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

/// What an interactive `redis-cli -3` session (in a tmux terminal, so redis-cli sees a tty and
/// prints its human RESP3 forms: maps, doubles, sets, nulls) shows for `commands`, with the
/// prompt's port masked.
fn interactive_resp3_session(port: u16, commands: &[&str]) -> String {
    let session = format!("ferrodis-cli-{port}-{}", std::process::id());
    // A tmux server of its own (-L): a shared default server that is exiting after another
    // test's last session refuses new sessions ("server exited unexpectedly").
    let tmux = |args: &[&str]| {
        let out = Command::new("tmux")
            .args(["-L", &session])
            .args(args)
            .output()
            .expect("tmux (installed by `make deps` / .ci/run)");
        assert!(out.status.success(), "tmux {args:?}: {out:?}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let cli = format!("redis-cli -3 -h 127.0.0.1 -p {port}");
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "200",
        "-y",
        "100",
        &cli,
    ]);
    let prompt = format!("127.0.0.1:{port}>");
    let wait_for_prompts = |n: usize| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let screen = tmux(&["capture-pane", "-p", "-t", &session]);
            if screen.matches(&prompt).count() >= n || Instant::now() > deadline {
                return screen;
            }
            thread::sleep(Duration::from_millis(20));
        }
    };
    wait_for_prompts(1);
    for (i, command) in commands.iter().enumerate() {
        tmux(&["send-keys", "-t", &session, command, "Enter"]);
        wait_for_prompts(i + 2);
    }
    let screen = wait_for_prompts(commands.len() + 1);
    let _ = Command::new("tmux")
        .args(["-L", &session, "kill-server"])
        .output();
    screen.replace(&prompt, "prompt>").trim_end().to_string()
}

#[test]
fn interactive_redis_cli_3_matches_redis() {
    let commands = [
        "hset h f v g w",
        "hgetall h",
        "hgetall nokey",
        "zadd z 1.5 a 2 b",
        "zrange z 0 -1 withscores",
        "zscore z a",
        "zpopmin z",
        "sadd s x",
        "smembers s",
        "get nokey",
        "lpop nolist 2",
        "config get maxmemory-policy",
        "info keyspace",
        "client tracking on",
        "get h",
        "reset",
        "hgetall h",
    ];
    let ferrodis = Server::ferrodis(&[]);
    let redis = Server::redis();
    let got = interactive_resp3_session(ferrodis.port, &commands);
    let want = interactive_resp3_session(redis.port, &commands);
    assert_eq!(
        got, want,
        "redis-cli -3 screens differ (left ferrodis, right redis)"
    );
    assert!(want.contains("(double) 1.5"), "the session ran: {want}");
}
