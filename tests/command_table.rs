//! The command table as COMMAND describes it, against a real redis-server: every COMMAND INFO
//! entry (flags, arity, first/last/step, ACL categories, tips, key specs, subcommands) in
//! RESP2 and RESP3, COMMAND GETKEYS / GETKEYSANDFLAGS for calls covering every command whose
//! keys move, COMMAND LIST's filters and COMMAND COUNT.

mod common;
#[path = "support/resp_tree.rs"]
mod resp_tree;

use std::collections::{BTreeSet, HashSet};

use common::{show, Raw, Server};
use resp_tree::{parse, render, text, Node};

/// ferrodis's own spellings of Redis commands (not in Redis, so not compared).
const ALIASES: &[&str] = &["delete", "clear"];

/// A COMMAND INFO entry with its subcommands sorted by name (Redis lists them in hash-table
/// order, which changes from run to run) and limited to the names `keep` accepts.
fn normalize(entry: &Node, keep: &dyn Fn(&str) -> bool) -> Node {
    let mut entry = entry.clone();
    if entry.items.len() == 10 {
        let mut subs: Vec<Node> = entry.items[9]
            .items
            .iter()
            .filter(|s| keep(&text(&s.items[0])))
            .map(|s| normalize(s, keep))
            .collect();
        subs.sort_by_key(|s| text(&s.items[0]));
        entry.items[9].items = subs;
    }
    entry
}

fn sub_names(entry: &Node) -> HashSet<String> {
    entry.items[9]
        .items
        .iter()
        .map(|s| text(&s.items[0]))
        .collect()
}

fn connect(server: &Server, proto: u8) -> Raw {
    let mut c = server.raw();
    if proto == 3 {
        let hello = c.cmd(&["HELLO", "3"]);
        assert!(hello.starts_with(b"%"), "{}", show(&hello));
    }
    c
}

/// Top-level command names ferrodis lists.
fn ferrodis_commands(c: &mut Raw) -> Vec<String> {
    let list = parse(&c.cmd(&["COMMAND", "LIST"]));
    list.items
        .iter()
        .map(text)
        .filter(|n| !n.contains('|') && !ALIASES.contains(&n.as_str()))
        .collect()
}

fn info_entry(c: &mut Raw, name: &str) -> Node {
    let reply = parse(&c.cmd(&["COMMAND", "INFO", name]));
    assert_eq!(reply.items.len(), 1, "{name}: {}", render(&reply));
    reply.items[0].clone()
}

fn command_info_matches(proto: u8) {
    let ours = Server::ferrodis(&[]);
    let redis = Server::redis();
    let (mut f, mut r) = (connect(&ours, proto), connect(&redis, proto));
    let names = ferrodis_commands(&mut f);
    assert!(names.len() > 150, "only {} commands listed", names.len());
    let mut compared = 0;
    let mut wrong = Vec::new();
    for name in &names {
        let theirs = info_entry(&mut r, name);
        if theirs.kind == b'_' || theirs.raw == b"*-1\r\n" {
            // A command Redis 7.0 does not have.
            continue;
        }
        let mine = info_entry(&mut f, name);
        // Compare the subcommands both have (ferrodis has fewer, and two from Redis 7.2).
        let both: HashSet<String> = sub_names(&mine)
            .intersection(&sub_names(&theirs))
            .cloned()
            .collect();
        let keep = |n: &str| both.contains(n);
        let (mine, theirs) = (normalize(&mine, &keep), normalize(&theirs, &keep));
        if mine != theirs {
            wrong.push(format!(
                "{name}:\n  redis    {}\n  ferrodis {}",
                render(&theirs),
                render(&mine)
            ));
        }
        compared += 1 + both.len();
    }
    assert!(compared > 200, "compared only {compared} commands");
    assert!(wrong.is_empty(), "RESP{proto}:\n{}", wrong.join("\n"));
}

#[test]
fn command_info_matches_redis_resp2() {
    command_info_matches(2);
}

#[test]
fn command_info_matches_redis_resp3() {
    command_info_matches(3);
}

/// Bare COMMAND is COMMAND INFO of every command, COMMAND COUNT counts them, and COMMAND LIST
/// names them and their subcommands.
#[test]
fn bare_command_count_and_list_agree() {
    let ours = Server::ferrodis(&[]);
    for proto in [2, 3] {
        let mut f = connect(&ours, proto);
        let all = parse(&f.cmd(&["COMMAND"]));
        let count = f.cmd(&["COMMAND", "COUNT"]);
        assert_eq!(count, format!(":{}\r\n", all.items.len()).into_bytes());
        let mut from_info = BTreeSet::new();
        for entry in &all.items {
            let name = text(&entry.items[0]);
            assert_eq!(
                normalize(entry, &|_| true),
                normalize(&info_entry(&mut f, &name), &|_| true)
            );
            from_info.insert(name);
            for sub in &entry.items[9].items {
                from_info.insert(text(&sub.items[0]));
            }
        }
        let listed: BTreeSet<String> = parse(&f.cmd(&["COMMAND", "LIST"]))
            .items
            .iter()
            .map(text)
            .collect();
        assert_eq!(listed, from_info);
    }
}

/// GETKEYS and GETKEYSANDFLAGS calls: every command whose keys move (numkeys, STORE, GET),
/// the getkeys procedures Redis falls back to, and the errors.
const GETKEYS_CALLS: &[&str] = &[
    // Lists: LMPOP / BLMPOP numkeys.
    "LMPOP 2 a b LEFT",
    "lmpop 1 a RIGHT COUNT 3",
    "LMPOP 3 a b LEFT",
    "LMPOP 0 a LEFT",
    "LMPOP -1 a LEFT",
    "LMPOP abc a LEFT",
    "LMPOP 2x a b LEFT",
    "LMPOP 1x a LEFT",
    "LMPOP 4294967298 a b LEFT",
    "BLMPOP 0 2 a b LEFT",
    "BLMPOP 1.5 1 a RIGHT COUNT 2",
    "BLMPOP 0 5 a b LEFT",
    "BLMPOP 0 2y a b LEFT",
    // Sorted sets: ZMPOP / BZMPOP, the *STORE forms, the reading forms, ZINTERCARD.
    "ZMPOP 2 a b MIN",
    "ZMPOP 1 a MAX COUNT 2",
    "ZMPOP 0 a MIN",
    "BZMPOP 0 2 a b MAX",
    "BZMPOP 0 3 a b MAX",
    "ZUNIONSTORE d 2 a b",
    "ZUNIONSTORE d 2 a b WEIGHTS 1 2 AGGREGATE MAX",
    "ZUNIONSTORE d 3 a b",
    "ZUNIONSTORE d 0 a",
    "ZUNIONSTORE d 2x a b",
    "ZUNIONSTORE d 1 d",
    "ZINTERSTORE d 1 a",
    "ZINTERSTORE d 2 a b WEIGHTS 2 3",
    "ZDIFFSTORE d 2 a b",
    "ZDIFFSTORE d 2 a",
    "ZUNION 2 a b",
    "ZUNION 2 a b WITHSCORES",
    "ZINTER 1 a",
    "ZINTER 3 a b",
    "ZDIFF 2 a b",
    "ZDIFF 1z a",
    "ZINTERCARD 2 a b",
    "ZINTERCARD 2 a b LIMIT 1",
    "ZINTERCARD 0 a",
    "SINTERCARD 2 a b",
    "SINTERCARD 1 a LIMIT 5",
    "SINTERCARD 3 a b",
    "SINTERCARD 2q a b",
    "ZRANGESTORE d s 0 -1",
    // SORT and SORT_RO: the STORE destination, BY/GET patterns are not keys.
    "SORT k",
    "SORT k STORE d",
    "SORT k BY w_* GET # GET o_* STORE d LIMIT 0 1",
    "SORT k STORE a STORE b",
    "SORT k LIMIT 0 STORE d",
    "SORT k STORE",
    "SORT k GET STORE d",
    "SORT k by store STORE d",
    "SORT_RO k",
    "SORT_RO k BY w_* GET o_* ALPHA",
    // SET's flags depend on GET.
    "SET k v",
    "SET k v GET",
    "SET k v EX 10 get",
    "SET k v NX",
    "SET k get",
    "GETEX k PERSIST",
    "GETDEL k",
    // Plain ranges, steps and multi-spec commands.
    "GET k",
    "MSET a 1 b 2",
    "MSET a 1 b",
    "MSETNX a 1 b 2",
    "MGET a b c",
    "DEL a b c",
    "UNLINK a",
    "EXISTS a a",
    "TOUCH a b",
    "WATCH a b",
    "RENAME a b",
    "RENAMENX a b",
    "COPY a b DB 1 REPLACE",
    "LMOVE a b LEFT RIGHT",
    "BLMOVE a b LEFT RIGHT 0",
    "RPOPLPUSH a b",
    "BRPOPLPUSH a b 0",
    "BLPOP a b 0",
    "BZPOPMIN a b 0",
    "SMOVE a b m",
    "SDIFFSTORE d a b",
    "SINTERSTORE d a",
    "SUNIONSTORE d a b c",
    "BITOP AND d a b",
    "LCS a b LEN",
    "HSET h f v f2 v2",
    "OBJECT ENCODING k",
    "OBJECT FREQ k",
    "MOVE k 1",
    "RESTORE k 0 payload",
    "DUMP k",
    "EXPIRE k 10 NX",
    "PUBLISH ch msg",
    // Errors.
    "NOSUCHCOMMAND a",
    "GET",
    "GET a b",
    "PING",
    "PING x",
    "KEYS *",
    "OBJECT",
    "OBJECT NOSUCH k",
    "OBJECT HELP",
    "CLIENT LIST",
    "COMMAND GETKEYS get a",
    "SUBSCRIBE ch",
    "MULTI",
    "SELECT 1",
    "FLUSHDB",
];

fn words(call: &str) -> Vec<&str> {
    call.split(' ').collect()
}

#[test]
fn getkeys_and_flags_match_redis() {
    let ours = Server::ferrodis(&[]);
    let redis = Server::redis();
    let mut wrong = Vec::new();
    for proto in [2, 3] {
        let (mut f, mut r) = (connect(&ours, proto), connect(&redis, proto));
        for call in GETKEYS_CALLS {
            for sub in ["GETKEYS", "GETKEYSANDFLAGS"] {
                let mut args = vec!["COMMAND", sub];
                args.extend(words(call));
                let (mine, theirs) = (f.cmd(&args), r.cmd(&args));
                if mine != theirs {
                    wrong.push(format!(
                        "RESP{proto} COMMAND {sub} {call}:\n  redis    {}\n  ferrodis {}",
                        show(&theirs),
                        show(&mine)
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// GETKEYS answers for every command the table says has keys, with the call spelled from the
/// command's own documented arguments: a command with key specs must find a key in its
/// simplest call, as Redis does.
#[test]
fn every_command_with_key_specs_answers_getkeys_like_redis() {
    let ours = Server::ferrodis(&[]);
    let redis = Server::redis();
    let (mut f, mut r) = (connect(&ours, 2), connect(&redis, 2));
    let mut wrong = Vec::new();
    let mut checked = 0;
    for name in ferrodis_commands(&mut f) {
        let entry = info_entry(&mut f, &name);
        let mut targets = vec![entry.clone()];
        targets.extend(entry.items[9].items.iter().cloned());
        for target in targets {
            if target.items[8].items.is_empty() {
                continue;
            }
            let full = text(&target.items[0]);
            let arity: i64 = String::from_utf8_lossy(&target.items[1].raw[1..])
                .trim()
                .parse()
                .expect("arity");
            // The name (and subcommand), then "k1 k2 …" up to the arity: every argument a
            // key-like word, which is enough for fixed and numkeys positions alike when the
            // numkeys word is "1".
            let mut args: Vec<String> = vec!["COMMAND".into(), "GETKEYSANDFLAGS".into()];
            args.extend(full.split('|').map(str::to_string));
            let fixed = arity.unsigned_abs() as usize;
            while args.len() - 2 < fixed.max(3) {
                args.push(format!("k{}", args.len()));
            }
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let (mine, theirs) = (f.cmd(&argv), r.cmd(&argv));
            if theirs.starts_with(b"-ERR unknown") {
                continue;
            }
            if mine != theirs {
                wrong.push(format!(
                    "{}:\n  redis    {}\n  ferrodis {}",
                    argv.join(" "),
                    show(&theirs),
                    show(&mine)
                ));
            }
            checked += 1;
        }
    }
    assert!(checked > 100, "checked only {checked}");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// COMMAND LIST FILTERBY: the same members as Redis's answer among the commands ferrodis
/// has, and Redis's errors.
#[test]
fn command_list_filters_match_redis() {
    let ours = Server::ferrodis(&[]);
    let redis = Server::redis();
    let (mut f, mut r) = (connect(&ours, 2), connect(&redis, 2));
    let set = |c: &mut Raw, args: &[&str]| -> BTreeSet<String> {
        parse(&c.cmd(args)).items.iter().map(text).collect()
    };
    // The commands (and subcommands) both servers have.
    let redis_all = set(&mut r, &["COMMAND", "LIST"]);
    let both: BTreeSet<String> = set(&mut f, &["COMMAND", "LIST"])
        .intersection(&redis_all)
        .cloned()
        .collect();
    assert!(both.len() > 200, "only {} names in common", both.len());
    let mut filters: Vec<(&str, String)> = [
        "keyspace",
        "read",
        "write",
        "set",
        "sortedset",
        "list",
        "hash",
        "string",
        "bitmap",
        "hyperloglog",
        "geo",
        "stream",
        "pubsub",
        "admin",
        "fast",
        "slow",
        "blocking",
        "dangerous",
        "connection",
        "transaction",
        "scripting",
        "SortedSet",
        "nosuchcategory",
    ]
    .iter()
    .map(|c| ("ACLCAT", c.to_string()))
    .collect();
    for p in ["*", "z*", "client|*", "*|*", "*STORE", "[gs]et", "nomatch"] {
        filters.push(("PATTERN", p.to_string()));
    }
    filters.push(("MODULE", "anymodule".to_string()));
    for (kind, value) in &filters {
        let args = ["COMMAND", "LIST", "FILTERBY", kind, value];
        let mine: BTreeSet<String> = set(&mut f, &args).intersection(&both).cloned().collect();
        let theirs: BTreeSet<String> = set(&mut r, &args).intersection(&both).cloned().collect();
        assert_eq!(mine, theirs, "FILTERBY {kind} {value}");
    }
    for bad in [
        &["COMMAND", "LIST", "FILTERBY"][..],
        &["COMMAND", "LIST", "FILTERBY", "aclcat"],
        &["COMMAND", "LIST", "FILTERBY", "nosuch", "x"],
        &["COMMAND", "LIST", "nosuch", "a", "b"],
        &["COMMAND", "LIST", "FILTERBY", "aclcat", "read", "extra"],
        &["COMMAND", "COUNT", "x"],
        &["COMMAND", "NOSUCH"],
    ] {
        assert_eq!(show(&f.cmd(bad)), show(&r.cmd(bad)), "{bad:?}");
    }
}
