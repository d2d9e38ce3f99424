//! String commands against the real binary, byte for byte over raw RESP.
//!
//! Every expected reply below was taken from Redis 7.0.15 (`redis-server` on a private port)
//! for the same command sequence. Each test starts its own `ferrodis --port 0`, learns the port
//! from the `Ready to accept connections tcp 127.0.0.1:<port>` log line and kills the process
//! when done.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const WRONGTYPE: &str = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
const NOT_INT: &str = "-ERR value is not an integer or out of range\r\n";
const SYNTAX: &str = "-ERR syntax error\r\n";
const NULL: &str = "$-1\r\n";
const OK: &str = "+OK\r\n";
const EMPTY: &str = "$0\r\n\r\n";

/// A running ferrodis, killed on drop.
///
/// With `STRINGS_TEST_PORT=<port>` set, the tests run against a server already listening there
/// instead (e.g. a real `redis-server`, to re-check the expectations; use
/// `--test-threads=1`, each test flushes it first).
struct Server {
    child: Option<Child>,
    port: u16,
}

impl Server {
    fn start() -> Server {
        if let Some(port) = std::env::var("STRINGS_TEST_PORT")
            .ok()
            .and_then(|p| p.parse().ok())
        {
            let srv = Server { child: None, port };
            let mut c = srv.connect();
            c.cmd("flushall");
            c.cmd("config resetstat");
            return srv;
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_ferrodis"))
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start ferrodis");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let marker = "Ready to accept connections tcp ";
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find(marker) {
                    let port = line[at + marker.len()..]
                        .trim()
                        .rsplit(':')
                        .next()
                        .and_then(|p| p.parse::<u16>().ok());
                    if let (Some(port), Some(tx)) = (port, tx.take()) {
                        let _ = tx.send(port);
                    }
                }
            }
        });
        let port = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(port) => port,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("ferrodis did not report its port");
            }
        };
        Server {
            child: Some(child),
            port,
        }
    }

    fn connect(&self) -> Conn {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            reader: BufReader::new(stream.try_clone().unwrap()),
            stream,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One client connection speaking raw RESP.
struct Conn {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Conn {
    /// Sends one command (as a RESP array of bulk strings) and returns the raw bytes of its
    /// complete reply.
    fn raw(&mut self, args: &[&[u8]]) -> Vec<u8> {
        let mut req = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            req.extend_from_slice(a);
            req.extend_from_slice(b"\r\n");
        }
        self.stream.write_all(&req).expect("send");
        let mut out = Vec::new();
        self.read_reply(&mut out);
        out
    }

    fn read_line(&mut self, out: &mut Vec<u8>) -> Vec<u8> {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line).expect("read");
        assert!(
            line.ends_with(b"\r\n"),
            "truncated reply: {:?}",
            show(&line)
        );
        out.extend_from_slice(&line);
        line.truncate(line.len() - 2);
        line
    }

    fn read_reply(&mut self, out: &mut Vec<u8>) {
        let line = self.read_line(out);
        let n = || -> i64 { std::str::from_utf8(&line[1..]).unwrap().parse().unwrap() };
        match line[0] {
            b'+' | b'-' | b':' => {}
            b'$' => {
                let len = n();
                if len >= 0 {
                    let mut body = vec![0; len as usize + 2];
                    self.reader.read_exact(&mut body).expect("read bulk");
                    out.extend_from_slice(&body);
                }
            }
            b'*' => {
                for _ in 0..n().max(0) {
                    self.read_reply(out);
                }
            }
            other => panic!("unexpected reply type {:?}", other as char),
        }
    }

    /// Runs a whitespace-separated command and returns its reply as text.
    fn cmd(&mut self, line: &str) -> String {
        let args: Vec<&[u8]> = line.split_whitespace().map(str::as_bytes).collect();
        show(&self.raw(&args))
    }

    /// Asserts the exact reply bytes of a whitespace-separated command.
    #[track_caller]
    fn check(&mut self, line: &str, expected: &str) {
        assert_eq!(self.cmd(line), expected, "reply to `{line}`");
    }

    /// Asserts the exact reply bytes of a command given as separate (binary) arguments.
    #[track_caller]
    fn check_args(&mut self, args: &[&[u8]], expected: &str) {
        assert_eq!(show(&self.raw(args)), expected, "reply to {args:?}");
    }

    /// Sends every `(command, expected reply)` in one write, then asserts the replies in order.
    /// Commands that arrive together run in one batch, which reads the clock once: a TTL set by
    /// one is then read back by the next without a millisecond passing in between.
    #[track_caller]
    fn check_pipelined(&mut self, steps: &[(&str, &str)]) {
        let mut req = Vec::new();
        for (line, _) in steps {
            let args: Vec<&str> = line.split_whitespace().collect();
            req.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
            for a in args {
                req.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
            }
        }
        self.stream.write_all(&req).expect("send");
        for (line, expected) in steps {
            let mut out = Vec::new();
            self.read_reply(&mut out);
            assert_eq!(show(&out), *expected, "reply to `{line}`");
        }
    }

    /// Whether the server knows `name` (other families may not be merged yet).
    fn supports(&mut self, line: &str) -> bool {
        !self.cmd(line).starts_with("-ERR unknown command")
    }
}

/// Reply bytes as text (lossy; these tests only compare ASCII and NUL bytes).
fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn bulk(s: &str) -> String {
    format!("${}\r\n{}\r\n", s.len(), s)
}

fn int(n: i64) -> String {
    format!(":{n}\r\n")
}

#[test]
fn set_options_and_errors() {
    let srv = Server::start();
    let mut c = srv.connect();
    // NX + GET is allowed in 7.0: the old value (or nil) is the reply either way.
    c.check("set k v nx get", NULL);
    c.check("get k", &bulk("v"));
    c.check("set k v2 nx get", &bulk("v"));
    c.check("get k", &bulk("v"));
    c.check("set k v3 xx get", &bulk("v"));
    c.check("set nokey v xx get", NULL);
    c.check("get nokey", NULL);
    c.check("set nokey v xx", NULL);
    c.check("set k v4 nx", NULL);
    c.check("set k v GET NX", &bulk("v3"));
    c.check("set k v5 xx", OK);
    c.check("setnx k v", ":0\r\n");
    c.check("setnx newk v", ":1\r\n");

    for bad in [
        "set k v nx xx",
        "set k v xx nx",
        "set k v ex 10 px 10",
        "set k v ex 10 keepttl",
        "set k v keepttl ex 10",
        "set k v px 10 exat 10",
        "set k v exat 10 pxat 10",
        "set k v ex",
        "set k v foo",
        "set k v persist",
    ] {
        c.check(bad, SYNTAX);
    }
    // Repeating the same expiry option is accepted.
    c.check("set k v ex 10 ex 10", OK);

    let invalid = "-ERR invalid expire time in 'set' command\r\n";
    c.check("set k v ex 0", invalid);
    c.check("set k v ex -1", invalid);
    c.check("set k v px 9223372036854775807", invalid);
    c.check("set k v ex 9223372036854775807", invalid);
    c.check("set k v ex 9223372036854775", invalid);
    c.check("set k v ex 9223372036854774", invalid);
    c.check("set k v ex abc", NOT_INT);
    c.check("set k v get ex abc", NOT_INT);
    // Absolute deadlines far in the future are fine (no overflow).
    c.check("set k v exat 9223372036854775", OK);
    c.check("set k v pxat 9223372036854775807", OK);
    // A deadline in the past: the key is gone.
    c.check("set k v exat 1", OK);
    c.check("get k", NULL);
    c.check("set k v pxat 1 get", NULL);
    c.check("get k", NULL);

    c.check(
        "setex k 0 v",
        "-ERR invalid expire time in 'setex' command\r\n",
    );
    c.check(
        "setex k 9223372036854775807 v",
        "-ERR invalid expire time in 'setex' command\r\n",
    );
    c.check("setex k abc v", NOT_INT);
    c.check(
        "psetex k 0 v",
        "-ERR invalid expire time in 'psetex' command\r\n",
    );
    c.check(
        "psetex k 9223372036854775807 v",
        "-ERR invalid expire time in 'psetex' command\r\n",
    );
    c.check("setex k 100 v", OK);
    c.check("psetex k 100000 v2", OK);
    c.check("get k", &bulk("v2"));

    c.check(
        "set",
        "-ERR wrong number of arguments for 'set' command\r\n",
    );
    c.check(
        "set k",
        "-ERR wrong number of arguments for 'set' command\r\n",
    );

    // Option names are compared as C strings: anything after a NUL byte is ignored.
    c.check_args(&[b"set", b"k", b"v", b"ex\0junk", b"10"], OK);
    c.check_args(&[b"set", b"k", b"v", b"Nx\0zz"], NULL);
}

#[test]
fn ttl_handling() {
    let srv = Server::start();
    let mut c = srv.connect();
    let expired = |c: &mut Conn, key: &str| {
        std::thread::sleep(Duration::from_millis(250));
        c.cmd(&format!("get {key}")) == NULL
    };

    // SET without KEEPTTL drops the TTL; with KEEPTTL it stays.
    c.check("set a 1 px 150", OK);
    c.check("set a 2", OK);
    assert!(!expired(&mut c, "a"));
    c.check("set a 1 px 150", OK);
    c.check("set a 2 keepttl get", &bulk("1"));
    assert!(expired(&mut c, "a"));

    // INCR, APPEND, SETRANGE, INCRBYFLOAT keep it; GETSET and MSET drop it.
    for op in ["incr a", "append a 1", "setrange a 0 2", "incrbyfloat a 1"] {
        c.check("set a 1 px 150", OK);
        c.cmd(op);
        assert!(expired(&mut c, "a"), "{op} should keep the TTL");
    }
    for op in ["getset a 5", "mset a 5"] {
        c.check("set a 1 px 150", OK);
        c.cmd(op);
        assert!(!expired(&mut c, "a"), "{op} should drop the TTL");
    }

    // GETEX sets, replaces and removes the TTL.
    c.check("set g v", OK);
    c.check("getex g px 150", &bulk("v"));
    assert!(expired(&mut c, "g"));
    c.check("set g v px 150", OK);
    c.check("getex g persist", &bulk("v"));
    assert!(!expired(&mut c, "g"));
    c.check("getex g", &bulk("v"));
    // A past absolute deadline deletes the key after replying with its value.
    c.check("getex g pxat 1", &bulk("v"));
    c.check("get g", NULL);
    c.check("set g v", OK);
    c.check("getex g exat 1", &bulk("v"));
    c.check("get g", NULL);
    c.check("set g v", OK);
    c.check("getex g exat 99999999999", &bulk("v"));
    c.check("get g", &bulk("v"));

    if c.supports("pttl g") {
        c.check_pipelined(&[
            ("set t 1 px 100000", OK),
            ("incr t", ":2\r\n"),
            ("pttl t", ":100000\r\n"),
        ]);
        c.check("getex t persist", &bulk("2"));
        c.check("pttl t", ":-1\r\n");
        c.check_pipelined(&[("set t v ex 10 get", &bulk("2")), ("pttl t", ":10000\r\n")]);
    }
}

#[test]
fn getex_getdel_getset_errors() {
    let srv = Server::start();
    let mut c = srv.connect();
    c.check("set k v", OK);
    for bad in [
        "getex k persist ex 10",
        "getex k ex 10 persist",
        "getex k ex 10 px 10",
        "getex k keepttl",
        "getex k nx",
        "getex k get",
        "getex k foo",
        "getex k ex",
    ] {
        c.check(bad, SYNTAX);
    }
    // Expiry values are validated only once the key is found.
    c.check("getex missing ex 0", NULL);
    c.check("getex missing ex abc", NULL);
    c.check(
        "getex k ex 0",
        "-ERR invalid expire time in 'getex' command\r\n",
    );
    c.check("getex k ex abc", NOT_INT);
    c.check(
        "getex k ex 9223372036854775807",
        "-ERR invalid expire time in 'getex' command\r\n",
    );
    c.check(
        "getex",
        "-ERR wrong number of arguments for 'getex' command\r\n",
    );

    c.check("getdel k", &bulk("v"));
    c.check("getdel k", NULL);
    c.check("get k", NULL);
    c.check("getset k 10", NULL);
    c.check("getset k 11", &bulk("10"));
    c.check("get k", &bulk("11"));
}

#[test]
fn mset_mget_append_strlen() {
    let srv = Server::start();
    let mut c = srv.connect();
    c.check(
        "mset a 1 b",
        "-ERR wrong number of arguments for 'mset' command\r\n",
    );
    c.check(
        "msetnx a 1 b",
        "-ERR wrong number of arguments for 'msetnx' command\r\n",
    );
    c.check("mset a 1 b 2", OK);
    c.check("msetnx a 1 c 2", ":0\r\n");
    c.check("get c", NULL);
    c.check("msetnx c 3 d 4", ":1\r\n");
    c.check(
        "mget a b c d nokey",
        "*5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n4\r\n$-1\r\n",
    );
    c.check("mset a x a y", OK);
    c.check("get a", &bulk("y"));

    c.check("append n 123", ":3\r\n");
    c.check("append n 45", ":5\r\n");
    c.check("get n", &bulk("12345"));
    c.check("strlen n", ":5\r\n");
    c.check("strlen nokey", ":0\r\n");
    c.check("set i -12", OK);
    c.check("strlen i", ":3\r\n");
    c.check_args(&[b"append", b"bin", b"a\0b"], ":3\r\n");
    c.check_args(&[b"get", b"bin"], "$3\r\na\0b\r\n");
}

#[test]
fn counters() {
    let srv = Server::start();
    let mut c = srv.connect();
    c.check("incr c", ":1\r\n");
    c.check("incrby c 9223372036854775806", &int(i64::MAX));
    c.check("incr c", "-ERR increment or decrement would overflow\r\n");
    c.check(
        "decrby c -9223372036854775808",
        "-ERR decrement would overflow\r\n",
    );
    c.check("decrby c 9223372036854775807", ":0\r\n");
    c.check("decrby c 9223372036854775807", &int(-i64::MAX));
    c.check(
        "decrby c 10",
        "-ERR increment or decrement would overflow\r\n",
    );
    c.check("decr c", &int(i64::MIN));
    c.check("decr c", "-ERR increment or decrement would overflow\r\n");
    c.check("get c", &bulk("-9223372036854775808"));
    c.check("incrby c abc", NOT_INT);
    c.check("incrby c 9223372036854775808", NOT_INT);
    c.check("decrby c 1.5", NOT_INT);
    c.check("decrby fresh -5", ":5\r\n");
    for v in ["1.5", "12345678901234567890", "+1", "01", "abc"] {
        c.check(&format!("set f {v}"), OK);
        c.check("incr f", NOT_INT);
    }
    c.check_args(&[b"set", b"f", b" 1"], OK);
    c.check("incr f", NOT_INT);
    c.check("set f 007", OK);
    c.check("decr f", NOT_INT);

    c.check("incrbyfloat fl 1", &bulk("1"));
    c.check("incrbyfloat fl 0.1", &bulk("1.1"));
    c.check("incrbyfloat fl -1.1", &bulk("0"));
    c.check(
        "incrbyfloat fl inf",
        "-ERR increment would produce NaN or Infinity\r\n",
    );
    c.check("incrbyfloat fl nan", "-ERR value is not a valid float\r\n");
    c.check("incrbyfloat fl abc", "-ERR value is not a valid float\r\n");
    c.check_args(
        &[b"incrbyfloat", b"fl", b" 1"],
        "-ERR value is not a valid float\r\n",
    );
    c.check("set f2 5.0e3", OK);
    c.check("incrbyfloat f2 0", &bulk("5000"));
    c.check("set f3 abc", OK);
    c.check("incrbyfloat f3 1", "-ERR value is not a valid float\r\n");
    c.check(
        "incrbyfloat f4 1.23456789012345678901234567890",
        &bulk("1.23456789012345679"),
    );
    c.check("set f5 1", OK);
    c.check(
        "incrbyfloat f5 10000000000000000000000000000000000000000000000000",
        &bulk("9999999999999999999851322771794600628481167458304"),
    );
    c.check("incrbyfloat f6 3.0e3", &bulk("3000"));
    c.check("incr f6", ":3001\r\n");
}

#[test]
fn ranges() {
    let srv = Server::start();
    let mut c = srv.connect();
    c.check("getrange missing 0 -1", EMPTY);
    c.check("substr missing 0 -1", EMPTY);
    c.check("set s hello", OK);
    c.check("getrange s 0 -1", &bulk("hello"));
    c.check("getrange s -100 -200", EMPTY);
    c.check("getrange s -1 -5", EMPTY);
    c.check("getrange s -200 -100", &bulk("h"));
    c.check(
        "getrange s -9223372036854775808 9223372036854775807",
        &bulk("hello"),
    );
    c.check("getrange s 9223372036854775807 -9223372036854775808", EMPTY);
    c.check("getrange s 2 1", EMPTY);
    c.check("getrange s 5 10", EMPTY);
    c.check("getrange s 4 10", &bulk("o"));
    c.check("substr s -3 -1", &bulk("llo"));
    c.check("getrange s a 1", NOT_INT);
    c.check("getrange s 0 9223372036854775808", NOT_INT);
    c.check_args(&[b"set", b"e", b""], OK);
    c.check("getrange e 0 -1", EMPTY);
    c.check("getrange e -1 -1", EMPTY);
    c.check("set n 12345", OK);
    c.check("getrange n 1 2", &bulk("23"));

    c.check_args(&[b"setrange", b"sr", b"0", b""], ":0\r\n");
    c.check("get sr", NULL);
    c.check("setrange sr 3 ab", ":5\r\n");
    c.check("get sr", "$5\r\n\0\0\0ab\r\n");
    c.check("setrange sr 1 X", ":5\r\n");
    c.check("get sr", "$5\r\n\0X\0ab\r\n");
    c.check("set n2 99", OK);
    c.check_args(&[b"setrange", b"n2", b"0", b""], ":2\r\n");
    c.check("setrange n2 0 1", ":2\r\n");
    c.check("get n2", &bulk("19"));
    c.check("setrange n2 -1 v", "-ERR offset is out of range\r\n");
    c.check("setrange n2 abc v", NOT_INT);
    let too_big = "-ERR string exceeds maximum allowed size (proto-max-bulk-len)\r\n";
    c.check("setrange big 536870912 a", too_big);
    c.check("setrange big 9223372036854775807 a", too_big);
    c.check("setrange s 9223372036854775807 a", too_big);
    c.check("setrange s 536870912 a", too_big);
    // Setting nothing never grows the string, whatever the offset.
    c.check_args(&[b"setrange", b"s", b"536870911", b""], ":5\r\n");
    c.check_args(&[b"setrange", b"s", b"9223372036854775807", b""], ":5\r\n");
    c.check("get big", NULL);
    c.check("get s", &bulk("hello"));
}

#[test]
fn lcs() {
    let srv = Server::start();
    let mut c = srv.connect();
    c.check("mset a ohmytext b mynewtext", OK);
    c.check("lcs a b", &bulk("mytext"));
    c.check("lcs a b len", ":6\r\n");
    c.check(
        "lcs a b idx",
        "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n\
         *2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n",
    );
    c.check(
        "lcs a b idx minmatchlen 4",
        "*4\r\n$7\r\nmatches\r\n*1\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n$3\r\nlen\r\n:6\r\n",
    );
    c.check(
        "lcs a b idx withmatchlen",
        "*4\r\n$7\r\nmatches\r\n*2\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n\
         *3\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n:2\r\n$3\r\nlen\r\n:6\r\n",
    );
    c.check(
        "lcs a b IDX WITHMATCHLEN MINMATCHLEN 3",
        "*4\r\n$7\r\nmatches\r\n*1\r\n*3\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n:4\r\n$3\r\nlen\r\n:6\r\n",
    );
    c.check(
        "lcs a b idx withmatchlen minmatchlen 9223372036854775807",
        "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:6\r\n",
    );
    c.check(
        "lcs a b minmatchlen -5 idx",
        "*4\r\n$7\r\nmatches\r\n*2\r\n*2\r\n*2\r\n:4\r\n:7\r\n*2\r\n:5\r\n:8\r\n\
         *2\r\n*2\r\n:2\r\n:3\r\n*2\r\n:0\r\n:1\r\n$3\r\nlen\r\n:6\r\n",
    );
    let both = "-ERR If you want both the length and indexes, please just use IDX.\r\n";
    c.check("lcs a b len idx", both);
    c.check("lcs a b idx len", both);
    c.check("lcs a b minmatchlen", SYNTAX);
    c.check("lcs a b foo", SYNTAX);
    c.check("lcs a b minmatchlen abc", NOT_INT);
    c.check("lcs a b minmatchlen 9223372036854775808", NOT_INT);
    c.check("lcs a b withmatchlen", &bulk("mytext"));
    c.check("lcs a b len withmatchlen", ":6\r\n");
    c.check("lcs x y", EMPTY);
    c.check("lcs x y len", ":0\r\n");
    c.check(
        "lcs x y idx",
        "*4\r\n$7\r\nmatches\r\n*0\r\n$3\r\nlen\r\n:0\r\n",
    );
    c.check("set n1 12345", OK);
    c.check("set n2 2345", OK);
    c.check("lcs n1 n2", &bulk("2345"));
    c.check(
        "lcs",
        "-ERR wrong number of arguments for 'lcs' command\r\n",
    );
}

#[test]
fn wrong_type_replies() {
    let srv = Server::start();
    let mut c = srv.connect();
    // Needs a non-string value; skip until a collection family is in.
    if !c.supports("rpush lst a") {
        return;
    }
    for line in [
        "get lst",
        "set lst v get",
        "set lst v nx get",
        "set lst v xx get",
        "getex lst ex 0",
        "getex lst persist",
        "getdel lst",
        "getset lst v",
        "append lst v",
        "strlen lst",
        "incr lst",
        "incrbyfloat lst abc",
        "setrange lst 0 v",
        "getrange lst 0 1",
    ] {
        c.check(line, WRONGTYPE);
    }
    // Option and argument errors come first where Redis checks them first.
    c.check(
        "set lst v get ex 0",
        "-ERR invalid expire time in 'set' command\r\n",
    );
    c.check("incrby lst abc", NOT_INT);
    c.check(
        "decrby lst -9223372036854775808",
        "-ERR decrement would overflow\r\n",
    );
    c.check("setrange lst -1 v", "-ERR offset is out of range\r\n");
    c.check("getrange lst a 1", NOT_INT);
    c.check("mget lst nokey", "*2\r\n$-1\r\n$-1\r\n");
    let lcs_err = "-ERR The specified keys must contain string values\r\n";
    c.check("lcs lst k", lcs_err);
    c.check("lcs k lst foo", lcs_err);
    // SET without GET overwrites any type.
    c.check("set lst v", OK);
    c.check("get lst", &bulk("v"));
}

#[test]
fn encodings() {
    let srv = Server::start();
    let mut c = srv.connect();
    if !c.supports("object encoding nokey") {
        return;
    }
    let enc = |c: &mut Conn, key: &str, expected: &str| {
        c.check(&format!("object encoding {key}"), &bulk(expected));
    };
    c.check("set n 12345", OK);
    enc(&mut c, "n", "int");
    c.check("append n 6", ":6\r\n");
    enc(&mut c, "n", "raw");
    c.check("append newk 123", ":3\r\n");
    enc(&mut c, "newk", "int");
    c.check("append newk2 abc", ":3\r\n");
    enc(&mut c, "newk2", "embstr");
    c.check("setrange sr 3 ab", ":5\r\n");
    enc(&mut c, "sr", "raw");
    c.check("set n2 99", OK);
    c.check_args(&[b"setrange", b"n2", b"0", b""], ":2\r\n");
    enc(&mut c, "n2", "int");
    c.check("setrange n2 0 1", ":2\r\n");
    enc(&mut c, "n2", "raw");
    c.check("incr n2", ":20\r\n");
    enc(&mut c, "n2", "int");
    c.check("incrbyfloat fl 1", &bulk("1"));
    enc(&mut c, "fl", "embstr");
    c.check("set f5 1", OK);
    c.check(
        "incrbyfloat f5 10000000000000000000000000000000000000000000000000",
        &bulk("9999999999999999999851322771794600628481167458304"),
    );
    enc(&mut c, "f5", "raw");
    c.check("set s 007", OK);
    enc(&mut c, "s", "embstr");
    c.check(&format!("set long {}", "x".repeat(45)), OK);
    enc(&mut c, "long", "raw");
    c.check("getset g 5", NULL);
    enc(&mut c, "g", "int");
    c.check("mset m1 5 m2 five", OK);
    enc(&mut c, "m1", "int");
    enc(&mut c, "m2", "embstr");
}

#[test]
fn keyspace_hits_and_misses() {
    let srv = Server::start();
    let mut c = srv.connect();
    for line in [
        "set a 1",
        "get a",
        "get nokey",
        "mget a nokey a",
        "set a 2 get",
        "set b 2 get",
        "getex a",
        "getex nokey",
        "getdel b",
        "getdel b",
        "strlen a",
        "strlen nokey",
        "getrange a 0 1",
        "getrange nokey 0 1",
        "lcs a nokey",
        "incr a",
        "append a x",
        "setrange a 0 y",
        "incrbyfloat q 1",
        "setnx a 1",
        "msetnx x 1 a 2",
        "getset a 5",
    ] {
        c.cmd(line);
    }
    let info = c.cmd("info stats");
    assert!(info.contains("keyspace_hits:10\r\n"), "{info}");
    assert!(info.contains("keyspace_misses:8\r\n"), "{info}");
}
