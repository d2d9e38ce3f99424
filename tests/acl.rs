//! ACL against a real redis-server 7.0: rules and their descriptions (ACL LIST / GETUSER in
//! RESP2 and RESP3), every SETUSER error text, NOPERM for commands, subcommands, first
//! arguments, keys and channels in and out of MULTI (and EXEC's second check), ACL LOG
//! entries, DRYRUN, CAT, GENPASS, DELUSER and CLIENT KILL USER disconnecting clients, the
//! pub/sub disconnection when channel rules shrink, the ACL file round trip, users from the
//! configuration, and redis-py's ACL API.
//!
//! Redis lists single commands of a rule description in its command dict's hash order, which
//! changes from run to run: the scenarios here keep at most one single command per selector
//! description, so both servers print the same text.

mod common;

use common::{show, Raw, Server};
use std::time::Duration;

/// Replaces the values that legitimately differ between the servers: the ACL LOG
/// `age-seconds`, the `client-info` line (only its `cmd=` and `user=` fields are kept) and
/// the connection id in HELLO.
fn mask(reply: &[u8]) -> String {
    let text = show(reply);
    let mut out = String::new();
    let mut rest = text.as_str();
    loop {
        let age = rest.find("age-seconds\\r\\n");
        let info = rest.find("client-info\\r\\n");
        let id = rest.find("$2\\r\\nid\\r\\n:");
        let Some(at) = [age, info, id].into_iter().flatten().min() else {
            break;
        };
        if Some(at) == id {
            let head = at + "$2\\r\\nid\\r\\n:".len();
            out.push_str(&rest[..head]);
            rest = &rest[head..];
            let digits = rest.bytes().take_while(|b| b.is_ascii_digit()).count();
            out.push('N');
            rest = &rest[digits..];
            continue;
        }
        let key_len = if Some(at) == age {
            "age-seconds\\r\\n".len()
        } else {
            "client-info\\r\\n".len()
        };
        out.push_str(&rest[..at + key_len]);
        rest = &rest[at + key_len..];
        // The value: `$N\r\n...\r\n` or `,...\r\n`; skip to its end.
        let first_end = rest.find("\\r\\n").map_or(rest.len(), |i| i + 4);
        let value_end = if rest.starts_with('$') {
            first_end + rest[first_end..].find("\\r\\n").map_or(0, |i| i + 4)
        } else {
            first_end
        };
        let value = &rest[first_end.min(value_end)..value_end];
        if Some(at) == info {
            let field = |name: &str| {
                value
                    .split(' ')
                    .find(|f| f.starts_with(name))
                    .unwrap_or("")
                    .trim_end_matches("\\r\\n")
                    .to_string()
            };
            out.push_str(&format!(
                "<{} {} {}>",
                field("cmd="),
                field("user="),
                field("flags=")
            ));
        } else {
            out.push_str("<age>");
        }
        rest = &rest[value_end..];
    }
    out.push_str(rest);
    out
}

type Step<'a> = (usize, &'a [&'a str]);

fn transcript(port: u16, clients: usize, steps: &[Step]) -> Vec<String> {
    let mut conns: Vec<Raw> = (0..clients).map(|_| Raw::connect(port)).collect();
    steps
        .iter()
        .map(|(c, args)| {
            let reply = if args[0] == "@SLEEP" {
                std::thread::sleep(Duration::from_millis(100));
                Vec::new()
            } else if args[0] == "@CLOSED" {
                // The connection was closed by the server: reading gives EOF.
                let closed = conns[*c].try_read_reply().is_err();
                return format!("{c} closed={closed}");
            } else {
                conns[*c].cmd(args)
            };
            format!("{c} {args:?} => {}", mask(&reply))
        })
        .collect()
}

fn assert_same_with(name: &str, ferrodis: &Server, redis: &Server, clients: usize, steps: &[Step]) {
    let got = transcript(ferrodis.port, clients, steps);
    let want = transcript(redis.port, clients, steps);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "{name} (left ferrodis, right redis-server)");
    }
    assert_eq!(got.len(), want.len());
}

fn assert_same(name: &str, clients: usize, steps: &[Step]) {
    let (ferrodis, redis) = (Server::ferrodis(&[]), Server::redis());
    assert_same_with(name, &ferrodis, &redis, clients, steps);
}

#[test]
fn rules_and_descriptions_match_redis() {
    let steps: &[Step] = &[
        (0, &["ACL", "LIST"]),
        (0, &["ACL", "GETUSER", "default"]),
        (
            0,
            &[
                "ACL", "SETUSER", "u1", "on", ">p1", "~k*", "%R~r*", "&ch*", "+@hash", "-hset",
            ],
        ),
        (0, &["ACL", "SETUSER", "u1", "(+set ~s*)", "(", "%W~w", ")"]),
        (
            0,
            &[
                "ACL",
                "SETUSER",
                "u2",
                "+@all",
                "-@dangerous",
                "allkeys",
                "allchannels",
            ],
        ),
        (
            0,
            &[
                "ACL",
                "SETUSER",
                "u3",
                "+select|0",
                "%RW~x",
                "%R~y",
                "%W~y",
                "%R",
            ],
        ),
        (
            0,
            &[
                "ACL",
                "SETUSER",
                "u4",
                "reset",
                "#f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a",
            ],
        ),
        (
            0,
            &[
                "ACL",
                "SETUSER",
                "u5",
                "on",
                "nopass",
                "+client|list",
                "skip-sanitize-payload",
            ],
        ),
        (
            0,
            &[
                "ACL",
                "SETUSER",
                "u6",
                "+@all",
                "-@all",
                "+get",
                "nocommands",
                "+@read",
                "-@read",
                "+@string",
            ],
        ),
        (
            0,
            &[
                "ACL",
                "SETUSER",
                "u7",
                ">a",
                ">b",
                "<a",
                "(+get)",
                "clearselectors",
                "+@all",
                "-config|set",
            ],
        ),
        (0, &["ACL", "SETUSER", "u8", "allcommands", "-get", "+get"]),
        (0, &["ACL", "LIST"]),
        (0, &["ACL", "USERS"]),
        (0, &["ACL", "GETUSER", "u1"]),
        (0, &["ACL", "GETUSER", "u3"]),
        (0, &["ACL", "GETUSER", "u4"]),
        (0, &["ACL", "GETUSER", "nosuch"]),
        (0, &["HELLO", "3"]),
        (0, &["ACL", "GETUSER", "u1"]),
        (0, &["ACL", "GETUSER", "u5"]),
        (0, &["ACL", "GETUSER", "nosuch"]),
        (0, &["ACL", "LIST"]),
    ];
    assert_same("rules", 1, steps);
}

#[test]
fn setuser_errors_match_redis() {
    let steps: &[Step] = &[
        (0, &["ACL", "SETUSER", "e", "bogus"]),
        (0, &["ACL", "SETUSER", "e", "+nosuch"]),
        (0, &["ACL", "SETUSER", "e", "-nosuch"]),
        (0, &["ACL", "SETUSER", "e", "+@nosuch"]),
        (0, &["ACL", "SETUSER", "e", "+client|"]),
        (0, &["ACL", "SETUSER", "e", "+config|get|x"]),
        (0, &["ACL", "SETUSER", "e", "+config|nosuch"]),
        (0, &["ACL", "SETUSER", "e", "-select|0"]),
        (0, &["ACL", "SETUSER", "e", "%"]),
        (0, &["ACL", "SETUSER", "e", "%~x"]),
        (0, &["ACL", "SETUSER", "e", "%RR~x"]),
        (0, &["ACL", "SETUSER", "e", "%X~x"]),
        (0, &["ACL", "SETUSER", "e", "~a b"]),
        (0, &["ACL", "SETUSER", "e", "~*", "~a"]),
        (0, &["ACL", "SETUSER", "e", "&*", "&a"]),
        (0, &["ACL", "SETUSER", "e", "#abc"]),
        (0, &["ACL", "SETUSER", "e", "!abc"]),
        (0, &["ACL", "SETUSER", "e", "<nosuch"]),
        (0, &["ACL", "SETUSER", "e", "(+get", "~x", "(+set"]),
        (0, &["ACL", "SETUSER", "e", "(+nosuch)"]),
        (0, &["ACL", "SETUSER", "e", "on", "\r\nbad\r\n"]),
        (0, &["ACL", "SETUSER", "a b"]),
        (0, &["ACL", "SETUSER", "a\x00b"]),
        // Nothing of a refused SETUSER applies.
        (0, &["ACL", "SETUSER", "e", "on", "+get", "bogus"]),
        (0, &["ACL", "USERS"]),
        (0, &["ACL", "SETUSER", "e", ""]),
        (0, &["ACL", "LIST"]),
        (0, &["ACL"]),
        (0, &["ACL", "NOSUCH"]),
        (0, &["ACL", "GETUSER"]),
        (0, &["ACL", "GETUSER", "a", "b"]),
        (0, &["ACL", "DELUSER", "default", "e"]),
        (0, &["ACL", "DELUSER", "nosuch", "e"]),
        (0, &["ACL", "LOAD"]),
        (0, &["ACL", "SAVE"]),
        (0, &["ACL", "HELP"]),
        (0, &["ACL", "WHOAMI"]),
        (0, &["ACL", "CAT"]),
        (0, &["ACL", "CAT", "nosuch"]),
        (0, &["ACL", "CAT", "a", "b"]),
        (0, &["ACL", "GENPASS", "0"]),
        (0, &["ACL", "GENPASS", "4097"]),
        (0, &["ACL", "GENPASS", "x"]),
        (0, &["ACL", "GENPASS", "1", "2"]),
        (0, &["ACL", "LOG", "x"]),
        (0, &["ACL", "LOG", "-1"]),
        (0, &["ACL", "LOG", "1", "2"]),
        (0, &["CLIENT", "KILL", "USER", "nosuch"]),
    ];
    assert_same("setuser errors", 1, steps);
}

#[test]
fn enforcement_and_log_match_redis() {
    let rules = [
        "ACL",
        "SETUSER",
        "u",
        "on",
        "nopass",
        "~a*",
        "%R~r*",
        "%W~w*",
        "&ch",
        "-@all",
        "+@string",
        "+@keyspace",
        "+publish",
        "+psubscribe",
        "+subscribe",
        "+multi",
        "+exec",
        "+select|0",
        "+client|info",
        "-del",
    ];
    let steps: &[Step] = &[
        (0, &rules),
        (1, &["AUTH", "u", "x"]),
        (1, &["ACL", "WHOAMI"]),
        (1, &["GET", "a1"]),
        (1, &["GET", "b1"]),
        (1, &["GET", "r1"]),
        (1, &["SET", "r1", "v"]),
        (1, &["SET", "w1", "v"]),
        (1, &["GET", "w1"]),
        (1, &["APPEND", "w1", "v"]),
        (1, &["COPY", "a1", "w1"]),
        (1, &["COPY", "r1", "b1"]),
        (1, &["MSET", "a1", "1", "b1", "2", "a2", "3"]),
        (1, &["DEL", "a1"]),
        (1, &["LPUSH", "a1", "x"]),
        (1, &["GET"]),
        (1, &["SELECT", "0"]),
        (1, &["SELECT", "1"]),
        (1, &["CONFIG", "GET", "x"]),
        (1, &["CLIENT", "ID"]),
        (1, &["PUBLISH", "ch", "m"]),
        (1, &["PUBLISH", "cx", "m"]),
        (1, &["MULTI"]),
        (1, &["GET", "b"]),
        (1, &["GET", "a"]),
        (1, &["EXEC"]),
        (1, &["MULTI"]),
        (1, &["SET", "a", "1"]),
        (1, &["GET", "a"]),
        (0, &["ACL", "SETUSER", "u", "-set"]),
        (1, &["EXEC"]),
        (0, &["ACL", "LOG"]),
        (1, &["PSUBSCRIBE", "ch*"]),
        (1, &["PSUBSCRIBE", "ch"]),
        (1, &["ACL", "WHOAMI"]),
        (1, &["SUBSCRIBE", "ch", "cx"]),
        (2, &["AUTH", "u", "x"]),
        (2, &["AUTH", "nosuch", "pw"]),
        (2, &["HELLO", "3", "AUTH", "nosuch", "pw"]),
        (2, &["auth", "nosuch", "pw"]),
        (2, &["ACL", "WHOAMI"]),
        (0, &["ACL", "LOG", "4"]),
        (0, &["HELLO", "3"]),
        (0, &["ACL", "LOG", "1"]),
        (0, &["ACL", "LOG", "RESET"]),
        (0, &["ACL", "LOG"]),
        (0, &["CONFIG", "SET", "acllog-max-len", "1"]),
        (2, &["GET", "zz"]),
        (2, &["DEL", "zz"]),
        (0, &["ACL", "LOG"]),
        (0, &["CONFIG", "GET", "acllog-max-len"]),
        (0, &["CONFIG", "GET", "acl-pubsub-default"]),
        (0, &["CONFIG", "GET", "aclfile"]),
    ];
    assert_same("enforcement", 3, steps);
}

#[test]
fn selectors_dryrun_and_first_args_match_redis() {
    let steps: &[Step] = &[
        (
            0,
            &[
                "ACL",
                "SETUSER",
                "s",
                "on",
                "nopass",
                "+get",
                "~a*",
                "(+set ~b*)",
                "(+del %R~c*)",
            ],
        ),
        (0, &["ACL", "DRYRUN", "s", "get", "a"]),
        (0, &["ACL", "DRYRUN", "s", "get", "b"]),
        (0, &["ACL", "DRYRUN", "s", "set", "b", "v"]),
        (0, &["ACL", "DRYRUN", "s", "set", "a", "v"]),
        (0, &["ACL", "DRYRUN", "s", "del", "c"]),
        (0, &["ACL", "DRYRUN", "s", "del", "a"]),
        (0, &["ACL", "DRYRUN", "s", "lpush", "a", "x"]),
        (0, &["ACL", "DRYRUN", "s", "config", "set", "a", "b"]),
        (0, &["ACL", "DRYRUN", "s", "CONFIG", "GET", "a"]),
        (0, &["ACL", "DRYRUN", "s", "config"]),
        (0, &["ACL", "DRYRUN", "s", "config", "nosuch"]),
        (0, &["ACL", "DRYRUN", "s", "nosuch"]),
        (0, &["ACL", "DRYRUN", "s", "get"]),
        (0, &["ACL", "DRYRUN", "nosuch", "get", "a"]),
        (0, &["ACL", "DRYRUN", "s"]),
        (
            0,
            &[
                "ACL", "SETUSER", "p", "on", "nopass", "&news.*", "&exact", "+@pubsub",
            ],
        ),
        (0, &["ACL", "DRYRUN", "p", "publish", "news.x", "m"]),
        (0, &["ACL", "DRYRUN", "p", "publish", "other", "m"]),
        (0, &["ACL", "DRYRUN", "p", "subscribe", "exact", "other"]),
        (0, &["ACL", "DRYRUN", "p", "psubscribe", "news.*"]),
        (0, &["ACL", "DRYRUN", "p", "psubscribe", "news.x"]),
        (0, &["ACL", "DRYRUN", "p", "ssubscribe", "news.x"]),
        (0, &["ACL", "DRYRUN", "p", "unsubscribe", "other"]),
        (
            0,
            &[
                "ACL",
                "SETUSER",
                "f",
                "on",
                "nopass",
                "-@all",
                "+select|0",
                "+select|2",
            ],
        ),
        (0, &["ACL", "DRYRUN", "f", "select", "0"]),
        (0, &["ACL", "DRYRUN", "f", "select", "2"]),
        (0, &["ACL", "DRYRUN", "f", "select", "1"]),
        (0, &["ACL", "SETUSER", "f", "+select"]),
        (0, &["ACL", "GETUSER", "f"]),
        (0, &["ACL", "SETUSER", "f", "-select", "+select|3"]),
        (0, &["ACL", "GETUSER", "f"]),
        (
            0,
            &[
                "ACL",
                "SETUSER",
                "c",
                "on",
                "nopass",
                "-@all",
                "+config",
                "-config|set",
            ],
        ),
        (0, &["ACL", "DRYRUN", "c", "config", "get", "x"]),
        (0, &["ACL", "DRYRUN", "c", "config", "set", "x", "y"]),
        (0, &["ACL", "GETUSER", "c"]),
        (0, &["ACL", "CAT", "nosuch"]),
    ];
    assert_same("dryrun", 1, steps);
}

#[test]
fn deleted_users_and_shrunk_channels_disconnect_as_in_redis() {
    let steps: &[Step] = &[
        (
            0,
            &["ACL", "SETUSER", "k", "on", "nopass", "~*", "&*", "+@all"],
        ),
        (1, &["AUTH", "k", "x"]),
        (2, &["AUTH", "k", "x"]),
        (2, &["SUBSCRIBE", "foo"]),
        (3, &["AUTH", "k", "x"]),
        (3, &["PSUBSCRIBE", "fo*"]),
        // Changing other rules (even `off`) keeps the clients.
        (0, &["ACL", "SETUSER", "k", "off", "-get"]),
        (1, &["PING"]),
        (1, &["GET", "x"]),
        (0, &["ACL", "SETUSER", "k", "on", "+get"]),
        // All channels to some: subscribers outside them are closed.
        (0, &["ACL", "SETUSER", "k", "resetchannels", "&foo", "&fo*"]),
        (2, &["PING"]),
        (3, &["PING"]),
        (0, &["ACL", "SETUSER", "k", "resetchannels", "&foo"]),
        (2, &["PING"]),
        (3, &["@CLOSED"]),
        (0, &["CLIENT", "KILL", "USER", "k"]),
        (1, &["@CLOSED"]),
        (2, &["@CLOSED"]),
        (4, &["AUTH", "k", "x"]),
        (0, &["ACL", "DELUSER", "k"]),
        (4, &["@CLOSED"]),
        (5, &["AUTH", "k", "x"]),
        (5, &["ACL", "WHOAMI"]),
        (5, &["ACL", "DELUSER", "nobody"]),
    ];
    assert_same("disconnect", 6, steps);
}

/// The CLIENT LIST line of the connection, which names its user.
fn client_user(conn: &mut Raw) -> String {
    let reply = String::from_utf8_lossy(&conn.cmd(&["CLIENT", "INFO"])).into_owned();
    reply
        .split(' ')
        .find(|f| f.starts_with("user="))
        .unwrap_or("")
        .to_string()
}

#[test]
fn client_list_names_the_user() {
    let srv = Server::ferrodis(&[]);
    let mut admin = Raw::connect(srv.port);
    admin.cmd(&["ACL", "SETUSER", "bob", "on", ">pw", "+@all", "~*"]);
    let mut c = Raw::connect(srv.port);
    assert_eq!(client_user(&mut c), "user=default");
    assert_eq!(c.cmd(&["AUTH", "bob", "pw"]), b"+OK\r\n");
    assert_eq!(client_user(&mut c), "user=bob");
    let list = String::from_utf8_lossy(&admin.cmd(&["CLIENT", "LIST"])).into_owned();
    assert!(list.contains(" user=bob "), "{list}");
    assert_eq!(c.cmd(&["RESET"]), b"+RESET\r\n");
    assert_eq!(client_user(&mut c), "user=default");
}

#[test]
fn requirepass_is_the_default_users_password() {
    let steps: &[Step] = &[
        (0, &["CONFIG", "SET", "requirepass", "pw"]),
        (0, &["ACL", "GETUSER", "default"]),
        (0, &["ACL", "LIST"]),
        (1, &["GET", "x"]),
        (1, &["AUTH", "pw"]),
        (1, &["ACL", "SETUSER", "default", "resetpass", ">other"]),
        (2, &["AUTH", "pw"]),
        (2, &["AUTH", "default", "other"]),
        (0, &["ACL", "SETUSER", "default", "nopass", "off"]),
        (3, &["GET", "x"]),
        (3, &["AUTH", "default", "x"]),
        (0, &["ACL", "SETUSER", "default", "on"]),
        (4, &["GET", "x"]),
        (0, &["CONFIG", "SET", "requirepass", ""]),
        (0, &["ACL", "LIST"]),
        (0, &["AUTH", "x"]),
    ];
    assert_same("requirepass", 5, steps);
}

#[test]
fn aclfile_load_and_save_match_redis() {
    let text = "user default on nopass ~* &* +@all\n\
                user alice on #f64551fcd6f07823cb87971cfb91446425da18286b3ab1ef935e0cbd7a69f68a ~a* &n +@string (~b* +get)\n\
                \n\
                user bob off resetchannels -@all\n";
    let setup = |name: &str| {
        let dir = std::env::temp_dir().join(format!(
            "ferrodis-acl-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("users.acl");
        std::fs::write(&path, text).unwrap();
        path
    };
    let fpath = setup("ferrodis");
    let rpath = setup("redis");
    let ferrodis = Server::ferrodis(&["--aclfile", fpath.to_str().unwrap()]);
    let redis = Server::redis_with(&["--aclfile", rpath.to_str().unwrap()]);
    let steps: &[Step] = &[
        (0, &["ACL", "LIST"]),
        (1, &["AUTH", "alice", "p1"]),
        (1, &["GET", "a"]),
        (0, &["ACL", "SETUSER", "carol", "on", ">x", "~c*", "+@hash"]),
        (0, &["ACL", "DELUSER", "bob"]),
        (0, &["ACL", "SAVE"]),
        (0, &["ACL", "SETUSER", "dave"]),
        (0, &["ACL", "LOAD"]),
        (0, &["ACL", "LIST"]),
        // ACL LOAD closes the clients of every user but default.
        (1, &["@CLOSED"]),
    ];
    assert_same_with("aclfile", &ferrodis, &redis, 2, steps);
    let saved_f = std::fs::read_to_string(&fpath).unwrap();
    let saved_r = std::fs::read_to_string(&rpath).unwrap();
    assert_eq!(saved_f, saved_r);
    // Broken files change nothing and report every problem.
    for (content, what) in [
        (
            "user alice on bogus\nnouser x\nuser alice on\nuser a\u{1}b on\n",
            "errors",
        ),
        ("user x (+get\n", "paren"),
    ] {
        std::fs::write(&fpath, content).unwrap();
        std::fs::write(&rpath, content).unwrap();
        let got = show(&Raw::connect(ferrodis.port).cmd(&["ACL", "LOAD"]));
        let want = show(&Raw::connect(redis.port).cmd(&["ACL", "LOAD"]));
        let f = fpath.to_str().unwrap();
        let r = rpath.to_str().unwrap();
        assert_eq!(got.replace(f, "FILE"), want.replace(r, "FILE"), "{what}");
    }
    std::fs::remove_file(&fpath).unwrap();
    std::fs::remove_file(&rpath).unwrap();
    let got = show(&Raw::connect(ferrodis.port).cmd(&["ACL", "LOAD"]));
    let want = show(&Raw::connect(redis.port).cmd(&["ACL", "LOAD"]));
    let f = fpath.to_str().unwrap();
    let r = rpath.to_str().unwrap();
    assert_eq!(got.replace(f, "FILE"), want.replace(r, "FILE"));
}

#[test]
fn users_from_the_configuration() {
    let ferrodis = Server::ferrodis(&["--user", "alice on >pw ~* +@all", "--user", "default off"]);
    let redis = Server::redis_with(&["--user", "alice", "on", ">pw", "~*", "+@all"]);
    let mut r = Raw::connect(redis.port);
    assert_eq!(
        r.cmd(&["ACL", "SETUSER", "default", "reset", "off"]),
        b"+OK\r\n"
    );
    let steps: &[Step] = &[
        (0, &["GET", "x"]),
        (0, &["AUTH", "alice", "pw"]),
        (0, &["ACL", "LIST"]),
    ];
    assert_same_with("config users", &ferrodis, &redis, 1, steps);
}

#[test]
fn bad_acl_configuration_aborts_start_up() {
    let exe = env!("CARGO_BIN_EXE_ferrodis");
    for (args, needle) in [
        (
            vec!["--user", "alice bogus"],
            "Error loading ACL rule 'bogus' for the user named 'alice': Syntax error",
        ),
        (
            vec!["--aclfile", "/nonexistent/users.acl"],
            "Aborting Redis startup because of ACL errors: Error loading ACLs, opening file",
        ),
        (
            vec!["--aclfile", "/nonexistent/users.acl", "--user", "a on"],
            "Configuring Redis with users defined in redis.conf and at the same setting an ACL \
             file path is invalid",
        ),
    ] {
        let out = std::process::Command::new(exe)
            .args(["--port", "0"])
            .args(&args)
            .output()
            .expect("run ferrodis");
        assert!(!out.status.success(), "{args:?}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(all.contains(needle), "{args:?}: {all}");
    }
}

#[test]
fn genpass_is_random_hex_of_the_requested_size() {
    let srv = Server::ferrodis(&[]);
    let mut c = Raw::connect(srv.port);
    let a = c.cmd(&["ACL", "GENPASS"]);
    let b = c.cmd(&["ACL", "GENPASS"]);
    assert!(a.starts_with(b"$64\r\n") && a != b, "{}", show(&a));
    assert!(a[5..69].iter().all(u8::is_ascii_hexdigit));
    assert!(c.cmd(&["ACL", "GENPASS", "5"]).starts_with(b"$2\r\n"));
    assert!(c.cmd(&["ACL", "GENPASS", "4096"]).starts_with(b"$1024\r\n"));
}

#[test]
fn redis_py_acl_api_matches_redis() {
    let script = r#"
import sys, redis
port = int(sys.argv[1])
r = redis.Redis(port=port, decode_responses=True)
print(r.acl_setuser("alice", enabled=True, passwords=["+pw1", "+pw2"], keys=["k*", "%R~r*"],
                    channels=["ch*"], commands=["+get", "+set", "+acl|whoami"], nopass=False))
print(r.acl_setuser("alice", enabled=True, passwords=["-pw2"]))
u = r.acl_getuser("alice")
print(sorted(u["flags"]), u["passwords"], sorted(u["commands"]), u["keys"], u["channels"], u["selectors"])
print(r.acl_getuser("nosuch"))
print(r.acl_setuser("bob", reset=True, enabled=False))
print(r.acl_users())
print([l for l in r.acl_list() if not l.startswith("user alice")])
print(r.acl_whoami())
a = redis.Redis(port=port, username="alice", password="pw1", decode_responses=True)
print(a.acl_whoami(), a.set("k1", "v"), a.get("k1"))
try:
    a.get("x1")
except redis.exceptions.NoPermissionError as e:
    print("noperm:", e)
try:
    redis.Redis(port=port, username="alice", password="pw2").ping()
except redis.exceptions.AuthenticationError as e:
    print("auth:", e)
c = redis.Redis(port=port, decode_responses=True)
print(c.auth("pw1", username="alice"), c.acl_whoami())
# redis-py sends CLIENT SETINFO on connect: a 7.2 command ferrodis knows (and alice may not
# run) while Redis 7.0 does not know it at all.
for e in [e for e in r.acl_log() if e["object"] != "client|setinfo"]:
    print(e["count"], e["reason"], e["context"], e["object"], e["username"])
print(r.acl_log_reset(), r.acl_log())
print(r.acl_deluser("alice", "bob", "nobody"))
print(r.acl_cat()[:3], r.acl_dryrun("default", "get", "x") if hasattr(r, "acl_dryrun") else "OK")
"#;
    let run = |port: u16| common::run_python(script, &[&port.to_string()]);
    let (ferrodis, redis) = (Server::ferrodis(&[]), Server::redis());
    let got = run(ferrodis.port);
    assert!(got.contains("noperm:"), "{got}");
    assert_eq!(got, run(redis.port), "left ferrodis, right redis-server");
}
