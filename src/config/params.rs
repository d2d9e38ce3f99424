//! The one static table of configuration parameters.
//!
//! Every other piece of the configuration code (YAML keys, environment
//! variables, command-line flags, `CONFIG GET`, `CONFIG SET`, the docs
//! tests) walks [`PARAMS`]; adding a setting means adding a row here, a
//! field to [`Config`], a flag to `CliArgs` and a line to the docs (the
//! tests say which one is missing).

use super::parse::{cstr, lossy, memtoull};
use super::special::{set_bind, set_output_limits, set_save};
use super::{
    Config, LogFormat, LogLevel, MaxmemoryPolicy, OutputLimit, ProtectedConfigs, RateLimitMode,
    TlsAuthClients,
};

/// How a parameter's value is parsed, with the function storing it.
///
/// The parse rules and error strings are those of Redis 7.0's `config.c`
/// for the matching config type.
pub enum Kind {
    /// Plain integer (`string2ll`), checked against `min..=max`.
    Int {
        min: i64,
        max: i64,
        set: fn(&mut Config, i64),
    },
    /// Byte count with Redis's unit suffixes (`memtoull`), checked against `min..=max`.
    Memory {
        min: i64,
        max: i64,
        set: fn(&mut Config, i64),
    },
    /// A byte count (`memtoull`) or a percentage (`5%`), stored as Redis stores it: bytes
    /// as they are, a percentage negated (Redis's MEMORY_CONFIG | PERCENT_CONFIG), checked
    /// against `0..=max` and `0%..=max_percent%`.
    MemoryOrPercent {
        max: i64,
        max_percent: i64,
        set: fn(&mut Config, i64),
    },
    /// `yes` / `no` (case-insensitive). The setter may still refuse a value.
    Bool(fn(&mut Config, bool) -> Result<(), String>),
    /// One of the listed names (case-insensitive); the setter gets its index.
    Enum(&'static [&'static str], fn(&mut Config, usize)),
    /// Free-form string; the setter may validate it.
    Str(fn(&mut Config, String) -> Result<(), String>),
    /// Space-separated list with its own parser (bind, save, client-output-buffer-limit).
    List(fn(&mut Config, &[u8]) -> Result<(), String>),
}

/// One configuration parameter.
pub struct Param {
    /// Redis's name (lowercase, dashes).
    pub name: &'static str,
    /// Another accepted name (Redis treats an alias as its own entry in
    /// CONFIG GET/SET). None of the current parameters has one.
    pub alias: Option<&'static str>,
    pub kind: Kind,
    /// Start-up only: CONFIG SET answers "can't set immutable config".
    pub immutable: bool,
    /// CONFIG SET needs `enable-protected-configs` (Redis's PROTECTED_CONFIG).
    pub protected: bool,
    /// Not a Redis setting (ferrodis extension).
    pub ferrodis_only: bool,
    /// The default, written as it would be given in YAML / CONFIG SET.
    pub default: &'static str,
    /// One-line meaning, used by the docs.
    pub doc: &'static str,
    /// The CONFIG GET value.
    pub get: fn(&Config) -> String,
}

impl Param {
    /// Short type description for the docs.
    pub fn type_name(&self) -> String {
        match &self.kind {
            Kind::Int { min, max, .. } => format!("integer {min}..{max}"),
            Kind::Memory { min, max, .. } if *max == LONG_MAX && *min % MB == 0 => {
                format!("memory, at least {}mb", min / MB)
            }
            Kind::Memory { min, max, .. } => format!("memory {min}..{max}"),
            Kind::MemoryOrPercent { max_percent, .. } => {
                format!("memory, or 0%..{max_percent}% of maxmemory")
            }
            Kind::Bool(_) => "yes/no".to_string(),
            Kind::Enum(names, _) => names.join(" / "),
            Kind::Str(_) => "string".to_string(),
            Kind::List(_) => "list".to_string(),
        }
    }

    /// Parses `value` and stores it into `cfg`. The error is Redis's
    /// `errstr` (the text after "CONFIG SET failed (...) - ").
    pub fn apply(&self, cfg: &mut Config, value: &[u8]) -> Result<(), String> {
        match &self.kind {
            Kind::Int { min, max, set } => {
                let v = crate::util::num::parse_i64(value)
                    .ok_or("argument couldn't be parsed into an integer")?;
                check_bounds(v, *min, *max)?;
                set(cfg, v);
                Ok(())
            }
            Kind::Memory { min, max, set } => {
                // Redis stores memtoull's unsigned result in a long long.
                let v = memtoull(value).ok_or("argument must be a memory value")? as i64;
                check_bounds(v, *min, *max)?;
                set(cfg, v);
                Ok(())
            }
            Kind::MemoryOrPercent {
                max,
                max_percent,
                set,
            } => {
                let v = parse_memory_or_percent(value)
                    .ok_or("argument must be a memory or percent value")?;
                if v < 0 && v < -max_percent {
                    return Err(format!(
                        "percentage argument must be less or equal to {max_percent}"
                    ));
                }
                if v >= 0 {
                    check_bounds(v, 0, *max)?;
                }
                set(cfg, v);
                Ok(())
            }
            Kind::Bool(set) => {
                let v = super::parse::yesno(value).ok_or("argument must be 'yes' or 'no'")?;
                set(cfg, v)
            }
            Kind::Enum(names, set) => {
                let v = cstr(value);
                match names
                    .iter()
                    .position(|n| n.as_bytes().eq_ignore_ascii_case(v))
                {
                    Some(i) => {
                        set(cfg, i);
                        Ok(())
                    }
                    None => Err(format!(
                        "argument(s) must be one of the following: {}",
                        names.join(", ")
                    )),
                }
            }
            Kind::Str(set) => set(cfg, lossy(value)),
            Kind::List(set) => set(cfg, value),
        }
    }
}

/// Redis's `numericParseString` for a MEMORY_CONFIG | PERCENT_CONFIG setting: a memory value
/// (stored in a long long, so one above `i64::MAX` wraps negative and reads as a percentage,
/// as in Redis), else `<digits>%` with Redis's strict integer syntax, returned negated.
fn parse_memory_or_percent(value: &[u8]) -> Option<i64> {
    if let Some(v) = memtoull(value) {
        return Some(v as i64);
    }
    let digits = value.strip_suffix(b"%").filter(|d| !d.is_empty())?;
    let v = crate::util::num::parse_i64(digits).filter(|&v| v >= 0)?;
    Some(-v)
}

/// Redis's `numericBoundaryCheck`. All bounds here are non-negative and at
/// most `i64::MAX`, so the signed and unsigned variants agree (a negative
/// value seen as unsigned is above every upper bound).
fn check_bounds(v: i64, min: i64, max: i64) -> Result<(), String> {
    if v < min || v > max {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(())
}

const INT_MAX: i64 = i32::MAX as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
const MB: i64 = 1024 * 1024;

/// Redis's CONFIG_BINDADDR_MAX.
pub const BINDADDR_MAX: usize = 16;
/// Redis's CONFIG_MIN_HZ / CONFIG_MAX_HZ.
pub const MIN_HZ: i64 = 1;
pub const MAX_HZ: i64 = 500;

pub(crate) const LOGLEVELS: &[&str] = &["debug", "verbose", "notice", "warning"];
/// `maxmemory-policy` names, in the order of [`MaxmemoryPolicy::ALL`].
pub(crate) const MAXMEMORY_POLICIES: &[&str] = &[
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
];
pub(crate) const LOGFORMATS: &[&str] = &["text", "json"];
pub(crate) const PROTECTED_VALUES: &[&str] = &["no", "yes", "local"];
/// `rate-limit-mode` names, in the order of [`RateLimitMode::ALL`].
pub(crate) const RATE_LIMIT_MODES: &[&str] = &["pause", "reject"];
/// `tls-auth-clients` names, in the order of [`TlsAuthClients::ALL`].
pub(crate) const TLS_AUTH_CLIENTS: &[&str] = &["no", "yes", "optional"];
const TLS_AUTH_CLIENTS_USER: &[&str] = &["off", "CN"];

/// A string TLS setting: stored as given (checked when the TLS configuration is built).
const fn tls_str(
    name: &'static str,
    set: fn(&mut Config, String) -> Result<(), String>,
    get: fn(&Config) -> String,
    doc: &'static str,
) -> Param {
    Param {
        name,
        alias: None,
        kind: Kind::Str(set),
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "",
        doc,
        get,
    }
}

/// A yes/no TLS setting.
const fn tls_bool(
    name: &'static str,
    set: fn(&mut Config, bool) -> Result<(), String>,
    get: fn(&Config) -> String,
    default: &'static str,
    doc: &'static str,
) -> Param {
    Param {
        name,
        alias: None,
        kind: Kind::Bool(set),
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default,
        doc,
        get,
    }
}

fn yn(b: bool) -> String {
    if b { "yes" } else { "no" }.to_string()
}

/// The table, in the order the docs list it.
pub static PARAMS: &[Param] = &[
    Param {
        name: "port",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: 65535,
            set: |c, v| c.port = v as u16,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "6379",
        doc: "TCP port to accept connections on; 0 disables the TCP listener.",
        get: |c| c.port.to_string(),
    },
    Param {
        name: "bind",
        alias: None,
        kind: Kind::List(set_bind),
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "127.0.0.1",
        doc: "Space-separated addresses to listen on (at most 16). IPv4/IPv6 literals, \
              `localhost`, `*` (all IPv4), `::*` (all IPv6); a leading `-` marks an address \
              whose bind failure is not fatal. An empty list means the default, 127.0.0.1.",
        get: |c| c.bind.join(" "),
    },
    Param {
        name: "protected-mode",
        alias: None,
        kind: Kind::Bool(|c, v| {
            c.protected_mode = v;
            Ok(())
        }),
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "yes",
        doc: "While the default user has no password (`requirepass` empty), accept clients \
              only from 127.0.0.1 and ::1: any other client gets Redis's `-DENIED` \
              explanation and is disconnected. Applies whatever `bind` says, as in Redis 7.0.",
        get: |c| yn(c.protected_mode),
    },
    Param {
        name: "requirepass",
        alias: None,
        kind: Kind::Str(|c, v| {
            c.requirepass = v;
            Ok(())
        }),
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "",
        doc: "Password of the `default` user: clients must AUTH (or HELLO ... AUTH) with it \
              before running other commands. Empty means no password (`nopass`). CONFIG SET \
              applies to later AUTHs; connections already authenticated stay so. CONFIG GET \
              shows the password, as Redis 7.0 does.",
        get: |c| c.requirepass.clone(),
    },
    Param {
        name: "aclfile",
        alias: None,
        kind: Kind::Str(|c, v| {
            c.aclfile = v;
            Ok(())
        }),
        immutable: true,
        protected: false,
        ferrodis_only: false,
        default: "",
        doc: "ACL file: `user <name> <rules...>` lines, loaded at start-up (an error aborts \
              start-up) and by ACL LOAD, written by ACL SAVE. Cannot be combined with `user` \
              entries in the configuration. Empty means none.",
        get: |c| c.aclfile.clone(),
    },
    Param {
        name: "acl-pubsub-default",
        alias: None,
        kind: Kind::Enum(&["allchannels", "resetchannels"], |c, i| {
            c.acl_pubsub_all = i == 0
        }),
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "resetchannels",
        doc: "Channel permissions of a new ACL user (and of each new selector, and of `reset`): \
              all channels, or none until `&pattern` rules allow some.",
        get: |c| {
            if c.acl_pubsub_all {
                "allchannels"
            } else {
                "resetchannels"
            }
            .to_string()
        },
    },
    Param {
        name: "acllog-max-len",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: LONG_MAX,
            set: |c, v| c.acllog_max_len = v,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "128",
        doc: "Entries kept in the ACL log (ACL LOG): denied commands, keys and channels, and \
              failed authentications.",
        get: |c| c.acllog_max_len.to_string(),
    },
    Param {
        name: "maxclients",
        alias: None,
        kind: Kind::Int {
            min: 1,
            max: UINT_MAX,
            set: |c, v| c.maxclients = v as u64,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "10000",
        doc: "Maximum number of simultaneously connected clients. At start-up the open-file \
              limit is raised to `maxclients` + 32; where the system refuses, `maxclients` is \
              lowered to fit and the log says so, as in Redis.",
        get: |c| c.maxclients.to_string(),
    },
    Param {
        name: "databases",
        alias: None,
        kind: Kind::Int {
            min: 1,
            max: INT_MAX,
            set: |c, v| c.databases = v as usize,
        },
        immutable: true,
        protected: false,
        ferrodis_only: false,
        default: "16",
        doc: "Number of logical databases (SELECT 0..databases-1).",
        get: |c| c.databases.to_string(),
    },
    Param {
        name: "dir",
        alias: None,
        kind: Kind::Str(|c, v| {
            c.dir = v;
            Ok(())
        }),
        immutable: false,
        protected: true,
        ferrodis_only: false,
        default: ".",
        doc: "Working directory: ferrodis changes into it at start-up (and on CONFIG SET); \
              relative `dbfilename`, `logfile` and `pidfile` paths are relative to it. \
              CONFIG GET prints the absolute current directory.",
        get: |_| {
            // getConfigDirOption: getcwd into a 1024-byte buffer, "" on failure.
            match std::env::current_dir() {
                Ok(p) if p.as_os_str().len() < 1024 => p.to_string_lossy().into_owned(),
                _ => String::new(),
            }
        },
    },
    Param {
        name: "dbfilename",
        alias: None,
        kind: Kind::Str(|c, v| {
            if v.contains('/') || v.contains('\\') {
                return Err("dbfilename can't be a path, just a filename".to_string());
            }
            c.dbfilename = v;
            Ok(())
        }),
        immutable: false,
        protected: true,
        ferrodis_only: false,
        default: "dump.rdb",
        doc: "File name (no path) of the RDB snapshot, inside `dir`.",
        get: |c| c.dbfilename.clone(),
    },
    Param {
        name: "loglevel",
        alias: None,
        kind: Kind::Enum(LOGLEVELS, |c, i| c.loglevel = LogLevel::ALL[i]),
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "notice",
        doc: "Log verbosity: debug, verbose, notice or warning.",
        get: |c| c.loglevel.as_str().to_string(),
    },
    Param {
        name: "logfile",
        alias: None,
        kind: Kind::Str(|c, v| {
            c.logfile = v;
            Ok(())
        }),
        immutable: true,
        protected: false,
        ferrodis_only: false,
        default: "",
        doc: "Log file path; empty logs to standard output.",
        get: |c| c.logfile.clone(),
    },
    Param {
        name: "logformat",
        alias: None,
        kind: Kind::Enum(LOGFORMATS, |c, i| c.logformat = LogFormat::ALL[i]),
        immutable: true,
        protected: false,
        ferrodis_only: true,
        default: "text",
        doc: "Log line format: `text` (Redis-style lines) or `json` (one JSON object per line).",
        get: |c| c.logformat.as_str().to_string(),
    },
    Param {
        name: "proto-max-bulk-len",
        alias: None,
        kind: Kind::Memory {
            min: MB,
            max: LONG_MAX,
            set: |c, v| c.proto_max_bulk_len = v as u64,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "512mb",
        doc: "Largest bulk string a client may send in a request.",
        get: |c| c.proto_max_bulk_len.to_string(),
    },
    Param {
        name: "client-query-buffer-limit",
        alias: None,
        kind: Kind::Memory {
            min: MB,
            max: LONG_MAX,
            set: |c, v| c.client_query_buffer_limit = v as u64,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "1gb",
        doc:
            "Largest unparsed input a single client may accumulate; beyond it the client is closed.",
        get: |c| c.client_query_buffer_limit.to_string(),
    },
    Param {
        name: "timeout",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            set: |c, v| c.timeout = v as u64,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "0",
        doc: "Close a client after this many idle seconds (whole seconds of the clock, so \
              between `timeout` and `timeout`+1); 0 never closes idle clients. Any bytes read \
              or written count as activity. Subscribers, blocked clients and clients held by \
              CLIENT PAUSE are never closed for idleness; a client inside MULTI is.",
        get: |c| c.timeout.to_string(),
    },
    Param {
        name: "client-request-timeout",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            set: |c, v| c.client_request_timeout = v as u64,
        },
        immutable: false,
        protected: false,
        ferrodis_only: true,
        default: "30",
        doc: "Close a client whose incomplete request (bytes of a command not yet whole in its \
              query buffer) neither completes nor grows by 16 KiB within this many seconds; \
              each time it does, the deadline restarts, so a large value arriving steadily \
              is never cut. Idle, blocked and subscribed clients, and clients slow to read \
              their replies, are not affected. 0 disables the check.",
        get: |c| c.client_request_timeout.to_string(),
    },
    Param {
        name: "client-rate-limit",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            set: |c, v| c.client_rate_limit = v as u64,
        },
        immutable: false,
        protected: false,
        ferrodis_only: true,
        default: "0",
        doc: "Requests per second each connection may send (a token bucket refilled \
              continuously, as golang.org/x/time/rate); 0 = no limit. Every request counts, \
              AUTH, HELLO and QUIT included. CONFIG SET applies to connected clients at once.",
        get: |c| c.client_rate_limit.to_string(),
    },
    Param {
        name: "client-rate-limit-burst",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            set: |c, v| c.client_rate_limit_burst = v as u64,
        },
        immutable: false,
        protected: false,
        ferrodis_only: true,
        default: "0",
        doc: "Requests a connection may send at once after being quiet (its bucket's size); \
              0 = one second's worth, `client-rate-limit`. Keep it at least a thousandth of \
              the rate: a waiting client is woken on a millisecond timer.",
        get: |c| c.client_rate_limit_burst.to_string(),
    },
    Param {
        name: "global-rate-limit",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            set: |c, v| c.global_rate_limit = v as u64,
        },
        immutable: false,
        protected: false,
        ferrodis_only: true,
        default: "0",
        doc: "Requests per second the whole server runs, all clients together (one shared \
              token bucket); 0 = no limit.",
        get: |c| c.global_rate_limit.to_string(),
    },
    Param {
        name: "global-rate-limit-burst",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            set: |c, v| c.global_rate_limit_burst = v as u64,
        },
        immutable: false,
        protected: false,
        ferrodis_only: true,
        default: "0",
        doc: "Size of the server's bucket; 0 = one second's worth, `global-rate-limit`.",
        get: |c| c.global_rate_limit_burst.to_string(),
    },
    Param {
        name: "rate-limit-mode",
        alias: None,
        kind: Kind::Enum(RATE_LIMIT_MODES, |c, i| {
            c.rate_limit_mode = RateLimitMode::ALL[i]
        }),
        immutable: false,
        protected: false,
        ferrodis_only: true,
        default: "pause",
        doc: "What a request over a rate limit gets: `pause` (the client is not read, and its \
              pipelined requests wait, until tokens refill: latency, not errors) or `reject` \
              (the reply `-ERR rate limit exceeded`). Either way INFO stats \
              `rate_limited_commands` counts it.",
        get: |c| c.rate_limit_mode.as_str().to_string(),
    },
    Param {
        name: "tcp-keepalive",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            set: |c, v| c.tcp_keepalive = v as u64,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "300",
        doc: "TCP keepalive for accepted client sockets: the first probe after this many \
              idle seconds, then one every third of it, the peer given up after 3 unanswered \
              probes; 0 disables keepalive. CONFIG SET applies to connections accepted after.",
        get: |c| c.tcp_keepalive.to_string(),
    },
    Param {
        name: "tcp-backlog",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            set: |c, v| c.tcp_backlog = v as u64,
        },
        immutable: true,
        protected: false,
        ferrodis_only: false,
        default: "511",
        doc: "listen(2) backlog of the TCP listeners; the kernel caps it at \
              `net.core.somaxconn`, and the log warns when that is lower.",
        get: |c| c.tcp_backlog.to_string(),
    },
    Param {
        name: "hz",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            // updateHZ: values outside 1..500 are clamped, not refused.
            set: |c, v| c.hz = v.clamp(MIN_HZ, MAX_HZ) as u32,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "10",
        doc: "Frequency (per second) of background tasks such as active expiry. Values \
              outside 1..500 are clamped to that range.",
        get: |c| c.hz.to_string(),
    },
    Param {
        name: "daemonize",
        alias: None,
        kind: Kind::Bool(|c, v| {
            if v {
                return Err("ferrodis does not daemonize; run it in the foreground \
                            under a process supervisor"
                    .to_string());
            }
            c.daemonize = v;
            Ok(())
        }),
        immutable: true,
        protected: false,
        ferrodis_only: false,
        default: "no",
        doc: "Redis compatibility only: ferrodis never daemonizes, so only `no` is accepted.",
        get: |c| yn(c.daemonize),
    },
    Param {
        name: "pidfile",
        alias: None,
        kind: Kind::Str(|c, v| {
            c.pidfile = v;
            Ok(())
        }),
        immutable: true,
        protected: false,
        ferrodis_only: false,
        default: "",
        doc: "Write the process id to this file at start-up; empty writes none.",
        get: |c| c.pidfile.clone(),
    },
    Param {
        name: "client-output-buffer-limit",
        alias: None,
        kind: Kind::List(set_output_limits),
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "normal 0 0 0 replica 268435456 67108864 60 pubsub 33554432 8388608 60",
        doc: "Output buffer limits per client class, as groups of `<class> <hard> <soft> \
              <soft-seconds>` (class `normal`, `replica`/`slave` or `pubsub`; sizes accept \
              memory units; 0 disables a limit). Classes not mentioned keep their value. \
              CONFIG GET spells the replica class `slave`, as Redis does. A client whose \
              unsent output reaches the hard limit of its class (`pubsub` while it has a \
              subscription, `normal` otherwise), or stays at or above the soft limit for more \
              than soft-seconds, is closed and counted in INFO's \
              `client_output_buffer_limit_disconnections`. A client also stops being read \
              while it has more than 8 MiB of unsent replies (or its class's larger \
              limit) until it catches up.",
        get: |c| {
            let l = &c.client_output_buffer_limit;
            let one = |n: &str, o: &OutputLimit| {
                format!("{} {} {} {}", n, o.hard, o.soft, o.soft_seconds)
            };
            format!(
                "{} {} {}",
                one("normal", &l.normal),
                one("slave", &l.replica),
                one("pubsub", &l.pubsub)
            )
        },
    },
    Param {
        name: "appendonly",
        alias: None,
        kind: Kind::Bool(|c, v| {
            if v {
                return Err("ferrodis has no AOF yet".to_string());
            }
            c.appendonly = v;
            Ok(())
        }),
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "no",
        doc: "Append-only file persistence. ferrodis has no AOF yet: only `no` is accepted.",
        get: |c| yn(c.appendonly),
    },
    Param {
        name: "save",
        alias: None,
        kind: Kind::List(set_save),
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "3600 1 300 100 60 10000",
        doc: "RDB snapshot points as `<seconds> <changes>` pairs: save when at least \
              `changes` writes happened within `seconds`. Empty disables snapshots.",
        get: |c| {
            let parts: Vec<String> = c.save.iter().map(|(s, n)| format!("{s} {n}")).collect();
            parts.join(" ")
        },
    },
    Param {
        name: "rdbcompression",
        alias: None,
        kind: Kind::Bool(|c, v| {
            c.rdbcompression = v;
            Ok(())
        }),
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "yes",
        doc: "Compress strings longer than 20 bytes in RDB snapshots and DUMP payloads with LZF \
              (kept only when it saves at least 4 bytes).",
        get: |c| yn(c.rdbcompression),
    },
    Param {
        name: "rdbchecksum",
        alias: None,
        kind: Kind::Bool(|c, v| {
            c.rdbchecksum = v;
            Ok(())
        }),
        immutable: true,
        protected: false,
        ferrodis_only: false,
        default: "yes",
        doc: "End RDB files with a CRC64 checksum (zero when `no`; a zero checksum is not \
              verified on load).",
        get: |c| yn(c.rdbchecksum),
    },
    Param {
        name: "stop-writes-on-bgsave-error",
        alias: None,
        kind: Kind::Bool(|c, v| {
            c.stop_writes_on_bgsave_error = v;
            Ok(())
        }),
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "yes",
        doc: "While the last background save failed and save points are set, refuse writes \
              (and PING) with `-MISCONF` until a save succeeds.",
        get: |c| yn(c.stop_writes_on_bgsave_error),
    },
    Param {
        name: "rdb-key-save-delay",
        alias: None,
        kind: Kind::Int {
            min: i32::MIN as i64,
            max: i32::MAX as i64,
            set: |c, v| c.rdb_key_save_delay = v,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "0",
        doc: "Microseconds to sleep after writing each key of a snapshot (0 = none). A testing \
              aid, as in Redis: it makes SAVE and BGSAVE slow enough to observe.",
        get: |c| c.rdb_key_save_delay.to_string(),
    },
    Param {
        name: "lazyfree-lazy-user-flush",
        alias: None,
        kind: Kind::Bool(|c, v| {
            c.lazyfree_lazy_user_flush = v;
            Ok(())
        }),
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "no",
        doc: "FLUSHALL / FLUSHDB without ASYNC/SYNC behave as ASYNC when `yes`.",
        get: |c| yn(c.lazyfree_lazy_user_flush),
    },
    Param {
        name: "notify-keyspace-events",
        alias: None,
        kind: Kind::Str(|c, v| {
            c.notify_keyspace_events = super::keyspace_events::parse(v.as_bytes())
                .ok_or(super::keyspace_events::INVALID)?;
            Ok(())
        }),
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "",
        doc: "Keyspace notifications published through Pub/Sub, as Redis's class letters: \
              `K` (channel `__keyspace@<db>__:<key>`, message the event) and/or `E` (channel \
              `__keyevent@<db>__:<event>`, message the key), with the classes `g` generic, `$` \
              string, `l` list, `s` set, `h` hash, `z` sorted set, `x` expired, `e` evicted, \
              `t` stream, `d` module, `m` key miss, `n` new key; `A` stands for `g$lshzxetd`. \
              Empty disables them. CONFIG GET prints the letters normalised as Redis does \
              (`KEA` reads back as `AKE`).",
        get: |c| super::keyspace_events::format(c.notify_keyspace_events),
    },
    Param {
        name: "enable-protected-configs",
        alias: None,
        kind: Kind::Enum(PROTECTED_VALUES, |c, i| {
            c.enable_protected_configs = ProtectedConfigs::ALL[i]
        }),
        immutable: true,
        protected: false,
        ferrodis_only: false,
        default: "no",
        doc: "Whether CONFIG SET may change protected settings (`dir`, `dbfilename`): \
              `no`, `yes`, or `local` (only from loopback or unix socket connections).",
        get: |c| c.enable_protected_configs.as_str().to_string(),
    },
    Param {
        name: "set-max-intset-entries",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: LONG_MAX,
            set: |c, v| c.set_max_intset_entries = v as usize,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "512",
        doc: "Largest set kept in the compact `intset` encoding (a sorted array of integers); \
              a bigger set, or one with a non-integer member, becomes a `hashtable`.",
        get: |c| c.set_max_intset_entries.to_string(),
    },
    Param {
        name: "list-max-listpack-size",
        alias: Some("list-max-ziplist-size"),
        kind: Kind::Int {
            min: i32::MIN as i64,
            max: INT_MAX,
            set: |c, v| c.list_max_listpack_size = v,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "-2",
        doc: "Size of each packed node of a list: negative -1..-5 limits a node to 4, 8, 16, \
              32 or 64 KiB (lower values count as -5), positive limits it to that many entries \
              (with an 8 KiB cap). A small list is a single node; past the limit it becomes a \
              chain of nodes. OBJECT ENCODING reports `quicklist` for every list, as Redis 7.0 \
              does. `list-max-ziplist-size` is the old name.",
        get: |c| c.list_max_listpack_size.to_string(),
    },
    Param {
        name: "list-compress-depth",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            set: |c, v| c.list_compress_depth = v,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "0",
        doc: "Accepted and reported for compatibility, but ferrodis does not compress list \
              nodes (Redis's LZF compression of inner nodes); 0 means off.",
        get: |c| c.list_compress_depth.to_string(),
    },
    Param {
        name: "zset-max-listpack-entries",
        alias: Some("zset-max-ziplist-entries"),
        kind: Kind::Int {
            min: 0,
            max: LONG_MAX,
            set: |c, v| c.zset_max_listpack_entries = v as usize,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "128",
        doc: "Largest sorted set kept in the compact `listpack` encoding (one contiguous \
              buffer of member/score pairs); a bigger one becomes a `skiplist`. \
              `zset-max-ziplist-entries` is the old name.",
        get: |c| c.zset_max_listpack_entries.to_string(),
    },
    Param {
        name: "zset-max-listpack-value",
        alias: Some("zset-max-ziplist-value"),
        kind: Kind::Memory {
            min: 0,
            max: LONG_MAX,
            set: |c, v| c.zset_max_listpack_value = v as usize,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "64",
        doc: "Longest member (bytes) a sorted set may hold and stay a `listpack`. \
              `zset-max-ziplist-value` is the old name.",
        get: |c| c.zset_max_listpack_value.to_string(),
    },
    Param {
        name: "hash-max-listpack-entries",
        alias: Some("hash-max-ziplist-entries"),
        kind: Kind::Int {
            min: 0,
            max: LONG_MAX,
            set: |c, v| c.hash_max_listpack_entries = v as usize,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "512",
        doc: "Largest hash (fields) kept in the compact `listpack` encoding (one contiguous \
              buffer of field/value pairs); a bigger one becomes a `hashtable`. \
              `hash-max-ziplist-entries` is the old name.",
        get: |c| c.hash_max_listpack_entries.to_string(),
    },
    Param {
        name: "hash-max-listpack-value",
        alias: Some("hash-max-ziplist-value"),
        kind: Kind::Memory {
            min: 0,
            max: LONG_MAX,
            set: |c, v| c.hash_max_listpack_value = v as usize,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "64",
        doc: "Longest field or value (bytes) a hash may hold and stay a `listpack`. \
              `hash-max-ziplist-value` is the old name.",
        get: |c| c.hash_max_listpack_value.to_string(),
    },
    Param {
        name: "maxmemory",
        alias: None,
        kind: Kind::Memory {
            min: 0,
            max: LONG_MAX,
            set: |c, v| c.maxmemory = v as u64,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "0",
        doc: "Memory limit in bytes (allocator-counted, like Redis's used_memory); 0 means no \
              limit. Past it, keys are evicted by maxmemory-policy.",
        get: |c| c.maxmemory.to_string(),
    },
    Param {
        name: "maxmemory-policy",
        alias: None,
        kind: Kind::Enum(MAXMEMORY_POLICIES, |c, i| {
            c.maxmemory_policy = MaxmemoryPolicy::ALL[i]
        }),
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "noeviction",
        doc: "What to evict past maxmemory: noeviction, allkeys-lru, volatile-lru, \
              allkeys-lfu, volatile-lfu, allkeys-random, volatile-random or volatile-ttl.",
        get: |c| c.maxmemory_policy.as_str().to_string(),
    },
    Param {
        name: "maxmemory-samples",
        alias: None,
        kind: Kind::Int {
            min: 1,
            max: 64,
            set: |c, v| c.maxmemory_samples = v as u32,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "5",
        doc: "Keys sampled per eviction to approximate LRU, LFU and TTL order.",
        get: |c| c.maxmemory_samples.to_string(),
    },
    Param {
        name: "maxmemory-eviction-tenacity",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: 100,
            set: |c, v| c.maxmemory_eviction_tenacity = v as u32,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "10",
        doc: "How long one command may spend evicting before the rest is left for later \
              (0..100, as in Redis).",
        get: |c| c.maxmemory_eviction_tenacity.to_string(),
    },
    Param {
        name: "lfu-log-factor",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            set: |c, v| c.lfu_log_factor = v as u32,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "10",
        doc: "How slowly the logarithmic LFU access counter grows.",
        get: |c| c.lfu_log_factor.to_string(),
    },
    Param {
        name: "lfu-decay-time",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            set: |c, v| c.lfu_decay_time = v as u32,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "1",
        doc: "Minutes after which an idle key's LFU counter is halved (decremented).",
        get: |c| c.lfu_decay_time.to_string(),
    },
    Param {
        name: "maxmemory-clients",
        alias: None,
        kind: Kind::MemoryOrPercent {
            max: LONG_MAX,
            max_percent: 100,
            set: |c, v| c.maxmemory_clients = v,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "1gb",
        doc: "Memory all client connections together may hold in buffers (query buffers and \
              output buffers), in bytes or as a percentage of maxmemory (`5%`; off while \
              maxmemory is 0); 0 = no limit; never below 128 KiB. Past it the clients holding \
              the most are closed first until the total is back under, as Redis 7.0's client \
              eviction (INFO `evicted_clients`); CLIENT NO-EVICT ON exempts a client. Redis's \
              default is 0; see docs/security.md for why ferrodis's is 1gb.",
        get: |c| {
            if c.maxmemory_clients < 0 {
                format!("{}%", c.maxmemory_clients.unsigned_abs())
            } else {
                c.maxmemory_clients.to_string()
            }
        },
    },
    Param {
        name: "maxmemory-rss",
        alias: None,
        kind: Kind::Memory {
            min: 0,
            max: LONG_MAX,
            set: |c, v| c.maxmemory_rss = v as u64,
        },
        immutable: false,
        protected: false,
        ferrodis_only: true,
        default: "0",
        doc: "Resident-size limit in bytes (0 = off): when the process's RSS passes it, keys \
              are evicted by maxmemory-policy until it is back under, so fragmentation cannot \
              push the process into the kernel's OOM killer.",
        get: |c| c.maxmemory_rss.to_string(),
    },
    Param {
        name: "active-expire-effort",
        alias: None,
        kind: Kind::Int {
            min: 1,
            max: 10,
            set: |c, v| c.active_expire_effort = v as u32,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "1",
        doc: "Effort (1..10) of the active expiry cycle: more keys sampled per loop, more CPU \
              allowed, fewer stale keys tolerated.",
        get: |c| c.active_expire_effort.to_string(),
    },
    Param {
        name: "slowlog-log-slower-than",
        alias: None,
        kind: Kind::Int {
            min: -1,
            max: i64::MAX,
            set: |c, v| c.slowlog_log_slower_than = v,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "10000",
        doc: "Commands that run longer than this many microseconds go to the SLOWLOG; 0 logs \
              every command, -1 none.",
        get: |c| c.slowlog_log_slower_than.to_string(),
    },
    Param {
        name: "slowlog-max-len",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
            set: |c, v| c.slowlog_max_len = v as u64,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "128",
        doc: "Entries the SLOWLOG keeps; the oldest go first.",
        get: |c| c.slowlog_max_len.to_string(),
    },
    Param {
        name: "tracking-table-max-keys",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: i64::MAX,
            set: |c, v| c.tracking_table_max_keys = v as u64,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "1000000",
        doc: "Keys the client-side caching table remembers (CLIENT TRACKING default mode); \
              past it, keys are invalidated to make room. 0: no limit.",
        get: |c| c.tracking_table_max_keys.to_string(),
    },
    Param {
        name: "tls-port",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: 65535,
            set: |c, v| c.tls_port = v as u16,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "0",
        doc: "TLS port, on the `bind` addresses; 0: no TLS listener. With a TLS port, `port 0` \
              turns the plain TCP listener off.",
        get: |c| c.tls_port.to_string(),
    },
    tls_str(
        "tls-cert-file",
        |c, v| {
            c.tls_cert_file = v;
            Ok(())
        },
        |c| c.tls_cert_file.clone(),
        "PEM file with the server certificate (and its chain). Reloaded on CONFIG SET and SIGHUP.",
    ),
    tls_str(
        "tls-key-file",
        |c, v| {
            c.tls_key_file = v;
            Ok(())
        },
        |c| c.tls_key_file.clone(),
        "PEM file with the server private key (PKCS#8, PKCS#1 or SEC1), unencrypted.",
    ),
    tls_str(
        "tls-key-file-pass",
        |c, v| {
            c.tls_key_file_pass = v;
            Ok(())
        },
        |c| c.tls_key_file_pass.clone(),
        "Accepted for compatibility; an encrypted key file is refused (rustls cannot decrypt \
         it): decrypt it with `openssl pkey`.",
    ),
    tls_str(
        "tls-client-cert-file",
        |c, v| {
            c.tls_client_cert_file = v;
            Ok(())
        },
        |c| c.tls_client_cert_file.clone(),
        "Certificate for outgoing connections (replication); accepted, not used yet.",
    ),
    tls_str(
        "tls-client-key-file",
        |c, v| {
            c.tls_client_key_file = v;
            Ok(())
        },
        |c| c.tls_client_key_file.clone(),
        "Key for outgoing connections (replication); accepted, not used yet.",
    ),
    tls_str(
        "tls-client-key-file-pass",
        |c, v| {
            c.tls_client_key_file_pass = v;
            Ok(())
        },
        |c| c.tls_client_key_file_pass.clone(),
        "Passphrase of `tls-client-key-file`; accepted, not used yet.",
    ),
    tls_str(
        "tls-dh-params-file",
        |c, v| {
            c.tls_dh_params_file = v;
            Ok(())
        },
        |c| c.tls_dh_params_file.clone(),
        "Accepted and ignored: rustls offers ECDHE key exchange only.",
    ),
    tls_str(
        "tls-ca-cert-file",
        |c, v| {
            c.tls_ca_cert_file = v;
            Ok(())
        },
        |c| c.tls_ca_cert_file.clone(),
        "PEM file of the CA certificates client certificates are verified against.",
    ),
    tls_str(
        "tls-ca-cert-dir",
        |c, v| {
            c.tls_ca_cert_dir = v;
            Ok(())
        },
        |c| c.tls_ca_cert_dir.clone(),
        "Directory of CA certificate PEM files (every file holding certificates is read).",
    ),
    Param {
        name: "tls-auth-clients",
        alias: None,
        kind: Kind::Enum(TLS_AUTH_CLIENTS, |c, i| {
            c.tls_auth_clients = TlsAuthClients::ALL[i]
        }),
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "yes",
        doc: "Client certificates: `yes` required, `optional` verified when given, `no` not \
              asked for.",
        get: |c| c.tls_auth_clients.as_str().to_string(),
    },
    Param {
        name: "tls-auth-clients-user",
        alias: None,
        kind: Kind::Enum(TLS_AUTH_CLIENTS_USER, |c, i| {
            c.tls_auth_clients_user_cn = i == 1
        }),
        immutable: false,
        protected: false,
        ferrodis_only: true,
        default: "off",
        doc: "`CN`: a verified client certificate's subject common name logs the connection \
              in as that (existing, enabled) ACL user; `off`: clients authenticate as usual.",
        get: |c| TLS_AUTH_CLIENTS_USER[c.tls_auth_clients_user_cn as usize].to_string(),
    },
    tls_str(
        "tls-protocols",
        |c, v| {
            c.tls_protocols = v;
            Ok(())
        },
        |c| c.tls_protocols.clone(),
        "Space-separated protocol versions, `TLSv1.2` and/or `TLSv1.3`; empty: both.",
    ),
    tls_str(
        "tls-ciphers",
        |c, v| {
            c.tls_ciphers = v;
            Ok(())
        },
        |c| c.tls_ciphers.clone(),
        "TLSv1.2 ciphers, `:`-separated OpenSSL names of the suites rustls supports (ECDHE \
         with AES-GCM or CHACHA20-POLY1305); empty: all of them. Unknown names are refused.",
    ),
    tls_str(
        "tls-ciphersuites",
        |c, v| {
            c.tls_ciphersuites = v;
            Ok(())
        },
        |c| c.tls_ciphersuites.clone(),
        "TLSv1.3 cipher suites, `:`-separated (TLS_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256, \
         TLS_CHACHA20_POLY1305_SHA256); empty: all of them.",
    ),
    tls_bool(
        "tls-prefer-server-ciphers",
        |c, v| {
            c.tls_prefer_server_ciphers = v;
            Ok(())
        },
        |c| yn(c.tls_prefer_server_ciphers),
        "no",
        "Pick the cipher by the server's order rather than the client's.",
    ),
    tls_bool(
        "tls-session-caching",
        |c, v| {
            c.tls_session_caching = v;
            Ok(())
        },
        |c| yn(c.tls_session_caching),
        "yes",
        "Let clients resume TLS sessions (server-side session cache).",
    ),
    Param {
        name: "tls-session-cache-size",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            set: |c, v| c.tls_session_cache_size = v as u64,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "20480",
        doc: "Sessions the cache holds (0: no limit); the oldest go first.",
        get: |c| c.tls_session_cache_size.to_string(),
    },
    Param {
        name: "tls-session-cache-timeout",
        alias: None,
        kind: Kind::Int {
            min: 0,
            max: INT_MAX,
            set: |c, v| c.tls_session_cache_timeout = v as u64,
        },
        immutable: false,
        protected: false,
        ferrodis_only: false,
        default: "300",
        doc: "Seconds a cached session may be resumed.",
        get: |c| c.tls_session_cache_timeout.to_string(),
    },
    tls_bool(
        "tls-replication",
        |c, v| {
            c.tls_replication = v;
            Ok(())
        },
        |c| yn(c.tls_replication),
        "no",
        "Accepted, no effect yet (ferrodis has no replication).",
    ),
    tls_bool(
        "tls-cluster",
        |c, v| {
            c.tls_cluster = v;
            Ok(())
        },
        |c| yn(c.tls_cluster),
        "no",
        "Accepted, no effect yet (ferrodis has no cluster bus).",
    ),
];
