//! Server-family commands against the real binary: INFO, COMMAND, CONFIG, FLUSHALL/FLUSHDB,
//! DBSIZE, TIME, LASTSAVE, DEBUG, and redis-cli talking to ferrodis.
//!
//! Starts the ferrodis binary cargo built for the test run with `--port 0` and reads the port
//! from its "Ready to accept connections" line.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The binary cargo built for this test run.
fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_ferrodis"))
}

/// A running server, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start() -> Server {
        // A fresh working directory: the default `dir` is the current one, and a dump.rdb left
        // in the checkout (by this file's own FLUSHALL/DEBUG RELOAD, or by hand) would be
        // loaded at start-up.
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("ferrodis-server-cmds-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let mut child = Command::new(binary())
            .args(["--port", "0"])
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start ferrodis");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout);
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut port = None;
        let mut line = String::new();
        while port.is_none() && Instant::now() < deadline {
            line.clear();
            if lines.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            if let Some(at) = line.find("Ready to accept connections tcp ") {
                let addr = line[at..].trim_end();
                port = addr.rsplit(':').next().and_then(|p| p.parse().ok());
            }
        }
        // Keep draining the log so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = lines.read_to_end(&mut sink);
        });
        let Some(port) = port else {
            let _ = child.kill();
            panic!("ferrodis did not report its port");
        };
        Server { child, port }
    }

    fn connect(&self) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        Client {
            reader: BufReader::new(stream.try_clone().expect("clone")),
            stream,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A parsed RESP2 reply.
#[derive(Debug, Clone, PartialEq)]
enum V {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    Nil,
    Array(Vec<V>),
}

impl V {
    fn text(&self) -> String {
        match self {
            V::Simple(s) | V::Error(s) => s.clone(),
            V::Bulk(b) => String::from_utf8_lossy(b).into_owned(),
            V::Int(i) => i.to_string(),
            other => panic!("not a string: {other:?}"),
        }
    }

    fn int(&self) -> i64 {
        match self {
            V::Int(i) => *i,
            other => panic!("not an integer: {other:?}"),
        }
    }

    fn array(&self) -> &[V] {
        match self {
            V::Array(a) => a,
            other => panic!("not an array: {other:?}"),
        }
    }

    /// A RESP2 flattened map as (key, value) pairs.
    fn pairs(&self) -> Vec<(String, V)> {
        let a = self.array();
        assert_eq!(a.len() % 2, 0, "odd map {a:?}");
        a.chunks(2).map(|c| (c[0].text(), c[1].clone())).collect()
    }

    fn get(&self, key: &str) -> Option<V> {
        self.pairs()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

struct Client {
    stream: TcpStream,
    reader: BufReader<TcpStream>,
}

impl Client {
    fn send(&mut self, args: &[&str]) {
        let mut buf = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            buf.extend_from_slice(a.as_bytes());
            buf.extend_from_slice(b"\r\n");
        }
        self.stream.write_all(&buf).expect("write");
    }

    fn cmd(&mut self, args: &[&str]) -> V {
        self.send(args);
        self.read()
    }

    /// The exact bytes of one reply.
    fn raw(&mut self, args: &[&str]) -> Vec<u8> {
        self.send(args);
        let mut out = Vec::new();
        self.read_raw(&mut out);
        out
    }

    fn line(&mut self, out: &mut Vec<u8>) -> String {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line).expect("read");
        assert!(line.ends_with(b"\r\n"), "bad line {line:?}");
        out.extend_from_slice(&line);
        String::from_utf8_lossy(&line[..line.len() - 2]).into_owned()
    }

    fn read_raw(&mut self, out: &mut Vec<u8>) -> V {
        let line = self.line(out);
        let (kind, rest) = line.split_at(1);
        match kind {
            "+" => V::Simple(rest.to_string()),
            "-" => V::Error(rest.to_string()),
            ":" => V::Int(rest.parse().expect("int")),
            "$" => {
                let n: i64 = rest.parse().expect("bulk len");
                if n < 0 {
                    return V::Nil;
                }
                let mut data = vec![0u8; n as usize + 2];
                self.reader.read_exact(&mut data).expect("bulk");
                out.extend_from_slice(&data);
                data.truncate(n as usize);
                V::Bulk(data)
            }
            "*" => {
                let n: i64 = rest.parse().expect("array len");
                if n < 0 {
                    return V::Nil;
                }
                V::Array((0..n).map(|_| self.read_raw(out)).collect())
            }
            _ => panic!("bad reply line {line:?}"),
        }
    }

    fn read(&mut self) -> V {
        let mut sink = Vec::new();
        self.read_raw(&mut sink)
    }
}

fn err(text: &str) -> V {
    V::Error(text.to_string())
}

fn ok() -> V {
    V::Simple("OK".to_string())
}

/// INFO text as (section header, lines) after checking its layout.
fn info_sections(text: &str) -> Vec<(String, Vec<String>)> {
    assert!(text.ends_with("\r\n"), "INFO must end with CRLF");
    let mut sections = Vec::new();
    for block in text.split("\r\n\r\n") {
        let block = block.trim_end_matches("\r\n");
        let mut lines = block.split("\r\n");
        let header = lines.next().expect("header");
        assert!(header.starts_with("# "), "bad header {header:?}");
        let body: Vec<String> = lines.map(str::to_string).collect();
        for l in &body {
            assert!(l.contains(':') && !l.contains('\n'), "bad line {l:?}");
        }
        sections.push((header[2..].to_string(), body));
    }
    sections
}

fn info_field(text: &str, name: &str) -> Option<String> {
    text.split("\r\n")
        .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
}

#[test]
fn info_sections_and_fields() {
    let server = Server::start();
    let mut c = server.connect();
    assert_eq!(c.cmd(&["SET", "k", "v"]), ok());
    assert!(matches!(c.cmd(&["NOSUCHCOMMAND"]), V::Error(_)));

    let text = c.cmd(&["INFO"]).text();
    let headers: Vec<String> = info_sections(&text).into_iter().map(|s| s.0).collect();
    assert_eq!(
        headers,
        [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Errorstats",
            "Cluster",
            "Keyspace"
        ]
    );
    assert_eq!(
        c.cmd(&["INFO", "default"])
            .text()
            .lines()
            .filter(|l| l.starts_with('#'))
            .count(),
        11
    );

    let all = c.cmd(&["INFO", "all"]).text();
    let headers: Vec<String> = info_sections(&all).into_iter().map(|s| s.0).collect();
    assert!(headers.contains(&"Commandstats".to_string()));
    assert!(headers.contains(&"Latencystats".to_string()));
    assert_eq!(
        c.cmd(&["INFO", "everything"])
            .text()
            .matches("\r\n# ")
            .count(),
        12
    );

    assert_eq!(
        info_field(&text, "redis_version").as_deref(),
        Some("7.0.15")
    );
    assert_eq!(
        info_field(&text, "redis_mode").as_deref(),
        Some("standalone")
    );
    assert_eq!(info_field(&text, "tcp_port"), Some(server.port.to_string()));
    assert_eq!(
        info_field(&text, "process_id"),
        Some(server.child.id().to_string())
    );
    assert_eq!(info_field(&text, "run_id").map(|r| r.len()), Some(40));
    assert_eq!(info_field(&text, "role").as_deref(), Some("master"));
    assert_eq!(info_field(&text, "connected_clients").as_deref(), Some("1"));
    assert_eq!(info_field(&text, "mem_allocator").as_deref(), Some("libc"));
    assert_eq!(
        info_field(&text, "maxmemory_policy").as_deref(),
        Some("noeviction")
    );
    assert_eq!(info_field(&text, "aof_enabled").as_deref(), Some("0"));
    assert_eq!(info_field(&text, "loading").as_deref(), Some("0"));
    assert_eq!(info_field(&text, "cluster_enabled").as_deref(), Some("0"));
    assert_eq!(
        info_field(&text, "errorstat_ERR").as_deref(),
        Some("count=1")
    );
    assert_eq!(
        info_field(&text, "total_error_replies").as_deref(),
        Some("1")
    );
    assert_eq!(
        info_field(&text, "db0").as_deref(),
        Some("keys=1,expires=0,avg_ttl=0")
    );
    let used: u64 = info_field(&text, "used_memory").unwrap().parse().unwrap();
    assert!(used > 0);
    let human = info_field(&text, "used_memory_human").unwrap();
    assert!(human.ends_with('K') || human.ends_with('M') || human.ends_with('B'));
    let cpu = info_field(&text, "used_cpu_user").unwrap();
    assert!(cpu.split_once('.').is_some_and(|(_, frac)| frac.len() == 6));
    let processed: u64 = info_field(&text, "total_commands_processed")
        .unwrap()
        .parse()
        .unwrap();
    assert!(processed >= 1);

    // Sections by name, any case, in Redis's order whatever the request order; unknown: empty.
    let two = c.cmd(&["INFO", "CPU", "server", "nosuch"]).text();
    let headers: Vec<String> = info_sections(&two).into_iter().map(|s| s.0).collect();
    assert_eq!(headers, ["Server", "CPU"]);
    assert_eq!(c.raw(&["INFO", "nosuch"]), b"$0\r\n\r\n");
    let stats = c.cmd(&["INFO", "commandstats"]).text();
    let set_line = info_field(&stats, "cmdstat_set").expect("cmdstat_set");
    assert!(set_line.starts_with("calls=1,usec="), "{set_line}");
    assert!(
        set_line.ends_with(",rejected_calls=0,failed_calls=0"),
        "{set_line}"
    );
    assert!(info_field(&stats, "cmdstat_info").is_some());
    assert!(info_field(&stats, "cmdstat_get").is_none());

    // CONFIG RESETSTAT zeroes the counters; only itself (and this INFO) count afterwards.
    assert_eq!(c.cmd(&["CONFIG", "RESETSTAT"]), ok());
    let after = c.cmd(&["INFO", "everything"]).text();
    assert!(info_field(&after, "errorstat_ERR").is_none());
    assert_eq!(
        info_field(&after, "total_error_replies").as_deref(),
        Some("0")
    );
    assert_eq!(
        info_field(&after, "total_commands_processed").as_deref(),
        Some("1")
    );
    assert!(info_field(&after, "cmdstat_set").is_none());
    assert!(
        info_field(&after, "cmdstat_config|resetstat").is_some_and(|l| l.starts_with("calls=1,"))
    );
}

#[test]
fn command_introspection() {
    let server = Server::start();
    let mut c = server.connect();

    let all = c.cmd(&["COMMAND"]);
    let count = c.cmd(&["COMMAND", "COUNT"]).int();
    assert_eq!(all.array().len() as i64, count);
    for entry in all.array() {
        let e = entry.array();
        assert_eq!(e.len(), 10, "{entry:?}");
        assert!(matches!(e[0], V::Bulk(_)));
        assert!(matches!(e[1], V::Int(_)));
        for f in e[2].array() {
            assert!(matches!(f, V::Simple(_)));
        }
        for cat in e[6].array() {
            assert!(cat.text().starts_with('@'));
        }
        for sub in e[9].array() {
            let name = sub.array()[0].text();
            assert!(name.starts_with(&format!("{}|", e[0].text())), "{name}");
        }
    }

    // Byte for byte what Redis 7.0 answers.
    assert_eq!(
        c.raw(&["COMMAND", "INFO", "nosuch", "get"]),
        b"*2\r\n$-1\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n\
*3\r\n+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n\
$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n\
$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n\
$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"
    );
    let dbsize = c.cmd(&["COMMAND", "INFO", "DBSIZE"]);
    let e = dbsize.array()[0].array();
    assert_eq!(e[1].int(), 1);
    let cats: Vec<String> = e[6].array().iter().map(V::text).collect();
    assert_eq!(cats, ["@keyspace", "@read", "@fast"]);
    let config_get = c.cmd(&["COMMAND", "INFO", "config|get"]);
    assert_eq!(config_get.array()[0].array()[0].text(), "config|get");
    assert_eq!(config_get.array()[0].array()[1].int(), -3);
    let config = c.cmd(&["COMMAND", "INFO", "config"]);
    let subs = config.array()[0].array()[9].array();
    assert!(subs.iter().any(|s| s.array()[0].text() == "config|set"));

    // DOCS: map of name -> doc map; unknown names are left out.
    let docs = c.cmd(&["COMMAND", "DOCS", "get", "nosuch"]);
    let pairs = docs.pairs();
    assert_eq!(pairs.len(), 1);
    assert_eq!(pairs[0].0, "get");
    let doc = &pairs[0].1;
    assert_eq!(doc.get("summary").unwrap().text(), "Get the value of a key");
    assert_eq!(doc.get("since").unwrap().text(), "1.0.0");
    assert_eq!(doc.get("group").unwrap().text(), "string");
    assert_eq!(doc.get("complexity").unwrap().text(), "O(1)");
    let config_docs = c.cmd(&["COMMAND", "DOCS", "config"]);
    let subs = config_docs.pairs()[0]
        .1
        .get("subcommands")
        .expect("subcommands");
    assert!(subs.pairs().iter().any(|(name, _)| name == "config|get"));
    assert_eq!(
        c.cmd(&["COMMAND", "DOCS"]).pairs().len() as i64,
        count,
        "bare DOCS covers every command"
    );

    // LIST and its filters.
    let list = c.cmd(&["COMMAND", "LIST"]);
    let names: Vec<String> = list.array().iter().map(V::text).collect();
    assert!(names.contains(&"get".to_string()) && names.contains(&"config|get".to_string()));
    let pat = c.cmd(&["COMMAND", "LIST", "FILTERBY", "PATTERN", "CONFIG*"]);
    assert!(pat.array().iter().all(|n| n.text().starts_with("config")));
    assert_eq!(pat.array().len(), 6);
    let cat = c.cmd(&["COMMAND", "LIST", "FILTERBY", "aclcat", "KEYSPACE"]);
    assert!(cat.array().iter().any(|n| n.text() == "dbsize"));
    assert_eq!(
        c.cmd(&["COMMAND", "LIST", "FILTERBY", "module", "x"]),
        V::Array(vec![])
    );
    let syntax = err("ERR syntax error");
    assert_eq!(c.cmd(&["COMMAND", "LIST", "FILTERBY"]), syntax);
    assert_eq!(
        c.cmd(&["COMMAND", "LIST", "FILTERBY", "foo", "bar"]),
        syntax
    );
    assert_eq!(c.cmd(&["COMMAND", "LIST", "foo"]), syntax);

    // GETKEYS.
    let keys = |v: V| v.array().iter().map(V::text).collect::<Vec<_>>();
    assert_eq!(keys(c.cmd(&["COMMAND", "GETKEYS", "get", "a"])), ["a"]);
    assert_eq!(keys(c.cmd(&["COMMAND", "GETKEYS", "SET", "a", "b"])), ["a"]);
    assert_eq!(
        keys(c.cmd(&["COMMAND", "GETKEYS", "del", "a", "b", "c"])),
        ["a", "b", "c"]
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "nosuch", "a"]),
        err("ERR Invalid command specified")
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "config", "get"]),
        err("ERR The command has no key arguments")
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "get", "a", "b"]),
        err("ERR Invalid number of arguments specified for command")
    );
    assert_eq!(
        c.cmd(&["COMMAND", "GETKEYS", "get"]),
        err("ERR wrong number of arguments for 'command|getkeys' command")
    );
    assert_eq!(
        c.cmd(&["COMMAND", "FOO"]),
        err("ERR unknown subcommand 'FOO'. Try COMMAND HELP.")
    );
    let help = c.cmd(&["COMMAND", "HELP"]);
    assert_eq!(help.array().len(), 21);
    assert_eq!(
        help.array()[0].text(),
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
}

#[test]
fn config_get_set() {
    let server = Server::start();
    let mut c = server.connect();
    assert_eq!(
        c.raw(&["CONFIG", "GET", "maxclients"]),
        b"*2\r\n$10\r\nmaxclients\r\n$5\r\n10000\r\n"
    );
    assert_eq!(c.raw(&["CONFIG", "GET", "nosuch"]), b"*0\r\n");
    assert_eq!(c.cmd(&["CONFIG", "SET", "hz", "20"]), ok());
    assert_eq!(c.cmd(&["CONFIG", "GET", "hz"]).pairs()[0].1.text(), "20");
    assert_eq!(
        info_field(&c.cmd(&["INFO", "server"]).text(), "hz").as_deref(),
        Some("20")
    );
    assert_eq!(c.cmd(&["CONFIG", "SET", "hz", "10", "timeout", "30"]), ok());
    let got = c.cmd(&["CONFIG", "GET", "hz", "timeout"]);
    assert_eq!(got.get("hz").unwrap().text(), "10");
    assert_eq!(got.get("timeout").unwrap().text(), "30");
    assert_eq!(c.cmd(&["CONFIG", "SET", "loglevel", "warning"]), ok());
    assert_eq!(
        c.cmd(&["CONFIG", "GET", "loglevel"]).pairs()[0].1.text(),
        "warning"
    );
    let glob = c.cmd(&["CONFIG", "GET", "*"]);
    assert!(glob.pairs().len() > 10);

    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hz", "abc"]),
        err("ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an integer")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "nosuch", "1"]),
        err("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hz", "15", "maxclients"]),
        err("ERR syntax error")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "SET", "hz"]),
        err("ERR wrong number of arguments for 'config|set' command")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "GET"]),
        err("ERR wrong number of arguments for 'config|get' command")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "REWRITE"]),
        err("ERR The server is running without a config file")
    );
    assert_eq!(
        c.cmd(&["CONFIG", "FOO"]),
        err("ERR unknown subcommand 'FOO'. Try CONFIG HELP.")
    );
    assert_eq!(c.cmd(&["CONFIG", "HELP"]).array().len(), 11);
    // Listeners cannot move at run time yet: refused, and nothing changes.
    let port = c.cmd(&["CONFIG", "GET", "port"]).pairs()[0].1.text();
    assert_eq!(c.cmd(&["CONFIG", "SET", "port", &port]), ok());
    assert!(matches!(
        c.cmd(&["CONFIG", "SET", "hz", "11", "port", "1"]),
        V::Error(_)
    ));
    assert_eq!(c.cmd(&["CONFIG", "GET", "port"]).pairs()[0].1.text(), port);
    assert_eq!(c.cmd(&["CONFIG", "GET", "hz"]).pairs()[0].1.text(), "10");
    // A failed multi-set changes nothing.
    assert!(matches!(
        c.cmd(&["CONFIG", "SET", "hz", "30", "timeout", "x"]),
        V::Error(_)
    ));
    assert_eq!(c.cmd(&["CONFIG", "GET", "hz"]).pairs()[0].1.text(), "10");
}

#[test]
fn flush_dbsize_time_lastsave_debug() {
    let server = Server::start();
    let mut c = server.connect();
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(0));
    for k in ["a", "b", "c"] {
        assert_eq!(c.cmd(&["SET", k, "1"]), ok());
    }
    assert_eq!(c.cmd(&["SELECT", "1"]), ok());
    assert_eq!(c.cmd(&["SET", "x", "1"]), ok());
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(1));
    assert_eq!(c.cmd(&["FLUSHDB"]), ok());
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(0));
    assert_eq!(c.cmd(&["SELECT", "0"]), ok());
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(3));
    assert_eq!(c.cmd(&["FLUSHDB", "foo"]), err("ERR syntax error"));
    assert_eq!(
        c.cmd(&["FLUSHALL", "async", "sync"]),
        err("ERR syntax error")
    );
    assert_eq!(c.cmd(&["FLUSHALL", "bar"]), err("ERR syntax error"));
    assert_eq!(
        c.cmd(&["DBSIZE", "x"]),
        err("ERR wrong number of arguments for 'dbsize' command")
    );
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(3));
    assert_eq!(c.cmd(&["FLUSHALL", "ASYNC"]), ok());
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(0));
    for i in 0..200 {
        assert_eq!(c.cmd(&["SET", &format!("k{i}"), "v"]), ok());
    }
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(200));
    assert_eq!(c.cmd(&["FLUSHDB", "async"]), ok());
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(0));
    assert_eq!(c.cmd(&["SET", "k", "v"]), ok());
    assert_eq!(c.cmd(&["CLEAR"]), ok());
    assert_eq!(c.cmd(&["DBSIZE"]), V::Int(0));
    assert_eq!(c.cmd(&["FLUSHALL", "SYNC"]), ok());

    let t = c.cmd(&["TIME"]);
    let parts = t.array();
    assert_eq!(parts.len(), 2);
    let secs: i64 = parts[0].text().parse().unwrap();
    let usecs: i64 = parts[1].text().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((secs - now).abs() <= 2);
    assert!((0..1_000_000).contains(&usecs));
    let last = c.cmd(&["LASTSAVE"]).int();
    assert!(last <= now && last > now - 3600);

    let started = Instant::now();
    assert_eq!(c.cmd(&["DEBUG", "SLEEP", "0.2"]), ok());
    assert!(started.elapsed() >= Duration::from_millis(190));
    assert_eq!(c.cmd(&["DEBUG", "sleep", "abc"]), ok());
    assert_eq!(
        c.cmd(&["DEBUG", "foo"]),
        err("ERR unknown subcommand or wrong number of arguments for 'foo'. Try DEBUG HELP.")
    );
    assert_eq!(
        c.cmd(&["DEBUG", "SLEEP"]),
        err("ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP.")
    );
    assert_eq!(
        c.cmd(&["DEBUG"]),
        err("ERR wrong number of arguments for 'debug' command")
    );
    let help = c.cmd(&["DEBUG", "HELP"]);
    assert!(help.array()[0].text().starts_with("DEBUG <subcommand>"));
}

/// Runs redis-cli against the server; None when redis-cli is not installed.
fn redis_cli(port: u16, args: &[&str]) -> Option<String> {
    let out = Command::new("redis-cli")
        .arg("-p")
        .arg(port.to_string())
        .args(args)
        .output()
        .ok()?;
    assert!(out.status.success(), "redis-cli {args:?} failed");
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn redis_cli_works() {
    let server = Server::start();
    let Some(pong) = redis_cli(server.port, &["PING"]) else {
        eprintln!("redis-cli not installed; skipping");
        return;
    };
    assert_eq!(pong.trim(), "PONG");
    assert_eq!(
        redis_cli(server.port, &["SET", "greeting", "hello"])
            .unwrap()
            .trim(),
        "OK"
    );
    assert_eq!(
        redis_cli(server.port, &["GET", "greeting"]).unwrap().trim(),
        "hello"
    );
    assert_eq!(redis_cli(server.port, &["DBSIZE"]).unwrap().trim(), "1");
    let info = redis_cli(server.port, &["INFO", "keyspace"]).unwrap();
    assert!(info.contains("db0:keys=1,expires=0,avg_ttl=0"), "{info}");
    let docs = redis_cli(server.port, &["--no-raw", "COMMAND", "DOCS", "get"]).unwrap();
    // Ten fields with `arguments`, so redis-cli pads the indices, as it does for Redis 7.0.
    assert!(
        docs.starts_with("1) \"get\"\n2)  1) \"summary\"\n"),
        "{docs}"
    );
    assert!(docs.contains("\"Get the value of a key\""), "{docs}");
    let count = redis_cli(server.port, &["COMMAND", "COUNT"]).unwrap();
    assert!(count.trim().parse::<u32>().unwrap() > 10);
    let cfg = redis_cli(server.port, &["CONFIG", "GET", "maxclients"]).unwrap();
    assert_eq!(cfg, "maxclients\n10000\n");
}
