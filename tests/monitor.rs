//! MONITOR against a real redis-server: the lines a monitor receives for a sequence of
//! commands (quoting, databases, redaction, transactions, a served BLPOP, hidden admin
//! commands), and what a monitoring connection may still do. Timestamps and client ports
//! differ between any two runs, so each line's timestamp is checked for its shape and then
//! masked, and each client's address is replaced by its name.

mod common;

use common::{assert_same_transcript, show, Raw};

/// The clients of a scenario, by name, to mask their addresses in monitor lines.
struct Names(Vec<(String, &'static str)>);

impl Names {
    fn of(clients: &[(&Raw, &'static str)]) -> Names {
        let list = clients
            .iter()
            .map(|(c, name)| {
                let addr = c.stream.local_addr().expect("local addr");
                (format!("127.0.0.1:{}", addr.port()), *name)
            })
            .collect();
        Names(list)
    }

    /// One monitor line with its timestamp checked and masked and its address named.
    fn mask(&self, line: &[u8]) -> String {
        // The line is ASCII: Redis escapes every other byte.
        assert!(line.is_ascii(), "not ASCII: {}", show(line));
        let text = String::from_utf8_lossy(line);
        let text = text
            .strip_suffix("\r\n")
            .unwrap_or_else(|| panic!("no CRLF: {text}"));
        let rest = text
            .strip_prefix('+')
            .unwrap_or_else(|| panic!("not a status line: {text}"));
        let (stamp, rest) = rest
            .split_once(' ')
            .unwrap_or_else(|| panic!("no timestamp: {text}"));
        let (secs, micros) = stamp
            .split_once('.')
            .unwrap_or_else(|| panic!("timestamp without micros: {text}"));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        let secs: u64 = secs.parse().expect("seconds");
        assert!(secs.abs_diff(now) < 60, "timestamp far from now: {text}");
        assert!(
            micros.len() == 6 && micros.bytes().all(|b| b.is_ascii_digit()),
            "micros not 6 digits: {text}"
        );
        let mut rest = rest.to_string();
        for (addr, name) in &self.0 {
            rest = rest.replace(&format!(" {addr}]"), &format!(" {name}]"));
        }
        format!("+T {rest}")
    }
}

/// Reads monitor lines until one carries `marker` (an ECHO argument), masked.
fn lines_until(monitor: &mut Raw, names: &Names, marker: &str) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let line = names.mask(&monitor.read_reply());
        let done = line.contains(&format!("\"ECHO\" \"{marker}\""));
        out.push(line);
        if done {
            return out;
        }
    }
}

fn plain_commands(port: u16) -> Vec<String> {
    let mut m = Raw::connect(port);
    let mut a = Raw::connect(port);
    let mut b = Raw::connect(port);
    let names = Names::of(&[(&m, "m"), (&a, "a"), (&b, "b")]);
    let mut t = vec![show(&m.cmd(&["MONITOR"]))];
    let awkward: &[u8] = b"x\"y\\z\n\r\t\x07\x08\x00\x01\x7f\xff \xc3\xa9~";
    let steps: &[&[&[u8]]] = &[
        &[b"SET", b"k", awkward],
        &[b"GET", b"k"],
        &[b"SET", b"", b""],
        &[b"SELECT", b"3"],
        &[b"SET", b"k", b"three"],
        &[b"NOSUCHCOMMAND", b"x"],
        &[b"GET"],
        &[b"CONFIG", b"GET", b"maxmemory"],
        &[b"SLOWLOG", b"LEN"],
        &[b"AUTH", b"secret"],
        &[b"AUTH", b"someone", b"secret"],
        &[b"HELLO", b"2", b"AUTH", b"default", b"secret"],
        &[b"HELLO", b"2", b"SETNAME", b"n"],
        &[b"CLIENT", b"SETNAME", b"a"],
        &[b"INCR", b"k"],
        &[b"PING"],
        &[b"SELECT", b"0"],
        &[b"ECHO", b"step1"],
    ];
    for step in steps {
        let reply = a.send(step);
        if step[0] == b"HELLO" {
            // Only its first line: the rest names the client's id.
            let end = reply.iter().position(|&b| b == b'\n').map_or(0, |p| p + 1);
            t.push(show(&reply[..end]));
        } else {
            t.push(show(&reply));
        }
    }
    t.extend(lines_until(&mut m, &names, "step1"));
    // Transactions: the queued commands are shown when EXEC runs them, before EXEC.
    for batch in [
        &["MULTI", "SET", "q", "1", "INCR", "q", "EXEC"][..],
        &["MULTI", "SET", "q", "2", "DISCARD"][..],
        &["MULTI", "NOSUCHCOMMAND", "EXEC"][..],
        &["MULTI", "INCR", "k", "EXEC"][..],
    ] {
        let mut i = 0;
        while i < batch.len() {
            let n = match batch[i] {
                "SET" => 3,
                "INCR" => 2,
                _ => 1,
            };
            t.push(show(&a.cmd(&batch[i..i + n])));
            i += n;
        }
    }
    t.push(show(&a.cmd(&["WATCH", "q"])));
    t.push(show(&b.cmd(&["SET", "q", "9"])));
    t.push(show(&a.cmd(&["MULTI"])));
    t.push(show(&a.cmd(&["GET", "q"])));
    t.push(show(&a.cmd(&["EXEC"])));
    t.push(show(&a.cmd(&["ECHO", "step2"])));
    t.extend(lines_until(&mut m, &names, "step2"));
    // A BLPOP is shown when it blocks, and not again when the RPUSH serves it.
    t.push(show(&b.cmd(&["SELECT", "5"])));
    b.write(&common::encode(&[b"BLPOP", b"l", b"0"]));
    t.extend(lines_until_blpop(&mut m, &names));
    t.push(show(&a.cmd(&["SELECT", "5"])));
    t.push(show(&a.cmd(&["RPUSH", "l", "v"])));
    t.push(show(&b.read_reply()));
    t.push(show(&a.cmd(&["ECHO", "step3"])));
    t.extend(lines_until(&mut m, &names, "step3"));
    t
}

/// Reads monitor lines until the BLPOP's own line.
fn lines_until_blpop(monitor: &mut Raw, names: &Names) -> Vec<String> {
    let mut out = Vec::new();
    loop {
        let line = names.mask(&monitor.read_reply());
        let done = line.contains("\"BLPOP\"");
        out.push(line);
        if done {
            return out;
        }
    }
}

#[test]
fn monitor_lines_match_redis() {
    assert_same_transcript("monitor lines", &[], plain_commands);
}

fn monitor_connection(port: u16) -> Vec<String> {
    let mut m = Raw::connect(port);
    let mut a = Raw::connect(port);
    let names = Names::of(&[(&m, "m"), (&a, "a")]);
    let mut t = Vec::new();
    // A RESP3 monitor still gets simple strings.
    let hello = m.cmd(&["HELLO", "3"]);
    t.push(show(&hello[..hello.len().min(2)]));
    t.push(show(&m.cmd(&["MONITOR"])));
    // Commands with keys are refused; the others run, and the monitor sees its own.
    t.push(show(&m.cmd(&["GET", "k"])));
    t.push(show(&m.cmd(&["SET", "k", "v"])));
    t.push(show(&m.cmd(&["PING"])));
    t.push(names.mask(&m.read_reply()));
    // MONITOR again answers nothing at all: the next reply is ECHO's.
    m.write(&common::encode(&[b"MONITOR"]));
    t.push(show(&m.cmd(&["ECHO", "again"])));
    t.push(names.mask(&m.read_reply()));
    let list = String::from_utf8_lossy(&m.cmd(&["CLIENT", "LIST"])).into_owned();
    let flags = list
        .split(' ')
        .find(|f| f.starts_with("flags="))
        .unwrap_or("none")
        .to_string();
    // CLIENT LIST is an admin command: not shown, even to the monitor that ran it.
    t.push(flags);
    // MONITOR cannot run inside a transaction.
    t.push(show(&a.cmd(&["MULTI"])));
    t.push(show(&a.cmd(&["MONITOR"])));
    t.push(show(&a.cmd(&["EXEC"])));
    t.push(show(&a.cmd(&["ECHO", "one"])));
    t.extend(lines_until(&mut m, &names, "one"));
    // RESET leaves monitor mode: its own line is not shown, nor anything after it.
    t.push(show(&m.cmd(&["RESET"])));
    t.push(show(&a.cmd(&["ECHO", "two"])));
    t.push(show(&m.cmd(&["GET", "k"])));
    t.push(show(&m.cmd(&["MONITOR"])));
    t.push(show(&a.cmd(&["ECHO", "three"])));
    t.extend(lines_until(&mut m, &names, "three"));
    // QUIT: the monitor gets its +OK, not its own line.
    t.push(show(&m.cmd(&["QUIT"])));
    let (rest, closed) = m.read_until_quiet(std::time::Duration::from_millis(300));
    t.push(format!("{} closed={closed}", show(&rest)));
    t
}

#[test]
fn monitoring_connection_matches_redis() {
    assert_same_transcript("monitor connection", &[], monitor_connection);
}

fn subscribed_monitor(port: u16) -> Vec<String> {
    let mut m = Raw::connect(port);
    let mut a = Raw::connect(port);
    let names = Names::of(&[(&m, "m"), (&a, "a")]);
    let mut t = vec![show(&m.cmd(&["MONITOR"]))];
    t.push(show(&m.cmd(&["SUBSCRIBE", "c"])));
    t.push(names.mask(&m.read_reply()));
    // The RESP2 subscribed context is checked before the monitor's keyspace refusal.
    t.push(show(&m.cmd(&["GET", "k"])));
    t.push(show(&m.cmd(&["ECHO", "x"])));
    t.push(show(&a.cmd(&["PUBLISH", "c", "hello"])));
    t.push(show(&m.read_reply()));
    t.push(names.mask(&m.read_reply()));
    t.push(show(&m.cmd(&["RESET"])));
    // Out of both modes: a keyspace command runs again.
    t.push(show(&m.cmd(&["GET", "k"])));
    t
}

#[test]
fn subscribed_monitor_matches_redis() {
    assert_same_transcript("subscribed monitor", &[], subscribed_monitor);
}
