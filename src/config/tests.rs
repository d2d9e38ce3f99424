//! Config tests. Expected CONFIG GET/SET replies and error strings were
//! taken from a real redis-server 7.0.15.

use super::parse::{split_args, strtoll};
use super::*;

use argh::FromArgs;

fn cli(args: &[&str]) -> CliArgs {
    CliArgs::from_args(&["ferrodis"], args).expect("flags parse")
}

fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A YAML file under the temp dir, removed on drop.
struct TempYaml(std::path::PathBuf);

impl TempYaml {
    fn new(tag: &str, text: &str) -> TempYaml {
        let path = std::env::temp_dir().join(format!(
            "ferrodis-config-test-{}-{tag}.yaml",
            std::process::id()
        ));
        std::fs::write(&path, text).unwrap();
        TempYaml(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for TempYaml {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn load_yaml(tag: &str, text: &str) -> Result<Config, String> {
    let file = TempYaml::new(tag, text);
    Config::load_from(&cli(&["--config", file.path()]), &[])
}

fn get(cfg: &Config, name: &str) -> String {
    let mut all = cfg.get_matching(&[name.as_bytes()]);
    assert_eq!(all.len(), 1, "{name}");
    all.pop().unwrap().1
}

fn set(cfg: &mut Config, pairs: &[(&str, &str)]) -> Result<Vec<&'static str>, String> {
    let pairs: Vec<(&[u8], &[u8])> = pairs
        .iter()
        .map(|(k, v)| (k.as_bytes(), v.as_bytes()))
        .collect();
    cfg.set_many(&pairs)
        .map_err(|text| String::from_utf8(text).expect("ASCII names in these tests"))
}

fn set_err(name: &str, why: &str) -> String {
    format!("CONFIG SET failed (possibly related to argument '{name}') - {why}")
}

// ---------------------------------------------------------------- defaults

#[test]
fn config_defaults_print_like_redis() {
    let cfg = Config::default();
    let expect = [
        ("port", "6379"),
        ("bind", "127.0.0.1"),
        ("maxclients", "10000"),
        ("databases", "16"),
        ("dbfilename", "dump.rdb"),
        ("loglevel", "notice"),
        ("logfile", ""),
        ("logformat", "text"),
        ("proto-max-bulk-len", "536870912"),
        ("client-query-buffer-limit", "1073741824"),
        ("timeout", "0"),
        ("client-request-timeout", "30"),
        ("tcp-keepalive", "300"),
        ("tcp-backlog", "511"),
        ("hz", "10"),
        ("daemonize", "no"),
        ("pidfile", ""),
        (
            "client-output-buffer-limit",
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
        ),
        ("appendonly", "no"),
        ("save", "3600 1 300 100 60 10000"),
        ("lazyfree-lazy-user-flush", "no"),
        ("notify-keyspace-events", ""),
        ("rdbcompression", "yes"),
        ("rdbchecksum", "yes"),
        ("stop-writes-on-bgsave-error", "yes"),
        ("rdb-key-save-delay", "0"),
        ("enable-protected-configs", "no"),
        ("protected-mode", "yes"),
        ("requirepass", ""),
        ("aclfile", ""),
        ("acl-pubsub-default", "resetchannels"),
        ("acllog-max-len", "128"),
        ("list-max-listpack-size", "-2"),
        ("list-max-ziplist-size", "-2"),
        ("list-compress-depth", "0"),
        ("zset-max-listpack-entries", "128"),
        ("zset-max-ziplist-entries", "128"),
        ("zset-max-listpack-value", "64"),
        ("zset-max-ziplist-value", "64"),
        ("hash-max-listpack-entries", "512"),
        ("hash-max-ziplist-entries", "512"),
        ("hash-max-listpack-value", "64"),
        ("hash-max-ziplist-value", "64"),
        ("set-max-intset-entries", "512"),
        ("maxmemory", "0"),
        ("maxmemory-policy", "noeviction"),
        ("maxmemory-samples", "5"),
        ("maxmemory-eviction-tenacity", "10"),
        ("lfu-log-factor", "10"),
        ("lfu-decay-time", "1"),
        ("maxmemory-clients", "1073741824"),
        ("maxmemory-rss", "0"),
        ("active-expire-effort", "1"),
        ("client-rate-limit", "0"),
        ("client-rate-limit-burst", "0"),
        ("global-rate-limit", "0"),
        ("global-rate-limit-burst", "0"),
        ("rate-limit-mode", "pause"),
        ("slowlog-log-slower-than", "10000"),
        ("slowlog-max-len", "128"),
        ("tracking-table-max-keys", "1000000"),
        // Redis 7.0.15's CONFIG GET tls-* (plus ferrodis's tls-auth-clients-user).
        ("tls-port", "0"),
        ("tls-cert-file", ""),
        ("tls-key-file", ""),
        ("tls-key-file-pass", ""),
        ("tls-client-cert-file", ""),
        ("tls-client-key-file", ""),
        ("tls-client-key-file-pass", ""),
        ("tls-dh-params-file", ""),
        ("tls-ca-cert-file", ""),
        ("tls-ca-cert-dir", ""),
        ("tls-auth-clients", "yes"),
        ("tls-auth-clients-user", "off"),
        ("tls-protocols", ""),
        ("tls-ciphers", ""),
        ("tls-ciphersuites", ""),
        ("tls-prefer-server-ciphers", "no"),
        ("tls-session-caching", "yes"),
        ("tls-session-cache-size", "20480"),
        ("tls-session-cache-timeout", "300"),
        ("tls-replication", "no"),
        ("tls-cluster", "no"),
    ];
    for (name, value) in expect {
        assert_eq!(get(&cfg, name), value, "{name}");
    }
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(get(&cfg, "dir"), cwd.to_str().unwrap());
    // Every row once (aliases such as list-max-ziplist-size aside), plus `dir`.
    let rows = expect
        .iter()
        .filter(|(n, _)| PARAMS.iter().any(|p| p.name == *n))
        .count();
    assert_eq!(rows + 1, PARAMS.len());
}

#[test]
fn config_table_defaults_match_default_impl() {
    for p in PARAMS {
        let mut cfg = Config::default();
        p.apply(&mut cfg, p.default.as_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", p.name));
        assert_eq!(cfg, Config::default(), "{}", p.name);
    }
    // And the defaults really are the values: set something else first.
    let mut cfg = Config::default();
    set(
        &mut cfg,
        &[
            ("port", "1"),
            ("maxclients", "2"),
            ("hz", "3"),
            ("save", ""),
            (
                "client-output-buffer-limit",
                "normal 1 1 1 replica 1 1 1 pubsub 1 1 1",
            ),
            ("bind", "::1"),
            ("loglevel", "debug"),
            ("proto-max-bulk-len", "2mb"),
        ],
    )
    .unwrap();
    for p in PARAMS {
        p.apply(&mut cfg, p.default.as_bytes()).unwrap();
    }
    assert_eq!(cfg, Config::default());
}

#[test]
fn config_table_names_are_unique_and_redis_shaped() {
    let mut names: Vec<&str> = entries().map(|(n, _)| n).collect();
    for n in &names {
        assert!(n
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit()));
    }
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len());
}

// ---------------------------------------------------------------- parsers

#[test]
fn config_memtoull_matches_redis() {
    let ok: &[(&str, u64)] = &[
        ("0", 0),
        ("", 0),
        ("b", 0),
        ("kb", 0),
        ("100", 100),
        ("100b", 100),
        ("100B", 100),
        ("1k", 1000),
        ("1K", 1000),
        ("64kb", 65536),
        ("1Kb", 1024),
        ("1m", 1_000_000),
        ("512mb", 536_870_912),
        ("1MB", 1_048_576),
        ("1g", 1_000_000_000),
        ("1gb", 1_073_741_824),
        ("2GB", 2_147_483_648),
        ("01mb", 1_048_576),
        ("8796093022208kb", 9_007_199_254_740_992),
        ("18446744073709551615", u64::MAX),
        // strtoull saturates; the multiplication wraps.
        ("18446744073709551616", u64::MAX),
        ("36893488147419103233", u64::MAX),
        ("17179869185gb", 1_073_741_824),
        ("17179869184gb", 0),
        ("100\0junk", 100),
    ];
    for &(s, v) in ok {
        assert_eq!(memtoull(s.as_bytes()), Some(v), "{s:?}");
    }
    for s in [
        "-1", "-1mb", "+1mb", " 1mb", "1 mb", "1mb ", "1.5mb", "0x10", "1mbb", "1bb", "1t", "1tb",
        "abc",
    ] {
        assert_eq!(memtoull(s.as_bytes()), None, "{s:?}");
    }
    assert_eq!(memtoull("1".repeat(128).as_bytes()), None);
}

#[test]
fn config_strtoll_matches_glibc() {
    assert_eq!(strtoll(b"60"), (60, true));
    assert_eq!(strtoll(b"+7"), (7, true));
    assert_eq!(strtoll(b"-1"), (-1, true));
    assert_eq!(strtoll(b"\t9"), (9, true));
    assert_eq!(strtoll(b""), (0, true));
    assert_eq!(strtoll(b" "), (0, false));
    assert_eq!(strtoll(b"-"), (0, false));
    assert_eq!(strtoll(b"x3"), (0, false));
    assert_eq!(strtoll(b"3x"), (3, false));
    assert_eq!(strtoll(b"99999999999999999999"), (i64::MAX, true));
    assert_eq!(strtoll(b"-99999999999999999999"), (i64::MIN, true));
    assert_eq!(strtoll(b"-9223372036854775808"), (i64::MIN, true));
    assert_eq!(strtoll(b"9223372036854775808"), (i64::MAX, true));
    assert_eq!(strtoll(b"5\0x"), (5, true));
}

#[test]
fn config_split_args_like_sdssplitlen() {
    assert!(split_args(b"").is_empty());
    assert_eq!(split_args(b"a"), vec![&b"a"[..]]);
    assert_eq!(split_args(b"a  b"), vec![&b"a"[..], b"", b"b"]);
    assert_eq!(split_args(b"a "), vec![&b"a"[..], b""]);
}

#[test]
fn config_bind_addr_forms() {
    let v4 = |s: &str| parse_bind_addr(s).map(|b| (b.ip.to_string(), b.optional));
    assert_eq!(v4("127.0.0.1"), Some(("127.0.0.1".into(), false)));
    assert_eq!(v4("-::1"), Some(("::1".into(), true)));
    assert_eq!(v4("*"), Some(("0.0.0.0".into(), false)));
    assert_eq!(v4("-::*"), Some(("::".into(), true)));
    assert_eq!(v4("localhost"), Some(("127.0.0.1".into(), false)));
    assert_eq!(v4("999.1.1.1"), None);
    assert_eq!(v4(""), None);
    assert_eq!(v4("example.com"), None);

    let mut cfg = Config::default();
    assert_eq!(cfg.bind_addrs().len(), 1);
    set(&mut cfg, &[("bind", "")]).unwrap();
    assert!(cfg.bind.is_empty());
    assert_eq!(get(&cfg, "bind"), "");
    assert_eq!(cfg.bind_addrs()[0].ip.to_string(), "127.0.0.1");
    set(&mut cfg, &[("bind", "* -::*")]).unwrap();
    assert_eq!(cfg.bind_addrs().len(), 2);
    assert_eq!(get(&cfg, "bind"), "* -::*");
}

// ---------------------------------------------------------------- layers

#[test]
fn config_precedence_default_yaml_env_flag() {
    let file = TempYaml::new(
        "precedence",
        "maxclients: 100\ntimeout: 5\nhz: 20\nloglevel: verbose\n",
    );
    let path = file.path().to_string();

    let only_yaml = Config::load_from(&cli(&["--config", &path]), &[]).unwrap();
    assert_eq!(only_yaml.maxclients, 100);
    assert_eq!(only_yaml.timeout, 5);
    assert_eq!(only_yaml.hz, 20);
    assert_eq!(only_yaml.loglevel, LogLevel::Verbose);
    assert_eq!(only_yaml.port, DEFAULT_PORT);

    let e = env(&[
        ("FERRODIS_MAXCLIENTS", "200"),
        ("FERRODIS_TIMEOUT", "6"),
        ("FERRODIS_PROTO_MAX_BULK_LEN", "2mb"),
        ("UNRELATED", "x"),
        ("FERRODIS_NOT_A_SETTING", "ignored"),
    ]);
    let yaml_env = Config::load_from(&cli(&["--config", &path]), &e).unwrap();
    assert_eq!(yaml_env.maxclients, 200);
    assert_eq!(yaml_env.timeout, 6);
    assert_eq!(yaml_env.hz, 20);
    assert_eq!(yaml_env.proto_max_bulk_len, 2 * 1024 * 1024);

    let all = Config::load_from(
        &cli(&[
            "--config",
            &path,
            "--maxclients",
            "300",
            "--proto-max-bulk-len",
            "3mb",
        ]),
        &e,
    )
    .unwrap();
    assert_eq!(all.maxclients, 300);
    assert_eq!(all.timeout, 6);
    assert_eq!(all.hz, 20);
    assert_eq!(all.loglevel, LogLevel::Verbose);
    assert_eq!(all.proto_max_bulk_len, 3 * 1024 * 1024);

    let no_file = Config::load_from(&cli(&["--port", "7000"]), &e).unwrap();
    assert_eq!(no_file.port, 7000);
    assert_eq!(no_file.maxclients, 200);
    assert_eq!(no_file.hz, 10);

    // The last duplicate environment entry wins.
    let dup = env(&[("FERRODIS_HZ", "11"), ("FERRODIS_HZ", "12")]);
    assert_eq!(Config::load_from(&CliArgs::default(), &dup).unwrap().hz, 12);
}

#[test]
fn config_env_names() {
    assert_eq!(env_name("maxclients"), "FERRODIS_MAXCLIENTS");
    assert_eq!(
        env_name("proto-max-bulk-len"),
        "FERRODIS_PROTO_MAX_BULK_LEN"
    );
    for p in PARAMS {
        let var = env_name(p.name);
        let cfg = Config::load_from(&CliArgs::default(), &env(&[(&var, p.default)]))
            .unwrap_or_else(|e| panic!("{var}: {e}"));
        assert_eq!(cfg, Config::default(), "{var}");
    }
    let cfg = Config::load_from(&CliArgs::default(), &env(&[("FERRODIS_DATABASES", "4")])).unwrap();
    assert_eq!(cfg.databases, 4);
}

#[test]
fn config_every_param_has_a_flag() {
    for p in PARAMS {
        let flag = format!("--{}", p.name);
        let args = CliArgs::from_args(&["ferrodis"], &[&flag, "VALUE"])
            .unwrap_or_else(|_| panic!("no flag {flag}"));
        assert_eq!(args.flag(p.name), Some("VALUE"), "{flag}");
        // and the default is accepted through it
        let args = cli(&[&flag, p.default]);
        let cfg = Config::load_from(&args, &[]).unwrap_or_else(|e| panic!("{flag}: {e}"));
        assert_eq!(cfg, Config::default(), "{flag}");
    }
    assert_eq!(CliArgs::default().flag("no-such-setting"), None);
    let args = cli(&["-v"]);
    assert!(args.version);
    let args = cli(&["--version", "--bind", "-::1 127.0.0.1"]);
    assert!(args.version);
    let cfg = Config::load_from(&args, &[]).unwrap();
    assert_eq!(cfg.bind, vec!["-::1", "127.0.0.1"]);
}

#[test]
fn config_yaml_value_forms() {
    let cfg = load_yaml(
        "forms",
        "maxclients: \"100\"\n\
         timeout: 7\n\
         proto-max-bulk-len: 64mb\n\
         client-query-buffer-limit: 100000000\n\
         lazyfree-lazy-user-flush: yes\n\
         appendonly: false\n\
         logfile:\n\
         bind: [\"127.0.0.1\", \"-::1\"]\n\
         save: [[900, 1], [300, 10]]\n\
         client-output-buffer-limit: \"pubsub 64mb 16mb 120\"\n\
         LogLevel: WARNING\n",
    )
    .unwrap();
    assert_eq!(cfg.maxclients, 100);
    assert_eq!(cfg.timeout, 7);
    assert_eq!(cfg.proto_max_bulk_len, 64 * 1024 * 1024);
    assert_eq!(cfg.client_query_buffer_limit, 100_000_000);
    assert!(cfg.lazyfree_lazy_user_flush);
    assert!(!cfg.appendonly);
    assert_eq!(cfg.logfile, "");
    assert_eq!(cfg.bind, vec!["127.0.0.1", "-::1"]);
    assert_eq!(cfg.save, vec![(900, 1), (300, 10)]);
    assert_eq!(
        cfg.client_output_buffer_limit.pubsub,
        OutputLimit {
            hard: 64 << 20,
            soft: 16 << 20,
            soft_seconds: 120
        }
    );
    assert_eq!(
        cfg.client_output_buffer_limit.replica,
        OutputLimits::default().replica
    );
    assert_eq!(cfg.loglevel, LogLevel::Warning);

    // empty file and comment-only file: defaults
    assert_eq!(load_yaml("empty", "").unwrap(), Config::default());
    assert_eq!(
        load_yaml("comments", "# nothing\n").unwrap(),
        Config::default()
    );
}

#[test]
fn config_unknown_and_bad_keys_name_key_and_source() {
    let file = TempYaml::new("unknown", "port: 7000\nmaxclientz: 5\n");
    let err = Config::load_from(&cli(&["--config", file.path()]), &[]).unwrap_err();
    assert_eq!(
        err,
        format!(
            "config file '{}': unknown setting 'maxclientz'",
            file.path()
        )
    );

    let file = TempYaml::new("badvalue", "maxclients: abc\n");
    let err = Config::load_from(&cli(&["--config", file.path()]), &[]).unwrap_err();
    assert_eq!(
        err,
        format!(
            "config file '{}': invalid value for 'maxclients' ('abc'): \
             argument couldn't be parsed into an integer",
            file.path()
        )
    );

    let err = load_yaml("list", "port: [1, 2]\n").unwrap_err();
    assert!(
        err.ends_with("invalid value for 'port': expected a single value, not a list"),
        "{err}"
    );
    let err = load_yaml("map", "hz: {a: 1}\n").unwrap_err();
    assert!(err.contains("'hz'"), "{err}");
    let err = load_yaml("toplist", "- port\n").unwrap_err();
    assert!(
        err.ends_with("expected a mapping of setting names to values"),
        "{err}"
    );
    let err = load_yaml("syntax", "port: [\n").unwrap_err();
    assert!(err.starts_with("config file '"), "{err}");
    let err = load_yaml("float", "hz: 10.5\n").unwrap_err();
    assert!(
        err.ends_with(
            "invalid value for 'hz' ('10.5'): argument couldn't be parsed into an integer"
        ),
        "{err}"
    );

    let err =
        Config::load_from(&cli(&["--config", "/nonexistent/ferrodis.yaml"]), &[]).unwrap_err();
    assert_eq!(
        err,
        "config file '/nonexistent/ferrodis.yaml': No such file or directory"
    );

    let err = Config::load_from(
        &CliArgs::default(),
        &env(&[("FERRODIS_PROTO_MAX_BULK_LEN", "1k")]),
    )
    .unwrap_err();
    assert_eq!(
        err,
        "environment variable FERRODIS_PROTO_MAX_BULK_LEN: invalid value for 'proto-max-bulk-len' \
         ('1k'): argument must be between 1048576 and 9223372036854775807 inclusive"
    );

    let err = Config::load_from(&cli(&["--loglevel", "loud"]), &[]).unwrap_err();
    assert_eq!(
        err,
        "flag --loglevel: invalid value for 'loglevel' ('loud'): \
         argument(s) must be one of the following: debug, verbose, notice, warning"
    );

    let err = Config::load_from(&cli(&["--appendonly", "yes"]), &[]).unwrap_err();
    assert_eq!(
        err,
        "flag --appendonly: invalid value for 'appendonly' ('yes'): ferrodis has no AOF yet"
    );
    let err = Config::load_from(&cli(&["--daemonize", "yes"]), &[]).unwrap_err();
    assert!(
        err.starts_with("flag --daemonize: invalid value for 'daemonize' ('yes'): "),
        "{err}"
    );
    let err = Config::load_from(&cli(&["--databases", "0"]), &[]).unwrap_err();
    assert!(
        err.ends_with("argument must be between 1 and 2147483647 inclusive"),
        "{err}"
    );
    let err = Config::load_from(&cli(&["--dir", "/nonexistent-ferrodis-dir"]), &[]).unwrap_err();
    assert_eq!(
        err,
        "flag --dir: invalid value for 'dir' ('/nonexistent-ferrodis-dir'): No such file or directory"
    );
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    let err = Config::load_from(&cli(&["--dir", manifest]), &[]).unwrap_err();
    assert!(err.ends_with("Not a directory"), "{err}");
    let err = Config::load_from(&cli(&["--save", "60"]), &[]).unwrap_err();
    assert!(err.ends_with("Invalid save parameters"), "{err}");
    let err = Config::load_from(&cli(&["--bind", "999.1.1.1"]), &[]).unwrap_err();
    assert!(
        err.ends_with("Failed to bind to specified addresses."),
        "{err}"
    );
}

#[test]
fn config_startup_hz_is_clamped() {
    assert_eq!(
        Config::load_from(&cli(&["--hz", "1000"]), &[]).unwrap().hz,
        500
    );
    assert_eq!(Config::load_from(&cli(&["--hz", "0"]), &[]).unwrap().hz, 1);
}

// ---------------------------------------------------------------- CONFIG GET

#[test]
fn config_get_glob_and_dedup() {
    let cfg = Config::default();
    let names = |pats: &[&str]| -> Vec<String> {
        let pats: Vec<&[u8]> = pats.iter().map(|p| p.as_bytes()).collect();
        cfg.get_matching(&pats)
            .into_iter()
            .map(|(n, _)| n.into_owned())
            .collect()
    };
    // Aliases (list-max-ziplist-size, …) are entries of their own, as in Redis.
    let aliases = PARAMS.iter().filter(|p| p.alias.is_some()).count();
    assert_eq!(names(&["*"]).len(), PARAMS.len() + aliases);
    assert_eq!(names(&["maxc*"]), vec!["maxclients"]);
    assert_eq!(names(&["MAXCLIENT*"]), vec!["maxclients"]);
    assert_eq!(
        names(&["maxc*", "maxclients", "MAXCLIENTS"]),
        vec!["maxclients"]
    );
    // Exact names echo the client's spelling; later spellings are duplicates.
    assert_eq!(names(&["MAXCLIENTS"]), vec!["MAXCLIENTS"]);
    assert_eq!(names(&["maxclients", "MaxClients"]), vec!["maxclients"]);
    assert_eq!(names(&["MAXCLIENTS", "maxc*"]), vec!["MAXCLIENTS"]);
    assert_eq!(names(&["h?"]), vec!["hz"]);
    assert_eq!(names(&["nonexistent"]), Vec::<String>::new());
    assert_eq!(names(&["db*"]), vec!["dbfilename"]);
    assert_eq!(
        names(&["client-*"]),
        vec![
            "client-query-buffer-limit",
            "client-request-timeout",
            "client-rate-limit",
            "client-rate-limit-burst",
            "client-output-buffer-limit"
        ]
    );
    assert_eq!(names(&["tcp-[bk]*"]), vec!["tcp-keepalive", "tcp-backlog"]);
    // A backslash is not a glob character: exact lookup, no match.
    assert_eq!(names(&["max\\clients"]), Vec::<String>::new());
    assert_eq!(names(&[]), Vec::<String>::new());
}

// ---------------------------------------------------------------- CONFIG SET

#[test]
fn config_set_name_errors() {
    let mut cfg = Config::default();
    let unknown = "Unknown option or number of arguments for CONFIG SET - 'foo'";
    assert_eq!(set(&mut cfg, &[("foo", "bar")]).unwrap_err(), unknown);
    assert_eq!(
        set(&mut cfg, &[("maxclients", "10"), ("foo", "bar")]).unwrap_err(),
        unknown
    );
    assert_eq!(
        set(&mut cfg, &[("foo", "bar"), ("databases", "1")]).unwrap_err(),
        unknown
    );
    let immutable = |n: &str| set_err(n, "can't set immutable config");
    assert_eq!(
        set(&mut cfg, &[("databases", "1"), ("foo", "bar")]).unwrap_err(),
        immutable("databases")
    );
    assert_eq!(
        set(&mut cfg, &[("DATABASES", "10")]).unwrap_err(),
        immutable("DATABASES")
    );
    assert_eq!(
        set(&mut cfg, &[("maxclients", "abc"), ("databases", "1")]).unwrap_err(),
        immutable("databases")
    );
    for name in [
        "logfile",
        "tcp-backlog",
        "daemonize",
        "pidfile",
        "logformat",
        "enable-protected-configs",
    ] {
        assert_eq!(set(&mut cfg, &[(name, "no")]).unwrap_err(), immutable(name));
    }
    let dup = |n: &str| set_err(n, "duplicate parameter");
    assert_eq!(
        set(&mut cfg, &[("maxclients", "10"), ("maxclients", "20")]).unwrap_err(),
        dup("maxclients")
    );
    assert_eq!(
        set(&mut cfg, &[("MAXCLIENTS", "10"), ("maxclients", "20")]).unwrap_err(),
        dup("maxclients")
    );
    assert_eq!(
        set(
            &mut cfg,
            &[
                ("maxclients", "10"),
                ("maxclients", "20"),
                ("databases", "1")
            ]
        )
        .unwrap_err(),
        dup("maxclients")
    );
    assert_eq!(
        set(&mut cfg, &[("hz", "1001"), ("hz", "5")]).unwrap_err(),
        dup("hz")
    );
    let protected = |n: &str| set_err(n, "can't set protected config");
    assert_eq!(
        set(&mut cfg, &[("dir", "/nonexistent")]).unwrap_err(),
        protected("dir")
    );
    assert_eq!(
        set(&mut cfg, &[("dbfilename", "a/b")]).unwrap_err(),
        protected("dbfilename")
    );
    assert_eq!(cfg, Config::default());
}

#[test]
fn config_set_value_errors() {
    let mut cfg = Config::default();
    let cases: &[(&str, &str, &str)] = &[
        (
            "maxclients",
            "abc",
            "argument couldn't be parsed into an integer",
        ),
        (
            "maxclients",
            "-1",
            "argument must be between 1 and 4294967295 inclusive",
        ),
        (
            "maxclients",
            "0",
            "argument must be between 1 and 4294967295 inclusive",
        ),
        (
            "timeout",
            "-1",
            "argument must be between 0 and 2147483647 inclusive",
        ),
        (
            "timeout",
            "+5",
            "argument couldn't be parsed into an integer",
        ),
        (
            "timeout",
            "05",
            "argument couldn't be parsed into an integer",
        ),
        (
            "timeout",
            " 5",
            "argument couldn't be parsed into an integer",
        ),
        (
            "timeout",
            "1e3",
            "argument couldn't be parsed into an integer",
        ),
        (
            "timeout",
            "99999999999999999999",
            "argument couldn't be parsed into an integer",
        ),
        (
            "tcp-keepalive",
            "-1",
            "argument must be between 0 and 2147483647 inclusive",
        ),
        (
            "hz",
            "-1",
            "argument must be between 0 and 2147483647 inclusive",
        ),
        ("port", "abc", "argument couldn't be parsed into an integer"),
        (
            "port",
            "70000",
            "argument must be between 0 and 65535 inclusive",
        ),
        (
            "loglevel",
            "foo",
            "argument(s) must be one of the following: debug, verbose, notice, warning",
        ),
        (
            "loglevel",
            "",
            "argument(s) must be one of the following: debug, verbose, notice, warning",
        ),
        (
            "loglevel",
            "notice verbose",
            "argument(s) must be one of the following: debug, verbose, notice, warning",
        ),
        (
            "proto-max-bulk-len",
            "1k",
            "argument must be between 1048576 and 9223372036854775807 inclusive",
        ),
        (
            "proto-max-bulk-len",
            "",
            "argument must be between 1048576 and 9223372036854775807 inclusive",
        ),
        (
            "proto-max-bulk-len",
            "1m",
            "argument must be between 1048576 and 9223372036854775807 inclusive",
        ),
        (
            "proto-max-bulk-len",
            "9223372036854775808",
            "argument must be between 1048576 and 9223372036854775807 inclusive",
        ),
        (
            "proto-max-bulk-len",
            "18446744073709551616",
            "argument must be between 1048576 and 9223372036854775807 inclusive",
        ),
        (
            "proto-max-bulk-len",
            "17179869184gb",
            "argument must be between 1048576 and 9223372036854775807 inclusive",
        ),
        (
            "proto-max-bulk-len",
            "-1",
            "argument must be a memory value",
        ),
        (
            "proto-max-bulk-len",
            "abc",
            "argument must be a memory value",
        ),
        (
            "proto-max-bulk-len",
            "1 mb",
            "argument must be a memory value",
        ),
        (
            "client-query-buffer-limit",
            "1k",
            "argument must be between 1048576 and 9223372036854775807 inclusive",
        ),
        ("appendonly", "maybe", "argument must be 'yes' or 'no'"),
        ("appendonly", "yes", "ferrodis has no AOF yet"),
        ("appendonly", "YES", "ferrodis has no AOF yet"),
        (
            "lazyfree-lazy-user-flush",
            "maybe",
            "argument must be 'yes' or 'no'",
        ),
        (
            "lazyfree-lazy-user-flush",
            "",
            "argument must be 'yes' or 'no'",
        ),
        ("save", "1 2 3", "Invalid save parameters"),
        (
            "notify-keyspace-events",
            "KE lx",
            "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.",
        ),
        ("save", "0 1", "Invalid save parameters"),
        ("save", "60 -1", "Invalid save parameters"),
        ("save", " 60 1", "Invalid save parameters"),
        ("save", "60  1", "Invalid save parameters"),
        ("save", "-0 1", "Invalid save parameters"),
        ("save", "0x10 1", "Invalid save parameters"),
        (
            "client-output-buffer-limit",
            "foo 1 2 3",
            "Invalid client class specified in buffer limit configuration.",
        ),
        (
            "client-output-buffer-limit",
            "master 1 2 3",
            "Invalid client class specified in buffer limit configuration.",
        ),
        (
            "client-output-buffer-limit",
            "normal 1 2 3 foo 1 2 3",
            "Invalid client class specified in buffer limit configuration.",
        ),
        (
            "client-output-buffer-limit",
            "normal 1 2",
            "Wrong number of arguments in buffer limit configuration.",
        ),
        (
            "client-output-buffer-limit",
            "normal x 2 3",
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
        ),
        (
            "client-output-buffer-limit",
            "normal 1 2 x3",
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
        ),
        (
            "client-output-buffer-limit",
            "pubsub 1 2 -1",
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
        ),
        (
            "client-output-buffer-limit",
            "pubsub 1 2 2147483648",
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
        ),
        (
            "client-output-buffer-limit",
            "pubsub 1 2 9999999999999999999999",
            "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
        ),
        (
            "bind",
            "999.1.1.1",
            "Failed to bind to specified addresses.",
        ),
        (
            "bind",
            "127.0.0.1  ::1",
            "Failed to bind to specified addresses.",
        ),
        (
            "bind",
            "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17",
            "Too many bind addresses specified.",
        ),
    ];
    for &(name, value, why) in cases {
        assert_eq!(
            set(&mut cfg, &[(name, value)]),
            Err(set_err(name, why)),
            "{name} {value:?}"
        );
    }
    // A failing value is reported with the table's spelling of the name.
    assert_eq!(
        set(&mut cfg, &[("MAXCLIENTS", "abc")]).unwrap_err(),
        set_err("maxclients", "argument couldn't be parsed into an integer")
    );
    assert_eq!(cfg, Config::default());
}

#[test]
fn config_set_is_all_or_nothing() {
    let mut cfg = Config::default();
    let err = set(
        &mut cfg,
        &[("hz", "20"), ("maxclients", "5"), ("timeout", "x")],
    )
    .unwrap_err();
    assert_eq!(
        err,
        set_err("timeout", "argument couldn't be parsed into an integer")
    );
    assert_eq!(cfg, Config::default());

    let changed = set(
        &mut cfg,
        &[("hz", "20"), ("maxclients", "5"), ("timeout", "0")],
    )
    .unwrap();
    assert_eq!(changed, vec!["hz", "maxclients"]);
    assert_eq!(cfg.hz, 20);
    assert_eq!(cfg.maxclients, 5);
    assert_eq!(set(&mut cfg, &[("hz", "20")]).unwrap(), Vec::<&str>::new());
}

#[test]
fn config_set_values_print_like_redis() {
    let mut cfg = Config::default();
    let cases: &[(&str, &str, &str)] = &[
        ("hz", "0", "1"),
        ("hz", "1000", "500"),
        ("hz", "42", "42"),
        ("loglevel", "WARNING", "warning"),
        ("lazyfree-lazy-user-flush", "YES", "yes"),
        ("lazyfree-lazy-user-flush", "no", "no"),
        ("notify-keyspace-events", "KEA", "AKE"),
        ("notify-keyspace-events", "Ex", "xE"),
        ("notify-keyspace-events", "KEn", "nKE"),
        ("notify-keyspace-events", "", ""),
        ("appendonly", "No", "no"),
        ("proto-max-bulk-len", "1MB", "1048576"),
        ("proto-max-bulk-len", "2GB", "2147483648"),
        ("proto-max-bulk-len", "1g", "1000000000"),
        ("proto-max-bulk-len", "01mb", "1048576"),
        ("proto-max-bulk-len", "8796093022208kb", "9007199254740992"),
        (
            "proto-max-bulk-len",
            "9223372036854775807",
            "9223372036854775807",
        ),
        ("client-query-buffer-limit", "64mb", "67108864"),
        ("save", "60 0", "60 0"),
        ("save", "", ""),
        ("save", "60 ", "60 0"),
        ("save", "+60 +1", "60 1"),
        ("save", "60 4294967297", "60 1"),
        ("save", "9223372036854775807 1", "9223372036854775807 1"),
        ("save", "99999999999999999999 1", "9223372036854775807 1"),
        ("save", "60 1 60 2", "60 1 60 2"),
        ("save", "\t60 5", "60 5"),
        ("save", "3600 1 300 100 60 10000", "3600 1 300 100 60 10000"),
        ("bind", "127.0.0.1 -::1", "127.0.0.1 -::1"),
        ("bind", "localhost", "localhost"),
        ("port", "0", "0"),
        ("port", "6380", "6380"),
    ];
    for &(name, value, shown) in cases {
        set(&mut cfg, &[(name, value)]).unwrap_or_else(|e| panic!("{name} {value:?}: {e}"));
        assert_eq!(get(&cfg, name), shown, "{name} {value:?}");
    }
}

#[test]
fn config_set_output_buffer_limits_like_redis() {
    let mut cfg = Config::default();
    let cob = "client-output-buffer-limit";
    let steps: &[(&str, &str)] = &[
        ("normal 18446744073709551616 0 0", "normal 18446744073709551615 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
        ("normal 36893488147419103233 1kb 0", "normal 18446744073709551615 1024 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
        ("normal 17179869185gb 1k 0", "normal 1073741824 1000 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
        ("NORMAL 1 2 3", "normal 1 2 3 slave 268435456 67108864 60 pubsub 33554432 8388608 60"),
        ("replica 1 2 3", "normal 1 2 3 slave 1 2 3 pubsub 33554432 8388608 60"),
        ("slave 4 5 6", "normal 1 2 3 slave 4 5 6 pubsub 33554432 8388608 60"),
        ("pubsub 1 2 +7", "normal 1 2 3 slave 4 5 6 pubsub 1 2 7"),
        ("pubsub 1 2 4294967297", "normal 1 2 3 slave 4 5 6 pubsub 1 2 1"),
        ("pubsub 1 2 ", "normal 1 2 3 slave 4 5 6 pubsub 1 2 0"),
        ("pubsub   ", "normal 1 2 3 slave 4 5 6 pubsub 0 0 0"),
        ("normal 1 2 3 normal 4 5 6", "normal 4 5 6 slave 4 5 6 pubsub 0 0 0"),
        ("", "normal 4 5 6 slave 4 5 6 pubsub 0 0 0"),
        ("normal  1 2", "normal 0 1 2 slave 4 5 6 pubsub 0 0 0"),
        ("pubsub 1 2 \t9", "normal 0 1 2 slave 4 5 6 pubsub 1 2 9"),
    ];
    for &(value, shown) in steps {
        set(&mut cfg, &[(cob, value)]).unwrap_or_else(|e| panic!("{value:?}: {e}"));
        assert_eq!(get(&cfg, cob), shown, "{value:?}");
    }
    // A bad group anywhere leaves every class alone.
    let before = cfg.client_output_buffer_limit;
    assert!(set(&mut cfg, &[(cob, "normal 7 7 7 pubsub 1 2 x")]).is_err());
    assert_eq!(cfg.client_output_buffer_limit, before);
}

#[test]
fn config_set_protected_dir_and_dbfilename() {
    let mut cfg = Config {
        enable_protected_configs: ProtectedConfigs::Yes,
        ..Config::default()
    };
    let cwd = std::env::current_dir().unwrap();
    let cwd_s = cwd.to_str().unwrap();

    assert_eq!(
        set(&mut cfg, &[("dir", "/nonexistent")]).unwrap_err(),
        set_err("dir", "No such file or directory")
    );
    assert_eq!(
        set(&mut cfg, &[("dir", "")]).unwrap_err(),
        set_err("dir", "No such file or directory")
    );
    let manifest = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");
    assert_eq!(
        set(&mut cfg, &[("dir", manifest)]).unwrap_err(),
        set_err("dir", "Not a directory")
    );
    assert_eq!(
        set(&mut cfg, &[("dbfilename", "a/b")]).unwrap_err(),
        set_err("dbfilename", "dbfilename can't be a path, just a filename")
    );
    assert_eq!(
        set(&mut cfg, &[("dbfilename", "a\\b")]).unwrap_err(),
        set_err("dbfilename", "dbfilename can't be a path, just a filename")
    );
    // chdir happens, then a later failure undoes everything (same dir here,
    // so the test process is not moved).
    let err = set(&mut cfg, &[("dir", cwd_s), ("maxclients", "abc")]).unwrap_err();
    assert_eq!(
        err,
        set_err("maxclients", "argument couldn't be parsed into an integer")
    );
    assert_eq!(std::env::current_dir().unwrap(), cwd);
    assert_eq!(cfg.dir, ".");

    let changed = set(&mut cfg, &[("dir", cwd_s), ("dbfilename", "x.rdb")]).unwrap();
    assert_eq!(changed, vec!["dir", "dbfilename"]);
    assert_eq!(cfg.dir, cwd_s);
    assert_eq!(get(&cfg, "dir"), cwd_s);
    assert_eq!(get(&cfg, "dbfilename"), "x.rdb");
    set(&mut cfg, &[("dbfilename", "")]).unwrap();
    assert_eq!(get(&cfg, "dbfilename"), "");

    // local: only for local clients
    let mut cfg = Config {
        enable_protected_configs: ProtectedConfigs::Local,
        ..Config::default()
    };
    let pair: &[(&[u8], &[u8])] = &[(b"dbfilename", b"y.rdb")];
    assert_eq!(
        cfg.set_many_client(pair, false).unwrap_err(),
        set_err("dbfilename", "can't set protected config").into_bytes()
    );
    assert_eq!(cfg.set_many_client(pair, true).unwrap(), vec!["dbfilename"]);
}

// ---------------------------------------------------------------- docs

fn repo_file(rel: &str) -> String {
    let path = format!("{}/{rel}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The settings table of docs/configuration.md, generated from PARAMS.
fn settings_markdown() -> String {
    let mut s = String::from(
        "| Setting | Default | Type | CONFIG SET | Meaning |\n\
         |---|---|---|---|---|\n",
    );
    for p in PARAMS {
        let default = if p.default.is_empty() {
            "`\"\"`".to_string()
        } else {
            format!("`{}`", p.default)
        };
        let runtime = if p.immutable {
            "no (start-up only)"
        } else if p.protected {
            "protected"
        } else {
            "yes"
        };
        let doc = if p.ferrodis_only {
            format!("*ferrodis only.* {}", p.doc)
        } else {
            p.doc.to_string()
        };
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {} |\n",
            p.name,
            default,
            p.type_name(),
            runtime,
            doc
        ));
    }
    s
}

#[test]
fn config_docs_list_every_setting() {
    let docs = repo_file("docs/configuration.md");
    let table = settings_markdown();
    assert!(
        docs.contains(&table),
        "docs/configuration.md must contain this generated table verbatim:\n\n{table}"
    );
    for p in PARAMS {
        assert!(docs.contains(&format!("`{}`", p.name)), "{}", p.name);
        if p.immutable {
            // the immutable list names it too
            assert!(
                docs.matches(&format!("`{}`", p.name)).count() >= 2,
                "{}",
                p.name
            );
        }
    }
}

#[test]
fn config_example_yaml_documents_every_key_with_its_default() {
    let text = repo_file("etc/ferrodis.yaml");
    // As shipped (everything commented out) it parses to the defaults.
    let file = TempYaml::new("example-as-is", &text);
    assert_eq!(
        Config::load_from(&cli(&["--config", file.path()]), &[]).unwrap(),
        Config::default()
    );

    // Uncommenting every "# <setting>: <value>" line still gives the defaults.
    let mut seen = Vec::new();
    let uncommented: Vec<String> = text
        .lines()
        .map(|line| {
            if let Some(rest) = line.strip_prefix("# ") {
                if let Some((key, _)) = rest.split_once(':') {
                    if let Some((_, p)) = lookup(key.as_bytes()).filter(|(n, _)| *n == key) {
                        seen.push(p.name);
                        return rest.to_string();
                    }
                }
            }
            line.to_string()
        })
        .collect();
    for p in PARAMS {
        assert_eq!(
            seen.iter().filter(|n| **n == p.name).count(),
            1,
            "{} in etc/ferrodis.yaml",
            p.name
        );
    }
    let file = TempYaml::new("example-uncommented", &uncommented.join("\n"));
    assert_eq!(
        Config::load_from(&cli(&["--config", file.path()]), &[]).unwrap(),
        Config::default()
    );
}

// ---------------------------------------------------------------- protected mode

#[test]
fn protected_mode_refuses_only_remote_clients_without_a_password() {
    let ip = |s: &str| s.parse::<std::net::IpAddr>().expect("test address");
    let mut cfg = Config::default();
    assert!(cfg.protected_mode);
    for local in ["127.0.0.1", "::1"] {
        assert!(!cfg.protected_mode_refuses(ip(local)), "{local}");
    }
    // Redis 7.0 compares the peer's text with "127.0.0.1" and "::1" only.
    for remote in [
        "192.0.2.2",
        "10.0.0.1",
        "127.0.0.2",
        "::ffff:127.0.0.1",
        "fe80::1",
    ] {
        assert!(cfg.protected_mode_refuses(ip(remote)), "{remote}");
    }
    // An explicit bind does not matter in 7.0.
    cfg.bind = vec!["0.0.0.0".to_string()];
    assert!(cfg.protected_mode_refuses(ip("192.0.2.2")));
    cfg.requirepass = "sekret".to_string();
    assert!(!cfg.protected_mode_refuses(ip("192.0.2.2")));
    cfg.requirepass.clear();
    cfg.protected_mode = false;
    assert!(!cfg.protected_mode_refuses(ip("192.0.2.2")));
}

#[test]
fn requirepass_and_protected_mode_from_every_source() {
    let yaml = load_yaml("auth", "requirepass: \"from yaml\"\nprotected-mode: no\n").unwrap();
    assert_eq!(yaml.requirepass, "from yaml");
    assert!(!yaml.protected_mode);
    let e = env(&[
        ("FERRODIS_REQUIREPASS", "from env"),
        ("FERRODIS_PROTECTED_MODE", "no"),
    ]);
    let from_env = Config::load_from(&CliArgs::default(), &e).unwrap();
    assert_eq!(from_env.requirepass, "from env");
    assert!(!from_env.protected_mode);
    let flags = cli(&["--requirepass", "from flag", "--protected-mode", "no"]);
    let from_flag = Config::load_from(&flags, &e).unwrap();
    assert_eq!(get(&from_flag, "requirepass"), "from flag");
    let mut cfg = Config::default();
    set(&mut cfg, &[("requirepass", "pw"), ("protected-mode", "no")]).unwrap();
    assert_eq!(
        (cfg.requirepass.as_str(), cfg.protected_mode),
        ("pw", false)
    );
    assert_eq!(
        set(&mut cfg, &[("protected-mode", "maybe")]).unwrap_err(),
        set_err("protected-mode", "argument must be 'yes' or 'no'")
    );
}

// ---------------------------------------------------------------- limits and renames

#[test]
fn maxmemory_clients_takes_bytes_or_a_percentage_like_redis() {
    let mut cfg = Config::default();
    let fail = |why: &str| {
        format!("CONFIG SET failed (possibly related to argument 'maxmemory-clients') - {why}")
    };
    let not_a_value = fail("argument must be a memory or percent value");
    let over = fail("percentage argument must be less or equal to 100");
    // Values and errors as a redis-server 7.0.15 gives them.
    for (value, want) in [
        ("5%", Ok("5%")),
        ("100%", Ok("100%")),
        ("0%", Ok("0")),
        ("10mb", Ok("10485760")),
        ("1k", Ok("1000")),
        ("18446744073709551615", Ok("1%")),
        ("101%", Err(over.clone())),
        ("9223372036854775808", Err(over)),
        ("-1", Err(not_a_value.clone())),
        ("-5%", Err(not_a_value.clone())),
        ("05%", Err(not_a_value.clone())),
        ("+5%", Err(not_a_value.clone())),
        ("%", Err(not_a_value.clone())),
        ("1.5%", Err(not_a_value)),
    ] {
        let got = set(&mut cfg, &[("maxmemory-clients", value)]).map(|_| ());
        match want {
            Ok(shown) => {
                assert_eq!(got, Ok(()), "{value}");
                assert_eq!(get(&cfg, "maxmemory-clients"), shown, "{value}");
            }
            Err(e) => assert_eq!(got, Err(e), "{value}"),
        }
    }
}

#[test]
fn client_eviction_limit_follows_redis() {
    let cfg = |clients: i64, maxmemory: u64| Config {
        maxmemory_clients: clients,
        maxmemory,
        ..Config::default()
    };
    assert_eq!(Config::default().client_eviction_limit(), 1 << 30);
    assert_eq!(cfg(0, 1 << 30).client_eviction_limit(), 0);
    // A percentage is of maxmemory, and off without one.
    assert_eq!(cfg(-10, 100 << 20).client_eviction_limit(), 10 << 20);
    assert_eq!(cfg(-10, 0).client_eviction_limit(), 0);
    // Never below 128 KiB.
    assert_eq!(cfg(1000, 0).client_eviction_limit(), 128 * 1024);
}

#[test]
fn rename_command_yaml_forms() {
    let pairs = |cfg: Config| cfg.rename_commands;
    let owned = |v: &[(&str, &str)]| -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    let one = load_yaml("rename-one", "rename-command: CONFIG \"\"\n").unwrap();
    assert_eq!(pairs(one), owned(&[("CONFIG", "")]));
    let list = load_yaml(
        "rename-list",
        "rename-command:\n  - CONFIG ''\n  - \"FLUSHALL \\\"my flush\\\"\"\n",
    )
    .unwrap();
    assert_eq!(
        pairs(list),
        owned(&[("CONFIG", ""), ("FLUSHALL", "my flush")])
    );
    let map = load_yaml("rename-map", "rename-command:\n  get: fetch\n  del: \"\"\n").unwrap();
    assert_eq!(pairs(map), owned(&[("get", "fetch"), ("del", "")]));
    let err = load_yaml("rename-bad", "rename-command: CONFIG\n").unwrap_err();
    assert!(
        err.ends_with(
            "invalid value for 'rename-command': 'CONFIG': expected NAME NEWNAME (NEWNAME \"\" \
             removes the command)"
        ),
        "{err}"
    );
    assert!(load_yaml("rename-quote", "rename-command: 'a \"b'\n").is_err());
    // Not a CONFIG parameter.
    assert!(lookup(b"rename-command").is_none());
}

#[test]
fn rate_limit_settings_parse() {
    let cfg = load_yaml(
        "rate",
        "client-rate-limit: 100\nclient-rate-limit-burst: 5\nglobal-rate-limit: 1000\n\
         rate-limit-mode: reject\n",
    )
    .unwrap();
    assert_eq!(
        (
            cfg.client_rate_limit,
            cfg.client_rate_limit_burst,
            cfg.global_rate_limit,
            cfg.rate_limit_mode
        ),
        (100, 5, 1000, RateLimitMode::Reject)
    );
    let mut cfg = Config::default();
    assert_eq!(
        set(&mut cfg, &[("rate-limit-mode", "drop")]),
        Err(
            "CONFIG SET failed (possibly related to argument 'rate-limit-mode') - argument(s) \
             must be one of the following: pause, reject"
                .to_string()
        )
    );
    assert_eq!(
        set(&mut cfg, &[("client-rate-limit", "-1")]),
        Err(
            "CONFIG SET failed (possibly related to argument 'client-rate-limit') - argument \
             must be between 0 and 2147483647 inclusive"
                .to_string()
        )
    );
}
