//! Each command's duration (INFO commandstats, SLOWLOG) is its own: copying a PUBLISH's
//! messages into its subscribers' output counts in PUBLISH, as in Redis where PUBLISH writes
//! into the subscribers' buffers itself, and never in the command that runs next.

mod common;

use common::{decode, encode, Raw, Resp, Server};

const SUBSCRIBERS: usize = 400;
const MESSAGE_BYTES: usize = 256 * 1024;
/// Slow log threshold (µs): far above a GET, far below copying 100 MB.
const SLOW_US: u64 = 5_000;

/// `usec` of `cmdstat_<name>` in INFO commandstats.
fn usec_of(c: &mut Raw, name: &str) -> u64 {
    let field = c.info_field("commandstats", &format!("cmdstat_{name}"));
    field
        .split(',')
        .find_map(|kv| kv.strip_prefix("usec="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no usec in {field}"))
}

/// The command names in SLOWLOG GET -1.
fn slowlog_commands(c: &mut Raw) -> Vec<String> {
    let Resp::Array(Some(entries)) = decode(&c.cmd(&["SLOWLOG", "GET", "-1"])) else {
        panic!("SLOWLOG GET is not an array");
    };
    entries
        .iter()
        .filter_map(|e| match e {
            Resp::Array(Some(fields)) => match fields.get(3) {
                Some(Resp::Array(Some(args))) => match args.first() {
                    Some(Resp::Bulk(Some(name))) => Some(String::from_utf8_lossy(name).into()),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn delivering_a_publish_counts_in_publish_not_in_the_next_command() {
    let server = Server::ferrodis(&[]);
    let mut subscribers: Vec<Raw> = (0..SUBSCRIBERS)
        .map(|_| {
            let mut s = Raw::connect(server.port);
            s.cmd(&["SUBSCRIBE", "news"]);
            s
        })
        .collect();
    let mut c = Raw::connect(server.port);
    c.cmd(&["SET", "k", "v"]);
    c.cmd(&[
        "CONFIG",
        "SET",
        "slowlog-log-slower-than",
        &SLOW_US.to_string(),
    ]);
    c.cmd(&["SLOWLOG", "RESET"]);
    c.cmd(&["CONFIG", "RESETSTAT"]);

    // One write: GET is parsed in the same batch, right after the delivery.
    let message = vec![b'm'; MESSAGE_BYTES];
    let mut batch = encode(&[b"PUBLISH", b"news", &message]);
    batch.extend(encode(&[b"GET", b"k"]));
    c.write(&batch);
    assert_eq!(c.read_reply(), format!(":{SUBSCRIBERS}\r\n").into_bytes());
    assert_eq!(c.read_reply(), b"$1\r\nv\r\n");

    let get_us = usec_of(&mut c, "get");
    let publish_us = usec_of(&mut c, "publish");
    assert!(
        get_us < SLOW_US,
        "GET took {get_us} µs by INFO commandstats (PUBLISH {publish_us} µs)"
    );
    assert!(
        publish_us >= SLOW_US,
        "PUBLISH to {SUBSCRIBERS} subscribers of {MESSAGE_BYTES} bytes took only {publish_us} µs: \
         is the delivery still counted elsewhere?"
    );
    let logged = slowlog_commands(&mut c);
    assert!(
        !logged.iter().any(|n| n.eq_ignore_ascii_case("get")),
        "{logged:?}"
    );
    assert!(
        logged.iter().any(|n| n.eq_ignore_ascii_case("publish")),
        "{logged:?}"
    );

    // Every subscriber got the message whole.
    for s in &mut subscribers {
        let Resp::Array(Some(parts)) = decode(&s.read_reply()) else {
            panic!("not a message");
        };
        assert_eq!(parts.get(2), Some(&Resp::Bulk(Some(message.clone()))));
    }
}
