//! Micro-benchmarks of the request path without the network: the RESP parser, the dispatcher
//! (`cmd::execute` into a `Reply`), and the keyspace (`Db`) on its own.
//!
//! Run with `cargo bench --bench core` (or `make bench`, which then runs `scripts/bench.sh`).
//! Measurement times are short on purpose so the whole file runs in well under a minute; pass
//! criterion's own flags (`-- --measurement-time 5`) for steadier numbers.

use std::hint::black_box;
use std::ops::Range;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use ferrodis::cmd;
use ferrodis::config::Config;
use ferrodis::resp::{Args, Limits, Parsed, Parser, Reply};
use ferrodis::state::{Client, Server};
use ferrodis::store::zset::{Limits as ZLimits, ZSet};
use ferrodis::store::{Db, Value};

/// Distinct keys the keyspace benchmarks cycle through (redis-benchmark's `-r 100000`).
const KEYSPACE: usize = 100_000;
/// Commands of each kind in the pipelined buffer.
const PIPELINE: usize = 16;

/// `key:%012d`, the key shape redis-benchmark produces with `-r`.
fn key(i: usize) -> Vec<u8> {
    format!("key:{i:012}").into_bytes()
}

/// Appends one multibulk request.
fn push_request(buf: &mut Vec<u8>, args: &[&[u8]]) {
    buf.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        buf.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        buf.extend_from_slice(arg);
        buf.extend_from_slice(b"\r\n");
    }
}

/// 16 SETs and 16 GETs, interleaved, as a pipelining client sends them (3-byte values, like
/// redis-benchmark's default `-d 3`).
fn pipelined_buffer() -> Vec<u8> {
    let mut buf = Vec::new();
    for i in 0..PIPELINE {
        let k = key(i * 7919 % KEYSPACE);
        push_request(&mut buf, &[b"SET", &k, b"xxx"]);
        push_request(&mut buf, &[b"GET", &k]);
    }
    buf
}

/// A server with one connected client (slab key returned), as the reactor's `accept` makes it.
fn server_with_client() -> (Server, usize) {
    let mut server = Server::new(
        Config::default(),
        ferrodis::cmd::table::registry().all.len(),
    );
    let now = 0;
    let key = server.clients.insert(Client::new(
        1,
        "127.0.0.1:50000".to_string(),
        "127.0.0.1:6379".to_string(),
        -1,
        now,
        true,
    ));
    (server, key)
}

/// Ranges of each argument in a buffer of arguments laid end to end.
fn ranges_of(parts: &[&[u8]]) -> (Vec<u8>, Vec<Range<usize>>) {
    let mut base = Vec::new();
    let mut ranges = Vec::new();
    for part in parts {
        let start = base.len();
        base.extend_from_slice(part);
        ranges.push(start..base.len());
    }
    (base, ranges)
}

/// Parses every request in `input`; returns the number of commands and total argument bytes.
fn parse_all(parser: &mut Parser, input: &[u8], limits: &Limits) -> (usize, usize) {
    let mut pos = 0;
    let mut commands = 0;
    let mut arg_bytes = 0;
    while pos < input.len() {
        let rest = &input[pos..];
        match parser.parse(rest, limits) {
            Ok(Parsed::Command { consumed }) => {
                arg_bytes += parser.args(rest).iter().map(<[u8]>::len).sum::<usize>();
                commands += 1;
                pos += consumed;
            }
            Ok(Parsed::Empty { consumed }) => pos += consumed,
            Ok(Parsed::Incomplete) | Err(_) => break,
        }
    }
    (commands, arg_bytes)
}

fn bench_parse(c: &mut Criterion) {
    let input = pipelined_buffer();
    let limits = Limits::default();
    let mut parser = Parser::new();
    assert_eq!(parse_all(&mut parser, &input, &limits).0, 2 * PIPELINE);

    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Elements(2 * PIPELINE as u64));
    group.bench_function("pipeline_16get_16set", |b| {
        b.iter(|| parse_all(&mut parser, black_box(&input), &limits))
    });
    // The same requests arriving in two reads: the parser resumes a split command.
    let split = input.len() / 2 + 3;
    group.bench_function("pipeline_split_read", |b| {
        b.iter(|| {
            let input = black_box(&input);
            let mut pos = 0;
            let mut commands = 0;
            for end in [split, input.len()] {
                while pos < end {
                    let rest = &input[pos..end];
                    match parser.parse(rest, &limits) {
                        Ok(Parsed::Command { consumed }) | Ok(Parsed::Empty { consumed }) => {
                            commands += 1;
                            pos += consumed;
                        }
                        Ok(Parsed::Incomplete) | Err(_) => break,
                    }
                }
            }
            commands
        })
    });
    group.finish();
}

fn bench_dispatch(c: &mut Criterion) {
    let (mut server, client) = server_with_client();
    for i in 0..KEYSPACE {
        server.dbs[0].set(&key(i), Value::from_bytes(b"xxx"), false, 0);
    }
    let now = 1_700_000_000_000;
    let mut out = Reply::new();

    let mut group = c.benchmark_group("dispatch");
    group.throughput(Throughput::Elements(1));

    let keys: Vec<Vec<u8>> = (0..1024).map(|i| key(i * 97 % KEYSPACE)).collect();
    let gets: Vec<_> = keys.iter().map(|k| ranges_of(&[b"GET", k])).collect();
    let sets: Vec<_> = keys
        .iter()
        .map(|k| ranges_of(&[b"SET", k, b"xxx"]))
        .collect();

    let mut i = 0;
    group.bench_function("get_hit", |b| {
        b.iter(|| {
            let (base, ranges) = &gets[i & 1023];
            i += 1;
            cmd::execute(&mut server, client, &Args::new(base, ranges), &mut out, now);
            out.buf.clear();
        })
    });
    group.bench_function("set_existing", |b| {
        b.iter(|| {
            let (base, ranges) = &sets[i & 1023];
            i += 1;
            cmd::execute(&mut server, client, &Args::new(base, ranges), &mut out, now);
            out.buf.clear();
        })
    });
    let lower_get = ranges_of(&[b"get", b"key:000000000001"]);
    group.bench_function("get_lowercase_name", |b| {
        b.iter(|| {
            let (base, ranges) = &lower_get;
            cmd::execute(&mut server, client, &Args::new(base, ranges), &mut out, now);
            out.buf.clear();
        })
    });
    let unknown = ranges_of(&[b"NOSUCHCMD", b"a"]);
    group.bench_function("unknown_command", |b| {
        b.iter(|| {
            let (base, ranges) = &unknown;
            cmd::execute(&mut server, client, &Args::new(base, ranges), &mut out, now);
            out.buf.clear();
        })
    });
    group.finish();

    // A whole pipelined batch as the reactor runs it: parse in place, execute, reply.
    let input = pipelined_buffer();
    let limits = Limits::default();
    let mut parser = Parser::new();
    let mut group = c.benchmark_group("pipeline");
    group.throughput(Throughput::Elements(2 * PIPELINE as u64));
    group.bench_function("parse_execute_16get_16set", |b| {
        b.iter(|| {
            let input = black_box(&input[..]);
            let mut pos = 0;
            while pos < input.len() {
                let rest = &input[pos..];
                match parser.parse(rest, &limits) {
                    Ok(Parsed::Command { consumed }) => {
                        let args = parser.args(rest);
                        cmd::execute(&mut server, client, &args, &mut out, now);
                        pos += consumed;
                    }
                    Ok(Parsed::Empty { consumed }) => pos += consumed,
                    Ok(Parsed::Incomplete) | Err(_) => break,
                }
            }
            let n = out.buf.len();
            out.buf.clear();
            n
        })
    });
    group.finish();
}

fn bench_db(c: &mut Criterion) {
    let keys: Vec<Vec<u8>> = (0..KEYSPACE).map(key).collect();
    let mut db = Db::new();
    for k in &keys {
        db.set(k, Value::from_bytes(b"0123456789abcdef"), false, 0);
    }
    let now = 1_700_000_000_000;
    let mut group = c.benchmark_group("db");
    group.throughput(Throughput::Elements(1));

    let mut i = 0usize;
    group.bench_function("get_hit_100k", |b| {
        b.iter(|| {
            i = (i + 7919) % KEYSPACE;
            db.get(black_box(&keys[i]), now, 0).is_some()
        })
    });
    group.bench_function("get_miss_100k", |b| {
        b.iter(|| db.get(black_box(b"key:nonexistent"), now, 0).is_some())
    });
    group.bench_function("set_overwrite_100k", |b| {
        b.iter(|| {
            i = (i + 7919) % KEYSPACE;
            db.set(
                black_box(&keys[i]),
                Value::from_bytes(b"fedcba9876543210"),
                false,
                0,
            )
        })
    });
    // Inserting into an empty database, growth and all, 10k keys per batch.
    group.throughput(Throughput::Elements(10_000));
    group.bench_function("insert_10k_fresh", |b| {
        b.iter_batched(
            Db::new,
            |mut db| {
                for k in &keys[..10_000] {
                    db.set(k, Value::from_bytes(b"0123456789abcdef"), false, 0);
                }
                db
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// `element:%012d`, the member shape of redis-benchmark's ZADD test with `-r`.
fn element(i: u64) -> Vec<u8> {
    format!("element:{i:012}").into_bytes()
}

/// splitmix64: a cheap reproducible stream for the random members and scores.
fn next_rand(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `redis-benchmark -t zadd -r 100000`: random integer scores for random members of a set
/// that already holds (nearly) all 100k of them, so almost every ZADD moves a member.
fn bench_zset(c: &mut Criterion) {
    let n = KEYSPACE as u64;
    let members: Vec<Vec<u8>> = (0..n).map(element).collect();
    let mut rng = 1u64;
    let mut z = ZSet::new_skiplist();
    let lim = ZLimits::default();
    for m in &members {
        let s = (next_rand(&mut rng) % n) as f64;
        z.insert_new(m, s, lim);
    }
    let mut group = c.benchmark_group("zset");
    group.throughput(Throughput::Elements(1));
    group.bench_function("zadd_update_random_100k", |b| {
        b.iter(|| {
            let m = &members[(next_rand(&mut rng) % n) as usize];
            let s = (next_rand(&mut rng) % n) as f64;
            // What ZADD does: look the member up, then move or insert it.
            if z.score(black_box(m)).is_some() {
                z.set_score(m, s);
            } else {
                z.insert_new(m, s, lim);
            }
        })
    });
    group.finish();

    // The same through the dispatcher, reply and all.
    let (mut server, client) = server_with_client();
    let now = 1_700_000_000_000;
    let mut out = Reply::new();
    for m in &members {
        let s = (next_rand(&mut rng) % n).to_string();
        let (base, ranges) = ranges_of(&[b"ZADD", b"myzset", s.as_bytes(), m]);
        cmd::execute(
            &mut server,
            client,
            &Args::new(&base, &ranges),
            &mut out,
            now,
        );
        out.buf.clear();
    }
    // Members and scores cycle with coprime periods, so a pair repeats (and the ZADD turns
    // into a no-op) only after ~16M requests.
    let req_members: Vec<Vec<u8>> = (0..4096)
        .map(|_| element(next_rand(&mut rng) % n))
        .collect();
    let req_scores: Vec<String> = (0..4093)
        .map(|_| (next_rand(&mut rng) % n).to_string())
        .collect();
    let mut i = 0usize;
    let mut base = Vec::new();
    let mut group = c.benchmark_group("zset");
    group.throughput(Throughput::Elements(1));
    group.bench_function("zadd_cmd_random_100k", |b| {
        b.iter(|| {
            let s = req_scores[i % 4093].as_bytes();
            let m = &req_members[i % 4096];
            i += 1;
            base.clear();
            base.extend_from_slice(b"ZADDmyzset");
            base.extend_from_slice(s);
            base.extend_from_slice(m);
            let ranges = [0..4, 4..10, 10..10 + s.len(), 10 + s.len()..base.len()];
            cmd::execute(
                &mut server,
                client,
                &Args::new(&base, &ranges),
                &mut out,
                now,
            );
            out.buf.clear();
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_parse, bench_dispatch, bench_db, bench_zset
}
criterion_main!(benches);
