//! Expiry times at the edges of the 64-bit range, against a real redis-server: setting them
//! (EXPIRE family, SET EX/PX/EXAT/PXAT, GETEX, RESTORE), reading them back (TTL, PTTL,
//! EXPIRETIME, PEXPIRETIME) and keeping them across an RDB round trip (DEBUG RELOAD).

mod common;

use common::{assert_same_transcript, show, Raw};

const MAX: &str = "9223372036854775807";
const MIN: &str = "-9223372036854775808";

fn scenario(port: u16) -> Vec<String> {
    let mut c = Raw::connect(port);
    let mut log = Vec::new();
    let run = |c: &mut Raw, log: &mut Vec<String>, args: &[&str]| {
        let reply = c.cmd(args);
        log.push(format!("{} -> {}", args.join(" "), show(&reply)));
    };
    // Deadlines near the top: the second rounding to seconds must not overflow.
    for at in [
        MAX,
        "9223372036854775308",
        "9223372036854775307",
        "9223372036854775000",
    ] {
        run(&mut c, &mut log, &["SET", "k", "v"]);
        run(&mut c, &mut log, &["PEXPIREAT", "k", at]);
        run(&mut c, &mut log, &["EXPIRETIME", "k"]);
        run(&mut c, &mut log, &["PEXPIRETIME", "k"]);
        // Relative readings depend on the clock: only their sign and size class are stable.
        let ttl = c.cmd(&["TTL", "k"]);
        let pttl = c.cmd(&["PTTL", "k"]);
        log.push(format!("TTL positive: {}", !ttl.starts_with(b":-")));
        log.push(format!("PTTL positive: {}", !pttl.starts_with(b":-")));
    }
    let steps: &[&[&str]] = &[
        &["SET", "k", "v", "PXAT", MAX],
        &["EXPIRETIME", "k"],
        &["SET", "k", "v", "EXAT", "9223372036854775"],
        &["PEXPIRETIME", "k"],
        &["SET", "k", "v", "EXAT", "9223372036854776"],
        &["SET", "k", "v", "PX", MAX],
        &["SET", "k", "v", "EX", "9223372036854775"],
        &["GETEX", "k", "PXAT", MAX],
        &["EXPIRETIME", "k"],
        &["GETEX", "k", "EXAT", "9223372036854776"],
        &["GETEX", "k", "EXAT", "9223372036854775"],
        &["PEXPIRETIME", "k"],
        &["EXPIREAT", "k", "9223372036854775"],
        &["EXPIREAT", "k", "9223372036854776"],
        &["EXPIRE", "k", "9223372036854775"],
        &["PEXPIRE", "k", MAX],
        &["PEXPIREAT", "k", MAX],
        &["DEBUG", "RELOAD"],
        &["PEXPIRETIME", "k"],
        &["EXPIRETIME", "k"],
        &["EXPIREAT", "k", "-9223372036854775"],
        &["EXISTS", "k"],
        &["SET", "k", "v"],
        &["EXPIREAT", "k", "-9223372036854776"],
        &["EXPIRE", "k", MIN],
        &["PEXPIREAT", "k", MIN],
        &["EXISTS", "k"],
    ];
    for step in steps {
        run(&mut c, &mut log, step);
    }
    // RESTORE ABSTTL at the top of the range, then read back.
    c.cmd(&["SET", "src", "v"]);
    let dump = c.cmd(&["DUMP", "src"]);
    let payload = bulk_payload(&dump);
    for (ttl, abs) in [(MAX, true), ("9223372036854775000", true)] {
        let mut args: Vec<&[u8]> = vec![b"RESTORE", b"r", ttl.as_bytes(), &payload, b"REPLACE"];
        if abs {
            args.push(b"ABSTTL");
        }
        let reply = c.send(&args);
        log.push(format!("RESTORE r {ttl} abs={abs} -> {}", show(&reply)));
        run(&mut c, &mut log, &["EXPIRETIME", "r"]);
        run(&mut c, &mut log, &["PEXPIRETIME", "r"]);
    }
    log
}

/// The bytes of a `$n\r\n...\r\n` reply.
fn bulk_payload(reply: &[u8]) -> Vec<u8> {
    let start = reply.iter().position(|&b| b == b'\n').expect("bulk header") + 1;
    reply[start..reply.len() - 2].to_vec()
}

#[test]
fn expiry_at_the_limits_matches_redis() {
    assert_same_transcript(
        "expiry limits",
        &["--enable-debug-command", "yes"],
        scenario,
    );
}
