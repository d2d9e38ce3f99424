//! `rename-command` from the YAML config file, compared with a real redis-server started with
//! the same `--rename-command` lines: the old names are unknown, the new ones work, a command
//! renamed to "" is gone, COMMAND shows the commands under their own names, and
//! rename-command is no CONFIG parameter.

mod common;

use common::{show, Raw, Server};

/// CONFIG → MYCONFIG, FLUSHALL removed, GET → FETCH.
const YAML: &str = "rename-command:\n  - config myconfig\n  - FLUSHALL \"\"\n  - get 'fetch'\n";
const REDIS_ARGS: &[&str] = &[
    "--rename-command",
    "config",
    "myconfig",
    "--rename-command",
    "FLUSHALL",
    "",
    "--rename-command",
    "get",
    "fetch",
];

fn scenario(port: u16) -> Vec<String> {
    let mut c = Raw::connect(port);
    let mut log = Vec::new();
    let mut step = |c: &mut Raw, args: &[&str]| {
        let reply = c.cmd(args);
        log.push(format!("{} -> {}", args.join(" | "), show(&reply)));
    };
    for args in [
        &["CONFIG", "GET", "maxmemory"][..],
        &["config", "set", "maxmemory", "0"],
        &["MYCONFIG", "GET", "maxmemory"],
        &["myconfig", "get", "rename-command"],
        &["MyConfig", "SET", "rename-command", "get x"],
        &["myconfig"],
        &["myconfig", "nosuchsub"],
        &["MYCONFIG", "GET"],
        &["FLUSHALL"],
        &["flushall", "async"],
        &["SET", "a", "1"],
        &["GET", "a"],
        &["FETCH", "a"],
        &["fetch"],
        &["COMMAND", "INFO", "fetch", "get", "config", "flushall"],
        &["COMMAND", "INFO", "myconfig|get", "config|get"],
        &["COMMAND", "DOCS", "fetch", "get", "flushall"],
        &["COMMAND", "GETKEYS", "fetch", "a"],
        &["COMMAND", "GETKEYS", "get", "a"],
        &["COMMAND", "LIST", "FILTERBY", "PATTERN", "flushall"],
        &["COMMAND", "LIST", "FILTERBY", "PATTERN", "get"],
        &["COMMAND", "LIST", "FILTERBY", "PATTERN", "config|get"],
        &["MULTI"],
        &["FETCH", "a"],
        &["GET", "a"],
        &["EXEC"],
        &["FETCH", "a"],
    ] {
        step(&mut c, args);
    }
    // INFO commandstats names the command by its own name.
    let stats = String::from_utf8_lossy(&c.cmd(&["INFO", "commandstats"])).into_owned();
    let mut names: Vec<String> = stats
        .lines()
        .filter_map(|l| l.strip_prefix("cmdstat_"))
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| ["get", "config|get", "config|set", "set"].contains(name))
        .map(|(name, rest)| {
            let calls = rest.split(',').next().unwrap_or_default();
            format!("{name} {calls}")
        })
        .collect();
    names.sort();
    log.push(names.join(", "));
    log
}

fn command_count(port: u16) -> i64 {
    let reply = Raw::connect(port).cmd(&["COMMAND", "COUNT"]);
    String::from_utf8_lossy(&reply)
        .trim()
        .trim_start_matches(':')
        .parse()
        .expect("COMMAND COUNT")
}

#[test]
fn renamed_commands_behave_as_in_redis() {
    let dir = std::env::temp_dir().join(format!("ferrodis-rename-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let yaml = dir.join("rename.yaml");
    std::fs::write(&yaml, YAML).expect("write yaml");
    let path = yaml.to_str().expect("utf-8 path");

    let ferrodis = Server::ferrodis(&["--config", path]);
    let got = scenario(ferrodis.port);
    let redis = Server::redis_with(REDIS_ARGS);
    let want = scenario(redis.port);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w, "(left ferrodis, right redis-server)");
    }
    assert_eq!(got.len(), want.len());

    // A command renamed to "" leaves COMMAND COUNT; a renamed one stays.
    let plain_ferrodis = Server::ferrodis(&[]);
    let plain_redis = Server::redis();
    assert_eq!(
        command_count(plain_ferrodis.port) - command_count(ferrodis.port),
        command_count(plain_redis.port) - command_count(redis.port)
    );
    assert_eq!(
        command_count(plain_ferrodis.port) - command_count(ferrodis.port),
        1
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_renames_stop_the_server_at_start_up() {
    let dir = std::env::temp_dir().join(format!("ferrodis-rename-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    for (yaml, message) in [
        (
            "rename-command: nosuch foo\n",
            "rename-command nosuch foo: No such command in rename-command",
        ),
        (
            "rename-command: get set\n",
            "rename-command get set: Target command name already exists",
        ),
        (
            "rename-command: get\n",
            "invalid value for 'rename-command': 'get': expected NAME NEWNAME",
        ),
    ] {
        let file = dir.join("bad.yaml");
        std::fs::write(&file, yaml).expect("write yaml");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferrodis"))
            .args(["--port", "0", "--config", file.to_str().expect("path")])
            .output()
            .expect("run ferrodis");
        let text = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        assert!(!out.status.success(), "{yaml}: started anyway");
        assert!(text.contains(message), "{yaml}: {text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
