//! The server configuration: one [`Config`] holding every setting, loaded
//! in layers (built-in defaults < YAML file < `FERRODIS_*` environment <
//! command-line flags) and changed at runtime by `CONFIG SET`.
//!
//! Everything is driven by the static table [`PARAMS`]: the YAML keys, the
//! environment variable names, the flags, `CONFIG GET`/`CONFIG SET` and the
//! tests that keep `docs/configuration.md` and `etc/ferrodis.yaml` true.
//! Names are Redis's own setting names; parsing rules and error strings are
//! Redis 7.0's (`config.c`), checked against a real redis-server 7.0.

mod cli;
pub mod keyspace_events;
mod params;
mod parse;
mod special;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

pub use cli::CliArgs;
pub use params::{Kind, Param, BINDADDR_MAX, MAX_HZ, MIN_HZ, PARAMS};
pub use parse::memtoull;
pub(crate) use parse::strerror;

/// Redis's default port.
pub const DEFAULT_PORT: u16 = 6379;

/// `maxmemory-clients` default: 1 GiB of client buffers in all (Redis's default is 0, off).
pub const DEFAULT_MAXMEMORY_CLIENTS: i64 = 1024 * 1024 * 1024;

/// Redis's floor for the client eviction limit, so a tiny setting cannot cut every client
/// off (`getClientEvictionLimit`).
pub const MIN_CLIENT_EVICTION_LIMIT: u64 = 128 * 1024;

/// Prefix of the environment variables read by [`Config::load`].
pub const ENV_PREFIX: &str = "FERRODIS_";

/// `loglevel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
}

impl LogLevel {
    /// In the order of the `loglevel` enum names.
    pub const ALL: [LogLevel; 4] = [
        LogLevel::Debug,
        LogLevel::Verbose,
        LogLevel::Notice,
        LogLevel::Warning,
    ];

    /// The Redis name (`debug`, `verbose`, `notice`, `warning`).
    pub fn as_str(self) -> &'static str {
        params::LOGLEVELS[self as usize]
    }

    /// The `log` crate filter with the same meaning: debug → Trace,
    /// verbose → Debug, notice → Info, warning → Warn.
    pub fn level_filter(self) -> log::LevelFilter {
        match self {
            LogLevel::Debug => log::LevelFilter::Trace,
            LogLevel::Verbose => log::LevelFilter::Debug,
            LogLevel::Notice => log::LevelFilter::Info,
            LogLevel::Warning => log::LevelFilter::Warn,
        }
    }
}

/// `logformat` (ferrodis only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// In the order of the `logformat` enum names.
    pub const ALL: [LogFormat; 2] = [LogFormat::Text, LogFormat::Json];

    /// `text` or `json`.
    pub fn as_str(self) -> &'static str {
        params::LOGFORMATS[self as usize]
    }
}

/// `enable-protected-configs`: who may CONFIG SET `dir` and `dbfilename`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProtectedConfigs {
    /// Nobody (Redis's default).
    No,
    /// Every client.
    Yes,
    /// Clients connected from 127.0.0.1, ::1 or a unix socket.
    Local,
}

impl ProtectedConfigs {
    /// In the order of the enum names.
    pub const ALL: [ProtectedConfigs; 3] = [
        ProtectedConfigs::No,
        ProtectedConfigs::Yes,
        ProtectedConfigs::Local,
    ];

    /// `no`, `yes` or `local`.
    pub fn as_str(self) -> &'static str {
        params::PROTECTED_VALUES[self as usize]
    }

    /// Redis's `allowProtectedAction`.
    pub fn allows(self, client_is_local: bool) -> bool {
        match self {
            ProtectedConfigs::No => false,
            ProtectedConfigs::Yes => true,
            ProtectedConfigs::Local => client_is_local,
        }
    }
}

/// `rate-limit-mode` (ferrodis only): what happens to a request over a rate limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RateLimitMode {
    /// The client is not read until its tokens refill: it sees latency, not errors.
    #[default]
    Pause,
    /// The request is answered `-ERR rate limit exceeded`.
    Reject,
}

impl RateLimitMode {
    /// In the order of the enum names.
    pub const ALL: [RateLimitMode; 2] = [RateLimitMode::Pause, RateLimitMode::Reject];

    /// `pause` or `reject`.
    pub fn as_str(self) -> &'static str {
        params::RATE_LIMIT_MODES[self as usize]
    }
}

/// `tls-auth-clients`: whether TLS clients must present a certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsAuthClients {
    /// No certificate is asked for.
    No,
    /// A certificate is required and verified against the CA (Redis's default).
    Yes,
    /// A certificate is asked for and verified when given; clients without one are accepted.
    Optional,
}

impl TlsAuthClients {
    /// In the order of the enum names (Redis's `tls_auth_clients_enum`).
    pub const ALL: [TlsAuthClients; 3] = [
        TlsAuthClients::No,
        TlsAuthClients::Yes,
        TlsAuthClients::Optional,
    ];

    /// `no`, `yes` or `optional`.
    pub fn as_str(self) -> &'static str {
        params::TLS_AUTH_CLIENTS[self as usize]
    }
}

/// One client class of `client-output-buffer-limit`. 0 disables a limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OutputLimit {
    /// Close the client as soon as its output buffer is above this many bytes.
    pub hard: u64,
    /// Close the client when above this many bytes for `soft_seconds` in a row.
    pub soft: u64,
    pub soft_seconds: u64,
}

/// `client-output-buffer-limit` for the three configurable client classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutputLimits {
    pub normal: OutputLimit,
    pub replica: OutputLimit,
    pub pubsub: OutputLimit,
}

impl Default for OutputLimits {
    /// Redis's defaults: normal 0 0 0, replica 256mb 64mb 60, pubsub 32mb 8mb 60.
    fn default() -> Self {
        OutputLimits {
            normal: OutputLimit::default(),
            replica: OutputLimit {
                hard: 256 * 1024 * 1024,
                soft: 64 * 1024 * 1024,
                soft_seconds: 60,
            },
            pubsub: OutputLimit {
                hard: 32 * 1024 * 1024,
                soft: 8 * 1024 * 1024,
                soft_seconds: 60,
            },
        }
    }
}

/// One parsed `bind` entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BindAddr {
    pub ip: IpAddr,
    /// Written with a leading `-`: failing to bind it is not fatal.
    pub optional: bool,
}

/// Parses one `bind` entry: an IPv4/IPv6 literal, `localhost` (127.0.0.1),
/// `*` (0.0.0.0) or `::*` (::), optionally prefixed with `-`.
pub fn parse_bind_addr(s: &str) -> Option<BindAddr> {
    let (optional, a) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let ip = match a {
        "*" => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        "::*" => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        _ if a.eq_ignore_ascii_case("localhost") => IpAddr::V4(Ipv4Addr::LOCALHOST),
        _ => a.parse().ok()?,
    };
    Some(BindAddr { ip, optional })
}

/// Every setting. Field docs: see [`PARAMS`] and `docs/configuration.md`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub port: u16,
    /// As written (validated by [`parse_bind_addr`]); use [`Config::bind_addrs`].
    pub bind: Vec<String>,
    pub maxclients: u64,
    pub databases: usize,
    /// As given by the layers; [`Config::load`] and CONFIG SET change into it
    /// and then store the absolute current directory here.
    pub dir: String,
    pub dbfilename: String,
    pub loglevel: LogLevel,
    /// Empty: standard output.
    pub logfile: String,
    pub logformat: LogFormat,
    pub proto_max_bulk_len: u64,
    pub client_query_buffer_limit: u64,
    /// Seconds; 0 = never.
    pub timeout: u64,
    /// Seconds an incomplete request may go without completing or growing; 0 = never.
    pub client_request_timeout: u64,
    /// Seconds; 0 = off.
    pub tcp_keepalive: u64,
    pub tcp_backlog: u64,
    /// Always within 1..=500.
    pub hz: u32,
    /// Always false (only "no" is accepted).
    pub daemonize: bool,
    /// Empty: no pid file.
    pub pidfile: String,
    pub client_output_buffer_limit: OutputLimits,
    /// (seconds, changes) pairs in the configured order.
    pub save: Vec<(u64, u64)>,
    /// Always false for now (only "no" is accepted).
    pub appendonly: bool,
    pub lazyfree_lazy_user_flush: bool,
    /// `notify-keyspace-events` as a bit set of [`keyspace_events`] classes (0 = off).
    pub notify_keyspace_events: u32,
    pub rdbcompression: bool,
    pub rdbchecksum: bool,
    pub stop_writes_on_bgsave_error: bool,
    pub rdb_key_save_delay: i64,
    pub enable_protected_configs: ProtectedConfigs,
    /// `protected-mode`: without a password, only loopback clients are accepted.
    pub protected_mode: bool,
    /// `requirepass`: the default user's password; empty = none (Redis's `nopass`).
    pub requirepass: String,
    /// `aclfile`: the ACL file read at start-up and by ACL LOAD / SAVE; empty = none.
    pub aclfile: String,
    /// `acl-pubsub-default`: new users and selectors start with all channels (`allchannels`)
    /// or none (`resetchannels`, the 7.0 default).
    pub acl_pubsub_all: bool,
    /// `acllog-max-len`: entries the ACL log keeps.
    pub acllog_max_len: i64,
    /// Users defined in the configuration (Redis's `user` directive): each entry is
    /// `<name> <rule> ...`.
    pub users: Vec<String>,
    /// Sets with more members (or a non-integer one) leave the `intset` encoding.
    pub set_max_intset_entries: usize,
    /// Packed list node limit: negative = bytes level (-1..-5), positive = entries.
    pub list_max_listpack_size: i64,
    /// Accepted only: list nodes are never compressed.
    pub list_compress_depth: i64,
    /// Sorted sets with more members leave the `listpack` encoding.
    pub zset_max_listpack_entries: usize,
    /// Sorted sets with a longer member (bytes) leave the `listpack` encoding.
    pub zset_max_listpack_value: usize,
    /// Hashes with more fields leave the `listpack` encoding.
    pub hash_max_listpack_entries: usize,
    /// Hashes with a longer field or value (bytes) leave the `listpack` encoding.
    pub hash_max_listpack_value: usize,
    /// Bytes; 0 = no limit.
    pub maxmemory: u64,
    pub maxmemory_policy: MaxmemoryPolicy,
    pub maxmemory_samples: u32,
    pub maxmemory_eviction_tenacity: u32,
    pub lfu_log_factor: u32,
    /// Minutes.
    pub lfu_decay_time: u32,
    /// Bytes of resident memory; 0 = off (ferrodis only).
    pub maxmemory_rss: u64,
    /// 1..=10.
    pub active_expire_effort: u32,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    /// Keys the tracking table may hold before invalidating some (0: no limit).
    pub tracking_table_max_keys: u64,
    /// Requests per second per connection; 0 = no limit (ferrodis only).
    pub client_rate_limit: u64,
    /// Tokens a connection's bucket holds at most; 0 = `client_rate_limit`.
    pub client_rate_limit_burst: u64,
    /// Requests per second for the whole server; 0 = no limit (ferrodis only).
    pub global_rate_limit: u64,
    /// Tokens the server's bucket holds at most; 0 = `global_rate_limit`.
    pub global_rate_limit_burst: u64,
    pub rate_limit_mode: RateLimitMode,
    /// `maxmemory-clients` as Redis stores it: bytes when positive, a percentage of
    /// `maxmemory` when negative (-5 is `5%`), 0 = off. See [`Config::client_eviction_limit`].
    pub maxmemory_clients: i64,
    /// `rename-command` lines of the config file, in order: (name, new name); an empty new
    /// name removes the command. Start-up only, and not a CONFIG parameter (as in Redis).
    pub rename_commands: Vec<(String, String)>,
    /// TLS port; 0 = no TLS listener.
    pub tls_port: u16,
    pub tls_cert_file: String,
    pub tls_key_file: String,
    /// Accepted for compatibility: an encrypted key is refused (rustls cannot decrypt it).
    pub tls_key_file_pass: String,
    /// Outgoing connections (replication, cluster): accepted, not used yet.
    pub tls_client_cert_file: String,
    pub tls_client_key_file: String,
    pub tls_client_key_file_pass: String,
    /// Accepted and ignored: rustls offers ECDHE key exchange only.
    pub tls_dh_params_file: String,
    pub tls_ca_cert_file: String,
    pub tls_ca_cert_dir: String,
    pub tls_auth_clients: TlsAuthClients,
    /// `tls-auth-clients-user CN` (ferrodis): a verified client certificate's common name
    /// logs the connection in as that ACL user.
    pub tls_auth_clients_user_cn: bool,
    /// Space-separated `TLSv1.2` / `TLSv1.3`; empty = both.
    pub tls_protocols: String,
    /// TLS 1.2 cipher list (OpenSSL names); empty = every one rustls supports.
    pub tls_ciphers: String,
    /// TLS 1.3 cipher suites; empty = every one rustls supports.
    pub tls_ciphersuites: String,
    pub tls_prefer_server_ciphers: bool,
    pub tls_session_caching: bool,
    pub tls_session_cache_size: u64,
    /// Seconds.
    pub tls_session_cache_timeout: u64,
    /// Accepted, no effect yet (no replication or cluster).
    pub tls_replication: bool,
    pub tls_cluster: bool,
}

/// `maxmemory-policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxmemoryPolicy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    NoEviction,
}

impl MaxmemoryPolicy {
    /// In the order of the policy names in the parameter table.
    pub const ALL: [MaxmemoryPolicy; 8] = [
        MaxmemoryPolicy::VolatileLru,
        MaxmemoryPolicy::VolatileLfu,
        MaxmemoryPolicy::VolatileRandom,
        MaxmemoryPolicy::VolatileTtl,
        MaxmemoryPolicy::AllkeysLru,
        MaxmemoryPolicy::AllkeysLfu,
        MaxmemoryPolicy::AllkeysRandom,
        MaxmemoryPolicy::NoEviction,
    ];

    pub fn as_str(self) -> &'static str {
        let i = Self::ALL.iter().position(|&p| p == self).unwrap_or(7);
        params::MAXMEMORY_POLICIES[i]
    }

    /// Counts accesses (LFU) rather than recency (LRU) in each key's access field.
    pub fn is_lfu(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllkeysLfu
        )
    }

    /// Only keys with a TTL are candidates.
    pub fn volatile_only(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLru
                | MaxmemoryPolicy::VolatileLfu
                | MaxmemoryPolicy::VolatileRandom
                | MaxmemoryPolicy::VolatileTtl
        )
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: DEFAULT_PORT,
            bind: vec!["127.0.0.1".to_string()],
            maxclients: 10000,
            databases: 16,
            dir: ".".to_string(),
            dbfilename: "dump.rdb".to_string(),
            loglevel: LogLevel::Notice,
            logfile: String::new(),
            logformat: LogFormat::Text,
            proto_max_bulk_len: 512 * 1024 * 1024,
            client_query_buffer_limit: 1024 * 1024 * 1024,
            timeout: 0,
            client_request_timeout: 30,
            tcp_keepalive: 300,
            tcp_backlog: 511,
            hz: 10,
            daemonize: false,
            pidfile: String::new(),
            client_output_buffer_limit: OutputLimits::default(),
            save: vec![(3600, 1), (300, 100), (60, 10000)],
            appendonly: false,
            lazyfree_lazy_user_flush: false,
            notify_keyspace_events: 0,
            rdbcompression: true,
            rdbchecksum: true,
            stop_writes_on_bgsave_error: true,
            rdb_key_save_delay: 0,
            enable_protected_configs: ProtectedConfigs::No,
            protected_mode: true,
            requirepass: String::new(),
            aclfile: String::new(),
            acl_pubsub_all: false,
            acllog_max_len: 128,
            users: Vec::new(),
            set_max_intset_entries: crate::store::set::DEFAULT_MAX_INTSET_ENTRIES,
            list_max_listpack_size: -2,
            list_compress_depth: 0,
            zset_max_listpack_entries: 128,
            zset_max_listpack_value: 64,
            hash_max_listpack_entries: 512,
            hash_max_listpack_value: 64,
            maxmemory: 0,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            maxmemory_samples: 5,
            maxmemory_eviction_tenacity: 10,
            lfu_log_factor: 10,
            lfu_decay_time: 1,
            maxmemory_rss: 0,
            active_expire_effort: 1,
            slowlog_log_slower_than: 10_000,
            slowlog_max_len: 128,
            tracking_table_max_keys: 1_000_000,
            client_rate_limit: 0,
            client_rate_limit_burst: 0,
            global_rate_limit: 0,
            global_rate_limit_burst: 0,
            rate_limit_mode: RateLimitMode::Pause,
            maxmemory_clients: DEFAULT_MAXMEMORY_CLIENTS,
            rename_commands: Vec::new(),
            tls_port: 0,
            tls_cert_file: String::new(),
            tls_key_file: String::new(),
            tls_key_file_pass: String::new(),
            tls_client_cert_file: String::new(),
            tls_client_key_file: String::new(),
            tls_client_key_file_pass: String::new(),
            tls_dh_params_file: String::new(),
            tls_ca_cert_file: String::new(),
            tls_ca_cert_dir: String::new(),
            tls_auth_clients: TlsAuthClients::Yes,
            tls_auth_clients_user_cn: false,
            tls_protocols: String::new(),
            tls_ciphers: String::new(),
            tls_ciphersuites: String::new(),
            tls_prefer_server_ciphers: false,
            tls_session_caching: true,
            tls_session_cache_size: 20 * 1024,
            tls_session_cache_timeout: 300,
            tls_replication: false,
            tls_cluster: false,
        }
    }
}

/// The environment variable read for a parameter: `FERRODIS_` + the name
/// upper-cased with `-` replaced by `_` (`FERRODIS_PROTO_MAX_BULK_LEN`).
pub fn env_name(param: &str) -> String {
    format!(
        "{ENV_PREFIX}{}",
        param.to_ascii_uppercase().replace('-', "_")
    )
}

/// Finds a parameter by name or alias, case-insensitively as Redis does.
/// Returns the matched entry's own name (the alias when an alias matched).
pub fn lookup(name: &[u8]) -> Option<(&'static str, &'static Param)> {
    entries().find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
}

/// Every name CONFIG GET/SET knows, aliases being entries of their own.
fn entries() -> impl Iterator<Item = (&'static str, &'static Param)> {
    PARAMS
        .iter()
        .flat_map(|p| std::iter::once((p.name, p)).chain(p.alias.map(|a| (a, p))))
}

/// Applies one start-up value, naming the key and the source on error.
fn apply_startup(cfg: &mut Config, p: &Param, value: &str, source: &str) -> Result<(), String> {
    let bad = |e: String| format!("{source}: invalid value for '{}' ('{value}'): {e}", p.name);
    p.apply(cfg, value.as_bytes()).map_err(bad)?;
    if p.name == "dir" {
        match std::fs::metadata(&cfg.dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(bad("Not a directory".to_string())),
            Err(e) => return Err(bad(parse::strerror(&e))),
        }
    }
    Ok(())
}

/// A YAML value as the string CONFIG SET would receive. Numbers are written
/// as YAML reads them, booleans become yes/no, null becomes "", and lists
/// (only for list settings) are joined with single spaces.
fn yaml_value(p: &Param, v: &serde_yaml::Value) -> Result<String, String> {
    use serde_yaml::Value;
    fn scalar(v: &Value, list_ok: bool, out: &mut Vec<String>) -> Result<(), String> {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Number(n) => out.push(n.to_string()),
            Value::Bool(b) => out.push(if *b { "yes" } else { "no" }.to_string()),
            Value::Null => out.push(String::new()),
            Value::Sequence(items) if list_ok => {
                for item in items {
                    scalar(item, true, out)?;
                }
            }
            Value::Sequence(_) => return Err("expected a single value, not a list".to_string()),
            Value::Mapping(_) => return Err("expected a value, not a mapping".to_string()),
            Value::Tagged(_) => return Err("tagged YAML values are not supported".to_string()),
        }
        Ok(())
    }
    let list_ok = matches!(p.kind, Kind::List(_));
    let mut out = Vec::new();
    if let Value::Sequence(items) = v {
        if !list_ok {
            return Err("expected a single value, not a list".to_string());
        }
        for item in items {
            scalar(item, true, &mut out)?;
        }
    } else {
        scalar(v, false, &mut out)?;
    }
    Ok(out.join(" "))
}

/// The YAML `user:` setting: one `<name> <rule> ...` string, or a list of them.
fn yaml_users(v: &serde_yaml::Value) -> Result<Vec<String>, String> {
    use serde_yaml::Value;
    match v {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => Ok(vec![s.clone()]),
        Value::Sequence(items) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err("each user must be a string of rules".to_string()),
            })
            .collect(),
        _ => Err("expected a list of user rule strings".to_string()),
    }
}

/// The `rename-command` entry of the YAML file: one `NAME NEWNAME` line in Redis's syntax
/// (quotes as in redis.conf, so `CONFIG ""` removes CONFIG), a list of such lines, or a
/// mapping `NAME: NEWNAME`. Whether the names make sense is checked when the command table's
/// names are built (`cmd::table::CommandNames`).
fn rename_commands(v: &serde_yaml::Value) -> Result<Vec<(String, String)>, String> {
    use serde_yaml::Value;
    let scalar = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Ok(String::new()),
        _ => Err("expected a command name".to_string()),
    };
    let line = |v: &Value| -> Result<(String, String), String> {
        let text = scalar(v)?;
        match parse::split_quoted(&text).as_deref() {
            Some([name, new]) => Ok((name.clone(), new.clone())),
            _ => Err(format!(
                "'{text}': expected NAME NEWNAME (NEWNAME \"\" removes the command)"
            )),
        }
    };
    match v {
        Value::Sequence(items) => items.iter().map(line).collect(),
        Value::Mapping(map) => map
            .iter()
            .map(|(k, v)| Ok((scalar(k)?, scalar(v)?)))
            .collect(),
        other => Ok(vec![line(other)?]),
    }
}

impl Config {
    /// The client eviction limit in bytes, as Redis's `getClientEvictionLimit`: 0 when off
    /// (`maxmemory-clients 0`, or a percentage while `maxmemory` is 0), and never below
    /// 128 KiB, so a tiny setting cannot cut every client off.
    pub fn client_eviction_limit(&self) -> u64 {
        let bytes = if self.maxmemory_clients > 0 {
            self.maxmemory_clients as u64
        } else if self.maxmemory_clients < 0 && self.maxmemory > 0 {
            let percent = self.maxmemory_clients.unsigned_abs() as f64;
            (self.maxmemory as f64 * percent / 100.0) as u64
        } else {
            return 0;
        };
        bytes.max(MIN_CLIENT_EVICTION_LIMIT)
    }

    /// Loads the configuration from the flags, the YAML file they name, the
    /// process environment and the defaults (see [`Config::load_from`]), then
    /// changes into `dir` (as Redis does while reading its config) and stores
    /// the resulting absolute directory in `dir`.
    pub fn load(cli: &CliArgs) -> Result<Config, String> {
        let env: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(k, v)| {
                let k = k.to_str()?.to_string();
                k.starts_with(ENV_PREFIX)
                    .then(|| (k, v.to_string_lossy().into_owned()))
            })
            .collect();
        let mut cfg = Config::load_from(cli, &env)?;
        if let Err(e) = std::env::set_current_dir(&cfg.dir) {
            return Err(format!(
                "can't chdir to '{}': {}",
                cfg.dir,
                parse::strerror(&e)
            ));
        }
        if let Ok(cwd) = std::env::current_dir() {
            cfg.dir = cwd.to_string_lossy().into_owned();
        }
        Ok(cfg)
    }

    /// Builds the configuration without touching the process: defaults, then
    /// the YAML file named by `--config` (keys are parameter names; unknown
    /// keys are errors), then `env` (`FERRODIS_<NAME>` entries; other
    /// variables are ignored, the last duplicate wins), then the flags.
    ///
    /// Errors name the source and the key, e.g.
    /// `config file 'f.yaml': unknown setting 'foo'`,
    /// `environment variable FERRODIS_MAXCLIENTS: invalid value for 'maxclients' ('x'): argument couldn't be parsed into an integer`,
    /// `flag --hz: invalid value for 'hz' ('x'): ...`.
    pub fn load_from(cli: &CliArgs, env: &[(String, String)]) -> Result<Config, String> {
        let mut cfg = Config::default();

        if let Some(path) = &cli.config {
            let source = format!("config file '{path}'");
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("{source}: {}", parse::strerror(&e)))?;
            let doc: serde_yaml::Value =
                serde_yaml::from_str(&text).map_err(|e| format!("{source}: {e}"))?;
            match doc {
                serde_yaml::Value::Null => {}
                serde_yaml::Value::Mapping(map) => {
                    for (k, v) in &map {
                        let key = match k {
                            serde_yaml::Value::String(s) => s.clone(),
                            serde_yaml::Value::Number(n) => n.to_string(),
                            serde_yaml::Value::Bool(b) => b.to_string(),
                            _ => return Err(format!("{source}: setting names must be strings")),
                        };
                        if key == "user" {
                            cfg.users = yaml_users(v)
                                .map_err(|e| format!("{source}: invalid value for 'user': {e}"))?;
                            continue;
                        }
                        if key.eq_ignore_ascii_case("rename-command") {
                            let renames = rename_commands(v).map_err(|e| {
                                format!("{source}: invalid value for 'rename-command': {e}")
                            })?;
                            cfg.rename_commands.extend(renames);
                            continue;
                        }
                        let (_, p) = lookup(key.as_bytes())
                            .ok_or_else(|| format!("{source}: unknown setting '{key}'"))?;
                        let value = yaml_value(p, v).map_err(|e| {
                            format!("{source}: invalid value for '{}': {e}", p.name)
                        })?;
                        apply_startup(&mut cfg, p, &value, &source)?;
                    }
                }
                _ => {
                    return Err(format!(
                        "{source}: expected a mapping of setting names to values"
                    ))
                }
            }
        }

        for p in PARAMS {
            let var = env_name(p.name);
            if let Some((_, value)) = env.iter().rev().find(|(k, _)| *k == var) {
                apply_startup(&mut cfg, p, value, &format!("environment variable {var}"))?;
            }
        }

        if let Some((_, users)) = env.iter().rev().find(|(k, _)| k == "FERRODIS_USER") {
            // One user per line in the environment form.
            cfg.users = users
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect();
        }
        if !cli.user.is_empty() {
            cfg.users = cli.user.clone();
        }

        for p in PARAMS {
            if let Some(value) = cli.flag(p.name) {
                apply_startup(&mut cfg, p, value, &format!("flag --{}", p.name))?;
            }
        }

        Ok(cfg)
    }

    /// Whether protected mode turns away a TCP client from `peer`, as Redis 7.0's
    /// clientAcceptHandler: protected mode on, no password for the default user, and a peer
    /// other than exactly 127.0.0.1 or ::1 (Redis compares the address text, so 127.0.0.2 and
    /// an IPv4-mapped `::ffff:127.0.0.1` are refused too). `bind` plays no part in 7.0.
    pub fn protected_mode_refuses(&self, peer: std::net::IpAddr) -> bool {
        self.protected_mode_refuses_with(peer, self.requirepass.is_empty())
    }

    /// [`Config::protected_mode_refuses`] with the default ACL user's `nopass` flag as it is
    /// now (ACL SETUSER default may have changed it since `requirepass` was read): what the
    /// listener asks, as Redis tests `DefaultUser->flags & USER_FLAG_NOPASS`.
    pub fn protected_mode_refuses_with(&self, peer: std::net::IpAddr, nopass: bool) -> bool {
        use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
        let local =
            peer == IpAddr::V4(Ipv4Addr::LOCALHOST) || peer == IpAddr::V6(Ipv6Addr::LOCALHOST);
        self.protected_mode && nopass && !local
    }

    /// Whether a TLS listener is configured.
    pub fn tls_enabled(&self) -> bool {
        self.tls_port != 0
    }

    /// The addresses to listen on, parsed; an empty `bind` means 127.0.0.1.
    pub fn bind_addrs(&self) -> Vec<BindAddr> {
        if self.bind.is_empty() {
            return vec![BindAddr {
                ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
                optional: false,
            }];
        }
        self.bind
            .iter()
            .filter_map(|a| parse_bind_addr(a))
            .collect()
    }

    /// `CONFIG GET pattern [pattern ...]`: every (name, value) pair in
    /// Redis 7.0's order of discovery, each parameter once.
    ///
    /// As in Redis, a pattern without any of `[*?` is an exact,
    /// case-insensitive lookup and the reply echoes the name as the client
    /// spelled it (`CONFIG GET MAXCLIENTS` answers `MAXCLIENTS`); hence the
    /// `Cow` (borrowed canonical names, owned echoed spellings). Glob
    /// patterns match case-insensitively and answer canonical names.
    pub fn get_matching(&self, patterns: &[&[u8]]) -> Vec<(Cow<'static, str>, String)> {
        let mut found: Vec<(Cow<'static, str>, &'static Param)> = Vec::new();
        let seen = |found: &Vec<(Cow<'static, str>, &'static Param)>, name: &[u8]| {
            found
                .iter()
                .any(|(n, _)| n.as_bytes().eq_ignore_ascii_case(name))
        };
        for &pattern in patterns {
            let is_glob = parse::cstr(pattern)
                .iter()
                .any(|b| matches!(b, b'[' | b'*' | b'?'));
            if !is_glob {
                if seen(&found, pattern) {
                    continue;
                }
                if let Some((name, p)) = lookup(pattern) {
                    let shown = if name.as_bytes() == pattern {
                        Cow::Borrowed(name)
                    } else {
                        // Matched case-insensitively against ASCII, so ASCII.
                        Cow::Owned(String::from_utf8_lossy(pattern).into_owned())
                    };
                    found.push((shown, p));
                }
                continue;
            }
            let pattern = parse::cstr(pattern);
            for (name, p) in entries() {
                if !seen(&found, name.as_bytes())
                    && crate::util::glob::glob_match(pattern, name.as_bytes(), true)
                {
                    found.push((Cow::Borrowed(name), p));
                }
            }
        }
        found
            .into_iter()
            .map(|(name, p)| {
                let value = (p.get)(self);
                (name, value)
            })
            .collect()
    }

    /// `CONFIG SET name value [name value ...]` from a client that is not
    /// local (see [`Config::set_many_client`]).
    pub fn set_many(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<Vec<&'static str>, Vec<u8>> {
        self.set_many_client(pairs, false)
    }

    /// `CONFIG SET` with Redis 7.0's all-or-nothing semantics.
    /// `client_is_local` (unix socket, 127.0.0.1 or ::1 peer) matters only
    /// with `enable-protected-configs local`.
    ///
    /// First every name is checked in order; the first problem wins:
    /// unknown name, immutable or protected setting, name given twice.
    /// Then the values are parsed and stored in order; the first bad one
    /// aborts and nothing changes (`dir` changes the process's directory
    /// when reached and is changed back if a later value fails).
    ///
    /// Errors are Redis's text WITHOUT the leading "ERR " (the caller
    /// replies `-ERR <text>`), as bytes: names are echoed as C strings (up
    /// to a NUL byte), not necessarily UTF-8; the caller maps CR and LF:
    /// * `Unknown option or number of arguments for CONFIG SET - '<name>'`
    /// * `CONFIG SET failed (possibly related to argument '<name>') - can't set immutable config`
    /// * `... - can't set protected config`, `... - duplicate parameter`
    ///   (these three and the unknown one print the name as the client sent it)
    /// * `CONFIG SET failed (possibly related to argument '<name>') - <reason>` for a bad
    ///   value (name as in the table), e.g. `argument couldn't be parsed into an integer`.
    ///
    /// Returns the canonical names of the settings whose value changed (plus
    /// `dir` whenever it was set), in request order, so the server can apply
    /// side effects (hz, loglevel, maxclients, timeout, port/bind, ...). If
    /// such a side effect fails the caller can restore a clone taken before.
    pub fn set_many_client(
        &mut self,
        pairs: &[(&[u8], &[u8])],
        client_is_local: bool,
    ) -> Result<Vec<&'static str>, Vec<u8>> {
        let failed = |name: &[u8], why: &str| {
            let mut text = b"CONFIG SET failed (possibly related to argument '".to_vec();
            text.extend_from_slice(parse::cstr(name));
            text.extend_from_slice(b"') - ");
            text.extend_from_slice(why.as_bytes());
            text
        };

        // Phase 1: names.
        let mut targets: Vec<(&'static str, &'static Param, &[u8])> = Vec::new();
        for &(name, value) in pairs {
            let Some((entry, p)) = lookup(name) else {
                let mut text = b"Unknown option or number of arguments for CONFIG SET - '".to_vec();
                text.extend_from_slice(parse::cstr(name));
                text.push(b'\'');
                return Err(text);
            };
            if p.immutable {
                return Err(failed(name, "can't set immutable config"));
            }
            if p.protected && !self.enable_protected_configs.allows(client_is_local) {
                return Err(failed(name, "can't set protected config"));
            }
            if targets.iter().any(|(e, _, _)| *e == entry) {
                return Err(failed(name, "duplicate parameter"));
            }
            targets.push((entry, p, value));
        }

        // Phase 2: values, on a copy.
        let mut next = self.clone();
        let mut old_cwd: Option<std::path::PathBuf> = None;
        let restore = |old: &Option<std::path::PathBuf>| {
            if let Some(dir) = old {
                let _ = std::env::set_current_dir(dir);
            }
        };
        for &(entry, p, value) in &targets {
            if let Err(why) = p.apply(&mut next, value) {
                restore(&old_cwd);
                return Err(failed(entry.as_bytes(), &why));
            }
            if p.name == "dir" {
                let before = std::env::current_dir().ok();
                if let Err(e) = std::env::set_current_dir(&next.dir) {
                    restore(&old_cwd);
                    return Err(failed(entry.as_bytes(), &parse::strerror(&e)));
                }
                if let Ok(cwd) = std::env::current_dir() {
                    next.dir = cwd.to_string_lossy().into_owned();
                }
                old_cwd = old_cwd.or(before);
            }
        }

        let mut changed = Vec::new();
        for &(_, p, _) in &targets {
            if (p.name == "dir" || (p.get)(self) != (p.get)(&next)) && !changed.contains(&p.name) {
                changed.push(p.name);
            }
        }
        *self = next;
        Ok(changed)
    }
}
