//! Connection commands against the real binary over raw RESP: HELLO, AUTH, SELECT, QUIT,
//! RESET and CLIENT (ID, SETNAME, GETNAME, LIST, INFO, KILL, SETINFO).
//!
//! Each test starts its own `ferrodis --port 0`, learns the port from the
//! `Ready to accept connections tcp 127.0.0.1:<port>` log line and kills the process when done.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A running ferrodis, killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ferrodis"))
            .args(["--port", "0", "--bind", "127.0.0.1"])
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
                    let addr = line[at + marker.len()..].trim();
                    let port = addr.rsplit(':').next().and_then(|p| p.parse::<u16>().ok());
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
        Server { child, port }
    }

    fn connect(&self) -> Conn {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
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
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A RESP2 reply.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    fn bulk_str(&self) -> String {
        match self {
            Reply::Bulk(Some(b)) => String::from_utf8(b.clone()).expect("utf-8 bulk"),
            other => panic!("expected a bulk string, got {other:?}"),
        }
    }

    fn int(&self) -> i64 {
        match self {
            Reply::Int(n) => *n,
            other => panic!("expected an integer, got {other:?}"),
        }
    }
}

fn ok() -> Reply {
    Reply::Simple("OK".into())
}

fn err(text: &str) -> Reply {
    Reply::Error(text.into())
}

fn bulk(text: &str) -> Reply {
    Reply::Bulk(Some(text.as_bytes().to_vec()))
}

struct Conn {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Conn {
    fn send(&mut self, args: &[&str]) {
        let mut req = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            req.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            req.extend_from_slice(a.as_bytes());
            req.extend_from_slice(b"\r\n");
        }
        self.stream.write_all(&req).expect("send");
    }

    fn cmd(&mut self, args: &[&str]) -> Reply {
        self.send(args);
        self.read()
    }

    fn line(&mut self) -> String {
        let mut line = String::new();
        let n = self.reader.read_line(&mut line).expect("read reply");
        assert!(n > 0, "connection closed while a reply was expected");
        assert!(
            line.ends_with("\r\n"),
            "reply line not CRLF-terminated: {line:?}"
        );
        line.truncate(line.len() - 2);
        line
    }

    fn read(&mut self) -> Reply {
        let line = self.line();
        let (kind, rest) = line.split_at(1);
        match kind {
            "+" => Reply::Simple(rest.to_string()),
            "-" => Reply::Error(rest.to_string()),
            ":" => Reply::Int(rest.parse().expect("integer")),
            "$" => {
                let len: i64 = rest.parse().expect("bulk length");
                if len < 0 {
                    return Reply::Bulk(None);
                }
                let mut data = vec![0u8; len as usize + 2];
                self.reader.read_exact(&mut data).expect("bulk data");
                assert_eq!(&data[len as usize..], b"\r\n");
                data.truncate(len as usize);
                Reply::Bulk(Some(data))
            }
            "*" => {
                let len: i64 = rest.parse().expect("array length");
                if len < 0 {
                    return Reply::Array(None);
                }
                Reply::Array(Some((0..len).map(|_| self.read()).collect()))
            }
            _ => panic!("bad reply line {line:?}"),
        }
    }

    /// Asserts the server closed the connection (EOF or reset) with nothing more to read.
    fn expect_eof(&mut self) {
        let mut buf = [0u8; 64];
        match self.reader.read(&mut buf) {
            Ok(0) => {}
            Ok(n) => panic!("expected EOF, got {:?}", String::from_utf8_lossy(&buf[..n])),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
            Err(e) => panic!("expected EOF, got error {e}"),
        }
    }
}

/// The HELLO 2 reply for client `id`.
fn hello_reply(id: i64) -> Reply {
    Reply::Array(Some(vec![
        bulk("server"),
        bulk("redis"),
        bulk("version"),
        bulk(ferrodis::cmd::conn::REDIS_VERSION),
        bulk("proto"),
        Reply::Int(2),
        bulk("id"),
        Reply::Int(id),
        bulk("mode"),
        bulk("standalone"),
        bulk("role"),
        bulk("master"),
        bulk("modules"),
        Reply::Array(Some(vec![])),
    ]))
}

/// Splits one CLIENT LIST line into (field, value) pairs.
fn fields(line: &str) -> Vec<(String, String)> {
    line.split(' ')
        .map(|kv| {
            let (k, v) = kv
                .split_once('=')
                .unwrap_or_else(|| panic!("bad field {kv:?}"));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn field(line: &str, name: &str) -> String {
    fields(line)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        .unwrap_or_else(|| panic!("no field {name} in {line:?}"))
}

fn is_addr(s: &str) -> bool {
    s.rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok())
}

#[test]
fn ping_and_echo() {
    let srv = Server::start();
    let mut c = srv.connect();
    assert_eq!(c.cmd(&["PING"]), Reply::Simple("PONG".into()));
    assert_eq!(c.cmd(&["PING", "hi"]), bulk("hi"));
    assert_eq!(
        c.cmd(&["PING", "a", "b"]),
        err("ERR wrong number of arguments for 'ping' command")
    );
    assert_eq!(c.cmd(&["ECHO", "x y"]), bulk("x y"));
}

#[test]
fn hello_replies() {
    let srv = Server::start();
    let mut c = srv.connect();
    let id = c.cmd(&["CLIENT", "ID"]).int();
    assert_eq!(c.cmd(&["HELLO"]), hello_reply(id));
    assert_eq!(c.cmd(&["HELLO", "2"]), hello_reply(id));
    assert_eq!(c.cmd(&["HELLO", "2", "SETNAME", "x"]), hello_reply(id));
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), bulk("x"));
    assert_eq!(
        c.cmd(&["HELLO", "2", "AUTH", "default", "whatever"]),
        hello_reply(id)
    );
    // HELLO 3 is covered in tests/resp3_misc.rs (this client speaks RESP2 only).
    assert_eq!(
        c.cmd(&["HELLO", "1"]),
        err("NOPROTO unsupported protocol version")
    );
    assert_eq!(
        c.cmd(&["HELLO", "4", "SETNAME", "y"]),
        err("NOPROTO unsupported protocol version")
    );
    assert_eq!(
        c.cmd(&["HELLO", "abc"]),
        err("ERR Protocol version is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["HELLO", "2", "AUTH", "u", "p"]),
        err("WRONGPASS invalid username-password pair or user is disabled.")
    );
    assert_eq!(
        c.cmd(&["HELLO", "2", "AUTH", "default"]),
        err("ERR Syntax error in HELLO option 'AUTH'")
    );
    assert_eq!(
        c.cmd(&["HELLO", "2", "SETNAME", "a b"]),
        err("ERR Client names cannot contain spaces, newlines or special characters.")
    );
    // Options apply in order: the SETNAME before the bad option sticks, as in Redis.
    assert_eq!(
        c.cmd(&["HELLO", "2", "SETNAME", "z", "FOO"]),
        err("ERR Syntax error in HELLO option 'FOO'")
    );
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), bulk("z"));
    assert_eq!(c.cmd(&["HELLO", "2", "SETNAME", ""]), hello_reply(id));
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), Reply::Bulk(None));
}

#[test]
fn auth_without_password() {
    let srv = Server::start();
    let mut c = srv.connect();
    assert_eq!(
        c.cmd(&["AUTH", "pass"]),
        err(
            "ERR AUTH <password> called without any password configured for the default user. \
             Are you sure your configuration is correct?"
        )
    );
    // The default user has no password: any password authenticates it.
    assert_eq!(c.cmd(&["AUTH", "default", "pass"]), ok());
    assert_eq!(
        c.cmd(&["AUTH", "user", "pass"]),
        err("WRONGPASS invalid username-password pair or user is disabled.")
    );
    assert_eq!(c.cmd(&["AUTH", "a", "b", "c"]), err("ERR syntax error"));
    assert_eq!(
        c.cmd(&["AUTH"]),
        err("ERR wrong number of arguments for 'auth' command")
    );
}

#[test]
fn client_name_id_list_info() {
    let srv = Server::start();
    let mut c = srv.connect();
    let mut other = srv.connect();
    let id = c.cmd(&["CLIENT", "ID"]).int();
    let other_id = other.cmd(&["CLIENT", "ID"]).int();
    assert!(id > 0 && other_id > id);

    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), Reply::Bulk(None));
    assert_eq!(
        c.cmd(&["CLIENT", "SETNAME", "a b"]),
        err("ERR Client names cannot contain spaces, newlines or special characters.")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "SETNAME", "a\nb"]),
        err("ERR Client names cannot contain spaces, newlines or special characters.")
    );
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "conn-1"]), ok());
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), bulk("conn-1"));

    // CLIENT INFO: one line, Redis 7.0's fields in order, describing the caller.
    let info = c.cmd(&["CLIENT", "INFO"]).bulk_str();
    assert!(
        info.ends_with('\n') && info.matches('\n').count() == 1,
        "{info:?}"
    );
    let line = info.trim_end_matches('\n');
    let names: Vec<String> = fields(line).into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, common::CLIENT_LIST_FIELDS);
    assert_eq!(field(line, "id"), id.to_string());
    assert!(is_addr(&field(line, "addr")), "{line}");
    assert_eq!(field(line, "laddr"), format!("127.0.0.1:{}", srv.port));
    assert!(field(line, "fd").parse::<i32>().is_ok_and(|fd| fd > 0));
    assert_eq!(field(line, "name"), "conn-1");
    assert!(field(line, "age").parse::<u64>().is_ok());
    assert_eq!(field(line, "idle"), "0");
    assert_eq!(field(line, "flags"), "N");
    assert_eq!(field(line, "db"), "0");
    assert_eq!(field(line, "multi"), "-1");
    assert_eq!(field(line, "events"), "r");
    assert_eq!(field(line, "cmd"), "client|info");
    assert_eq!(field(line, "user"), "default");
    assert_eq!(field(line, "resp"), "2");

    // CLIENT LIST: both clients in id order; the caller's cmd is client|list and the other
    // client's is the last command it ran.
    assert_eq!(c.cmd(&["SELECT", "3"]), ok());
    let list = c.cmd(&["CLIENT", "LIST"]).bulk_str();
    let lines: Vec<&str> = list.lines().collect();
    assert_eq!(lines.len(), 2, "{list:?}");
    assert!(list.ends_with('\n'));
    assert_eq!(field(lines[0], "id"), id.to_string());
    assert_eq!(field(lines[0], "cmd"), "client|list");
    assert_eq!(field(lines[0], "db"), "3");
    assert_eq!(field(lines[1], "id"), other_id.to_string());
    assert_eq!(field(lines[1], "cmd"), "client|id");
    assert_eq!(field(lines[1], "name"), "");
    for line in &lines {
        let names: Vec<String> = fields(line).into_iter().map(|(k, _)| k).collect();
        assert_eq!(names, common::CLIENT_LIST_FIELDS);
    }

    let by_type = c.cmd(&["CLIENT", "LIST", "TYPE", "normal"]).bulk_str();
    assert_eq!(by_type.lines().count(), 2);
    assert_eq!(c.cmd(&["CLIENT", "LIST", "TYPE", "master"]), bulk(""));
    assert_eq!(c.cmd(&["CLIENT", "LIST", "TYPE", "PubSub"]), bulk(""));
    assert_eq!(
        c.cmd(&["CLIENT", "LIST", "TYPE", "foo"]),
        err("ERR Unknown client type 'foo'")
    );
    let by_id = c
        .cmd(&["CLIENT", "LIST", "ID", &other_id.to_string(), "999999"])
        .bulk_str();
    assert_eq!(by_id.lines().count(), 1);
    assert_eq!(field(by_id.trim_end(), "id"), other_id.to_string());
    assert_eq!(
        c.cmd(&["CLIENT", "LIST", "ID", "x"]),
        err("ERR Invalid client ID")
    );
    assert_eq!(c.cmd(&["CLIENT", "LIST", "ID"]), err("ERR syntax error"));
    assert_eq!(c.cmd(&["CLIENT", "LIST", "foo"]), err("ERR syntax error"));
    assert_eq!(
        c.cmd(&["CLIENT", "NOSUCH"]),
        err("ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "GETNAME", "x"]),
        err("ERR wrong number of arguments for 'client|getname' command")
    );

    // SETINFO (Redis 7.2 semantics) and the ON/OFF switches.
    assert_eq!(c.cmd(&["CLIENT", "SETINFO", "LIB-NAME", "redis-py"]), ok());
    assert_eq!(c.cmd(&["CLIENT", "SETINFO", "lib-ver", "5.0.1"]), ok());
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "lib-ver", "1 2"]),
        err("ERR lib-ver cannot contain spaces, newlines or special characters.")
    );
    assert_eq!(
        c.cmd(&["CLIENT", "SETINFO", "foo", "x"]),
        err("ERR Unrecognized option 'foo'")
    );
    assert_eq!(c.cmd(&["CLIENT", "NO-EVICT", "on"]), ok());
    assert_eq!(
        c.cmd(&["CLIENT", "NO-EVICT", "maybe"]),
        err("ERR syntax error")
    );
    assert_eq!(c.cmd(&["CLIENT", "NO-TOUCH", "OFF"]), ok());
    match c.cmd(&["CLIENT", "HELP"]) {
        Reply::Array(Some(lines)) => {
            assert!(lines.len() > 10);
            assert_eq!(
                lines[0],
                Reply::Simple(
                    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:".into()
                )
            );
        }
        other => panic!("CLIENT HELP gave {other:?}"),
    }
}

#[test]
fn client_kill_by_id_and_addr() {
    let srv = Server::start();
    let mut killer = srv.connect();

    // By ID: the victim sees EOF, the killer gets the count.
    let mut victim = srv.connect();
    let vid = victim.cmd(&["CLIENT", "ID"]).int();
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", "ID", &vid.to_string()]),
        Reply::Int(1)
    );
    victim.expect_eof();
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", "ID", &vid.to_string()]),
        Reply::Int(0)
    );

    // By ADDR (new form).
    let mut victim = srv.connect();
    let info = victim.cmd(&["CLIENT", "INFO"]).bulk_str();
    let addr = field(info.trim_end(), "addr");
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", "ADDR", &addr]),
        Reply::Int(1)
    );
    victim.expect_eof();

    // Old form: +OK, or an error when nobody matches.
    let mut victim = srv.connect();
    let info = victim.cmd(&["CLIENT", "INFO"]).bulk_str();
    let addr = field(info.trim_end(), "addr");
    assert_eq!(killer.cmd(&["CLIENT", "KILL", &addr]), ok());
    victim.expect_eof();
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", &addr]),
        err("ERR No such client")
    );

    // Filter errors, as Redis words them.
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", "ID", "0"]),
        err("ERR client-id should be greater than 0")
    );
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", "TYPE", "foo"]),
        err("ERR Unknown client type 'foo'")
    );
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", "USER", "nobody"]),
        err("ERR No such user 'nobody'")
    );
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", "SKIPME", "maybe"]),
        err("ERR syntax error")
    );
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", "ID", "1", "TYPE"]),
        err("ERR syntax error")
    );

    // LADDR and TYPE with SKIPME (default yes) spare the caller.
    let mut a = srv.connect();
    let mut b = srv.connect();
    assert_eq!(a.cmd(&["PING"]), Reply::Simple("PONG".into()));
    assert_eq!(b.cmd(&["PING"]), Reply::Simple("PONG".into()));
    let laddr = format!("127.0.0.1:{}", srv.port);
    assert_eq!(
        killer.cmd(&["CLIENT", "KILL", "LADDR", &laddr, "TYPE", "normal"]),
        Reply::Int(2)
    );
    a.expect_eof();
    b.expect_eof();
    assert_eq!(killer.cmd(&["PING"]), Reply::Simple("PONG".into()));

    // Killing yourself: the reply arrives, then the connection closes; a pipelined command
    // after it is not run.
    let me = killer.cmd(&["CLIENT", "ID"]).int();
    killer.send(&["CLIENT", "KILL", "ID", &me.to_string(), "SKIPME", "no"]);
    killer.send(&["PING"]);
    assert_eq!(killer.read(), Reply::Int(1));
    killer.expect_eof();
}

#[test]
fn quit_closes_after_ok() {
    let srv = Server::start();
    let mut c = srv.connect();
    c.send(&["QUIT"]);
    c.send(&["PING"]);
    assert_eq!(c.read(), ok());
    c.expect_eof();

    let mut c = srv.connect();
    assert_eq!(c.cmd(&["QUIT", "extra", "args"]), ok());
    c.expect_eof();
}

#[test]
fn select_and_reset() {
    let srv = Server::start();
    let mut c = srv.connect();
    assert_eq!(
        c.cmd(&["SELECT", "16"]),
        err("ERR DB index is out of range")
    );
    assert_eq!(
        c.cmd(&["SELECT", "-1"]),
        err("ERR DB index is out of range")
    );
    assert_eq!(
        c.cmd(&["SELECT", "x"]),
        err("ERR value is not an integer or out of range")
    );
    assert_eq!(
        c.cmd(&["SELECT", "99999999999"]),
        err("ERR value is out of range, value must between -2147483648 and 2147483647")
    );
    assert_eq!(c.cmd(&["SELECT", "15"]), ok());
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", "before-reset"]), ok());
    assert_eq!(c.cmd(&["RESET"]), Reply::Simple("RESET".into()));
    assert_eq!(c.cmd(&["CLIENT", "GETNAME"]), Reply::Bulk(None));
    let info = c.cmd(&["CLIENT", "INFO"]).bulk_str();
    assert_eq!(field(info.trim_end(), "db"), "0");
    assert_eq!(field(info.trim_end(), "resp"), "2");
    assert_eq!(
        c.cmd(&["RESET", "x"]),
        err("ERR wrong number of arguments for 'reset' command")
    );
}
