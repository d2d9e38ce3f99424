//! Error replies that echo client bytes, against a real redis-server: Redis formats them as C
//! strings (an argument stops at its first NUL byte), copies every other byte untouched (no
//! UTF-8 repair), trims CR/LF from both ends of the message and turns the ones inside into
//! spaces. The counts these errors leave in INFO errorstats must agree too.

mod common;

use std::time::Duration;

use common::{show, show_short, Raw, Server};

/// Arguments that exercise each rule: NUL inside and first, invalid UTF-8, CR/LF at the ends
/// and inside.
const PAYLOADS: &[&[u8]] = &[
    b"\x00\xff",
    b"a\xff\x00b",
    b"\xff\xfe",
    b"\r\na\r\nb\r\n",
    b"x\ry\nz",
    b"\n",
];

/// Every error that echoes an argument; `@` stands for the payload.
const COMMANDS: &[&[&str]] = &[
    &["EXPIRE", "k", "10", "@"],
    &["PEXPIRE", "k", "10", "@"],
    &["EXPIREAT", "k", "10", "@"],
    &["PEXPIREAT", "k", "10", "@"],
    &["HELLO", "2", "@"],
    &["HELLO", "2", "SETNAME", "n", "@"],
    &["CLIENT", "@"],
    &["CLIENT", "KILL", "TYPE", "@"],
    &["CLIENT", "KILL", "USER", "@"],
    &["CONFIG", "@"],
    &["CONFIG", "SET", "@", "1"],
    &["CONFIG", "SET", "maxmemory", "1", "@", "2"],
    &["OBJECT", "@", "k"],
    &["PUBSUB", "@"],
    &["SLOWLOG", "@"],
    &["DEBUG", "@"],
    &["@"],
    &["@", "@", "x"],
    &["GET", "@", "x"],
];

fn substitute(template: &[&str], payload: &[u8]) -> Vec<Vec<u8>> {
    template
        .iter()
        .map(|&a| {
            if a == "@" {
                payload.to_vec()
            } else {
                a.as_bytes().to_vec()
            }
        })
        .collect()
}

/// The replies of every command × payload, then the protocol errors, each on its own
/// connection (they close it), then INFO errorstats.
fn transcript(port: u16) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut c = Raw::connect(port);
    for template in COMMANDS {
        for payload in PAYLOADS {
            let args = substitute(template, payload);
            let refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
            let label = refs.iter().map(|a| show(a)).collect::<Vec<_>>().join(" ");
            out.push((label, c.send(&refs)));
        }
    }
    // `expected '$', got '%c'`: the byte goes out as it is, CR/LF as a space.
    for byte in [b'x', 0xff, b'\r', b'\n', b' '] {
        let mut p = Raw::connect(port);
        p.write(&[b"*2\r\n".as_slice(), &[byte], b"\r\n"].concat());
        let (reply, _) = p.read_until_quiet(Duration::from_millis(300));
        out.push((format!("protocol byte {byte:#04x}"), reply));
    }
    // Redis finds header and inline line ends with strchr: a NUL hides them, and nothing is
    // answered until the line passes the 64 KiB limit.
    for (label, request) in [
        ("NUL in a bulk header", b"*2\r\n\x00\r\n".to_vec()),
        ("NUL in the count line", b"*2\x00\r\n".to_vec()),
        ("NUL in an inline request", b"PING a\x00b\r\n".to_vec()),
    ] {
        let mut p = Raw::connect(port);
        p.write(&request);
        let (quiet, _) = p.read_until_quiet(Duration::from_millis(300));
        out.push((format!("{label}, short"), quiet));
        p.write(&vec![b'x'; 70 * 1024]);
        let (reply, _) = p.read_until_quiet(Duration::from_millis(500));
        out.push((format!("{label}, past 64 KiB"), reply));
    }
    let mut c = Raw::connect(port);
    let stats = String::from_utf8_lossy(&c.cmd(&["INFO", "errorstats"])).into_owned();
    let mut lines: Vec<&str> = stats
        .lines()
        .filter(|l| l.starts_with("errorstat_"))
        .collect();
    lines.sort_unstable();
    out.push(("INFO errorstats".into(), lines.join("\n").into_bytes()));
    out
}

#[test]
fn echoed_arguments_match_redis_byte_for_byte() {
    let redis = Server::redis_with(&["--enable-debug-command", "yes"]);
    let ferrodis = Server::ferrodis(&[]);
    let want = transcript(redis.port);
    let got = transcript(ferrodis.port);
    assert_eq!(want.len(), got.len());
    let diffs: Vec<String> = want
        .iter()
        .zip(&got)
        .filter(|(w, g)| w.1 != g.1)
        .map(|((label, w), (_, g))| {
            format!(
                "{label}\n  redis:    {}\n  ferrodis: {}",
                show_short(w, 300),
                show_short(g, 300)
            )
        })
        .collect();
    assert!(
        diffs.is_empty(),
        "{} differences:\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

/// CLIENT SETINFO is Redis 7.2's (7.0 does not have it): its errors are shaped by the same
/// rules, checked here against the text 7.2 formats.
#[test]
fn client_setinfo_errors_are_c_strings_without_line_breaks() {
    let ferrodis = Server::ferrodis(&[]);
    let mut c = Raw::connect(ferrodis.port);
    let cases: &[(&[u8], &[u8], &[u8])] = &[
        (b"x\xff\x00y", b"v", b"-ERR Unrecognized option 'x\xff'\r\n"),
        (b"\r\nz\r", b"v", b"-ERR Unrecognized option '  z '\r\n"),
        (
            b"LIB-NAME",
            b"a b",
            b"-ERR LIB-NAME cannot contain spaces, newlines or special characters.\r\n",
        ),
    ];
    for &(attr, value, want) in cases {
        let got = c.send(&[b"CLIENT", b"SETINFO", attr, value]);
        assert_eq!(show(&got), show(want), "CLIENT SETINFO {}", show(attr));
    }
}
