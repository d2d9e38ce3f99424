//! Client-side caching (CLIENT TRACKING): transcripts of tracking sessions compared byte for
//! byte with a real redis-server (default mode, BCAST with prefixes and NOLOOP, OPTIN/OPTOUT
//! with CLIENT CACHING, RESP2 redirection to a subscribed connection, a broken redirection,
//! FLUSHALL, eviction, the table limit, the option errors), and a client-side cache of our own
//! that must stay coherent while another connection writes.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{assert_same_transcript, decode, show, Raw, Resp, Rng, Server};

/// Long enough for a push sent after a reply to arrive on loopback.
const QUIET: Duration = Duration::from_millis(100);

/// A transcript line: who sent what, and the exact bytes that came back.
fn line(who: &str, args: &[&str], reply: &[u8]) -> String {
    format!("{who} {} -> {}", args.join(" "), show(reply))
}

/// Sends `args` on `conn`, then collects whatever else arrives (pushes after the reply).
fn step(t: &mut Vec<String>, who: &str, conn: &mut Raw, args: &[&str]) {
    let mut reply = conn.cmd(args);
    reply.extend(conn.read_until_quiet(QUIET).0);
    t.push(line(who, args, &reply));
}

/// [`step`] for a command that names a client id, which differs between the servers: the
/// transcript shows `id` in its place.
fn step_with_id(t: &mut Vec<String>, who: &str, conn: &mut Raw, args: &[&str], id: &str) {
    step(t, who, conn, args);
    let last = t.len() - 1;
    let shown: Vec<&str> = args
        .iter()
        .map(|a| if *a == id { "<id>" } else { a })
        .collect();
    let reply = t[last]
        .split_once(" -> ")
        .map_or("", |(_, r)| r)
        .to_string();
    t[last] = format!("{who} {} -> {reply}", shown.join(" "));
}

/// The `flags=` and `redir=` fields of `conn`'s CLIENT INFO line.
fn info_flags(t: &mut Vec<String>, who: &str, conn: &mut Raw) {
    let reply = conn.cmd(&["CLIENT", "INFO"]);
    let text = String::from_utf8_lossy(&reply).into_owned();
    let fields: Vec<&str> = text
        .split(' ')
        .filter(|f| f.starts_with("flags=") || f.starts_with("redir="))
        .collect();
    t.push(format!("{who} CLIENT INFO {}", fields.join(" ")));
}

/// Reads what arrived on `conn` without sending anything.
fn pending(t: &mut Vec<String>, who: &str, conn: &mut Raw) {
    let (bytes, _) = conn.read_until_quiet(QUIET);
    t.push(format!("{who} (pending) -> {}", show(&bytes)));
}

/// The numeric id of `conn` (CLIENT ID).
fn client_id(conn: &mut Raw) -> String {
    match decode(&conn.cmd(&["CLIENT", "ID"])) {
        Resp::Int(n) => n.to_string(),
        other => panic!("CLIENT ID answered {other:?}"),
    }
}

fn default_mode(port: u16) -> Vec<String> {
    let mut t = Vec::new();
    let mut a = Raw::connect(port);
    let mut b = Raw::connect(port);
    step(&mut t, "a", &mut a, &["HELLO", "3"]);
    t.pop(); // the id differs between servers
    step(&mut t, "a", &mut a, &["CLIENT", "TRACKING", "ON"]);
    step(&mut t, "a", &mut a, &["GET", "k"]);
    step(&mut t, "a", &mut a, &["MGET", "k", "m", "n"]);
    step(&mut t, "b", &mut b, &["SET", "k", "1"]);
    pending(&mut t, "a", &mut a);
    // Invalidated once: a second write before a new read sends nothing.
    step(&mut t, "b", &mut b, &["SET", "k", "2"]);
    pending(&mut t, "a", &mut a);
    step(&mut t, "a", &mut a, &["GET", "k"]);
    // The client's own write: the invalidation follows the reply.
    step(&mut t, "a", &mut a, &["SET", "k", "3"]);
    step(&mut t, "a", &mut a, &["HGET", "h", "f"]);
    step(&mut t, "b", &mut b, &["HSET", "h", "f", "v"]);
    pending(&mut t, "a", &mut a);
    step(&mut t, "a", &mut a, &["EXISTS", "m"]);
    step(&mut t, "b", &mut b, &["DEL", "m", "n"]);
    pending(&mut t, "a", &mut a);
    step(&mut t, "a", &mut a, &["GET", "k"]);
    step(&mut t, "a", &mut a, &["GET", "x"]);
    step(&mut t, "b", &mut b, &["FLUSHALL"]);
    pending(&mut t, "a", &mut a);
    step(&mut t, "a", &mut a, &["CLIENT", "TRACKINGINFO"]);
    step(&mut t, "a", &mut a, &["CLIENT", "GETREDIR"]);
    info_flags(&mut t, "a", &mut a);
    // NOLOOP: no message about the client's own writes.
    step(&mut t, "a", &mut a, &["CLIENT", "TRACKING", "ON", "NOLOOP"]);
    step(&mut t, "a", &mut a, &["GET", "k"]);
    step(&mut t, "a", &mut a, &["SET", "k", "4"]);
    step(&mut t, "a", &mut a, &["INFO", "stats"]);
    t.pop();
    step(&mut t, "a", &mut a, &["CLIENT", "TRACKING", "OFF"]);
    step(&mut t, "a", &mut a, &["CLIENT", "TRACKINGINFO"]);
    step(&mut t, "a", &mut a, &["CLIENT", "GETREDIR"]);
    info_flags(&mut t, "a", &mut a);
    t
}

#[test]
fn default_mode_invalidates_what_was_read() {
    assert_same_transcript("default mode", &[], default_mode);
}

fn bcast_mode(port: u16) -> Vec<String> {
    let mut t = Vec::new();
    let mut a = Raw::connect(port);
    let mut b = Raw::connect(port);
    step(&mut t, "a", &mut a, &["HELLO", "3"]);
    t.pop();
    let on = [
        "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "job:",
    ];
    step(&mut t, "a", &mut a, &on);
    step(&mut t, "a", &mut a, &["CLIENT", "TRACKINGINFO"]);
    // Keys of one prefix go out in one message, in byte order, once per loop turn.
    step(
        &mut t,
        "b",
        &mut b,
        &[
            "MSET", "user:2", "x", "job:1", "y", "other", "z", "user:1", "w",
        ],
    );
    pending(&mut t, "a", &mut a);
    step(&mut t, "b", &mut b, &["DEL", "user:2", "nokey"]);
    pending(&mut t, "a", &mut a);
    // More prefixes later; overlapping ones are refused.
    step(
        &mut t,
        "a",
        &mut a,
        &["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:x"],
    );
    step(
        &mut t,
        "a",
        &mut a,
        &[
            "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "ab",
        ],
    );
    step(
        &mut t,
        "a",
        &mut a,
        &[
            "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "acct:", "NOLOOP",
        ],
    );
    step(&mut t, "a", &mut a, &["CLIENT", "TRACKINGINFO"]);
    step(&mut t, "a", &mut a, &["SET", "acct:1", "1"]);
    step(&mut t, "b", &mut b, &["SET", "acct:2", "1"]);
    pending(&mut t, "a", &mut a);
    step(&mut t, "a", &mut a, &["CLIENT", "TRACKING", "ON"]);
    step(&mut t, "a", &mut a, &["CLIENT", "TRACKING", "OFF"]);
    // BCAST without a prefix covers every key.
    step(&mut t, "a", &mut a, &["CLIENT", "TRACKING", "ON", "BCAST"]);
    info_flags(&mut t, "a", &mut a);
    step(&mut t, "b", &mut b, &["SET", "anything", "1"]);
    pending(&mut t, "a", &mut a);
    step(&mut t, "a", &mut a, &["INFO", "stats"]);
    t.pop();
    t
}

#[test]
fn bcast_mode_sends_prefix_batches() {
    assert_same_transcript("bcast mode", &[], bcast_mode);
}

fn optin_optout(port: u16) -> Vec<String> {
    let mut t = Vec::new();
    let mut c = Raw::connect(port);
    let mut w = Raw::connect(port);
    step(&mut t, "c", &mut c, &["HELLO", "3"]);
    t.pop();
    step(&mut t, "c", &mut c, &["CLIENT", "CACHING", "YES"]);
    step(&mut t, "c", &mut c, &["CLIENT", "TRACKING", "ON", "OPTIN"]);
    step(&mut t, "c", &mut c, &["CLIENT", "CACHING", "NO"]);
    step(&mut t, "c", &mut c, &["GET", "untracked"]);
    step(&mut t, "c", &mut c, &["CLIENT", "CACHING", "YES"]);
    step(&mut t, "c", &mut c, &["CLIENT", "TRACKINGINFO"]);
    step(&mut t, "c", &mut c, &["GET", "tracked"]);
    step(&mut t, "c", &mut c, &["GET", "untracked2"]);
    // CACHING YES before MULTI covers the whole transaction.
    step(&mut t, "c", &mut c, &["CLIENT", "CACHING", "YES"]);
    step(&mut t, "c", &mut c, &["MULTI"]);
    step(&mut t, "c", &mut c, &["GET", "in-tx-1"]);
    step(&mut t, "c", &mut c, &["GET", "in-tx-2"]);
    step(&mut t, "c", &mut c, &["EXEC"]);
    step(&mut t, "c", &mut c, &["GET", "after-tx"]);
    step(
        &mut t,
        "w",
        &mut w,
        &[
            "MSET",
            "untracked",
            "1",
            "tracked",
            "1",
            "untracked2",
            "1",
            "in-tx-1",
            "1",
        ],
    );
    step(
        &mut t,
        "w",
        &mut w,
        &["MSET", "in-tx-2", "1", "after-tx", "1"],
    );
    pending(&mut t, "c", &mut c);
    step(&mut t, "c", &mut c, &["CLIENT", "TRACKING", "ON", "OPTOUT"]);
    step(&mut t, "c", &mut c, &["CLIENT", "TRACKING", "OFF"]);
    step(&mut t, "c", &mut c, &["CLIENT", "TRACKING", "ON", "OPTOUT"]);
    step(&mut t, "c", &mut c, &["CLIENT", "CACHING", "YES"]);
    step(&mut t, "c", &mut c, &["CLIENT", "CACHING", "NO"]);
    step(&mut t, "c", &mut c, &["GET", "skipped"]);
    step(&mut t, "c", &mut c, &["GET", "kept"]);
    step(&mut t, "c", &mut c, &["CLIENT", "TRACKINGINFO"]);
    step(&mut t, "w", &mut w, &["MSET", "skipped", "2", "kept", "2"]);
    pending(&mut t, "c", &mut c);
    t
}

#[test]
fn optin_and_optout_follow_client_caching() {
    assert_same_transcript("optin/optout", &[], optin_optout);
}

fn redirection(port: u16) -> Vec<String> {
    let mut t = Vec::new();
    let mut sub = Raw::connect(port);
    let mut plain = Raw::connect(port);
    let mut c = Raw::connect(port);
    let mut w = Raw::connect(port);
    let sub_id = client_id(&mut sub);
    let plain_id = client_id(&mut plain);
    step(
        &mut t,
        "sub",
        &mut sub,
        &["SUBSCRIBE", "__redis__:invalidate"],
    );
    // A RESP2 client redirecting to a subscribed connection: messages on the channel.
    step_with_id(
        &mut t,
        "c",
        &mut c,
        &["CLIENT", "TRACKING", "ON", "REDIRECT", &sub_id],
        &sub_id,
    );
    step(&mut t, "c", &mut c, &["GET", "k"]);
    step(&mut t, "w", &mut w, &["SET", "k", "1"]);
    pending(&mut t, "sub", &mut sub);
    pending(&mut t, "c", &mut c);
    step(&mut t, "c", &mut c, &["GET", "k"]);
    step(&mut t, "w", &mut w, &["FLUSHALL"]);
    pending(&mut t, "sub", &mut sub);
    // Redirecting to a connection that is not subscribed sends nothing in RESP2.
    step(&mut t, "c", &mut c, &["CLIENT", "TRACKING", "OFF"]);
    let on = ["CLIENT", "TRACKING", "ON", "REDIRECT", &plain_id];
    step_with_id(&mut t, "c", &mut c, &on, &plain_id);
    let redir = c.cmd(&["CLIENT", "GETREDIR"]);
    t.push(format!(
        "GETREDIR is the target: {}",
        redir == format!(":{plain_id}\r\n").as_bytes()
    ));
    step(&mut t, "c", &mut c, &["GET", "k"]);
    step(&mut t, "w", &mut w, &["SET", "k", "2"]);
    pending(&mut t, "plain", &mut plain);
    // The target disconnects: the redirection is broken; a RESP3 client is told so.
    step(&mut t, "c", &mut c, &["HELLO", "3"]);
    t.pop();
    step(&mut t, "c", &mut c, &["GET", "k"]);
    drop(plain);
    std::thread::sleep(QUIET);
    step(&mut t, "w", &mut w, &["SET", "k", "3"]);
    let (broken, _) = c.read_until_quiet(QUIET);
    t.push(format!(
        "c (pending) -> {}",
        show(&broken).replace(&format!(":{plain_id}\\r\\n"), ":<id>\\r\\n")
    ));
    let info = c.cmd(&["CLIENT", "TRACKINGINFO"]);
    let shown = show(&info).replace(&format!(":{plain_id}\\r\\n"), ":<id>\\r\\n");
    t.push(format!("c TRACKINGINFO -> {shown}"));
    let mut flags = Vec::new();
    info_flags(&mut flags, "c", &mut c);
    t.push(flags[0].replace(&format!("redir={plain_id}"), "redir=<id>"));
    // Option errors.
    step(
        &mut t,
        "c",
        &mut c,
        &["CLIENT", "TRACKING", "ON", "REDIRECT", "999999"],
    );
    step(
        &mut t,
        "c",
        &mut c,
        &["CLIENT", "TRACKING", "ON", "REDIRECT", "x"],
    );
    let twice = [
        "CLIENT", "TRACKING", "ON", "REDIRECT", &sub_id, "REDIRECT", &sub_id,
    ];
    step_with_id(&mut t, "c", &mut c, &twice, &sub_id);
    step(
        &mut t,
        "c",
        &mut c,
        &["CLIENT", "TRACKING", "ON", "PREFIX", "p"],
    );
    step(
        &mut t,
        "c",
        &mut c,
        &["CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"],
    );
    step(
        &mut t,
        "c",
        &mut c,
        &["CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"],
    );
    step(&mut t, "c", &mut c, &["CLIENT", "TRACKING", "ON", "PREFIX"]);
    step(&mut t, "c", &mut c, &["CLIENT", "TRACKING", "MAYBE"]);
    step(
        &mut t,
        "c",
        &mut c,
        &["CLIENT", "TRACKING", "OFF", "NOLOOP"],
    );
    step(&mut t, "c", &mut c, &["CLIENT", "CACHING", "YES"]);
    step(&mut t, "c", &mut c, &["CLIENT", "CACHING", "MAYBE"]);
    step(&mut t, "c", &mut c, &["CLIENT", "TRACKING"]);
    step(&mut t, "c", &mut c, &["CLIENT", "GETREDIR", "x"]);
    t
}

#[test]
fn redirection_in_resp2_and_broken_redirects() {
    assert_same_transcript("redirection", &[], redirection);
}

fn eviction_and_limits(port: u16) -> Vec<String> {
    let mut t = Vec::new();
    let mut a = Raw::connect(port);
    let mut w = Raw::connect(port);
    step(&mut t, "a", &mut a, &["HELLO", "3"]);
    t.pop();
    // The table limit: past it, keys are invalidated (which ones is random; how many is not).
    step(
        &mut t,
        "w",
        &mut w,
        &["CONFIG", "SET", "tracking-table-max-keys", "2"],
    );
    step(&mut t, "a", &mut a, &["CLIENT", "TRACKING", "ON"]);
    let mut reply = a.cmd(&["MGET", "k1", "k2", "k3", "k4", "k5"]);
    reply.extend(a.read_until_quiet(QUIET).0);
    reply.extend(a.cmd(&["PING"]));
    reply.extend(a.read_until_quiet(QUIET).0);
    let pushes = reply.windows(10).filter(|w| w == b"invalidate").count();
    t.push(format!("invalidations after the limit: {pushes}"));
    t.push(format!(
        "tracking_total_keys {}",
        a.info_field("stats", "tracking_total_keys")
    ));
    step(
        &mut t,
        "w",
        &mut w,
        &["CONFIG", "GET", "tracking-table-max-keys"],
    );
    step(
        &mut t,
        "w",
        &mut w,
        &["CONFIG", "SET", "tracking-table-max-keys", "0"],
    );
    t
}

#[test]
fn the_table_limit_invalidates_keys() {
    assert_same_transcript("limits", &[], eviction_and_limits);
}

fn eviction(port: u16) -> Vec<String> {
    let mut t = Vec::new();
    let mut a = Raw::connect(port);
    let mut w = Raw::connect(port);
    step(&mut t, "a", &mut a, &["HELLO", "3"]);
    t.pop();
    step(&mut t, "w", &mut w, &["SET", "victim", "x"]);
    step(&mut t, "a", &mut a, &["CLIENT", "TRACKING", "ON"]);
    step(&mut t, "a", &mut a, &["GET", "victim"]);
    step(
        &mut t,
        "w",
        &mut w,
        &["CONFIG", "SET", "maxmemory-policy", "allkeys-random"],
    );
    step(&mut t, "w", &mut w, &["CONFIG", "SET", "maxmemory", "1"]);
    // The next command evicts every key; the reader hears about the evicted one.
    step(&mut t, "w", &mut w, &["GET", "victim"]);
    step(&mut t, "w", &mut w, &["CONFIG", "SET", "maxmemory", "0"]);
    pending(&mut t, "a", &mut a);
    t
}

#[test]
fn eviction_invalidates() {
    assert_same_transcript("eviction", &[], eviction);
}

/// A client-side cache as a RESP3 client library keeps one: GET answers are cached until an
/// invalidation push for the key (or a null one, for everything) arrives.
struct CachingClient {
    conn: Raw,
    cache: HashMap<Vec<u8>, Resp>,
    hits: usize,
}

impl CachingClient {
    fn new(port: u16) -> CachingClient {
        let mut conn = Raw::connect(port);
        conn.cmd(&["HELLO", "3"]);
        assert_eq!(conn.cmd(&["CLIENT", "TRACKING", "ON"]), b"+OK\r\n");
        CachingClient {
            conn,
            cache: HashMap::new(),
            hits: 0,
        }
    }

    /// Applies every push that has arrived.
    fn drain_invalidations(&mut self) {
        let (bytes, _) = self.conn.read_until_quiet(Duration::from_millis(1));
        self.apply(&bytes);
    }

    fn apply(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let end = common::reply_end(bytes, 0)
                .expect("valid push")
                .expect("complete push");
            let push = &bytes[..end];
            assert!(
                push.starts_with(b">2\r\n$10\r\ninvalidate\r\n"),
                "{}",
                show(push)
            );
            let body = &push[b">2\r\n$10\r\ninvalidate\r\n".len()..];
            match decode(body) {
                Resp::Array(Some(keys)) => {
                    for k in keys {
                        let Resp::Bulk(Some(k)) = k else {
                            panic!("key {k:?}")
                        };
                        self.cache.remove(&k);
                    }
                }
                Resp::Other(null) if null == b"_\r\n" => self.cache.clear(),
                other => panic!("invalidation body {other:?}"),
            }
            bytes = &bytes[end..];
        }
    }

    fn get(&mut self, key: &str) -> Resp {
        self.drain_invalidations();
        if let Some(v) = self.cache.get(key.as_bytes()) {
            self.hits += 1;
            return v.clone();
        }
        let reply = self.conn.cmd(&["GET", key]);
        let value = decode(&reply);
        self.cache.insert(key.as_bytes().to_vec(), value.clone());
        value
    }
}

/// The value `key` really has, asked on a connection without a cache.
fn truth(conn: &mut Raw, key: &str) -> Resp {
    let v = decode(&conn.cmd(&["GET", key]));
    // RESP2's null bulk and RESP3's null mean the same to the cache's user.
    match v {
        Resp::Bulk(None) => Resp::Other(b"_\r\n".to_vec()),
        other => other,
    }
}

#[test]
fn a_client_side_cache_stays_coherent_while_another_client_writes() {
    let server = Server::ferrodis(&[]);
    let mut cached = CachingClient::new(server.port);
    let mut writer = Raw::connect(server.port);
    let mut checker = Raw::connect(server.port);
    checker.cmd(&["HELLO", "3"]);
    let mut rng = Rng(0x7ac0);
    let keys = ["a", "b", "c", "d", "e"];
    for round in 0..2000 {
        let key = rng.pick(&keys);
        match rng.below(10) {
            0..=2 => {
                let value = format!("v{round}");
                writer.cmd(&["SET", key, &value]);
            }
            3 => {
                writer.cmd(&["DEL", key]);
            }
            4 => {
                writer.cmd(&["APPEND", key, "+"]);
            }
            5 if rng.chance(5) => {
                writer.cmd(&["FLUSHALL"]);
            }
            _ => {}
        }
        // A write is acknowledged after its invalidations were queued; the reactor writes
        // them in the same loop turn, so once they have had time to arrive the cache must
        // agree with the server.
        std::thread::sleep(Duration::from_micros(200));
        let got = cached.get(key);
        let want = truth(&mut checker, key);
        assert_eq!(got, want, "round {round}: key {key} stale in the cache");
    }
    assert!(
        cached.hits > 500,
        "the cache served only {} hits",
        cached.hits
    );
}

fn expiry(port: u16) -> Vec<String> {
    let mut t = Vec::new();
    let mut a = Raw::connect(port);
    let mut w = Raw::connect(port);
    step(&mut t, "a", &mut a, &["HELLO", "3"]);
    t.pop();
    step(&mut t, "w", &mut w, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    step(&mut t, "w", &mut w, &["SET", "lazy", "x", "PX", "50"]);
    step(&mut t, "w", &mut w, &["SET", "active", "x", "PX", "50"]);
    step(&mut t, "a", &mut a, &["CLIENT", "TRACKING", "ON"]);
    step(&mut t, "a", &mut a, &["MGET", "lazy", "active"]);
    std::thread::sleep(Duration::from_millis(100));
    // Found expired by another client's read: removed, and the reader told.
    step(&mut t, "w", &mut w, &["EXISTS", "lazy"]);
    pending(&mut t, "a", &mut a);
    // Removed by the active cycle.
    step(&mut t, "w", &mut w, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
    std::thread::sleep(Duration::from_millis(400));
    pending(&mut t, "a", &mut a);
    step(&mut t, "w", &mut w, &["DBSIZE"]);
    t
}

#[test]
fn expiry_invalidates_lazily_and_actively() {
    assert_same_transcript("expiry", &["--enable-debug-command", "yes"], expiry);
}
