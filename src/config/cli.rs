//! Command-line flags: `--config FILE`, `--version`/`-v`, and one
//! `--<redis-name> VALUE` option per row of [`super::PARAMS`].
//!
//! argh needs a struct field per flag, so the options are written out here;
//! `CliArgs::flag` maps a parameter name to its field and a test checks
//! that every table row has a working flag.

use argh::FromArgs;

/// ferrodis: a Redis 7.0 compatible in-memory data store.
///
/// Settings are layered: built-in defaults < YAML file (--config) <
/// FERRODIS_<NAME> environment variables < these flags.
#[derive(FromArgs, Clone, Debug, Default, PartialEq, Eq)]
pub struct CliArgs {
    /// print "ferrodis <version>" and exit
    #[argh(switch, short = 'v')]
    pub version: bool,

    /// YAML configuration file
    #[argh(option)]
    pub config: Option<String>,

    /// TCP port to listen on (default 6379; 0 disables TCP)
    #[argh(option)]
    pub port: Option<String>,

    /// space-separated addresses to listen on (default 127.0.0.1)
    #[argh(option)]
    pub bind: Option<String>,

    /// only loopback clients while no password is set: yes or no (default yes)
    #[argh(option)]
    pub protected_mode: Option<String>,

    /// password of the default user; empty = none (default empty)
    #[argh(option)]
    pub requirepass: Option<String>,

    /// ACL file read at start-up and by ACL LOAD/SAVE; empty = none (default empty)
    #[argh(option)]
    pub aclfile: Option<String>,

    /// channels of new ACL users: allchannels or resetchannels (default resetchannels)
    #[argh(option)]
    pub acl_pubsub_default: Option<String>,

    /// entries kept in the ACL log (default 128)
    #[argh(option)]
    pub acllog_max_len: Option<String>,

    /// an ACL user: "<name> <rule> ..."; repeat for more users
    #[argh(option)]
    pub user: Vec<String>,

    /// maximum number of connected clients (default 10000)
    #[argh(option)]
    pub maxclients: Option<String>,

    /// number of databases (default 16)
    #[argh(option)]
    pub databases: Option<String>,

    /// working directory (default .)
    #[argh(option)]
    pub dir: Option<String>,

    /// RDB file name inside dir (default dump.rdb)
    #[argh(option)]
    pub dbfilename: Option<String>,

    /// debug, verbose, notice or warning (default notice)
    #[argh(option)]
    pub loglevel: Option<String>,

    /// log file; empty logs to stdout (default empty)
    #[argh(option)]
    pub logfile: Option<String>,

    /// text or json (default text)
    #[argh(option)]
    pub logformat: Option<String>,

    /// largest request bulk string (default 512mb)
    #[argh(option)]
    pub proto_max_bulk_len: Option<String>,

    /// largest per-client query buffer (default 1gb)
    #[argh(option)]
    pub client_query_buffer_limit: Option<String>,

    /// idle seconds before closing a client; 0 never (default 0)
    #[argh(option)]
    pub timeout: Option<String>,

    /// seconds an incomplete request may stall before the client is closed; 0 never
    /// (default 30)
    #[argh(option)]
    pub client_request_timeout: Option<String>,

    /// TCP keepalive seconds; 0 disables (default 300)
    #[argh(option)]
    pub tcp_keepalive: Option<String>,

    /// listen backlog (default 511)
    #[argh(option)]
    pub tcp_backlog: Option<String>,

    /// background task frequency, 1..500 (default 10)
    #[argh(option)]
    pub hz: Option<String>,

    /// must be no: ferrodis never daemonizes (default no)
    #[argh(option)]
    pub daemonize: Option<String>,

    /// file to write the process id to; empty for none (default empty)
    #[argh(option)]
    pub pidfile: Option<String>,

    /// per-class output buffer limits: class hard soft seconds ...
    #[argh(option)]
    pub client_output_buffer_limit: Option<String>,

    /// must be no: ferrodis has no AOF yet (default no)
    #[argh(option)]
    pub appendonly: Option<String>,

    /// RDB save points as seconds/changes pairs (default "3600 1 300 100 60 10000")
    #[argh(option)]
    pub save: Option<String>,

    /// treat FLUSHALL/FLUSHDB as ASYNC by default (default no)
    #[argh(option)]
    pub lazyfree_lazy_user_flush: Option<String>,

    /// keyspace notification classes, as Redis's letters (e.g. KEA; default "" = off)
    #[argh(option)]
    pub notify_keyspace_events: Option<String>,

    /// LZF-compress long strings in RDB files (default yes)
    #[argh(option)]
    pub rdbcompression: Option<String>,

    /// end RDB files with a CRC64 checksum (default yes)
    #[argh(option)]
    pub rdbchecksum: Option<String>,

    /// refuse writes while the last background save failed (default yes)
    #[argh(option)]
    pub stop_writes_on_bgsave_error: Option<String>,

    /// microseconds to sleep per key while saving, a testing aid (default 0)
    #[argh(option)]
    pub rdb_key_save_delay: Option<String>,

    /// allow CONFIG SET of dir/dbfilename: no, yes or local (default no)
    #[argh(option)]
    pub enable_protected_configs: Option<String>,

    /// largest set kept as an intset (default 512)
    #[argh(option)]
    pub set_max_intset_entries: Option<String>,

    /// list node size: -1..-5 = 4..64 KiB, positive = entries (default -2)
    #[argh(option)]
    pub list_max_listpack_size: Option<String>,

    /// accepted only; list nodes are never compressed (default 0)
    #[argh(option)]
    pub list_compress_depth: Option<String>,

    /// largest sorted set kept as a listpack (default 128)
    #[argh(option)]
    pub zset_max_listpack_entries: Option<String>,

    /// longest sorted set member kept in a listpack (default 64)
    #[argh(option)]
    pub zset_max_listpack_value: Option<String>,

    /// hashes with more fields leave listpack (default 512)
    #[argh(option)]
    pub hash_max_listpack_entries: Option<String>,

    /// hashes with a longer field/value leave listpack (default 64)
    #[argh(option)]
    pub hash_max_listpack_value: Option<String>,

    /// memory limit in bytes, 0 = none (default 0)
    #[argh(option)]
    pub maxmemory: Option<String>,

    /// eviction policy past maxmemory (default noeviction)
    #[argh(option)]
    pub maxmemory_policy: Option<String>,

    /// keys sampled per eviction (default 5)
    #[argh(option)]
    pub maxmemory_samples: Option<String>,

    /// eviction effort per command 0..100 (default 10)
    #[argh(option)]
    pub maxmemory_eviction_tenacity: Option<String>,

    /// LFU counter growth factor (default 10)
    #[argh(option)]
    pub lfu_log_factor: Option<String>,

    /// LFU counter decay period in minutes (default 1)
    #[argh(option)]
    pub lfu_decay_time: Option<String>,

    /// resident-size limit in bytes, 0 = off (default 0)
    #[argh(option)]
    pub maxmemory_rss: Option<String>,

    /// active expiry effort 1..10 (default 1)
    #[argh(option)]
    pub active_expire_effort: Option<String>,

    /// microseconds above which a command is logged in the SLOWLOG (default 10000)
    #[argh(option)]
    pub slowlog_log_slower_than: Option<String>,

    /// entries the SLOWLOG keeps (default 128)
    #[argh(option)]
    pub slowlog_max_len: Option<String>,

    /// keys the client-side caching table remembers (default 1000000, 0 = no limit)
    #[argh(option)]
    pub tracking_table_max_keys: Option<String>,

    /// requests per second per connection (default 0 = no limit)
    #[argh(option)]
    pub client_rate_limit: Option<String>,

    /// burst of client-rate-limit (default 0 = the rate)
    #[argh(option)]
    pub client_rate_limit_burst: Option<String>,

    /// requests per second for the whole server (default 0 = no limit)
    #[argh(option)]
    pub global_rate_limit: Option<String>,

    /// burst of global-rate-limit (default 0 = the rate)
    #[argh(option)]
    pub global_rate_limit_burst: Option<String>,

    /// over a rate limit: pause (delay) or reject (error) (default pause)
    #[argh(option)]
    pub rate_limit_mode: Option<String>,

    /// memory all clients' buffers may hold, bytes or % of maxmemory (default 1gb)
    #[argh(option)]
    pub maxmemory_clients: Option<String>,

    /// TLS port, 0 = off (default 0)
    #[argh(option)]
    pub tls_port: Option<String>,

    /// server certificate PEM file
    #[argh(option)]
    pub tls_cert_file: Option<String>,

    /// server private key PEM file (unencrypted)
    #[argh(option)]
    pub tls_key_file: Option<String>,

    /// accepted; encrypted keys are refused
    #[argh(option)]
    pub tls_key_file_pass: Option<String>,

    /// certificate for outgoing connections (unused yet)
    #[argh(option)]
    pub tls_client_cert_file: Option<String>,

    /// key for outgoing connections (unused yet)
    #[argh(option)]
    pub tls_client_key_file: Option<String>,

    /// passphrase of tls-client-key-file (unused yet)
    #[argh(option)]
    pub tls_client_key_file_pass: Option<String>,

    /// accepted and ignored (ECDHE only)
    #[argh(option)]
    pub tls_dh_params_file: Option<String>,

    /// CA certificates PEM file for client certificates
    #[argh(option)]
    pub tls_ca_cert_file: Option<String>,

    /// directory of CA certificate PEM files
    #[argh(option)]
    pub tls_ca_cert_dir: Option<String>,

    /// client certificates: yes, optional or no (default yes)
    #[argh(option)]
    pub tls_auth_clients: Option<String>,

    /// off or CN: log in as the client certificate's CN (default off)
    #[argh(option)]
    pub tls_auth_clients_user: Option<String>,

    /// TLSv1.2 and/or TLSv1.3 (default both)
    #[argh(option)]
    pub tls_protocols: Option<String>,

    /// TLSv1.2 ciphers, OpenSSL names (default all)
    #[argh(option)]
    pub tls_ciphers: Option<String>,

    /// TLSv1.3 cipher suites (default all)
    #[argh(option)]
    pub tls_ciphersuites: Option<String>,

    /// server's cipher order first (default no)
    #[argh(option)]
    pub tls_prefer_server_ciphers: Option<String>,

    /// TLS session resumption (default yes)
    #[argh(option)]
    pub tls_session_caching: Option<String>,

    /// TLS sessions cached (default 20480)
    #[argh(option)]
    pub tls_session_cache_size: Option<String>,

    /// seconds a TLS session may be resumed (default 300)
    #[argh(option)]
    pub tls_session_cache_timeout: Option<String>,

    /// accepted, no effect yet (default no)
    #[argh(option)]
    pub tls_replication: Option<String>,

    /// accepted, no effect yet (default no)
    #[argh(option)]
    pub tls_cluster: Option<String>,
}

impl CliArgs {
    /// The value given with `--<name>`, for a parameter name from the table.
    pub fn flag(&self, name: &str) -> Option<&str> {
        let v = match name {
            "port" => &self.port,
            "bind" => &self.bind,
            "protected-mode" => &self.protected_mode,
            "requirepass" => &self.requirepass,
            "aclfile" => &self.aclfile,
            "acl-pubsub-default" => &self.acl_pubsub_default,
            "acllog-max-len" => &self.acllog_max_len,
            "maxclients" => &self.maxclients,
            "databases" => &self.databases,
            "dir" => &self.dir,
            "dbfilename" => &self.dbfilename,
            "loglevel" => &self.loglevel,
            "logfile" => &self.logfile,
            "logformat" => &self.logformat,
            "proto-max-bulk-len" => &self.proto_max_bulk_len,
            "client-query-buffer-limit" => &self.client_query_buffer_limit,
            "timeout" => &self.timeout,
            "client-request-timeout" => &self.client_request_timeout,
            "tcp-keepalive" => &self.tcp_keepalive,
            "tcp-backlog" => &self.tcp_backlog,
            "hz" => &self.hz,
            "daemonize" => &self.daemonize,
            "pidfile" => &self.pidfile,
            "client-output-buffer-limit" => &self.client_output_buffer_limit,
            "appendonly" => &self.appendonly,
            "save" => &self.save,
            "lazyfree-lazy-user-flush" => &self.lazyfree_lazy_user_flush,
            "notify-keyspace-events" => &self.notify_keyspace_events,
            "rdbcompression" => &self.rdbcompression,
            "rdbchecksum" => &self.rdbchecksum,
            "stop-writes-on-bgsave-error" => &self.stop_writes_on_bgsave_error,
            "rdb-key-save-delay" => &self.rdb_key_save_delay,
            "enable-protected-configs" => &self.enable_protected_configs,
            "set-max-intset-entries" => &self.set_max_intset_entries,
            "list-max-listpack-size" => &self.list_max_listpack_size,
            "list-compress-depth" => &self.list_compress_depth,
            "zset-max-listpack-entries" => &self.zset_max_listpack_entries,
            "zset-max-listpack-value" => &self.zset_max_listpack_value,
            "hash-max-listpack-entries" => &self.hash_max_listpack_entries,
            "hash-max-listpack-value" => &self.hash_max_listpack_value,
            "maxmemory" => &self.maxmemory,
            "maxmemory-policy" => &self.maxmemory_policy,
            "maxmemory-samples" => &self.maxmemory_samples,
            "maxmemory-eviction-tenacity" => &self.maxmemory_eviction_tenacity,
            "lfu-log-factor" => &self.lfu_log_factor,
            "lfu-decay-time" => &self.lfu_decay_time,
            "maxmemory-rss" => &self.maxmemory_rss,
            "active-expire-effort" => &self.active_expire_effort,
            "slowlog-log-slower-than" => &self.slowlog_log_slower_than,
            "slowlog-max-len" => &self.slowlog_max_len,
            "tracking-table-max-keys" => &self.tracking_table_max_keys,
            "client-rate-limit" => &self.client_rate_limit,
            "client-rate-limit-burst" => &self.client_rate_limit_burst,
            "global-rate-limit" => &self.global_rate_limit,
            "global-rate-limit-burst" => &self.global_rate_limit_burst,
            "rate-limit-mode" => &self.rate_limit_mode,
            "maxmemory-clients" => &self.maxmemory_clients,
            "tls-port" => &self.tls_port,
            "tls-cert-file" => &self.tls_cert_file,
            "tls-key-file" => &self.tls_key_file,
            "tls-key-file-pass" => &self.tls_key_file_pass,
            "tls-client-cert-file" => &self.tls_client_cert_file,
            "tls-client-key-file" => &self.tls_client_key_file,
            "tls-client-key-file-pass" => &self.tls_client_key_file_pass,
            "tls-dh-params-file" => &self.tls_dh_params_file,
            "tls-ca-cert-file" => &self.tls_ca_cert_file,
            "tls-ca-cert-dir" => &self.tls_ca_cert_dir,
            "tls-auth-clients" => &self.tls_auth_clients,
            "tls-auth-clients-user" => &self.tls_auth_clients_user,
            "tls-protocols" => &self.tls_protocols,
            "tls-ciphers" => &self.tls_ciphers,
            "tls-ciphersuites" => &self.tls_ciphersuites,
            "tls-prefer-server-ciphers" => &self.tls_prefer_server_ciphers,
            "tls-session-caching" => &self.tls_session_caching,
            "tls-session-cache-size" => &self.tls_session_cache_size,
            "tls-session-cache-timeout" => &self.tls_session_cache_timeout,
            "tls-replication" => &self.tls_replication,
            "tls-cluster" => &self.tls_cluster,
            _ => return None,
        };
        v.as_deref()
    }
}
