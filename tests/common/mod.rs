//! Shared test harness: start ferrodis or a real `redis-server` on an ephemeral port, talk raw
//! RESP to it byte for byte, or drive it through the `redis` crate and `redis-cli`.
//!
//! Every `Server` kills its child process when dropped, also while a test is panicking; in
//! that case the captured server output is printed to help the post-mortem.

#![allow(dead_code)]

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a server may take to say it is ready.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// Default read timeout of raw clients: a reply that takes longer is a hang.
const READ_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ferrodis,
    Redis,
}

/// A running server process, killed on drop.
pub struct Server {
    pub kind: Kind,
    pub port: u16,
    child: Child,
    log: Arc<Mutex<Vec<u8>>>,
    dir: PathBuf,
}

static DIR_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty working directory for one server (so no test leaves an RDB in the tree).
fn scratch_dir(tag: &str) -> PathBuf {
    let n = DIR_COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!(
        "ferrodis-test-{tag}-{}-{n}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Copies everything `reader` produces into `log`; each complete line is also offered to
/// `on_line`.
fn drain<R: Read + Send + 'static>(
    reader: R,
    log: Arc<Mutex<Vec<u8>>>,
    mut on_line: impl FnMut(&str) + Send + 'static,
) {
    thread::spawn(move || {
        let mut reader = BufReader::new(reader);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if let Ok(mut l) = log.lock() {
                        l.extend_from_slice(&line);
                    }
                    on_line(&String::from_utf8_lossy(&line));
                }
            }
        }
    });
}

/// The port in a `Ready to accept connections tcp 127.0.0.1:6379` log line.
fn ready_port(line: &str) -> Option<u16> {
    ready_port_of(line, "tcp")
}

/// The port in a `Ready to accept connections <kind> <addr>` log line (`tcp` or `tls`).
pub fn ready_port_of(line: &str, kind: &str) -> Option<u16> {
    let mark = format!("Ready to accept connections {kind} ");
    let rest = &line[line.find(&mark)? + mark.len()..];
    let addr: String = rest
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"')
        .collect();
    addr.rsplit(':').next()?.parse().ok()
}

/// A port that was free a moment ago (for redis-server, which cannot listen on port 0).
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local addr").port()
}

impl Server {
    /// Starts `target/release/ferrodis --port 0 <extra_args>` and waits for its ready line.
    /// Like [`Server::redis`], snapshots are off (`--save ""`) unless `extra_args` set `--save`,
    /// so stopping a server does not spend time writing a dump nobody reads.
    pub fn ferrodis(extra_args: &[&str]) -> Server {
        Server::ferrodis_ready(&["--port", "0"], extra_args, "tcp")
            .unwrap_or_else(|message| panic!("{message}"))
    }

    /// Starts ferrodis with TLS on a free port (`--port 0 --tls-port <free> <extra_args>`:
    /// no plain TCP listener) and waits for its `tls` ready line; `port` is the TLS port.
    pub fn ferrodis_tls(extra_args: &[&str]) -> Server {
        let mut last = String::new();
        for _attempt in 0..5 {
            let port = free_port().to_string();
            match Server::ferrodis_ready(&["--port", "0", "--tls-port", &port], extra_args, "tls") {
                Ok(server) => return server,
                Err(message) => last = message,
            }
        }
        panic!("{last}");
    }

    /// Starts ferrodis with `first_args` then `extra_args` and waits for the ready line of
    /// listener `kind` (`tcp` or `tls`), whose port becomes `port`; the error carries the
    /// server's output.
    pub fn ferrodis_ready(
        first_args: &[&str],
        extra_args: &[&str],
        kind: &'static str,
    ) -> Result<Server, String> {
        let dir = scratch_dir("ferrodis");
        let log = Arc::new(Mutex::new(Vec::new()));
        let save_off: &[&str] = if extra_args.contains(&"--save") {
            &[]
        } else {
            &["--save", ""]
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_ferrodis"))
            .args(first_args)
            .args(save_off)
            .args(extra_args)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn ferrodis");
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(Some(tx));
        drain(
            child.stdout.take().expect("stdout"),
            Arc::clone(&log),
            move |line| {
                if let Some(port) = ready_port_of(line, kind) {
                    if let Some(tx) = tx.lock().ok().and_then(|mut t| t.take()) {
                        let _ = tx.send(port);
                    }
                }
            },
        );
        drain(
            child.stderr.take().expect("stderr"),
            Arc::clone(&log),
            |_| {},
        );
        let mut server = Server {
            kind: Kind::Ferrodis,
            port: 0,
            child,
            log,
            dir,
        };
        match rx.recv_timeout(START_TIMEOUT) {
            Ok(port) => server.port = port,
            Err(_) => {
                let status = server.child.try_wait().ok().flatten();
                let _ = server.child.kill();
                let _ = server.child.wait();
                thread::sleep(Duration::from_millis(50));
                return Err(format!(
                    "ferrodis {:?} did not print 'Ready to accept connections {kind} <addr>' \
                     within {:?} (exit status: {:?}); its output:\n{}",
                    extra_args,
                    START_TIMEOUT,
                    status,
                    server.output()
                ));
            }
        }
        Ok(server)
    }

    /// Starts a real `redis-server` with persistence off on a free port.
    pub fn redis() -> Server {
        Server::redis_with(&[])
    }

    /// Like [`Server::redis`], with extra `--name value` arguments.
    pub fn redis_with(extra_args: &[&str]) -> Server {
        let mut last_output = String::new();
        for _attempt in 0..5 {
            let port = free_port();
            let dir = scratch_dir("redis");
            let log = Arc::new(Mutex::new(Vec::new()));
            let mut child = Command::new("redis-server")
                .args(["--port", &port.to_string()])
                .args(["--save", "", "--appendonly", "no", "--bind", "127.0.0.1"])
                .args(extra_args)
                .current_dir(&dir)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn redis-server (is it installed? `make deps`)");
            drain(
                child.stdout.take().expect("stdout"),
                Arc::clone(&log),
                |_| {},
            );
            drain(
                child.stderr.take().expect("stderr"),
                Arc::clone(&log),
                |_| {},
            );
            let mut server = Server {
                kind: Kind::Redis,
                port,
                child,
                log,
                dir,
            };
            let deadline = Instant::now() + START_TIMEOUT;
            while Instant::now() < deadline {
                if let Ok(Some(_)) = server.child.try_wait() {
                    break; // port taken by someone else, most likely: try another
                }
                if server.answers_ping() {
                    return server;
                }
                thread::sleep(Duration::from_millis(20));
            }
            last_output = server.output();
            // `server` is dropped here, killing the child.
        }
        panic!("redis-server did not start after 5 attempts; last output:\n{last_output}");
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        if s.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut buf = [0u8; 7];
        s.read_exact(&mut buf).is_ok() && &buf == b"+PONG\r\n"
    }

    /// Everything the server printed so far (stdout and stderr).
    pub fn output(&self) -> String {
        let log = self.log.lock().map(|l| l.clone()).unwrap_or_default();
        String::from_utf8_lossy(&log).into_owned()
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A raw RESP connection.
    pub fn raw(&self) -> Raw {
        Raw::connect(self.port)
    }

    /// A `redis` crate connection.
    pub fn conn(&self) -> redis::Connection {
        redis_conn(self.port)
    }

    /// True while the process is running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Server {
    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` and waits up to `within` for the process to exit; its exit status.
    pub fn signal_and_wait(
        &mut self,
        signal: i32,
        within: Duration,
    ) -> Option<std::process::ExitStatus> {
        // SAFETY: plain kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, signal);
        }
        self.wait_exit(within)
    }

    /// Waits up to `within` for the process to exit on its own; its exit status.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(5));
        }
        None
    }

    /// Stops the process: ferrodis gets SIGTERM first (a clean exit also writes coverage
    /// profiles when run under cargo-llvm-cov), then SIGKILL if it is not gone within 3 s.
    pub fn stop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        if self.kind == Kind::Ferrodis {
            // SAFETY: plain kill(2) on our own child's pid.
            unsafe {
                libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
            }
            let deadline = Instant::now() + Duration::from_secs(3);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                thread::sleep(Duration::from_millis(5));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
        if thread::panicking() && self.kind == Kind::Ferrodis {
            let out = self.output();
            let tail: String = {
                let lines: Vec<&str> = out.lines().collect();
                lines[lines.len().saturating_sub(40)..].join("\n")
            };
            eprintln!(
                "--- ferrodis (port {}) output, last 40 lines ---\n{tail}",
                self.port
            );
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A `redis` crate connection to `127.0.0.1:port`.
/// splitmix64: a seeded stream that is the same on every platform, for the random command
/// streams of the differential tests.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Runs `scenario` against ferrodis and against a real redis-server started with
/// `redis_args`, and asserts that the two transcripts are equal line by line.
pub fn assert_same_transcript(name: &str, redis_args: &[&str], scenario: fn(u16) -> Vec<String>) {
    let ferrodis = Server::ferrodis(&[]);
    let got = scenario(ferrodis.port);
    let redis = Server::redis_with(redis_args);
    let want = scenario(redis.port);
    for (i, (g, w)) in got.iter().zip(want.iter()).enumerate() {
        assert_eq!(
            g, w,
            "{name}: step {i} differs (left ferrodis, right redis-server)"
        );
    }
    assert_eq!(got.len(), want.len(), "{name}: transcript lengths");
}

pub fn redis_conn(port: u16) -> redis::Connection {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).expect("client");
    let con = client
        .get_connection_with_timeout(Duration::from_secs(10))
        .expect("connect");
    con.set_read_timeout(Some(READ_TIMEOUT)).expect("timeout");
    con
}

/// Runs `redis-cli -p port <args>` and returns its output.
pub fn redis_cli(port: u16, args: &[&str]) -> Output {
    redis_cli_stdin(port, args, None)
}

/// Runs `redis-cli -p port <args>` with `stdin` piped in.
pub fn redis_cli_stdin(port: u16, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new("redis-cli")
        .args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn redis-cli (is it installed? `make deps`)");
    if let Some(data) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        let data = data.to_vec();
        // Feed stdin from a thread so a large input cannot deadlock against stdout.
        thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
    }
    child.wait_with_output().expect("redis-cli output")
}

/// True when `program` can be run from PATH.
/// Runs `python3 -c script args...` (redis-py is installed by `.ci/run` / `make deps`) and
/// returns its standard output; a failing script fails the test with both of its outputs.
pub fn run_python(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 (with `pip install redis`)");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

pub fn have_program(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

// ---------------------------------------------------------------------------------------------
// RESP encoding and reply framing
// ---------------------------------------------------------------------------------------------

/// Encodes one command as a RESP multibulk request.
pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    encode_into(args, &mut out);
    out
}

pub fn encode_into(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

/// Encodes owned arguments.
pub fn encode_owned(args: &[Vec<u8>]) -> Vec<u8> {
    let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    encode(&refs)
}

fn line_end(buf: &[u8], from: usize) -> Option<usize> {
    buf.get(from..)?
        .windows(2)
        .position(|w| w == b"\r\n")
        .map(|p| p + from)
}

fn header_int(buf: &[u8], pos: usize) -> Result<Option<(i64, usize)>, String> {
    let Some(end) = line_end(buf, pos + 1) else {
        return Ok(None);
    };
    let text = std::str::from_utf8(&buf[pos + 1..end]).map_err(|e| e.to_string())?;
    let n = text
        .parse::<i64>()
        .map_err(|_| format!("bad length {text:?} in reply"))?;
    Ok(Some((n, end + 2)))
}

/// Length of the complete reply (RESP2 or RESP3) at `buf[pos..]`, or `None` when more bytes are
/// needed.
pub fn reply_end(buf: &[u8], pos: usize) -> Result<Option<usize>, String> {
    let Some(&kind) = buf.get(pos) else {
        return Ok(None);
    };
    match kind {
        b'+' | b'-' | b':' | b'_' | b',' | b'#' | b'(' => Ok(line_end(buf, pos + 1).map(|e| e + 2)),
        b'$' | b'!' | b'=' => {
            let Some((n, data)) = header_int(buf, pos)? else {
                return Ok(None);
            };
            if n < 0 {
                return Ok(Some(data));
            }
            let end = data + n as usize + 2;
            Ok((buf.len() >= end).then_some(end))
        }
        b'*' | b'~' | b'>' | b'%' | b'|' => {
            let Some((n, mut at)) = header_int(buf, pos)? else {
                return Ok(None);
            };
            let items = if matches!(kind, b'%' | b'|') {
                n * 2
            } else {
                n
            };
            for _ in 0..items.max(0) {
                match reply_end(buf, at)? {
                    Some(e) => at = e,
                    None => return Ok(None),
                }
            }
            if kind == b'|' {
                // An attribute precedes the real reply.
                return reply_end(buf, at);
            }
            Ok(Some(at))
        }
        other => Err(format!(
            "unexpected reply type byte {:?} in {:?}",
            other as char,
            show(&buf[pos..buf.len().min(pos + 200)])
        )),
    }
}

/// A decoded reply, for tests that need to look inside (SCAN cursors, KEYS sets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resp {
    Simple(Vec<u8>),
    Error(Vec<u8>),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Resp>>),
    /// Any RESP3 type, kept as its raw bytes.
    Other(Vec<u8>),
}

/// Decodes one complete reply.
pub fn decode(buf: &[u8]) -> Resp {
    let (r, _) = decode_at(buf, 0);
    r
}

fn decode_at(buf: &[u8], pos: usize) -> (Resp, usize) {
    let end = reply_end(buf, pos)
        .expect("valid reply")
        .expect("complete reply");
    let line = |p: usize| {
        let e = line_end(buf, p + 1).expect("line");
        buf[p + 1..e].to_vec()
    };
    let r = match buf[pos] {
        b'+' => Resp::Simple(line(pos)),
        b'-' => Resp::Error(line(pos)),
        b':' => Resp::Int(
            String::from_utf8_lossy(&line(pos))
                .parse()
                .expect("integer reply"),
        ),
        b'$' => {
            let (n, data) = header_int(buf, pos).unwrap().unwrap();
            Resp::Bulk((n >= 0).then(|| buf[data..data + n as usize].to_vec()))
        }
        b'*' => {
            let (n, mut at) = header_int(buf, pos).unwrap().unwrap();
            if n < 0 {
                Resp::Array(None)
            } else {
                let mut items = Vec::new();
                for _ in 0..n {
                    let (item, next) = decode_at(buf, at);
                    items.push(item);
                    at = next;
                }
                Resp::Array(Some(items))
            }
        }
        _ => Resp::Other(buf[pos..end].to_vec()),
    };
    (r, end)
}

/// Printable form of protocol bytes for assertion messages.
pub fn show(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s
}

/// `show` shortened to `max` characters.
pub fn show_short(bytes: &[u8], max: usize) -> String {
    let s = show(&bytes[..bytes.len().min(max)]);
    if bytes.len() > max {
        format!("{s}... ({} bytes)", bytes.len())
    } else {
        s
    }
}

// ---------------------------------------------------------------------------------------------
// Raw client
// ---------------------------------------------------------------------------------------------

/// A plain TCP connection that sends exact bytes and returns exact reply bytes.
pub struct Raw {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Raw {
    pub fn connect(port: u16) -> Raw {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        stream
            .set_read_timeout(Some(READ_TIMEOUT))
            .expect("read timeout");
        stream
            .set_write_timeout(Some(READ_TIMEOUT))
            .expect("write timeout");
        Raw {
            stream,
            buf: Vec::new(),
        }
    }

    /// Sends one command and returns its complete reply bytes.
    pub fn send(&mut self, args: &[&[u8]]) -> Vec<u8> {
        self.write(&encode(args));
        self.read_reply()
    }

    /// `send` with string arguments.
    pub fn cmd(&mut self, args: &[&str]) -> Vec<u8> {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        self.send(&a)
    }

    /// `field` of `INFO <section>`, as text; panics when it is missing.
    pub fn info_field(&mut self, section: &str, field: &str) -> String {
        let reply = self.cmd(&["INFO", section]);
        let text = String::from_utf8_lossy(&reply).into_owned();
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("INFO {section} has no {field}: {text}"))
    }

    /// A numeric `field` of `INFO <section>`.
    pub fn info_u64(&mut self, section: &str, field: &str) -> u64 {
        let value = self.info_field(section, field);
        value
            .parse()
            .unwrap_or_else(|_| panic!("INFO {field} is not a number: {value}"))
    }

    pub fn write(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write to server");
    }

    pub fn try_write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Reads one complete reply; panics on timeout, EOF or garbage.
    pub fn read_reply(&mut self) -> Vec<u8> {
        match self.try_read_reply() {
            Ok(r) => r,
            Err(e) => panic!(
                "reading a reply failed: {e}; buffered: {:?}",
                show_short(&self.buf, 300)
            ),
        }
    }

    pub fn try_read_reply(&mut self) -> io::Result<Vec<u8>> {
        loop {
            match reply_end(&self.buf, 0) {
                Ok(Some(end)) => return Ok(self.buf.drain(..end).collect()),
                Ok(None) => {}
                Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
            }
            let mut chunk = [0u8; 64 * 1024];
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "connection closed",
                ));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Reads `n` replies and returns them concatenated.
    pub fn read_replies(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        for _ in 0..n {
            out.extend(self.read_reply());
        }
        out
    }

    /// Reads everything until the peer closes or stays silent for `quiet`; returns the bytes
    /// and whether the connection was closed.
    pub fn read_until_quiet(&mut self, quiet: Duration) -> (Vec<u8>, bool) {
        let mut out = std::mem::take(&mut self.buf);
        self.stream.set_read_timeout(Some(quiet)).expect("timeout");
        let mut chunk = [0u8; 64 * 1024];
        let closed = loop {
            match self.stream.read(&mut chunk) {
                Ok(0) => break true,
                Ok(n) => out.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    break false
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // A reset after the server closed with unread input counts as closed.
                Err(_) => break true,
            }
        };
        self.stream
            .set_read_timeout(Some(READ_TIMEOUT))
            .expect("timeout");
        (out, closed)
    }

    /// Asserts the server closes the connection (after any bytes still in flight).
    pub fn assert_closed(&mut self) {
        let (rest, closed) = self.read_until_quiet(Duration::from_secs(5));
        assert!(
            closed,
            "expected the server to close the connection; got {:?} and no EOF",
            show_short(&rest, 300)
        );
    }
}

/// Redis 7.0's CLIENT LIST fields, in order.
pub const CLIENT_LIST_FIELDS: &[&str] = &[
    "id",
    "addr",
    "laddr",
    "fd",
    "name",
    "age",
    "idle",
    "flags",
    "db",
    "sub",
    "psub",
    "ssub",
    "multi",
    "qbuf",
    "qbuf-free",
    "argv-mem",
    "multi-mem",
    "rbs",
    "rbp",
    "obl",
    "oll",
    "omem",
    "tot-mem",
    "events",
    "cmd",
    "user",
    "redir",
    "resp",
];
