//! Raw-socket protocol edge cases. Wherever Redis defines the behaviour, the exact bytes
//! ferrodis sends (and whether it closes the connection) are compared with a real
//! `redis-server` fed the same bytes.

mod common;

use std::io::Write;
use std::net::Shutdown;
use std::thread;
use std::time::{Duration, Instant};

use common::{encode, show, show_short, Raw, Server};

/// Silence after which a connection that is not closed is considered done answering.
const QUIET: Duration = Duration::from_millis(200);

struct Pair {
    ferrodis: Server,
    redis: Server,
}

fn pair() -> Pair {
    let (ferrodis, redis) = thread::scope(|s| {
        let r = s.spawn(Server::redis);
        let f = Server::ferrodis(&[]);
        (f, r.join().expect("redis start"))
    });
    Pair { ferrodis, redis }
}

/// Writes `chunks` (one `write` each, with a short pause between them so they arrive as
/// separate reads) on a fresh connection, then reads until close or silence.
fn exchange(port: u16, chunks: &[Vec<u8>], pause: Duration) -> (Vec<u8>, bool) {
    let mut c = Raw::connect(port);
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 && !pause.is_zero() {
            thread::sleep(pause);
        }
        // The server may already have closed on a protocol error: later writes may fail.
        if c.stream.write_all(chunk).is_err() {
            break;
        }
    }
    c.read_until_quiet(QUIET)
}

/// Sends the same chunks to both servers (in parallel) and asserts identical bytes and
/// identical connection state. Returns redis's bytes.
fn same_chunks(p: &Pair, name: &str, chunks: &[Vec<u8>], pause: Duration) -> Vec<u8> {
    let (f, r) = thread::scope(|s| {
        let r = s.spawn(|| exchange(p.redis.port, chunks, pause));
        let f = exchange(p.ferrodis.port, chunks, pause);
        (f, r.join().expect("redis exchange"))
    });
    assert_eq!(
        show_short(&f.0, 2000),
        show_short(&r.0, 2000),
        "case {name}: reply bytes differ (left ferrodis, right redis); input {:?}",
        show_short(&chunks.concat(), 300)
    );
    assert_eq!(
        f.1,
        r.1,
        "case {name}: ferrodis {} the connection, redis {}",
        if f.1 { "closed" } else { "kept" },
        if r.1 { "closed" } else { "kept" }
    );
    r.0
}

fn same(p: &Pair, name: &str, input: &[u8]) -> Vec<u8> {
    same_chunks(p, name, &[input.to_vec()], Duration::ZERO)
}

/// Like `same`, and also requires the reply to be the given protocol error and the connection
/// to be closed right after it.
fn same_proto_error(p: &Pair, name: &str, input: &[u8], error: &str) {
    let got = same(p, name, input);
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.ends_with(&format!("-ERR Protocol error: {error}\r\n")),
        "case {name}: redis answered {:?}, the test expected the protocol error {error:?}",
        show(&got)
    );
    // Once more on ferrodis alone with an explicit EOF check.
    let mut c = Raw::connect(p.ferrodis.port);
    c.write(input);
    let (bytes, closed) = c.read_until_quiet(Duration::from_secs(5));
    assert_eq!(show(&bytes), show(&got), "case {name}");
    assert!(closed, "case {name}: ferrodis kept the connection open");
}

#[test]
fn inline_commands() {
    let p = pair();
    let cases: &[(&str, &[u8])] = &[
        ("ping crlf", b"PING\r\n"),
        ("ping lf only", b"PING\n"),
        ("lowercase and spaces", b"  ping   \r\n"),
        ("tabs", b"\tECHO\thello\t\r\n"),
        ("empty lines skipped", b"\r\n\n   \r\nPING\r\n"),
        ("echo double quoted", b"ECHO \"hello world\"\r\n"),
        ("echo single quoted", b"ECHO 'hello world'\r\n"),
        ("escapes", b"ECHO \"a\\n\\r\\t\\b\\a\\\\\\\"z\"\r\n"),
        ("hex escape", b"ECHO \"\\x41\\x6a\\x00\\xff\"\r\n"),
        ("bad hex escape", b"ECHO \"\\x4g\\xZ\\q\"\r\n"),
        ("single quote escape", b"ECHO 'it\\'s \\n'\r\n"),
        ("empty quoted args", b"SET \"\" ''\r\nGET \"\"\r\n"),
        ("quoted key", b"SET \"a b\" 'c d'\r\nGET \"a b\"\r\n"),
        ("adjacent quoted words", b"ECHO abc\"def\"\r\n"),
        ("wrong arity inline", b"ECHO a b\r\n"),
        ("unknown inline", b"NOSUCHCMD a 'b c' \"\"\r\n"),
        ("cr inside line", b"PING\r\r\n"),
        ("pipelined inline", b"PING\r\nECHO x\r\nPING \"y\"\r\n"),
        (
            "inline then multibulk",
            b"PING\r\n*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING\r\n",
        ),
        ("incomplete inline waits", b"PING"),
    ];
    for (name, input) in cases {
        same(&p, name, input);
    }
}

#[test]
fn inline_unbalanced_quotes_close() {
    let p = pair();
    let cases: &[(&str, &[u8])] = &[
        ("open double", b"ECHO \"abc\r\n"),
        ("open single", b"ECHO 'abc\r\n"),
        ("closing double followed by text", b"ECHO \"abc\"def\r\n"),
        ("closing single followed by text", b"ECHO 'abc'def\r\n"),
        ("trailing backslash", b"ECHO \"abc\\\r\n"),
    ];
    for (name, input) in cases {
        same_proto_error(&p, name, input, "unbalanced quotes in request");
    }
    // Commands before the bad line are answered, the ones after it are not.
    same(
        &p,
        "pipeline around bad line",
        b"PING\r\nECHO \"x\r\nPING\r\n",
    );
}

#[test]
fn multibulk_count_errors() {
    let p = pair();
    let cases: &[(&str, &[u8])] = &[
        ("letters", b"*abc\r\n"),
        ("empty", b"*\r\n"),
        ("plus sign", b"*+1\r\n"),
        ("leading zero", b"*01\r\n"),
        ("trailing space", b"*1 \r\n"),
        ("far too big", b"*3000000000\r\n"),
        ("i64 overflow", b"*99999999999999999999\r\n"),
    ];
    for (name, input) in cases {
        same_proto_error(&p, name, input, "invalid multibulk length");
    }
    // No reply at all for an empty or negative count; the next command runs normally.
    same(&p, "star zero", b"*0\r\nPING\r\n");
    same(&p, "star minus one", b"*-1\r\nPING\r\n");
    same(&p, "star minus many", b"*-100\r\nPING\r\n");
}

/// Redis 7.0 accepts any count up to INT_MAX and waits for the arguments (it allocates
/// lazily); only a count above INT_MAX is an "invalid multibulk length".
#[test]
fn multibulk_count_above_one_million() {
    let p = pair();
    same(&p, "1048576 waits", b"*1048576\r\n");
    // Deliberate difference: ferrodis caps a request at 1,048,576 arguments (the limit the
    // foundation issue and docs/protocol.md set) where Redis 7.0 waits for up to INT_MAX.
    let mut c = Raw::connect(p.ferrodis.port);
    c.write(b"*1048577\r\n");
    let (bytes, closed) = c.read_until_quiet(Duration::from_secs(5));
    assert_eq!(
        show(&bytes),
        show(b"-ERR Protocol error: invalid multibulk length\r\n")
    );
    assert!(
        closed,
        "ferrodis kept the connection open after 1048577 arguments"
    );
    same_proto_error(
        &p,
        "int max + 1",
        b"*2147483648\r\n",
        "invalid multibulk length",
    );
}

#[test]
fn bulk_length_errors() {
    let p = pair();
    let cases: &[(&str, &[u8])] = &[
        ("minus one inside command", b"*1\r\n$-1\r\n"),
        ("negative", b"*2\r\n$3\r\nGET\r\n$-5\r\n"),
        ("letters", b"*1\r\n$abc\r\n"),
        ("empty", b"*1\r\n$\r\n"),
        ("leading zero", b"*1\r\n$04\r\nPING\r\n"),
        ("over proto-max-bulk-len", b"*1\r\n$536870913\r\n"),
        ("i64 overflow", b"*1\r\n$99999999999999999999\r\n"),
    ];
    for (name, input) in cases {
        same_proto_error(&p, name, input, "invalid bulk length");
    }
    // Exactly proto-max-bulk-len is accepted: the server waits for the payload.
    same(&p, "exactly proto-max-bulk-len", b"*1\r\n$536870912\r\n");
}

#[test]
fn expected_dollar() {
    let p = pair();
    let cases: &[(&str, &[u8], &str)] = &[
        ("x", b"*1\r\nx3\r\nfoo\r\n", "expected '$', got 'x'"),
        (
            "star",
            b"*2\r\n$3\r\nGET\r\n*1\r\n",
            "expected '$', got '*'",
        ),
        ("colon", b"*1\r\n:1\r\n", "expected '$', got ':'"),
        ("bare cr", b"*1\r*1\r\n", "expected '$', got '1'"),
    ];
    for (name, input, err) in cases {
        same_proto_error(&p, name, input, err);
    }
}

#[test]
fn too_big_requests() {
    let p = pair();
    // Exactly one byte over 64 KiB, so the server has read everything when it closes (no RST
    // that could swallow the reply).
    let mut inline = vec![b'a'; 64 * 1024 + 1];
    same_proto_error(&p, "inline", &inline, "too big inline request");
    inline.truncate(64 * 1024);
    same(&p, "inline at the limit waits", &inline);

    let mut count = b"*".to_vec();
    count.extend(std::iter::repeat_n(b'1', 64 * 1024));
    same_proto_error(&p, "mbulk count", &count, "too big mbulk count string");

    let mut bulk = b"*1\r\n$".to_vec();
    bulk.extend(std::iter::repeat_n(b'1', 64 * 1024));
    same_proto_error(&p, "bulk count", &bulk, "too big bulk count string");

    // A long inline line that does end in a newline is just a (very long) unknown command.
    let mut long = vec![b'x'; 40 * 1024];
    long.extend_from_slice(b" arg\r\n");
    same(&p, "long inline line", &long);
}

#[test]
fn bulk_framing_quirks() {
    let p = pair();
    // Redis skips the two bytes after a payload without checking them.
    same(
        &p,
        "no crlf after payload",
        b"*1\r\n$4\r\nPINGxx*2\r\n$4\r\nECHO\r\n$1\r\nzAB",
    );
    same(&p, "empty command name", b"*1\r\n$0\r\n\r\n");
    same(&p, "empty bulk arg", b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
    same(&p, "garbage after command", b"*1\r\n$4\r\nPING\r\ngarbage");
    same(
        &p,
        "valid then error",
        b"*1\r\n$4\r\nPING\r\n*abc\r\n*1\r\n$4\r\nPING\r\n",
    );
    same(
        &p,
        "unknown command args preview",
        &encode(&[b"NOPE", b"a", b"b\r\nc", b"", b"d"]),
    );
}

/// A request split into chunks written separately must give the same replies as one write.
#[test]
fn pipeline_split_at_every_byte() {
    let p = pair();
    let mut pipeline = Vec::new();
    for cmd in [
        &[&b"MSET"[..], b"pk", b"x", b"pc", b"0"][..],
        &[b"DEL", b"pk", b"pc"],
        &[b"SET", b"pk", b"v\r\n\x00al"],
        &[b"GET", b"pk"],
        &[b"INCR", b"pc"],
        &[b"INCRBY", b"pc", b"41"],
        &[b"ECHO", b""],
        &[b"PING"],
        &[b"GET", b"missing"],
        &[b"APPEND", b"pk", b"!"],
    ] {
        pipeline.extend(encode(cmd));
    }
    pipeline.extend_from_slice(b"PING \"in line\"\r\nSTRLEN pk\r\n");
    let n_replies = 12;

    let whole = same(&p, "whole pipeline", &pipeline);
    assert!(
        whole.starts_with(b"+OK\r\n:2\r\n"),
        "pipeline reply {:?}",
        show(&whole)
    );

    // One byte per write, on both servers.
    let bytes: Vec<Vec<u8>> = pipeline.iter().map(|&b| vec![b]).collect();
    let one = same_chunks(&p, "one byte per write", &bytes, Duration::from_micros(200));
    assert_eq!(show(&one), show(&whole));

    // Every two-way split, on ferrodis; each must produce exactly redis's bytes.
    for cut in 1..pipeline.len() {
        let mut c = Raw::connect(p.ferrodis.port);
        c.write(&pipeline[..cut]);
        thread::sleep(Duration::from_micros(300));
        c.write(&pipeline[cut..]);
        let got = c.read_replies(n_replies);
        assert_eq!(show(&got), show(&whole), "split at byte {cut}");
    }

    // Random chunkings (deterministic seed).
    let mut seed: u64 = 0x5eed_1234_abcd_ef01;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for round in 0..40 {
        let mut chunks = Vec::new();
        let mut at = 0;
        while at < pipeline.len() {
            let len = 1 + (next() % 24) as usize;
            let end = (at + len).min(pipeline.len());
            chunks.push(pipeline[at..end].to_vec());
            at = end;
        }
        let mut c = Raw::connect(p.ferrodis.port);
        for chunk in &chunks {
            c.write(chunk);
            if next() % 3 == 0 {
                thread::sleep(Duration::from_micros(100));
            }
        }
        let got = c.read_replies(n_replies);
        assert_eq!(show(&got), show(&whole), "random chunking round {round}");
    }
}

#[test]
fn five_megabyte_value() {
    let p = pair();
    let value: Vec<u8> = (0..5 * 1024 * 1024u32)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    for s in [&p.ferrodis, &p.redis] {
        let mut c = s.raw();
        assert_eq!(c.send(&[b"SET", b"big", &value]), b"+OK\r\n");
        let reply = c.send(&[b"GET", b"big"]);
        let header = format!("${}\r\n", value.len());
        assert!(reply.starts_with(header.as_bytes()), "{:?}", s.kind);
        assert_eq!(&reply[header.len()..reply.len() - 2], &value[..]);
        assert_eq!(c.cmd(&["STRLEN", "big"]), b":5242880\r\n");
        // The same value, written one 4 KiB chunk at a time.
        let req = encode(&[b"SET", b"big2", &value]);
        for chunk in req.chunks(4096) {
            c.write(chunk);
        }
        assert_eq!(c.read_reply(), b"+OK\r\n");
        assert_eq!(c.send(&[b"GET", b"big2"]), reply);
    }
}

#[test]
fn binary_safe_keys_and_values() {
    let p = pair();
    let keys: &[&[u8]] = &[
        b"\x00",
        b"a\x00b",
        b"\r\n",
        b"k\r\nv",
        b"\xff\xfe",
        b"",
        b" ",
    ];
    let vals: &[&[u8]] = &[
        b"\x00\x00",
        b"\r\n\r\n",
        b"",
        b"$3\r\nfoo",
        b"*1\r\n",
        b"\xc3\x28",
    ];
    let mut script = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        let v = vals[i % vals.len()];
        script.push(vec![b"SET".to_vec(), k.to_vec(), v.to_vec()]);
        script.push(vec![b"GET".to_vec(), k.to_vec()]);
        script.push(vec![b"STRLEN".to_vec(), k.to_vec()]);
        script.push(vec![b"APPEND".to_vec(), k.to_vec(), b"\x00\r\n".to_vec()]);
        script.push(vec![b"GET".to_vec(), k.to_vec()]);
        script.push(vec![b"EXISTS".to_vec(), k.to_vec()]);
    }
    script.push(vec![b"ECHO".to_vec(), b"\x00\r\n\x00".to_vec()]);
    script.push(vec![
        b"MGET".to_vec(),
        b"\x00".to_vec(),
        b"".to_vec(),
        b"no".to_vec(),
    ]);
    let mut f = p.ferrodis.raw();
    let mut r = p.redis.raw();
    for cmd in &script {
        let args: Vec<&[u8]> = cmd.iter().map(|a| a.as_slice()).collect();
        let fr = f.send(&args);
        let rr = r.send(&args);
        assert_eq!(show(&fr), show(&rr), "command {:?}", show(&encode(&args)));
    }
}

#[test]
fn many_clients_at_once() {
    let server = Server::ferrodis(&[]);
    let port = server.port;
    let threads: Vec<_> = (0..50)
        .map(|t| {
            thread::spawn(move || {
                let mut c = Raw::connect(port);
                let key = format!("client:{t}");
                let counter = format!("counter:{t}");
                for i in 0..200 {
                    let value = format!("value-{t}-{i}");
                    match i % 4 {
                        0 => assert_eq!(c.cmd(&["SET", &key, &value]), b"+OK\r\n"),
                        1 => {
                            let want = format!("+OK\r\n${}\r\n{}\r\n", value.len(), value);
                            c.write(&encode(&[b"SET", key.as_bytes(), value.as_bytes()]));
                            c.write(&encode(&[b"GET", key.as_bytes()]));
                            assert_eq!(show(&c.read_replies(2)), show(want.as_bytes()));
                        }
                        2 => {
                            let n = i / 4 + 1;
                            assert_eq!(c.cmd(&["INCR", &counter]), format!(":{n}\r\n").as_bytes());
                        }
                        _ => assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n"),
                    }
                }
                assert_eq!(c.cmd(&["GET", &counter]), b"$2\r\n50\r\n");
            })
        })
        .collect();
    for t in threads {
        t.join().expect("client thread panicked");
    }
    let mut c = server.raw();
    assert_eq!(c.cmd(&["DBSIZE"]), b":100\r\n");
}

/// 100k PINGs written without reading anything; then every reply must arrive, in order.
#[test]
fn huge_pipeline_without_reading() {
    let server = Server::ferrodis(&[]);
    let n = 100_000;
    let mut c = server.raw();
    let mut req = Vec::with_capacity(n * 14);
    for _ in 0..n {
        req.extend_from_slice(b"*1\r\n$4\r\nPING\r\n");
    }
    let mut writer = c.stream.try_clone().expect("clone");
    let started = Instant::now();
    let w = thread::spawn(move || {
        writer.write_all(&req).expect("write pipeline");
    });
    w.join().expect("writer");
    for i in 0..n {
        assert_eq!(c.read_reply(), b"+PONG\r\n", "reply {i}");
    }
    assert_eq!(c.cmd(&["ECHO", "done"]), b"$4\r\ndone\r\n");
    assert!(started.elapsed() < Duration::from_secs(60));
}

/// Large replies (well past the output pause threshold) read slowly: nothing is lost.
#[test]
fn large_replies_slow_reader() {
    let server = Server::ferrodis(&[]);
    let mut c = server.raw();
    let value = vec![b'v'; 16 * 1024];
    assert_eq!(c.send(&[b"SET", b"k", &value]), b"+OK\r\n");
    let n = 1500; // 24 MB of replies
    let mut writer = c.stream.try_clone().expect("clone");
    let w = thread::spawn(move || {
        let one = encode(&[b"GET", b"k"]);
        let mut req = Vec::new();
        for _ in 0..n {
            req.extend_from_slice(&one);
        }
        writer.write_all(&req).expect("write pipeline");
    });
    let want_len = 16 * 1024 + 2 + "$16384\r\n".len();
    for i in 0..n {
        if i % 100 == 0 {
            thread::sleep(Duration::from_millis(20));
        }
        let r = c.read_reply();
        assert_eq!(r.len(), want_len, "reply {i}");
    }
    w.join().expect("writer");
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
}

/// A client that leaves half a command hanging must not block anyone else.
#[test]
fn partial_command_does_not_block_others() {
    let server = Server::ferrodis(&[]);
    let mut slow = server.raw();
    slow.write(b"*3\r\n$3\r\nSET\r\n$4\r\nslow\r\n$10\r\nabc");
    let mut slow_inline = server.raw();
    slow_inline.write(b"ECHO \"half");
    let start = Instant::now();
    for i in 0..20 {
        let mut other = server.raw();
        assert_eq!(other.cmd(&["PING"]), b"+PONG\r\n");
        assert_eq!(
            other.cmd(&["SET", &format!("o{i}"), "x"]),
            b"+OK\r\n",
            "other client {i}"
        );
    }
    assert!(start.elapsed() < Duration::from_secs(5));
    // The hanging client finishes its command later and gets its reply.
    slow.write(b"defghij\r\n");
    assert_eq!(slow.read_reply(), b"+OK\r\n");
    assert_eq!(slow.cmd(&["GET", "slow"]), b"$10\r\nabcdefghij\r\n");
    slow_inline.write(b" line\"\r\n");
    assert_eq!(slow_inline.read_reply(), b"$9\r\nhalf line\r\n");
}

/// A client that disconnects mid-command or mid-pipeline must not disturb the server.
#[test]
fn abrupt_disconnects() {
    let server = Server::ferrodis(&[]);
    for i in 0..20 {
        let mut c = server.raw();
        c.write(b"*2\r\n$4\r\nECHO\r\n$100\r\nabc");
        if i % 2 == 0 {
            let _ = c.stream.shutdown(Shutdown::Both);
        }
        drop(c);
        let mut p = server.raw();
        let mut req = Vec::new();
        for _ in 0..1000 {
            req.extend(encode(&[b"PING"]));
        }
        p.write(&req);
        drop(p); // replies never read
    }
    let mut c = server.raw();
    assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
}

/// Redis finds the end of an inline line with `strchr`, so a NUL byte in an inline request
/// hides the newline and Redis waits for more input. Recorded here; not required of ferrodis.
#[test]
#[ignore = "Redis quirk: NUL in an inline request hides the newline"]
fn inline_with_nul_byte() {
    let p = pair();
    same(&p, "nul in inline", b"ECHO a\x00b\r\nPING\r\n");
}
