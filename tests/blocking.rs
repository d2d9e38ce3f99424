//! Blocking list commands with real clients: one client blocks in BLPOP & co. while another
//! pushes; timeouts; FIFO service of many waiters; BLMOVE chains; disconnection while blocked;
//! pipelined commands behind a blocked one; CLIENT UNBLOCK. Scenarios whose outcome Redis
//! defines are run against a real `redis-server` too and the transcripts compared byte for
//! byte, in RESP2 and (HELLO 3) RESP3, including waiters of both protocols on one key.

mod common;

use std::thread;
use std::time::{Duration, Instant};

use common::{encode, show, Raw, Server};

/// How long "no reply yet" is watched for.
const QUIET: Duration = Duration::from_millis(150);

fn s(bytes: &[u8]) -> String {
    show(bytes)
}

/// A command's bytes.
fn cmd(args: &[&str]) -> Vec<u8> {
    let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
    encode(&a)
}

/// Reads `blocked_clients` from INFO clients.
fn blocked_clients(ctl: &mut Raw) -> usize {
    let info = ctl.cmd(&["INFO", "clients"]);
    let text = String::from_utf8_lossy(&info).into_owned();
    text.lines()
        .find_map(|l| l.strip_prefix("blocked_clients:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no blocked_clients in {text}"))
}

/// Waits until the server reports `n` blocked clients.
fn wait_blocked(ctl: &mut Raw, n: usize) {
    let start = Instant::now();
    while blocked_clients(ctl) != n {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "never saw {n} blocked clients"
        );
        thread::sleep(Duration::from_millis(5));
    }
}

/// Asserts that nothing arrives on `c` for a while.
fn assert_silent(c: &mut Raw, what: &str) {
    let (bytes, closed) = c.read_until_quiet(QUIET);
    assert!(
        bytes.is_empty() && !closed,
        "{what}: expected no reply yet, got {:?} (closed: {closed})",
        s(&bytes)
    );
    c.stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
}

/// Runs `scenario` against ferrodis and a real redis-server and compares the transcripts.
fn same_on_both(scenario: fn(u16) -> Vec<String>) {
    let ferrodis = Server::ferrodis(&[]);
    let got = scenario(ferrodis.port);
    let redis = Server::redis();
    let want = scenario(redis.port);
    assert_eq!(
        got, want,
        "ferrodis (left) differs from redis-server (right)"
    );
}

#[test]
fn blpop_is_served_by_a_push_from_another_client() {
    same_on_both(|port| {
        let mut t = Vec::new();
        let mut a = Raw::connect(port);
        let mut b = Raw::connect(port);
        a.write(&cmd(&["BLPOP", "k", "0"]));
        wait_blocked(&mut b, 1);
        assert_silent(&mut a, "BLPOP before the push");
        t.push(s(&b.cmd(&["RPUSH", "k", "v1", "v2"])));
        t.push(s(&a.read_reply()));
        t.push(s(&b.cmd(&["LRANGE", "k", "0", "-1"])));
        // The last element served deletes the key.
        a.write(&cmd(&["BRPOP", "other", "k", "0"]));
        t.push(s(&a.read_reply()));
        t.push(s(&b.cmd(&["EXISTS", "k"])));
        t.push(
            s(&b.cmd(&["INFO", "clients"]))
                .contains("blocked_clients:0")
                .to_string(),
        );
        t
    });
}

#[test]
fn the_pushers_next_command_runs_after_the_waiter_is_served() {
    same_on_both(|port| {
        let mut t = Vec::new();
        let mut a = Raw::connect(port);
        let mut b = Raw::connect(port);
        a.write(&cmd(&["BLPOP", "k", "0"]));
        wait_blocked(&mut b, 1);
        // Pipelined: the waiter takes "x" between the two commands.
        let mut pipe = cmd(&["RPUSH", "k", "x"]);
        pipe.extend(cmd(&["LPOP", "k"]));
        b.write(&pipe);
        t.push(s(&b.read_replies(2)));
        t.push(s(&a.read_reply()));
        t
    });
}

#[test]
fn timeouts_fire_on_time_with_a_nil_reply() {
    let server = Server::ferrodis(&[]);
    let mut a = Raw::connect(server.port);
    for (args, secs) in [
        (vec!["BLPOP", "k", "0.1"], 0.1),
        (vec!["BRPOP", "k1", "k2", "0.25"], 0.25),
        (vec!["BLMOVE", "k", "d", "LEFT", "RIGHT", "0.1"], 0.1),
        (vec!["BRPOPLPUSH", "k", "d", "0.1"], 0.1),
        (
            vec!["BLMPOP", "0.1", "2", "k1", "k2", "RIGHT", "COUNT", "3"],
            0.1,
        ),
        (vec!["BLPOP", "k", "1"], 1.0),
    ] {
        let start = Instant::now();
        let reply = a.cmd(&args);
        let took = start.elapsed().as_secs_f64();
        assert_eq!(s(&reply), "*-1\\r\\n", "{args:?}");
        assert!(
            took >= secs - 0.005 && took < secs + 0.15,
            "{args:?} took {took:.3}s, wanted about {secs}s"
        );
    }
    // Still healthy, nothing left blocked.
    assert_eq!(blocked_clients(&mut a), 0);
    assert_eq!(s(&a.cmd(&["PING"])), "+PONG\\r\\n");
}

#[test]
fn timeout_errors_and_immediate_timeouts_match_redis() {
    same_on_both(|port| {
        let mut a = Raw::connect(port);
        let mut t = Vec::new();
        for timeout in [
            "abc", "-1", "-0.002", "inf", "1e30", "nan", "", " 1", "0.01", "0x0.01",
        ] {
            t.push(s(&a.cmd(&["BLPOP", "k", timeout])));
            t.push(s(&a.cmd(&["BLMOVE", "k", "d", "LEFT", "LEFT", timeout])));
            t.push(s(&a.cmd(&["BLMPOP", timeout, "1", "k", "LEFT"])));
        }
        t
    });
}

#[test]
fn many_waiters_are_served_in_the_order_they_blocked() {
    same_on_both(|port| {
        let mut t = Vec::new();
        let mut ctl = Raw::connect(port);
        let mut waiters: Vec<Raw> = Vec::new();
        for i in 0..6 {
            let mut w = Raw::connect(port);
            // Some wait on two keys; all on "q".
            if i % 2 == 0 {
                w.write(&cmd(&["BLPOP", "q", "0"]));
            } else {
                w.write(&cmd(&["BRPOP", "other", "q", "0"]));
            }
            wait_blocked(&mut ctl, i + 1);
            waiters.push(w);
        }
        t.push(s(&ctl.cmd(&["RPUSH", "q", "a", "b", "c", "d"])));
        for w in waiters.iter_mut().take(4) {
            t.push(s(&w.read_reply()));
        }
        for w in waiters.iter_mut().skip(4) {
            assert_silent(w, "waiter beyond the pushed elements");
        }
        t.push(blocked_clients(&mut ctl).to_string());
        t.push(s(&ctl.cmd(&["LPUSH", "q", "e", "f", "g"])));
        for w in waiters.iter_mut().skip(4) {
            t.push(s(&w.read_reply()));
        }
        t.push(s(&ctl.cmd(&["LRANGE", "q", "0", "-1"])));
        t
    });
}

#[test]
fn blmove_chains_and_destination_type_errors() {
    same_on_both(|port| {
        let mut t = Vec::new();
        let mut a = Raw::connect(port);
        let mut b = Raw::connect(port);
        let mut c = Raw::connect(port);
        // a moves src -> dst; c waits on dst and is served by a's push.
        a.write(&cmd(&["BLMOVE", "src", "dst", "LEFT", "RIGHT", "0"]));
        wait_blocked(&mut b, 1);
        c.write(&cmd(&["BLPOP", "dst", "0"]));
        wait_blocked(&mut b, 2);
        t.push(s(&b.cmd(&["RPUSH", "src", "x", "y"])));
        t.push(s(&a.read_reply()));
        t.push(s(&c.read_reply()));
        t.push(s(&b.cmd(&["LRANGE", "src", "0", "-1"])));
        t.push(s(&b.cmd(&["EXISTS", "dst"])));
        // BRPOPLPUSH onto itself.
        t.push(s(&b.cmd(&["DEL", "src"])));
        a.write(&cmd(&["BRPOPLPUSH", "src", "src", "0"]));
        wait_blocked(&mut b, 1);
        t.push(s(&b.cmd(&["RPUSH", "src", "1", "2"])));
        t.push(s(&a.read_reply()));
        t.push(s(&b.cmd(&["LRANGE", "src", "0", "-1"])));
        // The destination turns into a string while the client waits: WRONGTYPE, and the
        // element stays in the source.
        t.push(s(&b.cmd(&["DEL", "src"])));
        a.write(&cmd(&["BLMOVE", "src", "dst", "RIGHT", "LEFT", "0"]));
        wait_blocked(&mut b, 1);
        t.push(s(&b.cmd(&["SET", "dst", "string"])));
        t.push(s(&b.cmd(&["RPUSH", "src", "z"])));
        t.push(s(&a.read_reply()));
        t.push(s(&b.cmd(&["LRANGE", "src", "0", "-1"])));
        t.push(blocked_clients(&mut b).to_string());
        t
    });
}

#[test]
fn waiters_keep_waiting_while_the_key_is_deleted_or_of_another_type() {
    same_on_both(|port| {
        let mut t = Vec::new();
        let mut a = Raw::connect(port);
        let mut b = Raw::connect(port);
        a.write(&cmd(&["BLPOP", "k1", "k2", "0"]));
        wait_blocked(&mut b, 1);
        t.push(s(&b.cmd(&["SET", "k1", "str"])));
        t.push(s(&b.cmd(&["SADD", "k2", "m"])));
        assert_silent(&mut a, "waiting while the keys hold other types");
        t.push(s(&b.cmd(&["DEL", "k2"])));
        t.push(s(&b.cmd(&["RPUSH", "k2", "v"])));
        t.push(s(&a.read_reply()));
        t.push(s(&b.cmd(&["TYPE", "k1"])));
        // A key that goes away again before anyone is served.
        a.write(&cmd(&["BLMPOP", "0", "1", "k3", "RIGHT", "COUNT", "2"]));
        wait_blocked(&mut b, 1);
        t.push(s(&b.cmd(&["SET", "k3", "x"])));
        t.push(s(&b.cmd(&["DEL", "k3"])));
        t.push(s(&b.cmd(&["RPUSH", "k3", "p", "q", "r"])));
        t.push(s(&a.read_reply()));
        t.push(s(&b.cmd(&["LRANGE", "k3", "0", "-1"])));
        t
    });
}

#[test]
fn pipelined_commands_after_a_blocking_one_wait_until_it_is_served() {
    same_on_both(|port| {
        let mut t = Vec::new();
        let mut a = Raw::connect(port);
        let mut b = Raw::connect(port);
        let mut pipe = cmd(&["BLPOP", "k", "0"]);
        pipe.extend(cmd(&["PING"]));
        pipe.extend(cmd(&["LLEN", "k"]));
        pipe.extend(cmd(&["BLPOP", "k", "0"]));
        pipe.extend(cmd(&["ECHO", "done"]));
        a.write(&pipe);
        wait_blocked(&mut b, 1);
        assert_silent(&mut a, "pipeline behind BLPOP");
        t.push(s(&b.cmd(&["RPUSH", "k", "first"])));
        // BLPOP reply, PONG, LLEN 0, then blocked again.
        t.push(s(&a.read_replies(3)));
        wait_blocked(&mut b, 1);
        assert_silent(&mut a, "second BLPOP");
        t.push(s(&b.cmd(&["RPUSH", "k", "second", "third"])));
        t.push(s(&a.read_replies(2)));
        t.push(s(&b.cmd(&["LRANGE", "k", "0", "-1"])));
        t
    });
}

#[test]
fn a_client_disconnecting_while_blocked_leaves_the_server_healthy() {
    let server = Server::ferrodis(&[]);
    let mut ctl = Raw::connect(server.port);
    {
        let mut a = Raw::connect(server.port);
        a.write(&cmd(&["BLPOP", "k", "0"]));
        let mut b = Raw::connect(server.port);
        b.write(&cmd(&["BLMOVE", "k", "d", "LEFT", "LEFT", "0"]));
        wait_blocked(&mut ctl, 2);
        // Pending input behind the block must not keep the dead client around either.
        a.write(&cmd(&["PING"]));
    }
    wait_blocked(&mut ctl, 0);
    // Nobody consumes the push: the element stays.
    assert_eq!(s(&ctl.cmd(&["RPUSH", "k", "v"])), ":1\\r\\n");
    assert_eq!(s(&ctl.cmd(&["LLEN", "k"])), ":1\\r\\n");
    assert_eq!(s(&ctl.cmd(&["EXISTS", "d"])), ":0\\r\\n");
    // A dead client whose timeout expires is not written to either.
    {
        let mut a = Raw::connect(server.port);
        a.write(&cmd(&["BLPOP", "gone", "0.05"]));
        wait_blocked(&mut ctl, 1);
    }
    thread::sleep(Duration::from_millis(150));
    assert_eq!(blocked_clients(&mut ctl), 0);
    assert_eq!(s(&ctl.cmd(&["PING"])), "+PONG\\r\\n");
    let info = String::from_utf8_lossy(&ctl.cmd(&["INFO", "clients"])).into_owned();
    assert!(info.contains("connected_clients:1\r\n"), "{info}");
}

#[test]
fn client_unblock_with_timeout_or_error() {
    same_on_both(|port| {
        let mut t = Vec::new();
        let mut a = Raw::connect(port);
        let mut b = Raw::connect(port);
        let id = String::from_utf8_lossy(&a.cmd(&["CLIENT", "ID"]))
            .trim_start_matches(':')
            .trim()
            .to_string();
        t.push(s(&b.cmd(&["CLIENT", "UNBLOCK", &id])));
        a.write(&cmd(&["BLPOP", "k", "0"]));
        wait_blocked(&mut b, 1);
        t.push(s(&b.cmd(&["CLIENT", "UNBLOCK", &id])));
        t.push(s(&a.read_reply()));
        a.write(&cmd(&["BLMOVE", "k", "d", "LEFT", "LEFT", "0"]));
        wait_blocked(&mut b, 1);
        t.push(s(&b.cmd(&["CLIENT", "UNBLOCK", &id, "TIMEOUT"])));
        t.push(s(&a.read_reply()));
        let mut pipe = cmd(&["BLMPOP", "0", "1", "k", "LEFT"]);
        pipe.extend(cmd(&["PING"]));
        a.write(&pipe);
        wait_blocked(&mut b, 1);
        t.push(s(&b.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"])));
        t.push(s(&a.read_replies(2)));
        t.push(s(&b.cmd(&["CLIENT", "UNBLOCK", &id, "ERROR"])));
        t.push(s(&b.cmd(&["CLIENT", "UNBLOCK", &id, "maybe"])));
        t.push(s(&b.cmd(&["CLIENT", "UNBLOCK", "x"])));
        // Unblocked clients are not served later.
        t.push(s(&b.cmd(&["RPUSH", "k", "v"])));
        t.push(s(&b.cmd(&["LLEN", "k"])));
        t
    });
}

#[test]
fn blocked_clients_and_timeout_table_in_info() {
    let server = Server::ferrodis(&[]);
    let mut ctl = Raw::connect(server.port);
    let mut a = Raw::connect(server.port);
    let mut b = Raw::connect(server.port);
    a.write(&cmd(&["BLPOP", "k", "0"]));
    b.write(&cmd(&["BLPOP", "k", "100"]));
    wait_blocked(&mut ctl, 2);
    let info = String::from_utf8_lossy(&ctl.cmd(&["INFO", "clients"])).into_owned();
    assert!(info.contains("blocked_clients:2\r\n"), "{info}");
    assert!(info.contains("clients_in_timeout_table:1\r\n"), "{info}");
    let list = String::from_utf8_lossy(&ctl.cmd(&["CLIENT", "LIST"])).into_owned();
    assert_eq!(list.matches(" flags=b ").count(), 2, "{list}");
    assert_eq!(list.matches(" cmd=blpop ").count(), 2, "{list}");
    assert_eq!(s(&ctl.cmd(&["LPUSH", "k", "1", "2"])), ":2\\r\\n");
    assert_eq!(s(&a.read_reply()), "*2\\r\\n$1\\r\\nk\\r\\n$1\\r\\n2\\r\\n");
    assert_eq!(s(&b.read_reply()), "*2\\r\\n$1\\r\\nk\\r\\n$1\\r\\n1\\r\\n");
    let info = String::from_utf8_lossy(&ctl.cmd(&["INFO", "clients"])).into_owned();
    assert!(info.contains("blocked_clients:0\r\n"), "{info}");
    assert!(info.contains("clients_in_timeout_table:0\r\n"), "{info}");
}

#[test]
fn blocking_in_another_database_and_keys_created_by_rename() {
    same_on_both(|port| {
        let mut t = Vec::new();
        let mut a = Raw::connect(port);
        let mut b = Raw::connect(port);
        t.push(s(&a.cmd(&["SELECT", "3"])));
        a.write(&cmd(&["BLPOP", "k", "0"]));
        wait_blocked(&mut b, 1);
        // A push to k in database 0 does not serve it.
        t.push(s(&b.cmd(&["RPUSH", "k", "db0"])));
        assert_silent(&mut a, "push in another database");
        t.push(s(&b.cmd(&["SELECT", "3"])));
        t.push(s(&b.cmd(&["RPUSH", "tmp", "moved"])));
        t.push(s(&b.cmd(&["RENAME", "tmp", "k"])));
        t.push(s(&a.read_reply()));
        t
    });
}

/// Switches `c` to RESP3. The HELLO reply names the server and its version, so it is checked
/// for its type only and kept out of transcripts.
fn hello3(c: &mut Raw) {
    let reply = c.cmd(&["HELLO", "3"]);
    assert!(reply.starts_with(b"%"), "HELLO 3: {}", s(&reply));
}

#[test]
fn resp3_served_replies_match_redis() {
    same_on_both(|port| {
        let mut t = Vec::new();
        let mut a = Raw::connect(port);
        let mut b = Raw::connect(port);
        hello3(&mut a);
        for (block, push) in [
            (
                vec!["BLPOP", "none", "k", "0"],
                vec!["RPUSH", "k", "v1", "v2"],
            ),
            (vec!["BRPOP", "k", "0"], vec!["RPUSH", "k", "v3"]),
            (
                vec!["BLMOVE", "k", "d", "LEFT", "RIGHT", "0"],
                vec!["LPUSH", "k", "m"],
            ),
            (vec!["BRPOPLPUSH", "k", "d", "0"], vec!["LPUSH", "k", "n"]),
            (
                vec!["BLMPOP", "0", "2", "none", "k", "RIGHT", "COUNT", "5"],
                vec!["RPUSH", "k", "p", "q", "r"],
            ),
            (
                vec!["BLMPOP", "0", "1", "k", "LEFT"],
                vec!["RPUSH", "k", "s"],
            ),
        ] {
            t.push(s(&b.cmd(&["DEL", "k"])));
            a.write(&cmd(&block));
            wait_blocked(&mut b, 1);
            t.push(s(&b.cmd(&push)));
            t.push(s(&a.read_reply()));
        }
        t.push(s(&a.cmd(&["LRANGE", "d", "0", "-1"])));
        t
    });
}

#[test]
fn resp3_timeouts_and_client_unblock_match_redis() {
    same_on_both(|port| {
        let mut t = Vec::new();
        let mut a = Raw::connect(port);
        let mut b = Raw::connect(port);
        hello3(&mut a);
        for args in [
            vec!["BLPOP", "k", "0.02"],
            vec!["BRPOP", "k1", "k2", "0.02"],
            vec!["BLMOVE", "k", "d", "LEFT", "RIGHT", "0.02"],
            vec!["BRPOPLPUSH", "k", "d", "0.02"],
            vec!["BLMPOP", "0.02", "2", "k1", "k2", "RIGHT", "COUNT", "3"],
        ] {
            t.push(s(&a.cmd(&args)));
        }
        // CLIENT UNBLOCK's timeout is the same null; its error the same error.
        let id = String::from_utf8_lossy(&a.cmd(&["CLIENT", "ID"]))
            .trim_start_matches(':')
            .trim()
            .to_string();
        for (block, how) in [
            (vec!["BLMOVE", "k", "d", "LEFT", "LEFT", "0"], "TIMEOUT"),
            (vec!["BLPOP", "k", "0"], "TIMEOUT"),
            (vec!["BLMPOP", "0", "1", "k", "LEFT"], "ERROR"),
        ] {
            a.write(&cmd(&block));
            wait_blocked(&mut b, 1);
            t.push(s(&b.cmd(&["CLIENT", "UNBLOCK", &id, how])));
            t.push(s(&a.read_reply()));
        }
        t
    });
}

#[test]
fn waiters_of_both_protocols_get_their_own_shapes() {
    same_on_both(|port| {
        let mut t = Vec::new();
        let mut r2 = Raw::connect(port);
        let mut r3 = Raw::connect(port);
        let mut ctl = Raw::connect(port);
        hello3(&mut r3);
        // One key serves both, in the order they blocked.
        r2.write(&cmd(&["BLMPOP", "0", "1", "k", "LEFT", "COUNT", "2"]));
        wait_blocked(&mut ctl, 1);
        r3.write(&cmd(&["BLMPOP", "0", "1", "k", "LEFT", "COUNT", "2"]));
        wait_blocked(&mut ctl, 2);
        t.push(s(&ctl.cmd(&["RPUSH", "k", "a", "b", "c"])));
        t.push(s(&r2.read_reply()));
        t.push(s(&r3.read_reply()));
        // Both time out at once.
        r3.write(&cmd(&["BLPOP", "none", "0.05"]));
        r2.write(&cmd(&["BLPOP", "none", "0.05"]));
        t.push(s(&r2.read_reply()));
        t.push(s(&r3.read_reply()));
        t
    });
}
