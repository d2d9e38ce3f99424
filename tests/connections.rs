//! Connection settings against a real redis-server started with the same arguments:
//! `timeout` (which idle clients are closed), `tcp-keepalive` (read back from the kernel's
//! view of the accepted socket in /proc/net/tcp), `tcp-backlog` (the listener's backlog as
//! `ss` reports it) and the open-file limit `maxclients` needs.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use common::{encode, show, Raw, Server};

fn connect(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_nodelay(true).expect("nodelay");
    s
}

/// Reads whatever the server sends within `wait`; `None` once the server closed the socket.
fn drain(s: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
    s.set_read_timeout(Some(wait)).expect("read timeout");
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return None,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Some(got)
            }
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return None,
            Err(e) => panic!("read: {e}"),
        }
    }
}

/// Clients of every kind the `timeout` rule distinguishes, left for three and a half seconds
/// on a server started with `--timeout 1`; the transcript says which of them are still open.
fn timeout_scenario(port: u16) -> Vec<String> {
    let send = |args: &[&str]| {
        let mut s = connect(port);
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        s.write_all(&encode(&args)).expect("write");
        // The reply (or the subscription confirmation) arrives before the clock starts.
        let _ = drain(&mut s, Duration::from_millis(100));
        s
    };
    let mut clients: Vec<(&str, TcpStream)> = vec![
        ("idle", send(&["PING"])),
        ("in multi", send(&["MULTI"])),
        ("subscriber", send(&["SUBSCRIBE", "ch"])),
        ("pattern subscriber", send(&["PSUBSCRIBE", "p*"])),
        ("shard subscriber", send(&["SSUBSCRIBE", "sh"])),
        ("unsubscribed again", {
            let s = send(&["SUBSCRIBE", "ch2"]);
            let mut s2 = s;
            s2.write_all(&encode(&[b"UNSUBSCRIBE"])).expect("write");
            let _ = drain(&mut s2, Duration::from_millis(100));
            s2
        }),
        ("resp3 subscriber", {
            let mut s = connect(port);
            s.write_all(&encode(&[b"HELLO", b"3"])).expect("write");
            s.write_all(&encode(&[b"SUBSCRIBE", b"ch"])).expect("write");
            let _ = drain(&mut s, Duration::from_millis(100));
            s
        }),
        ("blocked forever", send(&["BLPOP", "nokey", "0"])),
        (
            "blocked 20s",
            send(&["BLMOVE", "nokey", "dst", "LEFT", "LEFT", "20"]),
        ),
        ("pauser", send(&["CLIENT", "PAUSE", "6000", "WRITE"])),
        ("held by CLIENT PAUSE", send(&["SET", "k", "v"])),
        ("half a request", {
            let mut s = connect(port);
            s.write_all(b"*2\r\n$4\r\nECHO\r\n$5\r\nhe").expect("write");
            s
        }),
    ];
    // Two clients that keep interacting: one runs commands, one sends a request a byte at a
    // time (each read counts, though no command completes).
    let mut pinger = connect(port);
    let mut trickler = connect(port);
    let slow = b"*3\r\n$3\r\nGET\r\n$30\r\nabcdefghijklmnopqrstuvwxyz0123\r\n";
    let started = Instant::now();
    let mut sent = 0;
    while started.elapsed() < Duration::from_millis(3500) {
        pinger.write_all(b"PING\r\n").expect("pinger alive");
        trickler
            .write_all(&slow[sent..sent + 1])
            .expect("trickler alive");
        sent += 1;
        let _ = drain(&mut pinger, Duration::from_millis(10));
        thread::sleep(Duration::from_millis(300));
    }
    assert!(sent < slow.len(), "the trickled request must not complete");
    clients.push(("pinging", pinger));
    clients.push(("trickling a request", trickler));
    clients
        .iter_mut()
        .map(|(name, s)| {
            let state = match drain(s, Duration::from_millis(50)) {
                Some(_) => "open",
                None => "closed",
            };
            format!("{name}: {state}")
        })
        .collect()
}

#[test]
fn timeout_closes_idle_clients_but_not_subscribers_blocked_or_paused_ones() {
    let args = ["--timeout", "1", "--loglevel", "verbose"];
    let redis = thread::spawn(move || {
        let server = Server::redis_with(&args);
        (timeout_scenario(server.port), server.output())
    });
    let ferrodis = Server::ferrodis(&args);
    let ours = timeout_scenario(ferrodis.port);
    let (theirs, redis_log) = redis.join().expect("redis scenario");
    assert_eq!(
        ours, theirs,
        "ferrodis (left) and redis-server (right) differ"
    );
    assert_eq!(
        ours,
        [
            "idle: closed",
            "in multi: closed",
            "subscriber: open",
            "pattern subscriber: open",
            "shard subscriber: open",
            "unsubscribed again: closed",
            "resp3 subscriber: open",
            "blocked forever: open",
            "blocked 20s: open",
            "pauser: closed",
            "held by CLIENT PAUSE: open",
            "half a request: closed",
            "pinging: open",
            "trickling a request: open",
        ]
    );
    let closing = |log: &str| log.matches("Closing idle client").count();
    assert_eq!(closing(&redis_log), 5, "{redis_log}");
    assert_eq!(closing(&ferrodis.output()), 5, "{}", ferrodis.output());
}

#[test]
fn timeout_zero_closes_nobody_and_can_be_set_at_runtime() {
    let server = Server::ferrodis(&[]);
    let mut idle = connect(server.port);
    thread::sleep(Duration::from_millis(2200));
    assert_eq!(
        drain(&mut idle, Duration::from_millis(50)),
        Some(Vec::new())
    );
    let mut admin = Raw::connect(server.port);
    assert_eq!(
        show(&admin.cmd(&["CONFIG", "SET", "timeout", "1"])),
        "+OK\\r\\n"
    );
    let deadline = Instant::now() + Duration::from_secs(4);
    let mut closed = false;
    while Instant::now() < deadline {
        if drain(&mut idle, Duration::from_millis(100)).is_none() {
            closed = true;
            break;
        }
    }
    assert!(closed, "an idle client outlived CONFIG SET timeout 1");
}

/// The keepalive timer the kernel runs for the server's side of the connection whose client
/// end is `client`: `Some(centiseconds left)` or `None` when no timer is pending. Read from
/// /proc/net/tcp, whose `tr` column is 2 for the keepalive timer and whose `tm->when` counts
/// clock ticks (USER_HZ, 100 per second) until it fires.
fn keepalive_timer(server_port: u16, client: &TcpStream) -> Option<u64> {
    let client_port = client.local_addr().expect("local addr").port();
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    let local = format!("0100007F:{server_port:04X}");
    let remote = format!("0100007F:{client_port:04X}");
    for line in table.lines().skip(1) {
        let cols: Vec<&str> = line.split_whitespace().collect();
        if cols.len() > 5 && cols[1] == local && cols[2] == remote {
            let (tr, when) = cols[5].split_once(':').expect("tr:when");
            return match tr {
                "02" => Some(u64::from_str_radix(when, 16).expect("hex")),
                "00" => None,
                other => panic!("unexpected timer {other} in {line}"),
            };
        }
    }
    panic!("no /proc/net/tcp row for {local} <- {remote}");
}

/// A fresh client that has had its reply (so no retransmit timer hides the keepalive one).
fn settled_client(port: u16) -> TcpStream {
    let mut s = connect(port);
    s.write_all(b"PING\r\n").expect("write");
    assert_eq!(
        drain(&mut s, Duration::from_millis(100)),
        Some(b"+PONG\r\n".to_vec())
    );
    thread::sleep(Duration::from_millis(50));
    s
}

fn keepalive_checks(server: &Server) -> Vec<String> {
    let mut out = Vec::new();
    let mut admin = Raw::connect(server.port);
    out.push(show(&admin.cmd(&["CONFIG", "GET", "tcp-keepalive"])));
    let timer = |c: &TcpStream| keepalive_timer(server.port, c);
    // Default 300: the first probe is due 300 s after the last packet.
    let c = settled_client(server.port);
    let left = timer(&c).expect("keepalive timer at the default 300");
    out.push(format!("default: {}", (29_000..=30_000).contains(&left)));
    out.push(show(&admin.cmd(&["CONFIG", "SET", "tcp-keepalive", "0"])));
    let off = settled_client(server.port);
    out.push(format!("0: {:?}", timer(&off)));
    out.push(show(&admin.cmd(&["CONFIG", "SET", "tcp-keepalive", "7"])));
    let seven = settled_client(server.port);
    let left = timer(&seven).expect("keepalive timer at 7");
    out.push(format!("7: {}", (500..=700).contains(&left)));
    // Sockets accepted before keep what they had.
    out.push(format!("earlier: {}", timer(&c).is_some()));
    out
}

#[test]
fn tcp_keepalive_is_set_on_accepted_sockets() {
    let ferrodis = Server::ferrodis(&[]);
    let redis = Server::redis();
    let ours = keepalive_checks(&ferrodis);
    assert_eq!(ours, keepalive_checks(&redis));
    assert_eq!(
        ours,
        [
            "*2\\r\\n$13\\r\\ntcp-keepalive\\r\\n$3\\r\\n300\\r\\n",
            "default: true",
            "+OK\\r\\n",
            "0: None",
            "+OK\\r\\n",
            "7: true",
            "earlier: true",
        ]
    );
}

/// The listen backlog of the server's IPv4 listener, as `ss -ltn` reports it (Send-Q).
fn listen_backlog(port: u16) -> u64 {
    let out = std::process::Command::new("ss")
        .args(["-ltnH", &format!("sport = :{port}")])
        .output()
        .expect("ss");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = text
        .lines()
        .find(|l| l.contains(&format!("127.0.0.1:{port}")))
        .unwrap_or_else(|| panic!("no listener on {port} in: {text}"));
    let cols: Vec<&str> = line.split_whitespace().collect();
    cols[2].parse().expect("Send-Q")
}

#[test]
fn tcp_backlog_is_the_listen_backlog_and_immutable() {
    let args = ["--tcp-backlog", "37", "--bind", "127.0.0.1"];
    let ferrodis = Server::ferrodis(&args);
    let redis = Server::redis_with(&args);
    for server in [&ferrodis, &redis] {
        let mut c = Raw::connect(server.port);
        assert_eq!(
            show(&c.cmd(&["CONFIG", "GET", "tcp-backlog"])),
            "*2\\r\\n$11\\r\\ntcp-backlog\\r\\n$2\\r\\n37\\r\\n"
        );
        assert_eq!(
            show(&c.cmd(&["CONFIG", "SET", "tcp-backlog", "100"])),
            "-ERR CONFIG SET failed (possibly related to argument 'tcp-backlog') - can't set \
             immutable config\\r\\n"
        );
        assert_eq!(listen_backlog(server.port), 37);
    }
    let ours = Server::ferrodis(&[]);
    assert_eq!(listen_backlog(ours.port), 511);
}

#[test]
fn tcp_backlog_above_somaxconn_is_warned_about() {
    let somaxconn: u64 = std::fs::read_to_string("/proc/sys/net/core/somaxconn")
        .expect("somaxconn")
        .trim()
        .parse()
        .expect("number");
    let backlog = (somaxconn + 1).to_string();
    let args = ["--tcp-backlog", backlog.as_str()];
    let warning = format!(
        "WARNING: The TCP backlog setting of {backlog} cannot be enforced because \
         /proc/sys/net/core/somaxconn is set to the lower value of {somaxconn}."
    );
    let ferrodis = Server::ferrodis(&args);
    let redis = Server::redis_with(&args);
    assert!(redis.output().contains(&warning), "{}", redis.output());
    assert!(
        ferrodis.output().contains(&warning),
        "{}",
        ferrodis.output()
    );
    // At somaxconn itself: nothing to warn about.
    let fine = somaxconn.to_string();
    let quiet = Server::ferrodis(&["--tcp-backlog", fine.as_str()]);
    assert!(
        !quiet.output().contains("TCP backlog"),
        "{}",
        quiet.output()
    );
}

fn nofile() -> (u64, u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is valid for writes.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
        0
    );
    (limit.rlim_cur, limit.rlim_max)
}

fn config_get(port: u16, name: &str) -> String {
    let mut c = Raw::connect(port);
    show(&c.cmd(&["CONFIG", "GET", name]))
}

/// A server asked for more clients than the hard limit allows: both lower maxclients to fit
/// and say so in the same words (this needs a hard limit the process cannot raise, as
/// without CAP_SYS_RESOURCE; `fs.nr_open` bounds even a privileged process).
#[test]
fn maxclients_beyond_the_open_file_limit_is_lowered_with_redis_warning() {
    let nr_open: u64 = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .expect("nr_open")
        .trim()
        .parse()
        .expect("number");
    let (_, hard) = nofile();
    // Beyond both ceilings whichever applies.
    let asked = nr_open.max(hard) + 100;
    let asked_s = asked.to_string();
    let args = ["--maxclients", asked_s.as_str()];
    let ferrodis = Server::ferrodis(&args);
    let redis = Server::redis_with(&args);
    let theirs = config_get(redis.port, "maxclients");
    assert_eq!(config_get(ferrodis.port, "maxclients"), theirs);
    let lines = [
        format!(
            "You requested maxclients of {asked} requiring at least {} max file descriptors.",
            asked + 32
        ),
        "maxclients has been reduced to".to_string(),
        "If you need higher maxclients increase 'ulimit -n'.".to_string(),
    ];
    for line in &lines {
        assert!(redis.output().contains(line.as_str()), "{}", redis.output());
        assert!(
            ferrodis.output().contains(line.as_str()),
            "{}",
            ferrodis.output()
        );
    }
    // The number both obtained is in the text.
    let value = theirs
        .rsplit("\\r\\n")
        .nth(1)
        .expect("CONFIG GET value")
        .to_string();
    assert!(value.parse::<u64>().expect("number") < asked, "{theirs}");
    let reduced = format!("maxclients has been reduced to {value} to compensate");
    assert!(
        ferrodis.output().contains(&reduced),
        "{}",
        ferrodis.output()
    );
}

/// A soft limit below what `maxclients` needs is raised, and the log says from what to what.
#[test]
fn open_file_limit_is_raised_for_maxclients() {
    let (_, hard) = nofile();
    // Needs room under the hard limit for 1000 clients + 32.
    if hard < 1032 + 16 {
        eprintln!("hard NOFILE limit {hard} too low for this test");
        return;
    }
    // The child inherits the soft limit; lower it for the spawn only (the `ulimit` of a shell).
    let script = format!(
        "ulimit -Sn 512 && exec {} --port 0 --save '' --maxclients 1000 --loglevel verbose",
        env!("CARGO_BIN_EXE_ferrodis")
    );
    let out = run_briefly(&script);
    assert!(
        out.contains(
            "Increased maximum number of open files to 1032 (it was originally set to 512)."
        ),
        "{out}"
    );
    let redis_script = "ulimit -Sn 512 && exec redis-server --port 0 --save '' --maxclients 1000";
    let theirs = run_briefly(redis_script);
    assert!(
        theirs.contains(
            "Increased maximum number of open files to 1032 (it was originally set to 512)."
        ),
        "{theirs}"
    );
}

/// Runs `script` under sh for half a second and returns what it printed.
fn run_briefly(script: &str) -> String {
    let dir = std::env::temp_dir();
    let mut child = std::process::Command::new("sh")
        .args(["-c", script])
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sh");
    thread::sleep(Duration::from_millis(500));
    let _ = child.kill();
    let out = child.wait_with_output().expect("output");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    text
}
