//! Rate limits (ferrodis only): `client-rate-limit`, `global-rate-limit`, their bursts and
//! `rate-limit-mode`. Throughput is measured with the real `redis-benchmark`; latency, the
//! pause and the reject reply with raw connections; INFO stats `rate_limited_commands`.

mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{encode, show, Raw, Server};

/// The throughput tests run one at a time: two benchmarks side by side on a small machine
/// would measure the machine, not the limit.
static BENCHMARK: Mutex<()> = Mutex::new(());

/// Requests per second `redis-benchmark -q` printed for each test it ran.
fn benchmark(port: u16, tests: &str, requests: u32) -> Vec<(String, f64)> {
    let out = Command::new("redis-benchmark")
        .args(["-p", &port.to_string(), "-c", "10", "-q", "-t", tests])
        .args(["-n", &requests.to_string()])
        .output()
        .expect("run redis-benchmark (is redis-tools installed?)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // `-q` rewrites its progress line with CRs; the last piece of each line is the result.
    let results: Vec<(String, f64)> = text
        .lines()
        .filter_map(|line| {
            let last = line.rsplit('\r').next()?.trim();
            let (name, rest) = last.split_once(": ")?;
            let rps = rest.split_once(" requests per second")?.0;
            Some((name.to_string(), rps.parse().ok()?))
        })
        .collect();
    assert!(
        !results.is_empty(),
        "no result from redis-benchmark:\n{text}"
    );
    results
}

fn assert_near_10k(results: &[(String, f64)]) {
    for (name, rps) in results {
        assert!(
            (8_000.0..=11_500.0).contains(rps),
            "{name}: {rps} requests per second against a 10,000/s limit"
        );
    }
}

#[test]
fn global_limit_holds_redis_benchmark_to_the_rate() {
    // A burst of 100 keeps the first moment from counting for much of the run.
    let _one_at_a_time = BENCHMARK.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::ferrodis(&[
        "--global-rate-limit",
        "10000",
        "--global-rate-limit-burst",
        "100",
    ]);
    let results = benchmark(server.port, "set", 20_000);
    eprintln!("global-rate-limit 10000: {results:?}");
    assert_near_10k(&results);
    let mut admin = server.raw();
    // Every request waited at most a few milliseconds, none was refused.
    assert!(admin.info_u64("stats", "rate_limited_commands") > 0);
    assert_eq!(admin.info_u64("stats", "total_error_replies"), 0);
    assert_eq!(admin.cmd(&["DBSIZE"]), b":1\r\n");
}

#[test]
fn client_limit_holds_each_connection_and_spares_a_quiet_one() {
    // Ten benchmark connections at 1,000/s each make 10,000/s in all.
    let _one_at_a_time = BENCHMARK.lock().unwrap_or_else(|e| e.into_inner());
    let server = Server::ferrodis(&[
        "--client-rate-limit",
        "1000",
        "--client-rate-limit-burst",
        "10",
    ]);
    let stop = Arc::new(AtomicBool::new(false));
    // A quiet client (200 PINGs a second, under its own limit) on the same server meanwhile.
    let prober = {
        let stop = Arc::clone(&stop);
        let mut c = server.raw();
        thread::spawn(move || {
            let mut rtts = Vec::new();
            while !stop.load(Ordering::SeqCst) {
                let t = Instant::now();
                assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
                rtts.push(t.elapsed());
                thread::sleep(Duration::from_millis(5));
            }
            rtts
        })
    };
    let results = benchmark(server.port, "ping", 15_000);
    stop.store(true, Ordering::SeqCst);
    let mut rtts = prober.join().expect("prober");
    eprintln!("client-rate-limit 1000 x 10 clients: {results:?}");
    assert_near_10k(&results);
    rtts.sort();
    let median = rtts[rtts.len() / 2];
    let p90 = rtts[rtts.len() * 9 / 10];
    eprintln!(
        "quiet client: {} PINGs, median {median:?}, p90 {p90:?}, max {:?}",
        rtts.len(),
        rtts[rtts.len() - 1]
    );
    assert!(rtts.len() > 100, "{} PINGs", rtts.len());
    // Sub-millisecond on an idle machine; the bounds leave room for a busy one.
    assert!(median < Duration::from_millis(3), "median PING {median:?}");
    assert!(p90 < Duration::from_millis(10), "p90 PING {p90:?}");
}

#[test]
fn pause_mode_delays_pipelined_requests_without_errors() {
    let server = Server::ferrodis(&[
        "--client-rate-limit",
        "10",
        "--client-rate-limit-burst",
        "1",
    ]);
    let mut c = server.raw();
    let t = Instant::now();
    let mut batch = Vec::new();
    for _ in 0..6 {
        batch.extend(encode(&[b"PING"]));
    }
    c.write(&batch);
    let replies = c.read_replies(6);
    let took = t.elapsed();
    assert_eq!(replies, b"+PONG\r\n".repeat(6));
    // One at once, then one every 100 ms.
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_millis(1500),
        "six PINGs at 10/s with a burst of 1 took {took:?}"
    );
    // Another connection has its own bucket.
    let mut admin = server.raw();
    assert_eq!(admin.info_u64("stats", "rate_limited_commands"), 5);
    assert_eq!(admin.info_u64("stats", "total_error_replies"), 0);
}

#[test]
fn config_set_applies_to_a_waiting_client_at_once() {
    let server = Server::ferrodis(&["--client-rate-limit", "1", "--client-rate-limit-burst", "1"]);
    let mut c = server.raw();
    let mut batch = Vec::new();
    for _ in 0..5 {
        batch.extend(encode(&[b"PING"]));
    }
    let t = Instant::now();
    c.write(&batch);
    assert_eq!(c.read_reply(), b"+PONG\r\n");
    thread::sleep(Duration::from_millis(200));
    let mut admin = server.raw();
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "client-rate-limit", "0"]),
        b"+OK\r\n"
    );
    // The four left would take four seconds under the old limit.
    assert_eq!(c.read_replies(4), b"+PONG\r\n".repeat(4));
    assert!(
        t.elapsed() < Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    // And back on: a new limit applies to the connected client's next requests.
    assert_eq!(
        admin.cmd(&[
            "CONFIG",
            "SET",
            "client-rate-limit",
            "2",
            "rate-limit-mode",
            "reject"
        ]),
        b"+OK\r\n"
    );
    c.write(&batch);
    let replies = show(&c.read_replies(5));
    // The burst is still 1: one runs, four are refused.
    assert_eq!(
        replies.matches("rate limit exceeded").count(),
        4,
        "{replies}"
    );
}

#[test]
fn reject_mode_answers_the_exact_error_and_counts_it() {
    let server = Server::ferrodis(&[
        "--client-rate-limit",
        "3",
        "--client-rate-limit-burst",
        "3",
        "--rate-limit-mode",
        "reject",
    ]);
    let mut c = server.raw();
    let mut batch = Vec::new();
    for _ in 0..3 {
        batch.extend(encode(&[b"SET", b"k", b"v"]));
    }
    batch.extend(encode(&[b"GET", b"k"]));
    batch.extend(encode(&[b"NOSUCHCOMMAND"]));
    c.write(&batch);
    let replies = c.read_replies(5);
    assert_eq!(
        replies,
        b"+OK\r\n+OK\r\n+OK\r\n-ERR rate limit exceeded\r\n-ERR rate limit exceeded\r\n"
    );
    // Another connection, with a bucket of its own (three requests).
    let mut admin = server.raw();
    let info = String::from_utf8_lossy(&admin.cmd(&["INFO", "stats"])).into_owned();
    // `rate_limited_commands` is ferrodis's own: the last field of INFO stats.
    let last = info
        .trim_end()
        .lines()
        .last()
        .unwrap_or_default()
        .to_string();
    assert_eq!(last, "rate_limited_commands:2");
    assert!(info.contains("\r\ntotal_error_replies:2\r\n"), "{info}");
    let stats = String::from_utf8_lossy(&admin.cmd(&["INFO", "commandstats"])).into_owned();
    // The refused GET counts as rejected, as Redis counts a command refused before it runs.
    assert!(
        stats.contains(
            "cmdstat_get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0"
        ),
        "{stats}"
    );
    // A second later a token is back.
    thread::sleep(Duration::from_millis(400));
    assert_eq!(c.cmd(&["GET", "k"]), b"$1\r\nv\r\n");
}

#[test]
fn rate_limit_settings_from_config_and_env() {
    let server = Server::ferrodis(&[]);
    let mut c = server.raw();
    let get = |c: &mut Raw, name: &str| show(&c.cmd(&["CONFIG", "GET", name]));
    assert_eq!(
        get(&mut c, "client-rate-limit"),
        show(b"*2\r\n$17\r\nclient-rate-limit\r\n$1\r\n0\r\n")
    );
    assert_eq!(
        get(&mut c, "rate-limit-mode"),
        show(b"*2\r\n$15\r\nrate-limit-mode\r\n$5\r\npause\r\n")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "global-rate-limit-burst", "50"]),
        b"+OK\r\n"
    );
    assert_eq!(
        get(&mut c, "global-rate-limit-burst"),
        show(b"*2\r\n$23\r\nglobal-rate-limit-burst\r\n$2\r\n50\r\n")
    );
    // Off by default: nothing is counted.
    for _ in 0..100 {
        c.cmd(&["PING"]);
    }
    assert_eq!(c.info_u64("stats", "rate_limited_commands"), 0);
}
