//! Client eviction (`maxmemory-clients`, Redis 7.0): past the limit the clients whose buffers
//! hold the most are closed first, CLIENT NO-EVICT exempts one, and a client reading a big
//! reply at normal speed is left alone under the default limit.

mod common;

use std::thread::sleep;
use std::time::{Duration, Instant};

use common::{show, Raw, Server};

const MB: usize = 1_000_000;

/// The CLIENT LIST lines, by client name.
fn client_list(admin: &mut Raw) -> Vec<(String, u64)> {
    let list = String::from_utf8_lossy(&admin.cmd(&["CLIENT", "LIST"])).into_owned();
    list.lines()
        .filter_map(|line| {
            let field = |name: &str| {
                line.split(' ')
                    .find_map(|f| f.strip_prefix(&format!("{name}=")))
                    .map(str::to_string)
            };
            let name = field("name")?;
            let mem = field("tot-mem")?.parse().ok()?;
            (!name.is_empty()).then_some((name, mem))
        })
        .collect()
}

/// A client named `name` that asks for the value of `key` and never reads the reply.
fn hog(server: &Server, name: &str, key: &str, no_evict: bool) -> Raw {
    let mut c = server.raw();
    assert_eq!(c.cmd(&["CLIENT", "SETNAME", name]), b"+OK\r\n");
    if no_evict {
        assert_eq!(c.cmd(&["CLIENT", "NO-EVICT", "on"]), b"+OK\r\n");
    }
    c.write(&common::encode(&[b"GET", key.as_bytes()]));
    c
}

#[test]
fn biggest_clients_are_evicted_first_and_no_evict_is_spared() {
    let server = Server::ferrodis(&["--maxmemory-clients", "0"]);
    let mut admin = server.raw();
    assert_eq!(admin.cmd(&["CLIENT", "NO-EVICT", "on"]), b"+OK\r\n");
    for (key, size) in [("v4", 4), ("v8", 8), ("v12", 12), ("v16", 16)] {
        let offset = (size * MB - 1).to_string();
        admin.cmd(&["SETRANGE", key, &offset, "x"]);
    }
    let mut normal = server.raw();
    assert_eq!(normal.cmd(&["CLIENT", "SETNAME", "normal"]), b"+OK\r\n");
    // The hogs hold what the kernel did not take of their reply in their output buffers;
    // h16, the biggest, is exempt.
    let _h4 = hog(&server, "h4", "v4", false);
    let _h8 = hog(&server, "h8", "v8", false);
    let _h12 = hog(&server, "h12", "v12", false);
    let _h16 = hog(&server, "h16", "v16", true);
    let hogs = ["h4", "h8", "h12", "h16"];
    let deadline = Instant::now() + Duration::from_secs(10);
    let list = loop {
        let list = client_list(&mut admin);
        let holding = |name: &str| list.iter().any(|(n, mem)| n == name && *mem as usize >= MB);
        if hogs.iter().all(|h| holding(h)) {
            break list;
        }
        assert!(Instant::now() < deadline, "hogs never filled up: {list:?}");
        sleep(Duration::from_millis(20));
    };
    let mem = |name: &str| list.iter().find(|(n, _)| n == name).map_or(0, |(_, m)| *m);
    let (m4, m8, m12) = (mem("h4"), mem("h8"), mem("h12"));
    assert!(m12 > m8 && m8 > m4, "{list:?}");
    assert_eq!(admin.info_u64("stats", "evicted_clients"), 0);
    // A limit that evicting h12 does not reach and evicting h8 too does: those two go,
    // biggest first; h16 is exempt, h4 and the normal client stay.
    let total: u64 = list.iter().map(|(_, m)| m).sum();
    let limit = total - m12 - m8 / 2;
    assert_eq!(
        admin.cmd(&["CONFIG", "SET", "maxmemory-clients", &limit.to_string()]),
        b"+OK\r\n"
    );
    let names: Vec<String> = client_list(&mut admin)
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["normal", "h4", "h16"], "{list:?} limit {limit}");
    assert_eq!(admin.info_u64("stats", "evicted_clients"), 2);
    assert_eq!(normal.cmd(&["PING"]), b"+PONG\r\n");
    let log = server.output();
    assert_eq!(log.matches("Evicting client: id=").count(), 2, "{log}");
    let first = log.find(" name=h12 ").expect("h12 evicted");
    let second = log.find(" name=h8 ").expect("h8 evicted");
    assert!(first < second, "{log}");
}

#[test]
fn config_get_shows_the_default_and_percentages() {
    let server = Server::ferrodis(&[]);
    let mut c = server.raw();
    assert_eq!(
        show(&c.cmd(&["CONFIG", "GET", "maxmemory-clients"])),
        show(b"*2\r\n$17\r\nmaxmemory-clients\r\n$10\r\n1073741824\r\n")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "maxmemory-clients", "5%"]),
        b"+OK\r\n"
    );
    assert_eq!(
        show(&c.cmd(&["CONFIG", "GET", "maxmemory-clients"])),
        show(b"*2\r\n$17\r\nmaxmemory-clients\r\n$2\r\n5%\r\n")
    );
    // As redis-server 7.0.15 words it.
    assert_eq!(
        show(&c.cmd(&["CONFIG", "SET", "maxmemory-clients", "101%"])),
        show(
            b"-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - \
              percentage argument must be less or equal to 100\r\n"
        )
    );
    let redis = Server::redis();
    let mut r = redis.raw();
    for value in [
        "5%",
        "0%",
        "10mb",
        "-1",
        "1.5%",
        "101%",
        "18446744073709551615",
    ] {
        let args = ["CONFIG", "SET", "maxmemory-clients", value];
        assert_eq!(show(&c.cmd(&args)), show(&r.cmd(&args)), "{value}");
        let get = ["CONFIG", "GET", "maxmemory-clients"];
        assert_eq!(show(&c.cmd(&get)), show(&r.cmd(&get)), "{value}");
    }
}

#[test]
fn a_client_reading_big_replies_at_normal_speed_is_not_evicted() {
    let server = Server::ferrodis(&[]);
    let mut admin = server.raw();
    let size = 64 * MB;
    admin.cmd(&["SETRANGE", "big", &(size - 1).to_string(), "x"]);
    // Some idle clients besides.
    let mut idle: Vec<Raw> = (0..20).map(|_| server.raw()).collect();
    let mut reader = server.raw();
    for _ in 0..4 {
        let reply = reader.cmd(&["GET", "big"]);
        assert_eq!(reply.len(), size + format!("${size}\r\n\r\n").len());
    }
    for c in &mut idle {
        assert_eq!(c.cmd(&["PING"]), b"+PONG\r\n");
    }
    assert_eq!(admin.info_u64("stats", "evicted_clients"), 0);
}
