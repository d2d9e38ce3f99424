//! CLIENT REPLY, CLIENT PAUSE / UNPAUSE, RESET and the buffer fields of CLIENT LIST / INFO,
//! against a real redis-server: raw bytes where they are deterministic, field names, order and
//! plausible values where they differ by nature (ids, addresses, buffer sizes).

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::{assert_same_transcript, encode, show, Raw, Server};

/// Sends `commands` as one pipeline followed by `ECHO <marker>`, and returns every byte the
/// server answered before the marker's reply (replies may be missing, so they cannot be
/// counted).
fn pipeline(raw: &mut Raw, commands: &[&[&str]]) -> String {
    let mut bytes = Vec::new();
    for c in commands {
        let args: Vec<&[u8]> = c.iter().map(|s| s.as_bytes()).collect();
        bytes.extend(encode(&args));
    }
    bytes.extend(encode(&[b"ECHO", b"__end__"]));
    raw.write(&bytes);
    let mut got = Vec::new();
    loop {
        let reply = raw.read_reply();
        if reply == b"$7\r\n__end__\r\n" {
            return show(&got);
        }
        got.extend(reply);
    }
}

/// Waits until `INFO clients` reports `n` blocked clients (held ones count, as in Redis).
fn wait_blocked(raw: &mut Raw, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while raw.info_u64("clients", "blocked_clients") != n {
        assert!(Instant::now() < deadline, "never saw {n} blocked clients");
        thread::sleep(Duration::from_millis(10));
    }
}

/// True when `raw` receives nothing within `wait`.
fn silent(raw: &mut Raw, wait: Duration) -> bool {
    let (bytes, closed) = raw.read_until_quiet(wait);
    bytes.is_empty() && !closed
}

#[test]
fn client_reply_modes_match_redis() {
    assert_same_transcript("client reply", &[], |port| {
        let mut c = Raw::connect(port);
        let pipelines: &[&[&[&str]]] = &[
            &[
                &["CLIENT", "REPLY", "SKIP"],
                &["PING"],
                &["PING", "after-skip"],
            ],
            &[
                &["CLIENT", "REPLY", "OFF"],
                &["SET", "k", "v"],
                &["NOSUCHCOMMAND"],
                &["GET"],
                &["CLIENT", "REPLY", "FOO"],
                &["CLIENT", "REPLY", "SKIP"],
                &["GET", "k"],
                &["CLIENT", "REPLY", "ON"],
                &["GET", "k"],
            ],
            &[
                &["CLIENT", "REPLY", "FOO"],
                &["CLIENT", "REPLY"],
                &["CLIENT", "REPLY", "on", "x"],
                &["client", "reply", "Skip"],
                &["CLIENT", "REPLY", "SKIP"],
                &["INCR", "n"],
                &["INCR", "n"],
            ],
            &[&["CLIENT", "REPLY", "OFF"], &["RESET"], &["PING"]],
            &[&["CLIENT", "REPLY", "SKIP"], &["RESET"], &["PING"]],
        ];
        // SKIP drops its own and the next reply; OFF drops everything, errors included, until
        // ON; RESET ends OFF (its own reply is sent) while a pending SKIP still drops it.
        let mut t: Vec<String> = pipelines.iter().map(|p| pipeline(&mut c, p)).collect();
        // A subscriber with replies OFF still gets its confirmations and messages (pushes),
        // but not the error of a command refused in subscriber context.
        let mut publisher = Raw::connect(port);
        c.write(
            &[
                encode(&[b"CLIENT", b"REPLY", b"OFF"]),
                encode(&[b"SUBSCRIBE", b"ch"]),
                encode(&[b"GET", b"k"]),
            ]
            .concat(),
        );
        t.push(show(&c.read_reply()));
        t.push(show(&publisher.cmd(&["PUBLISH", "ch", "hello"])));
        t.push(show(&c.read_reply()));
        t
    });
}

#[test]
fn client_pause_errors_match_redis() {
    assert_same_transcript("client pause errors", &[], |port| {
        let mut c = Raw::connect(port);
        let mut t = Vec::new();
        for args in [
            &["CLIENT", "PAUSE", "abc"][..],
            &["CLIENT", "PAUSE", "-1"],
            &["CLIENT", "PAUSE", "-1", "WRITE"],
            &["CLIENT", "PAUSE", "10", "foo"],
            &["CLIENT", "PAUSE", "abc", "foo"],
            &["CLIENT", "PAUSE", "1", "2", "3"],
            &["CLIENT", "PAUSE"],
            &["CLIENT", "UNPAUSE", "x"],
            // A deadline that overflows lands in the past: nothing stays paused.
            &["CLIENT", "PAUSE", "9223372036854775807"],
            &["CLIENT", "UNPAUSE"],
            &["CLIENT", "PAUSE", "0", "write"],
            &["CLIENT", "UNPAUSE"],
            &["CLIENT", "UNPAUSE"],
        ] {
            t.push(show(&c.cmd(args)));
        }
        t
    });
}

/// The line of CLIENT LIST for client `id`, as (field, value) pairs.
fn client_fields(list: &str, id: &str) -> Vec<(String, String)> {
    let line = list
        .lines()
        .find(|l| l.starts_with(&format!("id={id} ")))
        .unwrap_or_else(|| panic!("no client {id} in {list}"));
    line.split(' ')
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("field=value");
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no field {name} in {fields:?}"))
}

fn bulk_text(reply: &[u8]) -> String {
    match common::decode(reply) {
        common::Resp::Bulk(Some(b)) => String::from_utf8_lossy(&b).into_owned(),
        other => panic!("expected a bulk string, got {other:?}"),
    }
}

fn id_of(raw: &mut Raw) -> String {
    let reply = raw.cmd(&["CLIENT", "ID"]);
    show(&reply)
        .trim_start_matches(':')
        .trim_end_matches("\\r\\n")
        .to_string()
}

/// The write pause holds writes (and everything pipelined behind them) while reads go on,
/// shows the held client as blocked with its command, and UNPAUSE lets it finish in order.
#[test]
fn pause_write_holds_writes_and_unpause_releases_them_in_order() {
    assert_same_transcript("pause write", &[], |port| {
        let mut admin = Raw::connect(port);
        let mut writer = Raw::connect(port);
        let mut second = Raw::connect(port);
        let mut reader = Raw::connect(port);
        let mut t = Vec::new();
        let writer_id = id_of(&mut writer);
        t.push(show(&admin.cmd(&["SET", "x", "0"])));
        t.push(show(&admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"])));
        writer.write(&[encode(&[b"SET", b"x", b"1"]), encode(&[b"GET", b"x"])].concat());
        wait_blocked(&mut admin, 1);
        second.write(&encode(&[b"INCR", b"x"]));
        wait_blocked(&mut admin, 2);
        // Reads, and may-replicate commands' refusal to run, as Redis.
        t.push(show(&reader.cmd(&["GET", "x"])));
        t.push(show(&reader.cmd(&["SET", "x"])));
        reader.write(&encode(&[b"PUBLISH", b"ch", b"m"]));
        wait_blocked(&mut admin, 3);
        let list = bulk_text(&admin.cmd(&["CLIENT", "LIST"]));
        let fields = client_fields(&list, &writer_id);
        t.push(format!(
            "flags={} cmd={}",
            field(&fields, "flags"),
            field(&fields, "cmd")
        ));
        t.push(format!(
            "writer silent: {}",
            silent(&mut writer, Duration::from_millis(100))
        ));
        t.push(show(&admin.cmd(&["CLIENT", "UNPAUSE"])));
        t.push(show(&writer.read_replies(2)));
        t.push(show(&second.read_reply()));
        t.push(show(&reader.read_reply()));
        t.push(show(&admin.cmd(&["GET", "x"])));
        t
    });
}

/// Transactions: EXEC of queued writes waits, a read-only transaction runs; a write queued
/// inside MULTI during the pause waits as well.
#[test]
fn pause_write_and_transactions_match_redis() {
    assert_same_transcript("pause multi", &[], |port| {
        let mut admin = Raw::connect(port);
        let mut tx = Raw::connect(port);
        let mut ro = Raw::connect(port);
        let mut t = vec![
            show(&tx.cmd(&["MULTI"])),
            show(&tx.cmd(&["SET", "a", "1"])),
            show(&admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"])),
            show(&ro.cmd(&["MULTI"])),
            show(&ro.cmd(&["GET", "a"])),
            show(&ro.cmd(&["PING"])),
            show(&ro.cmd(&["EXEC"])),
        ];
        tx.write(&encode(&[b"EXEC"]));
        wait_blocked(&mut admin, 1);
        t.push(show(&ro.cmd(&["MULTI"])));
        ro.write(&encode(&[b"SET", b"b", b"1"]));
        wait_blocked(&mut admin, 2);
        t.push(show(&admin.cmd(&["CLIENT", "UNPAUSE"])));
        t.push(show(&tx.read_reply()));
        t.push(show(&ro.read_reply()));
        t.push(show(&ro.cmd(&["EXEC"])));
        // The pause starts after the transaction that asked for it.
        t.push(show(&admin.cmd(&["MULTI"])));
        t.push(show(&admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"])));
        t.push(show(&admin.cmd(&["SET", "c", "1"])));
        t.push(show(&admin.cmd(&["EXEC"])));
        t.push(show(&admin.cmd(&["GET", "c"])));
        t.push(show(&admin.cmd(&["CLIENT", "UNPAUSE"])));
        t
    });
}

/// PAUSE ALL holds every command, even the pausing client's own, until the deadline passes
/// without anyone calling UNPAUSE; a later shorter or laxer pause does not cut it short.
#[test]
fn pause_all_holds_everything_until_the_deadline() {
    for server in [Server::ferrodis(&[]), Server::redis()] {
        let mut admin = server.raw();
        let mut other = server.raw();
        let started = Instant::now();
        assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "400", "ALL"]), b"+OK\r\n");
        assert_eq!(admin.cmd(&["CLIENT", "PAUSE", "20", "WRITE"]), b"+OK\r\n");
        // Pipelined behind the second PAUSE, so it runs before the first deadline.
        other.write(&[encode(&[b"PING"]), encode(&[b"ECHO", b"x"])].concat());
        assert_eq!(
            other.read_replies(2),
            b"+PONG\r\n$1\r\nx\r\n",
            "{:?}",
            server.kind
        );
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(390),
            "{:?}: released after {waited:?}",
            server.kind
        );
        assert!(
            waited < Duration::from_secs(3),
            "{:?}: {waited:?}",
            server.kind
        );
        assert_eq!(admin.cmd(&["PING"]), b"+PONG\r\n");
    }
}

/// Neither lazy nor active expiry deletes keys during a pause: an expired key reads as
/// missing, `expired_keys` stays put, and the key goes once the pause is over.
#[test]
fn expiry_holds_still_while_paused() {
    assert_same_transcript("pause expiry", &[], |port| {
        let mut c = Raw::connect(port);
        let mut t = Vec::new();
        let before = c.info_u64("stats", "expired_keys");
        t.push(show(&c.cmd(&["MULTI"])));
        t.push(show(&c.cmd(&["SET", "foo", "bar", "PX", "10"])));
        t.push(show(&c.cmd(&["SET", "bar", "foo", "PX", "10"])));
        t.push(show(&c.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"])));
        t.push(show(&c.cmd(&["EXEC"])));
        thread::sleep(Duration::from_millis(300));
        t.push(show(&c.cmd(&["GET", "foo"])));
        t.push(show(&c.cmd(&["EXISTS", "bar"])));
        t.push(format!(
            "expired during pause: {}",
            c.info_u64("stats", "expired_keys") - before
        ));
        t.push(show(&c.cmd(&["CLIENT", "UNPAUSE"])));
        t.push(show(&c.cmd(&["GET", "foo"])));
        t.push(show(&c.cmd(&["GET", "bar"])));
        t.push(format!(
            "expired after: {}",
            c.info_u64("stats", "expired_keys") - before
        ));
        t
    });
}

/// A client held by the pause is not blocked on keys: CLIENT UNBLOCK leaves it alone, and
/// once the pause is over it blocks on its key and can be unblocked. (Redis 7.0.15 crashes on
/// the first UNBLOCK; this is the behaviour of its fix, pause.tcl "CLIENT UNBLOCK is not
/// allow to unblock client blocked by CLIENT PAUSE", so there is no server to compare with.)
#[test]
fn client_unblock_does_not_release_a_paused_client() {
    let server = Server::ferrodis(&[]);
    let mut admin = server.raw();
    let mut waiter = server.raw();
    let id = id_of(&mut waiter);
    assert_eq!(
        admin.cmd(&["CLIENT", "PAUSE", "100000", "WRITE"]),
        b"+OK\r\n"
    );
    waiter.write(&encode(&[b"BLPOP", b"list", b"0"]));
    wait_blocked(&mut admin, 1);
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"]), b":0\r\n");
    assert_eq!(admin.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]), b":0\r\n");
    assert_eq!(admin.cmd(&["CLIENT", "UNPAUSE"]), b"+OK\r\n");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let reply = admin.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"]);
        if reply == b":1\r\n" {
            break;
        }
        assert!(Instant::now() < deadline, "never blocked on its key");
        thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        waiter.read_reply(),
        b"-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n"
    );
}

/// RESET clears every piece of connection state and answers in RESP2.
#[test]
fn reset_clears_connection_state() {
    assert_same_transcript("reset", &[], |port| {
        let mut c = Raw::connect(port);
        let mut other = Raw::connect(port);
        let mut t = Vec::new();
        c.cmd(&["HELLO", "3"]);
        for args in [
            &["CLIENT", "SETNAME", "before"][..],
            &["SELECT", "5"],
            &["SET", "w", "1"],
            &["WATCH", "w"],
            &["MULTI"],
            &["SET", "q", "1"],
        ] {
            t.push(show(&c.cmd(args)));
        }
        t.push(show(&c.cmd(&["RESET"])));
        for args in [
            &["CLIENT", "GETNAME"][..],
            &["EXEC"],
            &["DBSIZE"],
            &["HGETALL", "nokey"],
            &["CLIENT", "NO-EVICT", "on"],
        ] {
            t.push(show(&c.cmd(args)));
        }
        c.write(&encode(&[b"SUBSCRIBE", b"a", b"b"]));
        t.push(show(&c.read_replies(2)));
        for args in [&["PSUBSCRIBE", "p*"][..], &["RESET"], &["PING"]] {
            t.push(show(&c.cmd(args)));
        }
        // The subscriptions are gone: a publish reaches nobody.
        t.push(show(&other.cmd(&["PUBLISH", "a", "m"])));
        let info = bulk_text(&c.cmd(&["CLIENT", "INFO"]));
        let fields: Vec<(String, String)> = info
            .trim_end()
            .split(' ')
            .filter_map(|kv| kv.split_once('=').map(|(k, v)| (k.into(), v.into())))
            .collect();
        for name in ["name", "db", "sub", "psub", "multi", "flags", "resp"] {
            t.push(format!("{name}={}", field(&fields, name)));
        }
        t
    });
}

fn num(fields: &[(String, String)], name: &str) -> i64 {
    field(fields, name)
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number: {fields:?}"))
}

/// The four situations the buffer fields describe, on one server: an idle client, one with a
/// big argument half received, one in MULTI with queued commands, a subscriber. Returns
/// each client's fields.
fn list_situations(server: &Server) -> Vec<Vec<(String, String)>> {
    let mut observer = server.raw();
    let mut idle = server.raw();
    let mut partial = server.raw();
    let mut multi = server.raw();
    let mut sub = server.raw();
    let ids: Vec<String> = [&mut idle, &mut partial, &mut multi, &mut sub]
        .into_iter()
        .map(id_of)
        .collect();
    partial.write(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n");
    partial.write(&vec![b'x'; 50_000]);
    multi.cmd(&["MULTI"]);
    multi.cmd(&["SET", "a", &"b".repeat(100)]);
    multi.cmd(&["GET", "a"]);
    sub.cmd(&["SUBSCRIBE", "c1", "c2"]);
    sub.read_reply();
    sub.cmd(&["PSUBSCRIBE", "p*"]);
    thread::sleep(Duration::from_millis(200));
    let list = bulk_text(&observer.cmd(&["CLIENT", "LIST"]));
    let mut out: Vec<Vec<(String, String)>> =
        ids.iter().map(|id| client_fields(&list, id)).collect();
    let info = bulk_text(&observer.cmd(&["CLIENT", "INFO"]));
    out.push(client_fields(
        &info,
        info.split(' ').next().unwrap().trim_start_matches("id="),
    ));
    out
}

#[test]
fn client_list_buffer_fields_compare_with_redis() {
    let ferrodis = Server::ferrodis(&[]);
    let redis = Server::redis();
    let got = list_situations(&ferrodis);
    let want = list_situations(&redis);
    for (g, w) in got.iter().zip(&want) {
        let names: Vec<&str> = g.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, common::CLIENT_LIST_FIELDS, "ferrodis fields");
        let names: Vec<&str> = w.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, common::CLIENT_LIST_FIELDS, "redis fields");
        // Exact where both servers must agree.
        for name in [
            "flags", "db", "sub", "psub", "ssub", "multi", "argv-mem", "obl", "oll", "omem",
            "events", "cmd", "user", "redir", "resp",
        ] {
            assert_eq!(field(g, name), field(w, name), "{name}: {g:?} vs {w:?}");
        }
        // Sizes of the same order, wherever Redis reports something.
        for name in ["qbuf-free", "rbs", "tot-mem"] {
            let (a, b) = (num(g, name), num(w, name));
            assert!(
                (a == 0) == (b == 0) || name == "qbuf-free",
                "{name}: ferrodis {a}, redis {b}"
            );
            assert!(
                a <= b.max(1) * 8 && b <= a.max(1) * 8,
                "{name}: ferrodis {a}, redis {b}"
            );
        }
    }
    let [idle, partial, multi, sub, me] = &got[..] else {
        panic!("five clients expected")
    };
    assert_eq!(num(idle, "qbuf"), 0);
    // The half-received argument is pending input, and its first arguments are held.
    assert!(
        (50_000..50_100).contains(&num(partial, "qbuf")),
        "{partial:?}"
    );
    assert!(num(partial, "tot-mem") > 50_000, "{partial:?}");
    assert!(num(multi, "multi-mem") >= 100, "{multi:?}");
    assert!(
        num(sub, "rbp") > 0 && num(sub, "rbs") >= num(sub, "rbp"),
        "{sub:?}"
    );
    // The caller's own query is in its buffer while its CLIENT INFO runs.
    assert_eq!(num(me, "qbuf"), 26, "{me:?}");
    assert_eq!(num(me, "argv-mem"), 10, "{me:?}");
}

/// An idle client's query buffer is freed by the cron after two seconds, as Redis's
/// clientsCron does; a pending output shows in obl/oll/omem.
#[test]
fn idle_query_buffer_is_released() {
    let server = Server::ferrodis(&[]);
    let mut observer = server.raw();
    let mut idle = server.raw();
    let id = id_of(&mut idle);
    let fields = client_fields(&bulk_text(&observer.cmd(&["CLIENT", "LIST"])), &id);
    assert!(num(&fields, "qbuf-free") > 0, "{fields:?}");
    let deadline = Instant::now() + Duration::from_secs(8);
    loop {
        let fields = client_fields(&bulk_text(&observer.cmd(&["CLIENT", "LIST"])), &id);
        if num(&fields, "qbuf-free") == 0 {
            assert!(num(&fields, "tot-mem") < 8 * 1024, "{fields:?}");
            break;
        }
        assert!(Instant::now() < deadline, "never released: {fields:?}");
        thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn client_list_and_info_are_verbatim_in_resp3() {
    for server in [Server::ferrodis(&[]), Server::redis()] {
        let mut c = server.raw();
        c.cmd(&["HELLO", "3"]);
        for args in [&["CLIENT", "INFO"][..], &["CLIENT", "LIST"]] {
            let reply = c.cmd(args);
            let text = String::from_utf8_lossy(&reply).into_owned();
            assert!(text.starts_with('='), "{:?}: {text}", server.kind);
            let body = &text[text.find("\r\n").unwrap() + 2..];
            assert!(body.starts_with("txt:id="), "{:?}: {text}", server.kind);
            assert!(body.ends_with("resp=3\n\r\n"), "{:?}: {text}", server.kind);
        }
        assert_eq!(c.cmd(&["CLIENT", "LIST", "ID", "99999"]), b"=4\r\ntxt:\r\n");
    }
}
