//! RESP3 replies of the server, config, info, debug, slowlog, sort, persistence, key and
//! string commands that the differential tests do not generate, against a real redis-server:
//! each scenario runs on both servers with `HELLO 3` connections (and, where the command is new
//! to the protocol work, in RESP2 too), and the transcripts must be equal byte for byte.
//! Replies that carry clocks or addresses are masked, and CONFIG GET's pairs, whose order
//! follows Redis's dict, are compared as sorted pairs under an exact header.

mod common;

use common::{assert_same_transcript, decode, reply_end, show, Raw, Resp};

/// Switches `c` to RESP3 (the HELLO reply names the server: checked for its type only).
fn hello3(c: &mut Raw) {
    let reply = c.cmd(&["HELLO", "3"]);
    assert!(reply.starts_with(b"%"), "HELLO 3: {}", show(&reply));
}

/// A connection on protocol `resp`.
fn connect(port: u16, resp: u8) -> Raw {
    let mut c = Raw::connect(port);
    if resp == 3 {
        hello3(&mut c);
    }
    c
}

/// Runs `cmds` on `c`, recording each command with its exact reply.
fn record(log: &mut Vec<String>, c: &mut Raw, cmds: &[&[&str]]) {
    for args in cmds {
        let reply = c.cmd(args);
        log.push(format!("{} -> {}", args.join(" "), show(&reply)));
    }
}

fn same_on_both(name: &str, scenario: fn(u16) -> Vec<String>) {
    assert_same_transcript(name, &["--enable-debug-command", "yes"], scenario);
}

#[test]
fn debug_protocol_sends_every_type() {
    same_on_both("debug protocol", |port| {
        let mut log = Vec::new();
        for resp in [3, 2] {
            let mut c = connect(port, resp);
            for kind in [
                "string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib",
                "verbatim", "true", "FALSE", "push", "nosuch",
            ] {
                let reply = c.cmd(&["DEBUG", "PROTOCOL", kind]);
                log.push(format!("RESP{resp} {kind} -> {}", show(&reply)));
                if resp == 3 && kind == "push" {
                    // The push is followed by a regular reply.
                    log.push(format!("  then {}", show(&c.read_reply())));
                }
            }
            record(
                &mut log,
                &mut c,
                &[&["DEBUG", "PROTOCOL"], &["DEBUG", "PROTOCOL", "map", "x"]],
            );
        }
        log
    });
}

#[test]
fn info_is_verbatim_text_in_resp3() {
    same_on_both("info", |port| {
        let mut log = Vec::new();
        let mut c = connect(port, 3);
        record(
            &mut log,
            &mut c,
            &[
                &["INFO", "keyspace"],
                &["SET", "k", "v"],
                &["INFO", "keyspace"],
                &["INFO", "KEYSPACE", "nosuch"],
                &["INFO", "nosuch"],
            ],
        );
        // The full text differs between the servers; its type and first section do not.
        for args in [&["INFO"][..], &["INFO", "default"], &["INFO", "server"]] {
            let reply = c.cmd(args);
            let at = reply.iter().position(|&b| b == b'\n').map_or(0, |p| p + 1);
            log.push(format!(
                "{} -> {} {}",
                args.join(" "),
                reply[0] as char,
                show(&reply[at..at + 12])
            ));
        }
        // RESP2 keeps the bulk string.
        let mut r2 = connect(port, 2);
        record(&mut log, &mut r2, &[&["INFO", "keyspace"]]);
        log
    });
}

/// A map reply's header and its key/value pairs, sorted (Redis emits CONFIG GET's pairs in its
/// dict's order).
fn sorted_map(reply: &[u8]) -> String {
    let Some(header_end) = reply.windows(2).position(|w| w == b"\r\n") else {
        return show(reply);
    };
    let mut items = Vec::new();
    let mut at = header_end + 2;
    while at < reply.len() {
        let end = reply_end(reply, at)
            .expect("valid reply")
            .expect("complete reply");
        items.push(show(&reply[at..end]));
        at = end;
    }
    let mut pairs: Vec<String> = items.chunks(2).map(|p| p.join(" ")).collect();
    pairs.sort();
    format!("{} {pairs:?}", show(&reply[..header_end]))
}

#[test]
fn config_get_is_a_map() {
    same_on_both("config", |port| {
        let mut log = Vec::new();
        let mut c = connect(port, 3);
        record(
            &mut log,
            &mut c,
            &[
                &["CONFIG", "GET", "maxmemory-policy"],
                &["CONFIG", "GET", "nosuch"],
                &["CONFIG", "SET", "hz", "15"],
                &["CONFIG", "GET", "hz"],
                &["CONFIG", "GET"],
                &["CONFIG", "RESETSTAT"],
            ],
        );
        for args in [
            &["CONFIG", "GET", "maxmemory-p*", "hz"][..],
            &["CONFIG", "GET", "list-max-*", "slowlog-*", "nosuch"],
        ] {
            let reply = c.cmd(args);
            log.push(format!("{} -> {}", args.join(" "), sorted_map(&reply)));
        }
        let mut r2 = connect(port, 2);
        record(&mut log, &mut r2, &[&["CONFIG", "GET", "hz"]]);
        log
    });
}

#[test]
fn key_string_server_and_persistence_nulls() {
    same_on_both("nulls", |port| {
        let mut log = Vec::new();
        let mut c = connect(port, 3);
        record(
            &mut log,
            &mut c,
            &[
                &["RANDOMKEY"],
                &["DUMP", "nokey"],
                &["OBJECT", "ENCODING", "nokey"],
                &["OBJECT", "FREQ", "nokey"],
                &["OBJECT", "IDLETIME", "nokey"],
                &["GETEX", "nokey", "PERSIST"],
                &["GETDEL", "nokey"],
                &["SET", "s", "v", "GET"],
                &["SET", "s", "w", "GET"],
                &["MGET", "s", "nokey"],
                &["INCRBYFLOAT", "f", "2.5"],
                &["TYPE", "s"],
                &["TYPE", "nokey"],
                &["LCS", "s", "nokey", "IDX"],
                &["SET", "a", "ohmytext"],
                &["SET", "b", "mynewtext"],
                &["LCS", "a", "b", "IDX", "WITHMATCHLEN"],
                &["RPUSH", "l", "3", "1", "2"],
                &["SORT", "l", "GET", "#", "GET", "nokey*", "GET", "s"],
                &["SORT", "l", "LIMIT", "0", "0"],
                &["SORT", "nokey"],
                &["LPOS", "l", "9"],
                &["LPOS", "l", "9", "COUNT", "0"],
                &["LPOP", "nokey", "1"],
                &["RPOP", "nokey"],
                &["LMPOP", "1", "nokey", "RIGHT"],
                &["LMOVE", "nokey", "l", "LEFT", "LEFT"],
                &["DEBUG", "OBJECT", "nokey"],
                &["DEBUG", "DIGEST-VALUE", "nokey"],
                &["SCAN", "0", "MATCH", "nokey*"],
                &["SLOWLOG", "LEN"],
                &["DBSIZE"],
                &["SHUTDOWN", "FOO"],
            ],
        );
        let time = c.cmd(&["TIME"]);
        let shape = match decode(&time) {
            Resp::Array(Some(items)) => items
                .iter()
                .map(|i| matches!(i, Resp::Bulk(Some(_))).to_string())
                .collect::<Vec<_>>()
                .join(","),
            other => format!("{other:?}"),
        };
        log.push(format!("TIME -> bulks {shape}"));
        log
    });
}

/// SLOWLOG GET with every entry's timestamp, duration and client address masked.
fn masked_slowlog(reply: &[u8]) -> String {
    match decode(reply) {
        Resp::Array(Some(entries)) => entries
            .iter()
            .map(|e| match e {
                Resp::Array(Some(f)) if f.len() == 6 => {
                    format!("[{:?} _ _ {:?} _ {:?}]", f[0], f[3], f[5])
                }
                other => format!("{other:?}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => format!("{other:?}"),
    }
}

#[test]
fn slowlog_entries_keep_their_shape_in_resp3() {
    same_on_both("slowlog", |port| {
        let mut log = Vec::new();
        let mut c = connect(port, 3);
        record(
            &mut log,
            &mut c,
            &[
                &["CONFIG", "SET", "slowlog-log-slower-than", "0"],
                &["SLOWLOG", "RESET"],
                &["CLIENT", "SETNAME", "r3"],
                &["SET", "k", "v"],
                &["GET", "nokey"],
            ],
        );
        let reply = c.cmd(&["SLOWLOG", "GET", "2"]);
        log.push(format!(
            "SLOWLOG GET 2 -> {} {}",
            reply[0] as char,
            masked_slowlog(&reply)
        ));
        record(
            &mut log,
            &mut c,
            &[&["SLOWLOG", "RESET"], &["SLOWLOG", "GET", "0"]],
        );
        log
    });
}

/// HELLO switches the protocol for its own reply and everything after it; a refused HELLO
/// changes nothing; RESET goes back to RESP2.
#[test]
fn hello_switches_protocol_and_reset_switches_back() {
    same_on_both("hello/reset", |port| {
        let mut log = Vec::new();
        let mut c = Raw::connect(port);
        record(
            &mut log,
            &mut c,
            &[&["GET", "nokey"], &["HELLO", "4"], &["GET", "nokey"]],
        );
        // The id differs between the servers: keep the reply's shape around it.
        let hello = show(&c.cmd(&["HELLO", "3", "SETNAME", "n"]));
        let (head, tail) = hello.split_once("id\\r\\n:").expect("id in HELLO");
        let tail = tail.split_once("\\r\\n").map_or("", |(_, t)| t);
        log.push(format!("HELLO 3 -> {head}id <n> {tail}"));
        record(
            &mut log,
            &mut c,
            &[
                &["GET", "nokey"],
                &["HGETALL", "nokey"],
                &["HELLO", "5"],
                &["GET", "nokey"],
                &["CLIENT", "GETNAME"],
                &["RESET"],
                &["GET", "nokey"],
                &["CLIENT", "GETNAME"],
            ],
        );
        log
    });
}
