//! Everything a command handler may read or change: the keyspace, the clients' descriptions,
//! the configuration and the statistics. Owned by the reactor thread.

pub mod acl;
pub mod acl_log;
pub mod blocking;
pub mod limits;
pub mod metrics;
pub mod multi;
pub mod notify;
pub mod pause;
pub mod pubsub;
pub mod ratelimit;
pub mod slowlog;
pub mod snapshot;
pub mod tracking;
pub mod watch;

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use slab::Slab;

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
    /// Protocol version chosen by HELLO (2 or 3).
    pub resp: u8,
    /// The last command run (CLIENT LIST `cmd=`, its full name as `client|list`); `None`
    /// before the first, or after an unknown one (`NULL`). An id, not a copy of the name: the
    /// request path only stores it.
    pub last_cmd: Option<CommandId>,
    /// Close the connection once the pending replies are written (QUIT, protocol errors).
    pub close_after_reply: bool,
    /// Close the connection now (CLIENT KILL): set by another client's command.
    pub killed: bool,
    /// CLIENT NO-EVICT ON (shown as flag `e`).
    pub no_evict: bool,
    /// CLIENT NO-TOUCH ON (shown as flag `T`): commands do not update keys' access time.
    pub no_touch: bool,
    /// Authenticated as the `default` user (Redis's `c->authenticated`): set by a successful
    /// AUTH / HELLO AUTH, and from the start when the server has no password at connect time.
    pub authenticated: bool,
    /// The ACL user the client is authenticated as (Redis's `c->user`); `None` is `default`.
    pub user: Option<Vec<u8>>,
    /// Its user may run every command on every key and channel: the dispatcher skips the ACL
    /// check (one branch). Refreshed whenever the client's user or that user's rules change.
    pub acl_unrestricted: bool,
    /// CLIENT REPLY OFF: no reply is sent (pub/sub pushes excepted, as in Redis 7.0).
    pub reply_off: bool,
    /// CLIENT REPLY SKIP ran: the next command's reply is dropped (Redis's
    /// CLIENT_REPLY_SKIP_NEXT, which becomes `reply_skip` once the SKIP command is done).
    pub reply_skip_next: bool,
    /// The reply of the command being run is dropped (Redis's CLIENT_REPLY_SKIP).
    pub reply_skip: bool,
    /// Held by CLIENT PAUSE: its next command waits unparsed in its input buffer until the
    /// pause ends (see `state/pause.rs`).
    pub postponed: bool,
    /// Unix second at which its pending output was first seen above the soft
    /// `client-output-buffer-limit` of its class (Redis's `obuf_soft_limit_reached_time`);
    /// 0 while under it.
    pub obuf_soft_since_s: i64,
    /// The connection's buffers as CLIENT LIST shows them, refreshed by the reactor.
    pub bufs: BufferStats,
    /// Between MULTI and EXEC/DISCARD: the queued commands.
    pub multi: Option<multi::Transaction>,
    /// Keys this client WATCHes.
    pub watched: Vec<watch::WatchedKey>,
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
    /// CLIENT TRACKING mode, when on (see `state/tracking.rs`).
    pub tracking: Option<Box<tracking::ClientTracking>>,
    /// Shard channels (SSUBSCRIBE): a set, like `channels`.
    pub shard_channels: hashbrown::HashSet<Vec<u8>>,
    /// Its `client-rate-limit` bucket (see `state/ratelimit.rs`).
    pub rate_bucket: ratelimit::TokenBucket,
    /// In MONITOR mode: listed in [`Server::monitors`], shown with flag `O`.
    pub monitor: bool,
}

impl Client {
    /// A client as a new connection starts: database 0, RESP2, no name, no subscriptions,
    /// connected and last active at `now_ms`; authenticated when the default user has no
    /// password (`nopass`) at connect time, as Redis's createClient.
    pub fn new(id: u64, addr: String, laddr: String, fd: i32, now_ms: i64, nopass: bool) -> Client {
        Client {
            id,
            addr,
            laddr,
            fd,
            name: None,
            lib_name: None,
            lib_ver: None,
            db: 0,
            created_ms: now_ms,
            last_interaction_ms: now_ms,
            resp: 2,
            last_cmd: None,
            close_after_reply: false,
            killed: false,
            no_evict: false,
            no_touch: false,
            authenticated: nopass,
            user: None,
            acl_unrestricted: true,
            reply_off: false,
            reply_skip_next: false,
            reply_skip: false,
            postponed: false,
            obuf_soft_since_s: 0,
            bufs: Default::default(),
            multi: None,
            watched: Vec::new(),
            dirty_cas: false,
            in_exec: false,
            channels: hashbrown::HashSet::new(),
            patterns: Vec::new(),
            tracking: None,
            shard_channels: hashbrown::HashSet::new(),
            rate_bucket: Default::default(),
            monitor: false,
        }
    }

    /// Whether the client holds any subscription (channel, pattern or shard channel): Redis's
    /// `CLIENT_PUBSUB` flag, which puts a RESP2 client in the subscribed context, shows as
    /// flag `P` and makes its class `pubsub`.
    /// The name of the client's ACL user.
    pub fn user_name(&self) -> &[u8] {
        self.user.as_deref().unwrap_or(b"default")
    }

    pub fn subscribed(&self) -> bool {
        !self.channels.is_empty() || !self.patterns.is_empty() || !self.shard_channels.is_empty()
    }
}

/// Redis's reply buffer size below which it is never shrunk (`PROTO_REPLY_MIN_BYTES`).
pub const REPLY_MIN_BYTES: usize = 1024;
/// Size of one node of Redis's reply list (`PROTO_REPLY_CHUNK_BYTES`), for `oll`.
pub const REPLY_CHUNK_BYTES: usize = 16 * 1024;

/// A connection's buffers, as CLIENT LIST reports them. Handlers never see the socket side,
/// so the reactor copies these figures in after each batch of commands, each write and each
/// cron pass (a few stores, no allocation).
#[derive(Debug, Default, Clone, Copy)]
pub struct BufferStats {
    /// Query buffer: bytes received and not yet consumed (`qbuf`), and free room (`qbuf-free`).
    pub qbuf: usize,
    pub qbuf_free: usize,
    /// Lengths of the arguments already received of a partly received command (`argv-mem`).
    pub argv_partial: usize,
    /// Reply buffer: allocated size (`rbs`) and peak use since the last reset (`rbp`).
    pub rbs: usize,
    pub rbp: usize,
    /// Output not yet written to the socket.
    pub pending_out: usize,
    /// Everything the connection's buffers and bookkeeping hold (part of `tot-mem`).
    pub conn_mem: usize,
    /// The socket has WRITABLE interest (`events=rw`).
    pub writing: bool,
}

impl BufferStats {
    /// `obl`: pending output that fits in Redis's fixed reply buffer of `rbs` bytes.
    pub fn obl(&self) -> usize {
        self.pending_out.min(self.rbs.max(REPLY_MIN_BYTES))
    }

    /// `omem`: pending output beyond the fixed buffer (Redis's reply list).
    pub fn omem(&self) -> usize {
        self.pending_out - self.obl()
    }

    /// `oll`: reply list nodes that `omem` would take.
    pub fn oll(&self) -> usize {
        self.omem().div_ceil(REPLY_CHUNK_BYTES)
    }
}

/// An effect a command has on connections other than its caller's reply, queued in
/// [`Server::ops`] for the network layer, which alone owns sockets. Pub/sub frames travel apart
/// (`pubsub::Pubsub`'s outbox), because one rendered frame is shared by many subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReactorOp {
    /// Close the client under this slab key without writing what it has pending (CLIENT KILL,
    /// output buffer limits), at the end of the loop turn: no slab key is reused while the
    /// turn's events may still name it.
    Close(usize),
    /// The client was unblocked (served, timed out, CLIENT UNBLOCK) or released by the end of
    /// a CLIENT PAUSE: write its output and run its buffered input.
    Resume(usize),
}

/// A command's index in the static command table (`cmd::table`).
pub type CommandId = usize;

/// A command that left pub/sub messages to deliver, waiting for the reactor to deliver them
/// before its duration is known (see [`finish_deferred_call`]).
#[derive(Debug)]
pub struct DeferredCall {
    pub(crate) id: CommandId,
    pub(crate) client_key: usize,
    pub(crate) usec: u64,
    pub(crate) failed: bool,
    /// The arguments, back to back, and their lengths, for the slow log.
    pub(crate) args_buf: Vec<u8>,
    pub(crate) lens: Vec<usize>,
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
    /// Clients closed by `client-request-timeout` (a request left incomplete too long).
    pub client_request_timeouts: u64,
    /// Clients closed by client eviction (`maxmemory-clients`).
    pub evicted_clients: u64,
    /// Requests delayed or refused by a rate limit, each counted once.
    pub rate_limited_commands: u64,
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
    /// The TLS configuration new TLS connections start with (built from the `tls-*`
    /// settings; replaced by CONFIG SET and SIGHUP, live connections keep theirs).
    pub tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    pub run_id: String,
    pub executable: String,
    pub config_file: String,
    rng_state: u64,
    /// Unix time of the last successful save (LASTSAVE); start-up time until one happens.
    pub last_save_unix: i64,
    /// Peak of the allocator's live bytes.
    pub peak_memory: usize,
    /// The allocator's live bytes once the server was set up, before any data (MEMORY STATS
    /// `startup.allocated`).
    pub startup_allocated: usize,
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
    pub deferred_call: Option<DeferredCall>,
    /// Changes since the last save (INFO `rdb_changes_since_last_save`).
    pub dirty: u64,
    /// Samples behind INFO's `instantaneous_*` rates, taken by the cron.
    pub inst_metrics: metrics::InstMetrics,
    /// What commands ask of the network layer (close a connection, resume a client), in the
    /// order asked; the reactor carries them out after each command (see [`ReactorOp`]).
    pub ops: Vec<ReactorOp>,
    /// Clients blocked in BLPOP & co. and the keys they wait on (see `state/blocking.rs`).
    pub blocking: blocking::Blocking,
    /// Snapshot state: the BGSAVE child, last results, load statistics.
    pub persist: snapshot::Persistence,
    /// Watched keys and their watchers (see `state/watch.rs`).
    pub watches: watch::Watches,
    /// Pub/Sub subscriptions and undelivered messages (see `state/pubsub.rs`).
    pub pubsub: pubsub::Pubsub,
    /// SLOWLOG entries.
    pub slowlog: slowlog::Slowlog,
    /// Background expiry runs (DEBUG SET-ACTIVE-EXPIRE 0 turns it off, for tests).
    pub active_expire_enabled: bool,
    /// Client-side caching tables (see `state/tracking.rs`).
    pub tracking: tracking::Tracking,
    /// Slab key of the client whose command is running (Redis's `server.current_client`):
    /// the author of a change, for CLIENT TRACKING's NOLOOP.
    pub current_client: Option<usize>,
    /// Slab keys of the clients in MONITOR mode, in the order they entered it.
    pub monitors: Vec<usize>,
    /// Keyspace notifications for `current_client` itself (a RESP3 subscriber to its own
    /// events), rendered in its protocol while its command runs. The command writes them into
    /// its reply at the point the event fired, as Redis writes them into the client's output
    /// then (see `Ctx::notify`).
    pub own_frames: crate::resp::Reply,
    /// CLIENT PAUSE and the clients it holds (see `state/pause.rs`).
    pub pause: pause::Pause,
    /// ACL users and the ACL log (see `crate::acl`).
    pub acl: acl::Acl,
    /// Rate limits and the server's token bucket (see `state/ratelimit.rs`).
    pub rate: ratelimit::RateLimits,
    /// Sum of every client's `bufs.conn_mem`: what client eviction (`maxmemory-clients`)
    /// weighs, kept up to date by [`Server::set_bufs`].
    pub clients_buf_mem: usize,
}

/// Milliseconds since the Unix epoch.
pub fn unix_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Server {
    /// A server with `command_count` entries of INFO commandstats (one per command of the
    /// table).
    pub fn new(config: Config, command_count: usize) -> Server {
        let dbs = (0..config.databases.max(1)).map(|_| Db::new()).collect();
        let now = unix_ms();
        let seed = now as u64 ^ ((std::process::id() as u64) << 32) ^ 0x9e37_79b9_7f4a_7c15;
        let mut server = Server {
            config,
            dbs,
            clients: Slab::new(),
            stats: Stats::default(),
            command_stats: vec![CommandStat::default(); command_count],
            error_stats: hashbrown::HashMap::new(),
            started: Instant::now(),
            started_unix_ms: now,
            next_client_id: 1,
            tcp_port: 0,
            tls: None,
            run_id: String::new(),
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            config_file: String::new(),
            rng_state: seed | 1,
            last_save_unix: now / 1000,
            peak_memory: 0,
            startup_allocated: 0,
            shutdown_requested: false,
            active_expire: Default::default(),
            evictor: Default::default(),
            lru_now: crate::store::evict::LRU_EPOCH,
            command_timer: Instant::now(),
            deferred_call: None,
            dirty: 0,
            inst_metrics: Default::default(),
            ops: Vec::new(),
            blocking: Default::default(),
            persist: Default::default(),
            watches: Default::default(),
            pubsub: Default::default(),
            slowlog: Default::default(),
            active_expire_enabled: true,
            tracking: Default::default(),
            current_client: None,
            monitors: Vec::new(),
            own_frames: crate::resp::Reply::new(),
            pause: Default::default(),
            acl: Default::default(),
            rate: Default::default(),
            clients_buf_mem: 0,
        };
        server.rate.configure(&server.config);
        server.startup_allocated = crate::alloc::allocated();
        server.run_id = (0..40)
            .map(|_| char::from_digit((server.random() % 16) as u32, 16).unwrap_or('0'))
            .collect();
        server
    }

    /// Stores the buffer figures of client `key` and keeps [`Server::clients_buf_mem`] in step.
    pub fn set_bufs(&mut self, key: usize, bufs: BufferStats) {
        if let Some(client) = self.clients.get_mut(key) {
            self.clients_buf_mem = self.clients_buf_mem - client.bufs.conn_mem + bufs.conn_mem;
            client.bufs = bufs;
        }
    }

    /// Removes client `key` from the slab (and its buffers from [`Server::clients_buf_mem`]).
    pub fn remove_client(&mut self, key: usize) -> Option<Client> {
        let client = self.clients.try_remove(key)?;
        self.clients_buf_mem -= client.bufs.conn_mem;
        if client.monitor {
            self.monitors.retain(|&m| m != key);
        }
        Some(client)
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
    /// While clients are paused the dataset holds still: nothing is evicted, and a server over
    /// its limit answers as if eviction had failed (Redis's performEvictions).
    pub fn evict_for_maxmemory(&mut self, now_ms: i64) -> crate::store::evict::Eviction {
        let limit = self.config.maxmemory as usize;
        if self.pause.is_active() {
            return if crate::alloc::allocated() > limit {
                crate::store::evict::Eviction::Fail
            } else {
                crate::store::evict::Eviction::Ok
            };
        }
        self.evict_to(limit, now_ms)
    }

    /// Evicts keys until the allocator holds at most `limit` bytes.
    pub fn evict_to(&mut self, limit: usize, now_ms: i64) -> crate::store::evict::Eviction {
        let lru = self.lru_now;
        let mut rng = self.rng_state;
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
        // The evicted keys go through the "key deleted" hook (statistics, WATCH, `evicted`).
        self.drain_all_key_events();
        result
    }

    /// Finds `key` in database `db` for a command, deleting it first when its deadline has
    /// passed (lazy expiry, counted in `expired_keys`). While clients are paused an expired
    /// key reads as missing but stays: CLIENT PAUSE keeps the dataset static.
    pub fn lookup_live(&mut self, db: usize, key: &[u8], now_ms: i64) -> Option<u32> {
        let d = &mut self.dbs[db];
        if self.pause.is_active() {
            return d
                .find(key)
                .filter(|&slot| d.expire_at(slot).is_none_or(|at| at >= now_ms));
        }
        let slot = d.lookup(key, now_ms);
        // A lazily expired key goes through the "key deleted" hook now, before anything the
        // command does next (checked here, inline, as almost every lookup logs nothing).
        if d.has_events() {
            self.drain_key_events(db);
        }
        slot
    }

    /// The slab key of the connected client with id `id` (CLIENT LIST ID, CLIENT TRACKING
    /// REDIRECT): a scan, as clients are keyed by slab slot.
    pub fn client_key_by_id(&self, id: u64) -> Option<usize> {
        self.clients
            .iter()
            .find(|(_, c)| c.id == id)
            .map(|(k, _)| k)
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
                self.ops.push(ReactorOp::Close(key));
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
