//! MEMORY USAGE / STATS / DOCTOR / MALLOC-STATS / PURGE / HELP against a real redis-server:
//! replies and errors byte for byte, the STATS map's fields and types, and key sizes of the
//! same order of magnitude as Redis's.

mod common;

use common::{assert_same_transcript, decode, show, Raw, Resp, Server};

#[test]
fn memory_errors_help_and_small_replies_match_redis() {
    for resp in ["2", "3"] {
        let scenario: fn(u16) -> Vec<String> = if resp == "2" {
            |port| transcript(port, "2")
        } else {
            |port| transcript(port, "3")
        };
        assert_same_transcript(&format!("memory (RESP{resp})"), &[], scenario);
    }
}

fn transcript(port: u16, resp: &str) -> Vec<String> {
    let mut c = Raw::connect(port);
    c.cmd(&["HELLO", resp]);
    let mut t = Vec::new();
    for args in [
        &["MEMORY"][..],
        &["MEMORY", "HELP"],
        &["memory", "help", "x"],
        &["MEMORY", "FOO"],
        &["MEMORY", "USAGE"],
        &["MEMORY", "USAGE", "nokey"],
        &["MEMORY", "USAGE", "nokey", "SAMPLES", "x"],
        &["MEMORY", "USAGE", "nokey", "SAMPLES", "-1"],
        &["MEMORY", "USAGE", "nokey", "SAMPLES", "0"],
        &["SET", "k", "v"],
        &["MEMORY", "USAGE", "k", "SAMPLES"],
        &["MEMORY", "USAGE", "k", "SAMPLES", "x"],
        &["MEMORY", "USAGE", "k", "SAMPLES", "-1"],
        &["MEMORY", "USAGE", "k", "FOO", "1"],
        &["MEMORY", "USAGE", "k", "SAMPLES", "5", "SAMPLES"],
        &["MEMORY", "PURGE"],
        &["MEMORY", "PURGE", "x"],
        &["MEMORY", "DOCTOR", "x"],
        &["MEMORY", "STATS", "x"],
        &["MEMORY", "MALLOC-STATS", "x"],
        // Both servers hold far less than 5 MiB here: the doctor declines, verbatim in RESP3.
        &["MEMORY", "DOCTOR"],
    ] {
        t.push(show(&c.cmd(args)));
    }
    t
}

/// `MEMORY USAGE key` as a number.
fn usage(c: &mut Raw, key: &str) -> i64 {
    match decode(&c.cmd(&["MEMORY", "USAGE", key])) {
        Resp::Int(n) => n,
        other => panic!("MEMORY USAGE {key}: {other:?}"),
    }
}

/// Fills the same keys on a server: small and large strings, an integer, and a small and a
/// large collection of each type.
fn fill(c: &mut Raw) {
    c.cmd(&["SET", "small", "v"]);
    c.cmd(&["SET", "int", "12345"]);
    c.cmd(&["SET", "big", &"x".repeat(10_000)]);
    for i in 0..1000 {
        let (i, v) = (i.to_string(), format!("value-{i}"));
        if i.len() < 2 {
            c.cmd(&["HSET", "hsmall", &i, &v]);
            c.cmd(&["RPUSH", "lsmall", &v]);
            c.cmd(&["SADD", "ssmall", &v]);
            c.cmd(&["ZADD", "zsmall", &i, &v]);
        }
        c.cmd(&["HSET", "hbig", &i, &v]);
        c.cmd(&["RPUSH", "lbig", &v]);
        c.cmd(&["SADD", "sbig", &v]);
        c.cmd(&["SADD", "ints", &i]);
        c.cmd(&["ZADD", "zbig", &i, &v]);
    }
}

const KEYS: &[&str] = &[
    "small", "int", "big", "hsmall", "hbig", "lsmall", "lbig", "ssmall", "sbig", "ints", "zsmall",
    "zbig",
];

#[test]
fn memory_usage_is_of_the_same_order_as_redis() {
    let ferrodis = Server::ferrodis(&[]);
    let redis = Server::redis();
    let mut f = ferrodis.raw();
    let mut r = redis.raw();
    fill(&mut f);
    fill(&mut r);
    for key in KEYS {
        let (got, want) = (usage(&mut f, key), usage(&mut r, key));
        assert!(
            got * 4 >= want && got <= want * 4,
            "MEMORY USAGE {key}: ferrodis {got}, redis {want}"
        );
    }
    // Bigger values cost more; SAMPLES 0 (everything) agrees with the default.
    assert!(usage(&mut f, "big") > 10_000);
    assert!(usage(&mut f, "hbig") > usage(&mut f, "hsmall"));
    let all = f.cmd(&["MEMORY", "USAGE", "zbig", "SAMPLES", "0"]);
    assert_eq!(decode(&all), Resp::Int(usage(&mut f, "zbig")));
    // The key is not expired or touched by the lookup: an expired key still has a size
    // until something deletes it, as Redis's dictFind sees it.
    f.cmd(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
    f.cmd(&["SET", "gone", "v", "PX", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert!(usage(&mut f, "gone") > 0);
}

/// The names of a MEMORY STATS map and the type byte of each value (`:` integer, `,` or `$`
/// double, `%`/`*` nested map).
fn stats_shape(c: &mut Raw) -> (Vec<String>, Vec<u8>) {
    let reply = c.cmd(&["MEMORY", "STATS"]);
    let resp3 = reply[0] == b'%';
    let mut names = Vec::new();
    let mut kinds = Vec::new();
    let mut pos = reply.iter().position(|&b| b == b'\n').unwrap() + 1;
    while pos < reply.len() {
        let name_end = common::reply_end(&reply, pos).unwrap().unwrap();
        match decode(&reply[pos..name_end]) {
            Resp::Bulk(Some(n)) => names.push(String::from_utf8(n).unwrap()),
            other => panic!("field name {other:?}"),
        }
        let value_end = common::reply_end(&reply, name_end).unwrap().unwrap();
        let kind = reply[name_end];
        // A double is a bulk string in RESP2.
        kinds.push(if kind == b'$' { b',' } else { kind });
        if kind == b'$' {
            let text = String::from_utf8_lossy(&reply[name_end..value_end]).into_owned();
            let value: f64 = text.lines().nth(1).unwrap().parse().unwrap();
            assert!(value.is_finite(), "{text}");
        }
        pos = value_end;
        let _ = resp3;
    }
    (names, kinds)
}

#[test]
fn memory_stats_has_redis_fields_in_order() {
    let ferrodis = Server::ferrodis(&[]);
    let redis = Server::redis();
    for resp in ["2", "3"] {
        let mut f = ferrodis.raw();
        let mut r = redis.raw();
        f.cmd(&["HELLO", resp]);
        r.cmd(&["HELLO", resp]);
        f.cmd(&["FLUSHALL"]);
        r.cmd(&["FLUSHALL"]);
        // No keys: no db.<n> entry.
        assert_eq!(
            stats_shape(&mut f),
            stats_shape(&mut r),
            "empty, RESP{resp}"
        );
        for c in [&mut f, &mut r] {
            c.cmd(&["SET", "a", "1"]);
            c.cmd(&["SELECT", "3"]);
            c.cmd(&["SET", "b", "1", "EX", "100"]);
        }
        let (names, kinds) = stats_shape(&mut f);
        assert_eq!(
            (names.clone(), kinds),
            stats_shape(&mut r),
            "two dbs, RESP{resp}"
        );
        assert!(names.contains(&"db.0".to_string()) && names.contains(&"db.3".to_string()));
    }
}

/// MEMORY STATS reports real figures: keys counted, totals consistent with INFO, and the
/// dataset growing with the data.
#[test]
fn memory_stats_values_are_real() {
    let server = Server::ferrodis(&[]);
    let mut c = server.raw();
    let stats = |c: &mut Raw| -> Vec<(String, Resp)> {
        let Resp::Array(Some(items)) = decode(&c.cmd(&["MEMORY", "STATS"])) else {
            panic!("MEMORY STATS is not an array in RESP2")
        };
        items
            .chunks(2)
            .map(|kv| match &kv[0] {
                Resp::Bulk(Some(n)) => (String::from_utf8_lossy(n).into_owned(), kv[1].clone()),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    let int = |s: &[(String, Resp)], name: &str| -> i64 {
        match s.iter().find(|(n, _)| n == name) {
            Some((_, Resp::Int(v))) => *v,
            other => panic!("{name}: {other:?}"),
        }
    };
    let before = stats(&mut c);
    assert_eq!(int(&before, "keys.count"), 0);
    assert!(int(&before, "startup.allocated") > 0);
    assert!(int(&before, "clients.normal") > 0);
    assert!(int(&before, "peak.allocated") >= int(&before, "total.allocated"));
    c.cmd(&["DEBUG", "POPULATE", "20000", "key", "100"]);
    let after = stats(&mut c);
    assert_eq!(int(&after, "keys.count"), 20000);
    let dataset = int(&after, "dataset.bytes");
    assert!(dataset > 20000 * 100, "dataset.bytes {dataset}");
    let per_key = int(&after, "keys.bytes-per-key");
    assert!(
        (100..1000).contains(&per_key),
        "keys.bytes-per-key {per_key}"
    );
    let used = c.info_u64("memory", "used_memory") as i64;
    let total = int(&after, "total.allocated");
    assert!(
        (total - used).abs() < used / 10,
        "total {total} vs used_memory {used}"
    );
}

#[test]
fn malloc_stats_and_purge() {
    let server = Server::ferrodis(&[]);
    let mut c = server.raw();
    // ferrodis runs on the system allocator: the answer of a Redis built without jemalloc.
    assert_eq!(
        c.cmd(&["MEMORY", "MALLOC-STATS"]),
        b"$45\r\nStats not supported for the current allocator\r\n"
    );
    assert_eq!(c.cmd(&["MEMORY", "PURGE"]), b"+OK\r\n");
    // A real redis-server answers MALLOC-STATS with a string too (jemalloc's report).
    let redis = Server::redis();
    let reply = redis.raw().cmd(&["MEMORY", "MALLOC-STATS"]);
    assert!(matches!(decode(&reply), Resp::Bulk(Some(_))));
}

/// Above 5 MiB the doctor looks at the figures; a healthy instance gets Redis's all-clear
/// (or, after a big peak, the peak report with Redis's header and footer).
#[test]
fn memory_doctor_with_data() {
    let server = Server::ferrodis(&[]);
    let mut c = server.raw();
    c.cmd(&["DEBUG", "POPULATE", "100000", "key", "64"]);
    let text = match decode(&c.cmd(&["MEMORY", "DOCTOR"])) {
        Resp::Bulk(Some(b)) => String::from_utf8(b).unwrap(),
        other => panic!("{other:?}"),
    };
    assert!(
        text == "Hi Sam, I can't find any memory issue in your instance. I can only account \
                 for what occurs on this base.\n"
            || (text.starts_with(
                "Sam, I detected a few issues in this Redis instance memory implants:\n\n"
            ) && text.ends_with("I'm here to keep you safe, Sam. I want to help you.\n")),
        "{text}"
    );
    c.cmd(&["FLUSHALL"]);
    c.cmd(&["DEBUG", "POPULATE", "200000", "key", "64"]);
    c.cmd(&["DEL", "key:1"]);
    c.cmd(&["FLUSHALL"]);
    // Below 5 MiB again: the doctor declines.
    let text = show(&c.cmd(&["MEMORY", "DOCTOR"]));
    assert!(text.contains("this instance is empty"), "{text}");
}
