//! SLOWLOG against a real redis-server: which commands are logged, the entry layout, argument
//! trimming and redaction, and the errors. Durations and timestamps differ between any two
//! servers, so they are masked before the transcripts are compared.

mod common;

use common::{decode, show, Raw, Resp};

/// The reply with every entry's timestamp, duration and client address replaced by `_`.
fn masked(reply: &[u8]) -> String {
    fn walk(r: &Resp, depth: usize, out: &mut String) {
        match r {
            Resp::Array(Some(items)) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    // An entry is [id, time, duration, args, addr, name].
                    let hidden = depth == 1 && (i == 1 || i == 2 || i == 4);
                    if hidden {
                        out.push('_');
                    } else {
                        walk(item, depth + 1, out);
                    }
                    out.push(' ');
                }
                out.push(']');
            }
            other => out.push_str(&format!("{other:?}")),
        }
    }
    let mut out = String::new();
    walk(&decode(reply), 0, &mut out);
    out
}

fn transcript(port: u16) -> Vec<String> {
    let mut c = Raw::connect(port);
    let mut log = Vec::new();
    let long = "x".repeat(200);
    let many: Vec<String> = (0..40).map(|i| i.to_string()).collect();
    let mut rpush: Vec<&str> = vec!["RPUSH", "l"];
    rpush.extend(many.iter().map(String::as_str));
    let steps: Vec<Vec<&str>> = vec![
        vec!["CONFIG", "SET", "slowlog-log-slower-than", "0"],
        vec!["SLOWLOG", "RESET"],
        vec!["SET", "a", &long],
        rpush.clone(),
        vec!["CLIENT", "SETNAME", "tester"],
        vec!["AUTH", "user", "secret"],
        vec!["MULTI"],
        vec!["GET", "a"],
        vec!["EXEC"],
    ];
    for args in &steps {
        let reply = c.cmd(args);
        log.push(format!("{} -> {}", args.join(" "), show(&reply)));
    }
    log.push(format!("LEN -> {}", show(&c.cmd(&["SLOWLOG", "LEN"]))));
    log.push(format!(
        "GET 6 -> {}",
        masked(&c.cmd(&["SLOWLOG", "GET", "6"]))
    ));
    for args in [
        &["SLOWLOG", "GET", "-2"][..],
        &["SLOWLOG", "GET", "x"],
        &["SLOWLOG", "GET", "1", "2"],
        &["SLOWLOG", "LEN", "x"],
        &["SLOWLOG"],
        &["CONFIG", "SET", "slowlog-max-len", "2"],
        &["PING"],
        &["SLOWLOG", "LEN"],
        &["CONFIG", "SET", "slowlog-log-slower-than", "-1"],
        &["SLOWLOG", "RESET"],
        &["PING"],
        &["SLOWLOG", "LEN"],
        &["CONFIG", "SET", "slowlog-log-slower-than", "10000"],
        &["CONFIG", "SET", "slowlog-max-len", "128"],
    ] {
        log.push(format!("{} -> {}", args.join(" "), show(&c.cmd(args))));
    }
    log
}

#[test]
fn slowlog_matches_redis() {
    common::assert_same_transcript("slowlog", &[], transcript);
}
