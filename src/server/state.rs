//! Everything a command handler may read or change: the keyspace, the clients' descriptions,
//! the configuration and the statistics. Owned by the reactor thread.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use slab::Slab;

use crate::cmd::table::registry;
use crate::config::Config;
use crate::store::Db;

/// One connected client, as CLIENT LIST describes it. Its socket and buffers live in the
/// reactor's `Conn` under the same slab key.
#[derive(Debug)]
pub struct Client {
    pub id: u64,
    pub addr: String,
    pub laddr: String,
    pub fd: i32,
    pub name: Option<Vec<u8>>,
    pub lib_name: Option<Vec<u8>>,
    pub lib_ver: Option<Vec<u8>>,
    pub db: usize,
    pub created_ms: i64,
    pub last_interaction_ms: i64,
    /// Protocol version chosen by HELLO (only 2 for now).
    pub resp: u8,
    /// Full name of the last command run (`client|list`).
    pub last_cmd: String,
    /// Close the connection once the pending replies are written (QUIT, protocol errors).
    pub close_after_reply: bool,
    /// Close the connection now (CLIENT KILL): set by another client's command.
    pub killed: bool,
    /// CLIENT NO-EVICT ON (shown as flag `e`).
    pub no_evict: bool,
    /// CLIENT NO-TOUCH ON (shown as flag `T`): commands do not update keys' access time.
    pub no_touch: bool,
    /// Bytes in the query buffer / output buffer, refreshed by the reactor for CLIENT LIST.
    pub qbuf: usize,
    pub qbuf_free: usize,
    pub omem: usize,
    pub argv_mem: usize,
    /// Set by DEBUG/CLIENT commands that must run after the current batch (none yet).
    pub tot_mem: usize,
    /// Between MULTI and EXEC/DISCARD: the queued commands.
    pub multi: Option<crate::cmd::multi::Transaction>,
    /// Keys this client WATCHes.
    pub watched: Vec<super::watch::WatchedKey>,
    /// A watched key was touched: the next EXEC fails (Redis's CLIENT_DIRTY_CAS).
    pub dirty_cas: bool,
    /// Running EXEC: blocking commands answer at once instead of blocking.
    pub in_exec: bool,
    /// Channels this client is subscribed to: a set, as Redis's per-client dict, so that
    /// subscribing to (or dropping) many channels stays linear. UNSUBSCRIBE without arguments
    /// lists them in the set's order, as Redis lists its dict's.
    pub channels: hashbrown::HashSet<Vec<u8>>,
    /// Patterns, in subscription order (a list in Redis 7.0 too).
    pub patterns: Vec<Vec<u8>>,
}

/// Counters reported by INFO stats.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub connections_received: u64,
    pub commands_processed: u64,
    pub rejected_connections: u64,
    pub expired_keys: u64,
    pub evicted_keys: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub total_error_replies: u64,
    pub unexpected_error_replies: u64,
    pub client_qbuf_limit_disconnections: u64,
    pub client_outbuf_limit_disconnections: u64,
}

/// Per-command counters for INFO commandstats.
#[derive(Debug, Default, Clone, Copy)]
pub struct CommandStat {
    pub calls: u64,
    pub usec: u64,
    pub rejected: u64,
    pub failed: u64,
}

/// The state handlers run against.
pub struct Server {
    pub config: Config,
    pub dbs: Vec<Db>,
    pub clients: Slab<Client>,
    pub stats: Stats,
    pub command_stats: Vec<CommandStat>,
    /// Per error prefix (`ERR`, `WRONGTYPE` …) counts for INFO errorstats.
    pub error_stats: hashbrown::HashMap<Vec<u8>, u64>,
    pub started: Instant,
    pub started_unix_ms: i64,
    pub next_client_id: u64,
    /// Address the first TCP listener is bound to (INFO `tcp_port`).
    pub tcp_port: u16,
    pub run_id: String,
    pub executable: String,
    pub config_file: String,
    rng_state: u64,
    /// Unix time of the last successful save (LASTSAVE); start-up time until one happens.
    pub last_save_unix: i64,
    /// Peak of the allocator's live bytes.
    pub peak_memory: usize,
    /// Asked to stop (SHUTDOWN, SIGTERM): the reactor exits after this turn.
    pub shutdown_requested: bool,
    /// State of the active expiry cycle.
    pub active_expire: crate::store::expire::ActiveExpire,
    /// The eviction pool and its statistics.
    pub evictor: crate::store::evict::Evictor,
    /// LRU clock (seconds since start), refreshed once per batch of commands.
    pub lru_now: u32,
    /// End of the previous command (or start of the batch, or of work between commands that
    /// is no command's), where the next command's duration starts (see `cmd::call`).
    pub command_timer: Instant,
    /// A command whose statistics wait for its pub/sub messages to be delivered.
    pub deferred_call: Option<crate::cmd::DeferredCall>,
    /// Changes since the last save (INFO `rdb_changes_since_last_save`).
    pub dirty: u64,
    /// Samples behind INFO's `instantaneous_*` rates, taken by the cron.
    pub inst_metrics: crate::cmd::info::InstMetrics,
    /// Slab keys of clients marked `killed` by a command; the reactor closes them at the end
    /// of the current loop turn (see [`Server::kill_client`]).
    pub killed_clients: Vec<usize>,
    /// Clients blocked in BLPOP & co. and the keys they wait on (see `server/blocking.rs`).
    pub blocking: super::blocking::Blocking,
    /// Snapshot state: the BGSAVE child, last results, load statistics.
    pub persist: crate::persist::snapshot::Persistence,
    /// Watched keys and their watchers (see `server/watch.rs`).
    pub watches: super::watch::Watches,
    /// Pub/Sub subscriptions and undelivered messages (see `server/pubsub.rs`).
    pub pubsub: super::pubsub::Pubsub,
    /// SLOWLOG entries.
    pub slowlog: crate::cmd::slowlog::Slowlog,
    /// Background expiry runs (DEBUG SET-ACTIVE-EXPIRE 0 turns it off, for tests).
    pub active_expire_enabled: bool,
}

/// Milliseconds since the Unix epoch.
pub fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Server {
    pub fn new(config: Config) -> Server {
        let dbs = (0..config.databases.max(1)).map(|_| Db::new()).collect();
        let now = unix_ms();
        let seed = now as u64 ^ ((std::process::id() as u64) << 32) ^ 0x9e37_79b9_7f4a_7c15;
        let mut server = Server {
            config,
            dbs,
            clients: Slab::new(),
            stats: Stats::default(),
            command_stats: vec![CommandStat::default(); registry().all.len()],
            error_stats: hashbrown::HashMap::new(),
            started: Instant::now(),
            started_unix_ms: now,
            next_client_id: 1,
            tcp_port: 0,
            run_id: String::new(),
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            config_file: String::new(),
            rng_state: seed | 1,
            last_save_unix: now / 1000,
            peak_memory: 0,
            shutdown_requested: false,
            active_expire: Default::default(),
            evictor: Default::default(),
            lru_now: crate::store::evict::LRU_EPOCH,
            command_timer: Instant::now(),
            deferred_call: None,
            dirty: 0,
            inst_metrics: Default::default(),
            killed_clients: Vec::new(),
            blocking: Default::default(),
            persist: Default::default(),
            watches: Default::default(),
            pubsub: Default::default(),
            slowlog: Default::default(),
            active_expire_enabled: true,
        };
        server.run_id = (0..40)
            .map(|_| char::from_digit((server.random() % 16) as u32, 16).unwrap_or('0'))
            .collect();
        server
    }

    /// Refreshes the clocks commands read; called before each batch of commands.
    pub fn begin_batch(&mut self) {
        self.command_timer = Instant::now();
        self.lru_now = crate::store::evict::LRU_EPOCH
            + self.command_timer.duration_since(self.started).as_secs() as u32;
    }

    /// Work between two commands that belongs to neither (serving blocked clients) ended: the
    /// next command's duration starts now.
    pub fn restart_command_timer(&mut self) {
        self.command_timer = Instant::now();
    }

    /// Evicts keys while `used_memory` is above `maxmemory`, by `maxmemory-policy`.
    pub fn evict_for_maxmemory(&mut self, now_ms: i64) -> crate::store::evict::Eviction {
        let limit = self.config.maxmemory as usize;
        self.evict_to(limit, now_ms)
    }

    /// Evicts keys until the allocator holds at most `limit` bytes.
    pub fn evict_to(&mut self, limit: usize, now_ms: i64) -> crate::store::evict::Eviction {
        let lru = self.lru_now;
        let before = self.evictor.evicted;
        let mut rng = self.rng_state;
        // Evicting a key is a modification WATCH sees (Redis's performEvictions signals it).
        self.evictor.record_keys = !self.watches.is_empty();
        let result = self.evictor.evict_until(
            &mut self.dbs,
            &self.config,
            limit,
            crate::alloc::allocated,
            now_ms,
            lru,
            || {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                rng
            },
        );
        self.rng_state = rng;
        self.stats.evicted_keys += self.evictor.evicted - before;
        for (db, key) in std::mem::take(&mut self.evictor.evicted_keys) {
            self.touch_key(db, &key);
        }
        result
    }

    /// A fast pseudo-random number (xorshift64*); not for anything security-related.
    pub fn random(&mut self) -> u64 {
        let mut x = self.rng_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng_state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// The LRU clock: seconds since start, as OBJECT IDLETIME measures it.
    pub fn lru_clock(&self) -> u32 {
        self.started.elapsed().as_secs() as u32
    }

    pub fn uptime_secs(&self) -> u64 {
        self.started.elapsed().as_secs()
    }

    /// Marks the client under slab key `key` for closing: it runs no further commands and the
    /// reactor closes its connection, without flushing pending output, at the end of the
    /// current loop turn. (To close the calling client after its reply, set
    /// `close_after_reply` instead.)
    pub fn kill_client(&mut self, key: usize) {
        if let Some(client) = self.clients.get_mut(key) {
            if !client.killed {
                client.killed = true;
                self.killed_clients.push(key);
            }
        }
    }

    /// Counts an error reply (its text without `-`, starting with the code) by its code, as
    /// Redis's `afterErrorReply` does: the first word when a space ends it within the first
    /// 31 bytes, `ERR` otherwise.
    pub fn count_error(&mut self, text: &[u8]) {
        self.stats.total_error_replies += 1;
        let head = &text[..text.len().min(31)];
        let code = match head.iter().position(|&b| b == b' ') {
            Some(end) => &text[..end],
            None => b"ERR",
        };
        if let Some(n) = self.error_stats.get_mut(code) {
            *n += 1;
        } else if self.error_stats.len() < 128 {
            self.error_stats.insert(code.to_vec(), 1);
        }
    }
}
