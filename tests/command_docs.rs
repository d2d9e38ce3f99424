//! COMMAND DOCS `arguments` against a real redis-server, and the inline hints redis-cli derives
//! from them, typed into redis-cli through a pseudo-terminal.

mod common;
#[path = "support/resp_tree.rs"]
mod resp_tree;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use common::{decode, Resp, Server};

/// ferrodis's own spellings of Redis commands, documented as the command they stand for.
const ALIASES: &[(&str, &str)] = &[("delete", "del"), ("clear", "flushdb")];

fn bulk(s: &str) -> Resp {
    Resp::Bulk(Some(s.as_bytes().to_vec()))
}

fn text(r: &Resp) -> String {
    match r {
        Resp::Bulk(Some(b)) | Resp::Simple(b) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("expected a string, got {other:?}"),
    }
}

/// A readable form of a reply for assertion messages: simple strings marked with `+`.
fn render(r: &Resp) -> String {
    match r {
        Resp::Bulk(Some(b)) => String::from_utf8_lossy(b).into_owned(),
        Resp::Simple(b) => format!("+{}", String::from_utf8_lossy(b)),
        Resp::Int(i) => format!(":{i}"),
        Resp::Array(Some(items)) => {
            let inner: Vec<String> = items.iter().map(render).collect();
            format!("[{}]", inner.join(" "))
        }
        other => format!("{other:?}"),
    }
}

fn items(r: &Resp) -> &[Resp] {
    match r {
        Resp::Array(Some(items)) => items,
        other => panic!("expected an array, got {other:?}"),
    }
}

/// A RESP2 map (flat array of key, value) as ordered pairs.
fn pairs(r: &Resp) -> Vec<(String, &Resp)> {
    items(r)
        .chunks(2)
        .map(|kv| (text(&kv[0]), &kv[1]))
        .collect()
}

/// The docs map of `COMMAND DOCS name` (`None` when the server does not know the name).
fn docs_of(conn: &mut common::Raw, name: &str) -> Option<Resp> {
    let reply = decode(&conn.cmd(&["COMMAND", "DOCS", name]));
    let entries = items(&reply);
    assert!(entries.len() <= 2, "{name}: {reply:?}");
    entries.get(1).cloned()
}

fn field<'a>(docs: &'a Resp, key: &str) -> Option<&'a Resp> {
    pairs(docs)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// Arguments of the Redis 7.2 commands ferrodis has and 7.0.15 lacks, as 7.2 documents them.
fn redis_72_arguments(name: &str) -> Option<Resp> {
    let map = |fields: &[(&str, Resp)]| {
        Resp::Array(Some(
            fields
                .iter()
                .flat_map(|(k, v)| [bulk(k), v.clone()])
                .collect(),
        ))
    };
    let pure = |name: &str, token: &str| {
        map(&[
            ("name", bulk(name)),
            ("type", bulk("pure-token")),
            ("token", bulk(token)),
        ])
    };
    let tokened = |name: &str, token: &str| {
        map(&[
            ("name", bulk(name)),
            ("type", bulk("string")),
            ("token", bulk(token)),
        ])
    };
    let oneof = |name: &str, alts: Vec<Resp>| {
        Resp::Array(Some(vec![map(&[
            ("name", bulk(name)),
            ("type", bulk("oneof")),
            ("arguments", Resp::Array(Some(alts))),
        ])]))
    };
    match name {
        "client|setinfo" => Some(oneof(
            "attr",
            vec![tokened("libname", "LIB-NAME"), tokened("libver", "LIB-VER")],
        )),
        "client|no-touch" => Some(oneof("enabled", vec![pure("on", "ON"), pure("off", "OFF")])),
        _ => None,
    }
}

/// Every command and subcommand ferrodis knows: its COMMAND DOCS `arguments` equal Redis's,
/// every field and every field's position, byte for byte (`since` and `deprecated_since`
/// included: they are facts of Redis's history, which the table copies). ferrodis's docs keys
/// are a subsequence of Redis's, so `arguments` sits where Redis puts it. The whole map, in
/// both protocols, is [`docs_match_redis`]'s.
#[test]
fn docs_arguments_match_redis() {
    let ferrodis = Server::ferrodis(&[]);
    let redis = Server::redis();
    let (mut f, mut r) = (ferrodis.raw(), redis.raw());
    let names: Vec<String> = items(&decode(&f.cmd(&["COMMAND", "LIST"])))
        .iter()
        .map(text)
        .collect();
    assert!(names.len() > 150, "COMMAND LIST: {names:?}");
    let mut with_args = 0;
    for name in &names {
        let ours = docs_of(&mut f, name).unwrap_or_else(|| panic!("ferrodis lacks docs of {name}"));
        let ours_args = field(&ours, "arguments").cloned();
        with_args += ours_args.is_some() as usize;
        let theirs_name = ALIASES
            .iter()
            .find(|(alias, _)| alias == name)
            .map_or(name.as_str(), |(_, real)| real);
        let Some(theirs) = docs_of(&mut r, theirs_name) else {
            let expected = redis_72_arguments(name);
            assert!(
                expected.is_some(),
                "{name}: unknown to Redis 7.0 and not listed here"
            );
            assert!(
                ours_args == expected,
                "{name}: arguments differ from Redis 7.2's\n ferrodis: {}\n    redis: {}",
                ours_args.as_ref().map_or("none".into(), render),
                expected.as_ref().map_or("none".into(), render),
            );
            continue;
        };
        let theirs_args = field(&theirs, "arguments").cloned();
        assert!(
            ours_args == theirs_args,
            "{name}: COMMAND DOCS arguments differ from redis {theirs_name}'s\n ferrodis: {}\n    redis: {}",
            ours_args.as_ref().map_or("none".into(), render),
            theirs_args.as_ref().map_or("none".into(), render),
        );
        let their_keys: Vec<String> = pairs(&theirs).into_iter().map(|(k, _)| k).collect();
        let mut rest = their_keys.iter();
        for (key, _) in pairs(&ours) {
            assert!(
                rest.any(|k| *k == key),
                "{name}: docs key {key:?} out of Redis's order {their_keys:?}"
            );
        }
    }
    assert!(with_args > 140, "only {with_args} commands have arguments");
}

/// A docs map with its `subcommands` map in name order (Redis lists them in hash-table order,
/// which changes from run to run), limited to the subcommands `keep` accepts.
fn normalize_docs(docs: &resp_tree::Node, keep: &dyn Fn(&str) -> bool) -> resp_tree::Node {
    let mut docs = docs.clone();
    for i in (0..docs.items.len()).step_by(2) {
        if resp_tree::text(&docs.items[i]) != "subcommands" {
            continue;
        }
        let subs = &docs.items[i + 1];
        let mut entries: Vec<(String, resp_tree::Node)> = subs
            .items
            .chunks(2)
            .map(|kv| (resp_tree::text(&kv[0]), kv))
            .filter(|(name, _)| keep(name))
            .map(|(name, kv)| (name, normalize_docs(&kv[1], keep)))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let named: Vec<resp_tree::Node> = subs
            .items
            .chunks(2)
            .filter(|kv| keep(&resp_tree::text(&kv[0])))
            .map(|kv| kv[0].clone())
            .collect();
        let mut items = Vec::new();
        for (name, value) in entries {
            let key = named
                .iter()
                .find(|k| resp_tree::text(k) == name)
                .cloned()
                .expect("name");
            items.extend([key, value]);
        }
        docs.items[i + 1].items = items;
    }
    docs
}

/// Subcommand names in a docs map's `subcommands`.
fn docs_subcommands(docs: &resp_tree::Node) -> Vec<String> {
    docs.items
        .chunks(2)
        .find(|kv| resp_tree::text(&kv[0]) == "subcommands")
        .map(|kv| {
            kv[1]
                .items
                .chunks(2)
                .map(|s| resp_tree::text(&s[0]))
                .collect()
        })
        .unwrap_or_default()
}

/// The whole COMMAND DOCS map of every command both servers have (summary, since, group,
/// complexity, doc_flags, deprecated_since, replaced_by, history, arguments, subcommands),
/// byte for byte in RESP2 and RESP3 (maps and sets there), subcommands compared by name.
#[test]
fn docs_match_redis() {
    let ferrodis = Server::ferrodis(&[]);
    let redis = Server::redis();
    let mut wrong = Vec::new();
    let mut compared = 0;
    for proto in ["2", "3"] {
        let (mut f, mut r) = (ferrodis.raw(), redis.raw());
        if proto == "3" {
            f.cmd(&["HELLO", "3"]);
            r.cmd(&["HELLO", "3"]);
        }
        let names: Vec<String> = resp_tree::parse(&f.cmd(&["COMMAND", "LIST"]))
            .items
            .iter()
            .map(resp_tree::text)
            .filter(|n| !ALIASES.iter().any(|(alias, _)| alias == n))
            .collect();
        for name in &names {
            let theirs = resp_tree::parse(&r.cmd(&["COMMAND", "DOCS", name]));
            if theirs.items.is_empty() {
                continue; // not a Redis 7.0 command
            }
            let ours = resp_tree::parse(&f.cmd(&["COMMAND", "DOCS", name]));
            assert_eq!(ours.items.len(), 2, "{name}: {}", resp_tree::render(&ours));
            let (ours, theirs) = (&ours.items[1], &theirs.items[1]);
            let (mine, redis_subs) = (docs_subcommands(ours), docs_subcommands(theirs));
            let keep = |n: &str| mine.iter().any(|m| m == n) && redis_subs.iter().any(|m| m == n);
            let (ours, theirs) = (normalize_docs(ours, &keep), normalize_docs(theirs, &keep));
            if ours != theirs {
                wrong.push(format!(
                    "RESP{proto} {name}:\n  redis    {}\n  ferrodis {}",
                    resp_tree::render(&theirs),
                    resp_tree::render(&ours)
                ));
            }
            compared += 1;
        }
    }
    assert!(compared > 400, "compared only {compared}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Bare COMMAND DOCS (what redis-cli asks for at start-up) carries the same arguments as the
/// per-command replies, subcommands included.
#[test]
fn bare_docs_carry_the_arguments() {
    let ferrodis = Server::ferrodis(&[]);
    let mut f = ferrodis.raw();
    let all = decode(&f.cmd(&["COMMAND", "DOCS"]));
    let mut checked = 0;
    for (name, docs) in pairs(&all) {
        assert_eq!(Some(docs.clone()), docs_of(&mut f, &name), "{name}");
        if let Some(subs) = field(docs, "subcommands") {
            for (sub, sub_docs) in pairs(subs) {
                assert_eq!(Some(sub_docs.clone()), docs_of(&mut f, &sub), "{sub}");
                checked += 1;
            }
        }
        checked += 1;
    }
    assert!(checked > 150, "{checked}");
}

// ---------------------------------------------------------------------------------------------
// redis-cli on a pseudo-terminal
// ---------------------------------------------------------------------------------------------

/// SGR sequence linenoise writes before a hint, and the reset after it.
const HINT_START: &[u8] = b"\x1b[0;90;49m";
const HINT_END: &[u8] = b"\x1b[0m";

/// An interactive redis-cli whose terminal is a pty we hold the master side of.
struct Cli {
    master: File,
    child: Child,
    output: Receiver<Vec<u8>>,
    seen: Vec<u8>,
    prompt: String,
}

fn check(rc: libc::c_int, what: &str) -> libc::c_int {
    assert!(rc >= 0, "{what}: {}", std::io::Error::last_os_error());
    rc
}

impl Cli {
    fn start(port: u16) -> Cli {
        // SAFETY: plain libc pty calls on descriptors this function owns; every return value
        // is checked, and ptsname_r writes into a buffer of the length it is given.
        let (master, slave) = unsafe {
            let m = check(libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY), "openpt");
            let master = OwnedFd::from_raw_fd(m);
            check(libc::grantpt(m), "grantpt");
            check(libc::unlockpt(m), "unlockpt");
            let mut path = [0 as libc::c_char; 128];
            check(libc::ptsname_r(m, path.as_mut_ptr(), path.len()), "ptsname");
            let s = check(
                libc::open(path.as_ptr(), libc::O_RDWR | libc::O_NOCTTY),
                "open slave",
            );
            // Wide enough that linenoise never cuts a hint short.
            let size = libc::winsize {
                ws_row: 50,
                ws_col: 1000,
                ws_xpixel: 0,
                ws_ypixel: 0,
            };
            check(libc::ioctl(s, libc::TIOCSWINSZ, &size), "TIOCSWINSZ");
            (File::from(master), File::from(OwnedFd::from_raw_fd(s)))
        };
        let child = Command::new("redis-cli")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .env("TERM", "xterm")
            .env("REDISCLI_HISTFILE", "/dev/null")
            .env("REDISCLI_RCFILE", "/dev/null")
            .stdin(Stdio::from(slave.try_clone().expect("dup slave")))
            .stdout(Stdio::from(slave.try_clone().expect("dup slave")))
            .stderr(Stdio::from(slave))
            .spawn()
            .expect("spawn redis-cli");
        let mut reader = master.try_clone().expect("dup master");
        let (tx, output) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // Ends with EIO once redis-cli exits and the slave side closes.
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                if tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        let mut cli = Cli {
            master,
            child,
            output,
            seen: Vec::new(),
            prompt: format!("127.0.0.1:{port}> "),
        };
        let prompt = cli.prompt.clone();
        cli.wait_for(|seen| find(seen, prompt.as_bytes()).map(|_| ()));
        cli
    }

    /// Reads until `done` finds what it wants in the output so far.
    fn wait_for<T>(&mut self, mut done: impl FnMut(&[u8]) -> Option<T>) -> T {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(found) = done(&self.seen) {
                return found;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok(chunk) => self.seen.extend_from_slice(&chunk),
                Err(_) => panic!(
                    "redis-cli ({}) output so far: {}",
                    self.prompt,
                    common::show(&self.seen)
                ),
            }
        }
    }

    /// Types `line` (without Enter) and returns the hint shown after it; then erases the line.
    fn hint(&mut self, line: &str) -> String {
        self.seen.clear();
        self.master.write_all(line.as_bytes()).expect("type");
        // linenoise redraws the whole line after each key: the prompt, the text, the hint
        // if any, then a cursor move. The redraw after the last key is the one wanted.
        let echoed = format!("{}{line}", self.prompt);
        let hint = self.wait_for(|seen| {
            let at = rfind(seen, echoed.as_bytes())? + echoed.len();
            let rest = &seen[at..];
            let (hint, after) = match rest.strip_prefix(HINT_START) {
                Some(h) => {
                    let end = find(h, HINT_END)?;
                    (&h[..end], &h[end + HINT_END.len()..])
                }
                None => (&b""[..], rest),
            };
            after
                .starts_with(b"\r\x1b[")
                .then(|| String::from_utf8_lossy(hint).into_owned())
        });
        // Ctrl-U: erase the line for the next one.
        self.master.write_all(b"\x15").expect("erase line");
        hint
    }
}

impl Drop for Cli {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// redis-cli builds its hints from COMMAND DOCS: typed against ferrodis and against Redis, a
/// line shows the same hint.
#[test]
fn redis_cli_hints_match_redis() {
    let ferrodis = Server::ferrodis(&[]);
    let redis = Server::redis();
    let mut ours = Cli::start(ferrodis.port);
    let mut theirs = Cli::start(redis.port);
    let lines = [
        "set k",
        "zadd k ",
        "getex ",
        "lcs ",
        "hello ",
        "zunionstore ",
        "zrange k 0 1 ",
        "lpos ",
        "client kill ",
        "client list ",
        "config set ",
        "object encoding ",
        "command list ",
        "expire k 10 ",
        "flushall ",
        "dbsize ",
    ];
    for line in lines {
        let hint = ours.hint(line);
        assert_eq!(hint, theirs.hint(line), "hint after {line:?}");
        if line == "set k" {
            assert_eq!(
                hint,
                " value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|\
                 PXAT unix-time-milliseconds|KEEPTTL]"
            );
        }
    }
}
