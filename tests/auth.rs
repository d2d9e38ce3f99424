//! Authentication and protected mode against a real redis-server: `requirepass`, AUTH in its
//! forms, HELLO ... AUTH in RESP2 and RESP3, NOAUTH before authentication, RESET, CONFIG SET
//! requirepass, pipelined AUTH, redis-py with a password, and protected mode turning away a
//! client that connects through a non-loopback address of this machine.

mod common;

use common::{encode, show, Raw, Server};
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, TcpStream, UdpSocket};
use std::time::Duration;

const PASS: &str = "s3cr\u{e9}t pass";

/// HELLO's reply carries the connection id, which differs between the two servers.
fn mask_ids(reply: &[u8]) -> String {
    let text = show(reply);
    let mut out = String::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("id\\r\\n:") {
        let head = at + "id\\r\\n:".len();
        out.push_str(&rest[..head]);
        rest = &rest[head..];
        let digits = rest.bytes().take_while(|b| b.is_ascii_digit()).count();
        out.push('N');
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

/// Runs `steps` (client number, command) over `clients` connections to `port`, and returns
/// each reply, ids masked, prefixed with its step.
fn transcript(port: u16, clients: usize, steps: &[(usize, &[&str])]) -> Vec<String> {
    let mut conns: Vec<Raw> = (0..clients).map(|_| Raw::connect(port)).collect();
    steps
        .iter()
        .map(|(c, args)| format!("{c} {args:?} => {}", mask_ids(&conns[*c].cmd(args))))
        .collect()
}

/// ferrodis started with `--requirepass <pass>` and a redis-server given the same password
/// (with CONFIG SET, before any test connection: the harness's readiness PING must pass).
fn servers_with_password(pass: Option<&str>) -> (Server, Server) {
    let Some(pass) = pass else {
        return (Server::ferrodis(&[]), Server::redis());
    };
    let ferrodis = Server::ferrodis(&["--requirepass", pass]);
    let redis = Server::redis();
    let reply = Raw::connect(redis.port).cmd(&["CONFIG", "SET", "requirepass", pass]);
    assert_eq!(reply, b"+OK\r\n");
    (ferrodis, redis)
}

/// The same steps against ferrodis and redis-server, both with password `pass`.
fn assert_same(name: &str, pass: Option<&str>, clients: usize, steps: &[(usize, &[&str])]) {
    let (ferrodis, redis) = servers_with_password(pass);
    let got = transcript(ferrodis.port, clients, steps);
    let want = transcript(redis.port, clients, steps);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "{name} (left ferrodis, right redis-server)");
    }
    assert_eq!(got.len(), want.len());
}

#[test]
fn auth_and_noauth_match_redis() {
    let steps: &[(usize, &[&str])] = &[
        // Unknown commands and arity errors come before NOAUTH, as in processCommand.
        (0, &["FOO", "bar"]),
        (0, &["GET"]),
        (0, &["GET", "k"]),
        (0, &["SET", "k", "v"]),
        (0, &["CLIENT", "NOPE"]),
        (0, &["CLIENT", "LIST"]),
        (0, &["PING"]),
        (0, &["MULTI"]),
        (0, &["AUTH"]),
        (0, &["AUTH", "a", "b", "c"]),
        (0, &["AUTH", "wrong"]),
        (0, &["AUTH", "default", "wrong"]),
        (0, &["AUTH", "nobody", PASS]),
        (0, &["AUTH", "s3cr"]),
        (0, &["GET", "k"]),
        (0, &["AUTH", PASS]),
        (0, &["SET", "k", "v"]),
        // A failed AUTH leaves an authenticated client authenticated.
        (0, &["AUTH", "wrong"]),
        (0, &["GET", "k"]),
        (0, &["CLIENT", "SETNAME", "me"]),
        (0, &["RESET"]),
        (0, &["GET", "k"]),
        (0, &["CLIENT", "GETNAME"]),
        (0, &["AUTH", "default", PASS]),
        (0, &["GET", "k"]),
        // AUTH inside MULTI is queued and runs at EXEC.
        (0, &["MULTI"]),
        (0, &["AUTH", PASS]),
        (0, &["GET", "k"]),
        (0, &["EXEC"]),
        (0, &["QUIT"]),
        (1, &["PING"]),
        (1, &["QUIT"]),
    ];
    assert_same("auth", Some(PASS), 2, steps);
}

#[test]
fn hello_auth_matches_redis_in_resp2_and_resp3() {
    let steps: &[(usize, &[&str])] = &[
        (0, &["HELLO"]),
        (0, &["HELLO", "3"]),
        (0, &["HELLO", "4"]),
        (0, &["HELLO", "x"]),
        (0, &["HELLO", "3", "AUTH", "default"]),
        (0, &["HELLO", "3", "AUTH", "default", "wrong"]),
        (0, &["HELLO", "3", "AUTH", "other", PASS]),
        // SETNAME before the refusal has taken effect, as in Redis 7.0.
        (0, &["HELLO", "3", "SETNAME", "early"]),
        (
            0,
            &[
                "HELLO", "2", "SETNAME", "second", "AUTH", "default", "wrong",
            ],
        ),
        (0, &["GET", "k"]),
        (0, &["HELLO", "3", "AUTH", "default", PASS]),
        (0, &["CLIENT", "GETNAME"]),
        (0, &["GET", "k"]),
        (0, &["RESET"]),
        (0, &["HELLO", "2"]),
        // A syntax error after a good AUTH leaves the client authenticated.
        (
            0,
            &["HELLO", "2", "AUTH", "default", PASS, "SETNAME", "a", "b"],
        ),
        (0, &["CLIENT", "GETNAME"]),
        (0, &["HELLO"]),
        (
            1,
            &["HELLO", "2", "AUTH", "default", PASS, "SETNAME", "two"],
        ),
        (1, &["CLIENT", "GETNAME"]),
        (1, &["HELLO", "3"]),
        (1, &["GET", "k"]),
        (2, &["HELLO", "3", "AUTH", "default", "bad"]),
        (2, &["GET", "k"]),
    ];
    assert_same("hello auth", Some(PASS), 3, steps);
}

#[test]
fn config_set_requirepass_applies_to_later_auths_as_redis() {
    let steps: &[(usize, &[&str])] = &[
        (0, &["AUTH", PASS]),
        (0, &["CONFIG", "GET", "requirepass"]),
        (0, &["CONFIG", "SET", "requirepass", ""]),
        // Client 1 connected while there was a password and never authenticated: commands
        // run now, HELLO still wants an authenticated client.
        (1, &["GET", "k"]),
        (1, &["HELLO"]),
        (1, &["AUTH", "x"]),
        (1, &["AUTH", "default", "anything"]),
        (1, &["HELLO"]),
        (1, &["CONFIG", "GET", "requirepass"]),
        (1, &["CONFIG", "SET", "requirepass", "new"]),
        // Existing authenticated connections stay so.
        (0, &["GET", "k"]),
        (1, &["GET", "k"]),
        (0, &["AUTH", PASS]),
        (0, &["GET", "k"]),
        (0, &["RESET"]),
        (0, &["GET", "k"]),
        (0, &["AUTH", "new"]),
        (0, &["CONFIG", "GET", "requirepass"]),
        (2, &["PING"]),
        (2, &["AUTH", "new"]),
        (2, &["PING"]),
    ];
    assert_same("config set requirepass", Some(PASS), 3, steps);
}

#[test]
fn without_a_password_every_client_is_authenticated_as_redis() {
    let steps: &[(usize, &[&str])] = &[
        (0, &["AUTH", "x"]),
        (0, &["AUTH", "default", "anything"]),
        (0, &["AUTH", "nobody", "anything"]),
        (0, &["HELLO", "3", "AUTH", "default", "x"]),
        (0, &["RESET"]),
        (0, &["GET", "k"]),
        (0, &["CONFIG", "GET", "requirepass"]),
        (0, &["CONFIG", "SET", "requirepass", "later"]),
        // Connected before the password: stays authenticated, even after a failed AUTH.
        (0, &["AUTH", "bad"]),
        (0, &["GET", "k"]),
        (0, &["RESET"]),
        (0, &["GET", "k"]),
    ];
    assert_same("no password", None, 1, steps);
}

#[test]
fn pipelined_auth_then_commands_match_redis() {
    let run = |port: u16| {
        let mut c = Raw::connect(port);
        let mut pipe = Vec::new();
        for args in [
            &["SET", "k", "1"][..],
            &["AUTH", "nope"],
            &["AUTH", PASS],
            &["INCR", "k"],
            &["INCR", "k"],
            &["RESET"],
            &["GET", "k"],
            &["HELLO", "3", "AUTH", "default", PASS],
            &["GET", "k"],
        ] {
            let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
            pipe.extend(encode(&a));
        }
        c.write(&pipe);
        mask_ids(&c.read_replies(9))
    };
    let (ferrodis, redis) = servers_with_password(Some(PASS));
    assert_eq!(run(ferrodis.port), run(redis.port));
}

#[test]
fn failed_auths_are_counted_and_logged() {
    let server = Server::ferrodis(&["--requirepass", "pw"]);
    let mut c = Raw::connect(server.port);
    assert_eq!(
        c.cmd(&["AUTH", "bad"]),
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    );
    c.cmd(&["AUTH", "mallory", "pw"]);
    c.cmd(&["AUTH", "pw"]);
    // Redis 7.0 has no INFO stats field for them: they count as WRONGPASS error replies.
    assert_eq!(c.info_field("errorstats", "errorstat_WRONGPASS"), "count=2");
    let addr = String::from_utf8(c.cmd(&["CLIENT", "INFO"])).expect("utf8");
    let addr = addr
        .split(' ')
        .find_map(|f| f.strip_prefix("addr="))
        .expect("addr field")
        .to_string();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let log = server.output();
        let lines = log
            .lines()
            .filter(|l| l.contains(&addr) && l.contains("failed to authenticate"))
            .count();
        if lines == 2 {
            assert!(log.contains("as 'mallory'"), "{log}");
            assert!(
                !log.contains("bad") && !log.contains(" pw"),
                "no password logged"
            );
            break;
        }
        assert!(std::time::Instant::now() < deadline, "log: {log}");
        std::thread::sleep(Duration::from_millis(20));
    }
    // CLIENT LIST still names the default user.
    let list = String::from_utf8(c.cmd(&["CLIENT", "LIST"])).expect("utf8");
    assert!(list.contains(" user=default "), "{list}");
}

#[test]
fn redis_py_connects_with_a_password_as_to_redis() {
    let script = r#"
import sys, redis
from redis.retry import Retry
from redis.backoff import NoBackoff
port, pw = int(sys.argv[1]), sys.argv[2]
once = dict(retry=Retry(NoBackoff(), 0))
try:
    redis.Redis(port=port, password="wrong", **once).ping()
    print("wrong password accepted")
except redis.exceptions.AuthenticationError as e:
    print("refused:", e)
try:
    redis.Redis(port=port, **once).get("k")
    print("no password accepted")
except redis.exceptions.AuthenticationError as e:
    print("noauth:", e)
for proto in (2, 3):
    r = redis.Redis(port=port, password=pw, protocol=proto, decode_responses=True, **once)
    r.set("k", "v%d" % proto)
    print(proto, r.get("k"), r.client_info()["user"])
    r2 = redis.Redis(port=port, username="default", password=pw, protocol=proto, **once)
    print(proto, r2.ping())
"#;
    let run = |port: u16| common::run_python(script, &[&port.to_string(), PASS]);
    let (ferrodis, redis) = servers_with_password(Some(PASS));
    let got = run(ferrodis.port);
    assert!(
        got.starts_with("refused: invalid username-password pair"),
        "{got}"
    );
    assert!(
        got.ends_with("2 v2 default\n2 True\n3 v3 default\n3 True\n"),
        "{got}"
    );
    assert_eq!(got, run(redis.port), "left ferrodis, right redis-server");
}

/// A non-loopback IPv4 address of this machine (the source address of the default route),
/// if there is one.
fn non_loopback_address() -> Option<IpAddr> {
    let sock = UdpSocket::bind("0.0.0.0:0").ok()?;
    // No packet is sent: connecting a UDP socket only picks the route and source address.
    sock.connect("192.0.2.1:9").ok()?;
    let ip = sock.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

/// Everything a client connecting from `ip` reads until the server closes or goes quiet,
/// after sending PING; and whether it was closed.
fn remote_session(ip: IpAddr, port: u16, send: &[&str]) -> (String, bool) {
    let mut stream =
        TcpStream::connect((ip, port)).expect("connect through the non-loopback address");
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let a: Vec<&[u8]> = send.iter().map(|s| s.as_bytes()).collect();
    let _ = stream.write_all(&encode(&a));
    let mut bytes = Vec::new();
    let mut chunk = [0u8; 4096];
    let closed = loop {
        match stream.read(&mut chunk) {
            Ok(0) => break true,
            Ok(n) => bytes.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                break false
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            // A reset after the server closed with our request unread counts as closed.
            Err(_) => break true,
        }
    };
    (show(&bytes), closed)
}

#[test]
fn protected_mode_turns_away_non_loopback_clients_as_redis() {
    let Some(ip) = non_loopback_address() else {
        // The decision itself is unit-tested in src/config/tests.rs.
        eprintln!("no non-loopback address on this machine: only the loopback path is tested");
        let server = Server::ferrodis(&["--bind", "0.0.0.0"]);
        assert_eq!(Raw::connect(server.port).cmd(&["PING"]), b"+PONG\r\n");
        return;
    };
    let run = |port: u16| {
        let mut local = Raw::connect(port);
        let mut steps = Vec::new();
        steps.push(format!("{:?}", remote_session(ip, port, &["PING"])));
        steps.push(show(&local.cmd(&["PING"])));
        steps.push(local.info_field("stats", "rejected_connections"));
        steps.push(show(&local.cmd(&["CONFIG", "GET", "protected-mode"])));
        steps.push(show(&local.cmd(&["CONFIG", "SET", "protected-mode", "no"])));
        steps.push(format!("{:?}", remote_session(ip, port, &["PING"])));
        steps.push(show(&local.cmd(&[
            "CONFIG",
            "SET",
            "protected-mode",
            "yes",
        ])));
        steps.push(show(&local.cmd(&["CONFIG", "SET", "requirepass", "pw"])));
        // With a password the client is let in, and must authenticate.
        steps.push(format!("{:?}", remote_session(ip, port, &["PING"])));
        steps.push(format!("{:?}", remote_session(ip, port, &["AUTH", "pw"])));
        steps.push(local.info_field("stats", "rejected_connections"));
        steps
    };
    let args = ["--bind", "0.0.0.0"];
    let ferrodis = Server::ferrodis(&args);
    let redis = Server::redis_with(&args);
    let got = run(ferrodis.port);
    let want = run(redis.port);
    assert!(
        got[0].contains("-DENIED Redis is running in protected mode"),
        "{}",
        got[0]
    );
    assert!(got[0].ends_with("true)"), "closed: {}", got[0]);
    assert_eq!(got, want, "left ferrodis, right redis-server");
}

#[test]
fn passwords_stay_out_of_the_slowlog_as_in_redis() {
    let run = |port: u16| {
        let mut c = Raw::connect(port);
        c.cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
        c.cmd(&["HELLO", "2", "AUTH", "default", "pw", "SETNAME", "n"]);
        c.cmd(&[
            "HELLO", "2", "SETNAME", "n", "BOGUS", "AUTH", "default", "pw",
        ]);
        c.cmd(&["CONFIG", "SET", "maxclients", "100", "requirepass", "pw"]);
        c.cmd(&["AUTH", "pw"]);
        c.cmd(&["AUTH", "default", "pw"]);
        let reply = c.cmd(&["SLOWLOG", "GET", "5"]);
        // Only the logged arguments: ids, times and addresses differ.
        let text = show(&reply);
        let args: Vec<String> = text
            .split("\\r\\n")
            .filter(|t| !t.starts_with(':') && !t.starts_with('*') && !t.starts_with('$'))
            .filter(|t| !t.starts_with("127.0.0.1:"))
            .map(str::to_string)
            .collect();
        args.join(" ")
    };
    let (ferrodis, redis) = servers_with_password(None);
    let got = run(ferrodis.port);
    assert!(got.contains("requirepass (redacted)"), "{got}");
    // Only the HELLO whose options stop at BOGUS keeps it, as Redis never parsed its AUTH.
    assert_eq!(got.matches("pw").count(), 1, "{got}");
    assert_eq!(got, run(redis.port), "left ferrodis, right redis-server");
}

/// Before AUTH, Redis refuses requests of more than 10 arguments or with an argument over
/// 16 KiB as protocol errors (and closes the connection); after AUTH, in the same pipeline,
/// they are fine.
#[test]
fn unauthenticated_requests_are_size_limited_as_redis() {
    let run = |port: u16| {
        let mut steps = Vec::new();
        let big = "x".repeat(16385);
        let eleven: Vec<&str> = std::iter::once("MSET")
            .chain(std::iter::repeat_n("k", 10))
            .collect();
        for request in [eleven.clone(), vec!["SET", "k", big.as_str()]] {
            let mut c = Raw::connect(port);
            let (reply, closed) = {
                c.write(&encode(
                    &request.iter().map(|a| a.as_bytes()).collect::<Vec<_>>(),
                ));
                c.read_until_quiet(Duration::from_millis(300))
            };
            steps.push(format!("{} closed={closed}", show(&reply)));
        }
        // Exactly at the limits, and past them once authenticated in the same write.
        let mut c = Raw::connect(port);
        let ten: Vec<&str> = std::iter::once("MSET")
            .chain(std::iter::repeat_n("k", 9))
            .collect();
        let at_limit = "x".repeat(16384);
        let mut pipeline = encode(&ten.iter().map(|a| a.as_bytes()).collect::<Vec<_>>());
        pipeline.extend(encode(&[b"SET", b"k", at_limit.as_bytes()]));
        pipeline.extend(encode(&[b"AUTH", PASS.as_bytes()]));
        pipeline.extend(encode(
            &eleven.iter().map(|a| a.as_bytes()).collect::<Vec<_>>(),
        ));
        pipeline.extend(encode(&[b"SET", b"k", big.as_bytes()]));
        c.write(&pipeline);
        steps.push(show(&c.read_replies(5)));
        steps
    };
    let ferrodis = Server::ferrodis(&["--requirepass", PASS]);
    let redis = Server::redis();
    Raw::connect(redis.port).cmd(&["CONFIG", "SET", "requirepass", PASS]);
    assert_eq!(run(ferrodis.port), run(redis.port));
}
