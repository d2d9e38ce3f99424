//! The reactor: one thread, one `mio::Poll`, every connection and the whole keyspace.
//!
//! Each loop turn: poll; accept; for every readable connection read, parse and run every
//! complete command in its buffer (bounded per turn so one client cannot starve the others);
//! then write each connection's replies with as few `write` calls as possible, registering
//! WRITABLE interest only for sockets that would block; then run the cron when due.

pub mod conn;
pub mod cron;
pub mod sockets;

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token, Waker};
use slab::Slab;

use crate::cmd;
use crate::cmd::blocking;
use crate::config::Config;
use crate::resp::{Limits, Parsed};
use crate::state::ratelimit::{Admission, REJECTED};
use crate::state::{limits, unix_ms, Client, ReactorOp, Server};
use crate::store;
use conn::{Conn, ReadOutcome, Stream, TlsStream};

/// Tokens below this are listeners and the waker; connections use `CONN_BASE + slab key`.
const CONN_BASE: usize = 16;
const WAKER: Token = Token(15);

/// Commands run per connection per loop turn before the others get their go.
const MAX_COMMANDS_PER_TURN: usize = 1024;
/// Time one connection's batch may take before the others get their turn.
const MAX_BATCH_TIME: Duration = Duration::from_millis(1);
/// Reads per connection per loop turn (each up to the buffer's free space, ≥ 16 KiB).
const MAX_READS_PER_TURN: usize = 4;

/// Signals the reactor acts on, set by the signal thread.
#[derive(Default)]
pub struct SignalFlags {
    pub shutdown: AtomicBool,
    /// SIGHUP: rebuild the TLS configuration from the certificate files.
    pub reload_tls: AtomicBool,
}

pub struct Reactor {
    poll: Poll,
    listeners: Vec<TcpListener>,
    /// Per listener: it accepts TLS connections (`tls-port`).
    listener_tls: Vec<bool>,
    conns: Slab<Conn>,
    pub server: Server,
    /// Connections with output to write at the end of this turn.
    to_flush: Vec<usize>,
    /// Connections with unparsed input left over because they hit their per-turn budget.
    to_resume: Vec<usize>,
    waker: Arc<Waker>,
    signals: Arc<SignalFlags>,
    next_cron: Instant,
    /// Unix ms read once after each poll: the activity clock of reads and writes (`timeout`,
    /// CLIENT LIST idle), as Redis stamps them with its cached `server.unixtime` rather than a
    /// clock read per read and per write.
    turn_ms: i64,
    /// Connections holding an incomplete request, watched by `client-request-timeout`.
    partial: hashbrown::HashSet<usize>,
    /// When the cron last resized the connections' buffers (once a second, as Redis's
    /// clientsCron visits each client about once a second).
    last_buffer_resize: Instant,
    /// Connections held by a rate limit (`rate-limit-mode pause`), earliest wake-up first.
    /// An entry whose connection closed, or was released early, is skipped when it comes up.
    throttled: BinaryHeap<Reverse<(Instant, usize)>>,
}

/// Starts the server with `config` and runs until shutdown.
pub fn run(config: Config) -> Result<(), String> {
    let mut reactor = Reactor::bind(config)?;
    crate::state::snapshot::load_at_startup(&mut reactor.server)?;
    reactor.install_signal_thread()?;
    reactor.run()
}

impl Reactor {
    /// Binds every listener named by the configuration.
    pub fn bind(mut config: Config) -> Result<Reactor, String> {
        sockets::adjust_open_files_limit(&mut config)?;
        let poll = Poll::new().map_err(|e| format!("cannot create poll: {e}"))?;
        let waker = Arc::new(
            Waker::new(poll.registry(), WAKER).map_err(|e| format!("cannot create waker: {e}"))?,
        );
        let tls = if config.tls_enabled() {
            Some(crate::tls::build(&config).map_err(|e| format!("Failed to configure TLS: {e}"))?)
        } else {
            None
        };
        if !crate::tls::readable(&config.tls_dh_params_file) {
            return Err(format!(
                "tls-dh-params-file '{}': no such file",
                config.tls_dh_params_file
            ));
        }
        let mut listeners = Vec::new();
        let mut listener_tls = Vec::new();
        // `port 0` beside a TLS port means TLS only, as in Redis; without one it lets the
        // system pick a port (what the tests use).
        let mut ports = Vec::new();
        if config.port != 0 || !config.tls_enabled() {
            ports.push((config.port, false));
        }
        if config.tls_enabled() {
            ports.push((config.tls_port, true));
        }
        for (port, is_tls) in ports {
            let kind = if is_tls { "TLS" } else { "TCP" };
            for bind in config.bind_addrs() {
                let addr = SocketAddr::new(bind.ip, port);
                let mut listener = match sockets::listen(addr, config.tcp_backlog) {
                    Ok(l) => TcpListener::from_std(l),
                    // A `-` prefixed address is optional, as in Redis: skip it when unavailable.
                    Err(e) if bind.optional => {
                        log::warn!("Could not create server {kind} listening socket {addr}: {e}");
                        continue;
                    }
                    Err(e) => {
                        return Err(format!(
                            "Could not create server {kind} listening socket {addr}: {e}"
                        ))
                    }
                };
                let token = Token(listeners.len());
                if token.0 >= WAKER.0 {
                    return Err("too many bind addresses (at most 15 listeners)".into());
                }
                poll.registry()
                    .register(&mut listener, token, Interest::READABLE)
                    .map_err(|e| format!("cannot register listener {addr}: {e}"))?;
                listeners.push(listener);
                listener_tls.push(is_tls);
            }
        }
        if listeners.is_empty() {
            return Err("no bind address configured".into());
        }
        sockets::check_backlog(config.tcp_backlog);
        cmd::table::install_renames(&config.rename_commands)?;
        let mut server = Server::new(config, cmd::table::registry().all.len());
        server.acl = crate::state::acl::Acl::from_config(&server.config)?;
        server.persist.waker = Some(Arc::clone(&waker));
        server.tcp_port = listeners
            .iter()
            .zip(&listener_tls)
            .find(|(_, &is_tls)| !is_tls)
            .and_then(|(l, _)| l.local_addr().ok())
            .map_or(0, |a| a.port());
        server.tls = tls;
        Ok(Reactor {
            poll,
            listeners,
            listener_tls,
            conns: Slab::new(),
            server,
            to_flush: Vec::new(),
            to_resume: Vec::new(),
            waker,
            signals: Arc::new(SignalFlags::default()),
            next_cron: Instant::now(),
            turn_ms: unix_ms(),
            last_buffer_resize: Instant::now(),
            partial: hashbrown::HashSet::new(),
            throttled: BinaryHeap::new(),
        })
    }

    /// Addresses the listeners are bound to (after `--port 0`, the real ports).
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    fn install_signal_thread(&mut self) -> Result<(), String> {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP])
            .map_err(|e| format!("cannot install signal handlers: {e}"))?;
        let flags = Arc::clone(&self.signals);
        let waker = Arc::clone(&self.waker);
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    if sig == SIGHUP {
                        flags.reload_tls.store(true, Ordering::SeqCst);
                        let _ = waker.wake();
                        continue;
                    }
                    let name = if sig == SIGINT { "SIGINT" } else { "SIGTERM" };
                    log::warn!("Received {name} scheduling shutdown...");
                    flags.shutdown.store(true, Ordering::SeqCst);
                    let _ = waker.wake();
                }
            })
            .map_err(|e| format!("cannot start signal thread: {e}"))?;
        // SIGPIPE is ignored by Rust's runtime already; a dead peer shows up as EPIPE.
        Ok(())
    }

    /// The event loop.
    pub fn run(&mut self) -> Result<(), String> {
        for (listener, &is_tls) in self.listeners.iter().zip(&self.listener_tls) {
            if let Ok(addr) = listener.local_addr() {
                let kind = if is_tls { "tls" } else { "tcp" };
                log::info!("Ready to accept connections {kind} {addr}");
            }
        }
        let mut events = Events::with_capacity(1024);
        loop {
            // Redis's beforeSleep: a short expiry pass when the slow cycle could not keep up.
            cron::active_expire(&mut self.server, store::expire::CycleKind::Fast);
            // `expired` notifications of that pass.
            if self.server.pubsub.has_deliveries() {
                self.deliver_messages();
            }
            let mut timeout = if self.to_resume.is_empty()
                && self.to_flush.is_empty()
                && !self.server.pause.has_released()
                && self.server.ops.is_empty()
                && !self.server.pubsub.has_deliveries()
            {
                self.next_cron.saturating_duration_since(Instant::now())
            } else {
                Duration::ZERO
            };
            // Wake up in time for the earliest blocked client's timeout (it fires once the
            // clock has passed its deadline, hence the extra millisecond).
            if let Some(deadline) = self.server.blocking.next_deadline() {
                let wait = deadline.saturating_sub(unix_ms()).saturating_add(1).max(0);
                timeout = timeout.min(Duration::from_millis(wait as u64));
            }
            // And for the end of a CLIENT PAUSE, which releases the clients it holds.
            if let Some(end) = self.server.pause.deadline() {
                let wait = end.saturating_sub(unix_ms()).saturating_add(1).max(0);
                timeout = timeout.min(Duration::from_millis(wait as u64));
            }
            // And for the first client a rate limit holds (mio rounds the timeout up to the
            // next millisecond, so this never spins).
            if let Some(Reverse((wake, _))) = self.throttled.peek() {
                timeout = timeout.min(wake.saturating_duration_since(Instant::now()));
            }
            if self.server.rate.changed {
                timeout = Duration::ZERO;
            }
            if let Err(e) = self.poll.poll(&mut events, Some(timeout)) {
                if e.kind() != io::ErrorKind::Interrupted {
                    return Err(format!("poll failed: {e}"));
                }
            }
            self.turn_ms = unix_ms();
            for event in events.iter() {
                match event.token() {
                    WAKER => {}
                    Token(t) if t < self.listeners.len() => self.accept(t),
                    Token(t) => {
                        let key = t - CONN_BASE;
                        if event.is_writable() {
                            self.on_writable(key);
                        }
                        if event.is_read_closed() {
                            if let Some(conn) = self.conns.get_mut(key) {
                                conn.read_closed = true;
                            }
                        }
                        if event.is_readable() || event.is_read_closed() || event.is_error() {
                            self.on_readable(key);
                        }
                    }
                }
            }
            self.server.release_paused(unix_ms());
            self.apply_ops(false);
            self.release_throttled();
            for key in std::mem::take(&mut self.to_resume) {
                if let Some(conn) = self.conns.get_mut(key) {
                    conn.resume_queued = false;
                }
                // Edge-triggered readiness will not fire again for bytes still in the socket,
                // so once the buffered commands are done, read on.
                if self.conns.contains(key) && self.process_input(key) {
                    self.on_readable(key);
                }
            }
            // Blocked clients whose timeout passed get their nil reply.
            if self
                .server
                .blocking
                .next_deadline()
                .is_some_and(|d| d < unix_ms())
            {
                let now = unix_ms();
                self.server.blocking.expire(now);
                self.run_blocked(now);
            }
            self.apply_ops(true);
            self.evict_clients_if_needed();
            // Redis's beforeSleep: BCAST invalidations collected this turn go out together.
            if self.server.tracking.has_broadcasts() {
                self.server.broadcast_invalidations();
            }
            self.flush_all();
            if Instant::now() >= self.next_cron {
                self.cron();
            }
            crate::state::snapshot::check_child(&mut self.server);
            if self.signals.reload_tls.swap(false, Ordering::SeqCst) {
                self.reload_tls();
            }
            if self.signals.shutdown.swap(false, Ordering::SeqCst) {
                use crate::state::snapshot::{prepare_shutdown, FinalSave};
                if prepare_shutdown(&mut self.server, FinalSave::Default, false).is_ok() {
                    self.server.shutdown_requested = true;
                } else {
                    log::warn!(
                        "SIGTERM received but errors trying to shut down the server, check \
                         the logs for more information"
                    );
                }
            }
            if self.server.shutdown_requested {
                return self.shutdown();
            }
        }
    }

    /// SIGHUP: rebuilds the TLS configuration from the files the settings name, so renewed
    /// certificates take effect for new connections; live ones keep theirs. A configuration
    /// that does not build (a bad new certificate) is refused and the old one stays.
    fn reload_tls(&mut self) {
        if !self.server.config.tls_enabled() {
            log::info!("Received SIGHUP: TLS is off, nothing to reload");
            return;
        }
        match crate::tls::build(&self.server.config) {
            Ok(tls) => {
                self.server.tls = Some(tls);
                log::warn!("Received SIGHUP: TLS certificates reloaded");
            }
            Err(e) => log::warn!(
                "Received SIGHUP: TLS configuration not reloaded, the previous one stays: {e}"
            ),
        }
    }

    /// Carries out what commands asked of the network layer (`Server::ops`), in order.
    /// Resumptions happen at once: the client's output is queued for writing and its buffered
    /// input for running. Closes wait for `end_of_turn`, so that no slab key is reused while
    /// this turn's events may still name it; they close without writing what the client still
    /// had pending, as Redis frees a killed client.
    fn apply_ops(&mut self, end_of_turn: bool) {
        if self.server.ops.is_empty() {
            return;
        }
        for op in std::mem::take(&mut self.server.ops) {
            match op {
                ReactorOp::Resume(key) => {
                    if let Some(conn) = self.conns.get_mut(key) {
                        if !conn.flush_queued {
                            conn.flush_queued = true;
                            self.to_flush.push(key);
                        }
                        self.queue_resume(key);
                    }
                }
                ReactorOp::Close(key) if end_of_turn => {
                    if self.server.clients.get(key).is_some_and(|c| c.killed) {
                        self.close(key);
                    }
                }
                ReactorOp::Close(_) => self.server.ops.push(op),
            }
        }
    }

    /// Queues the clients a rate limit held whose wake-up time came (all of them when the
    /// limits changed) to run their waiting input, earliest first.
    fn release_throttled(&mut self) {
        let all = std::mem::take(&mut self.server.rate.changed);
        let now = Instant::now();
        while let Some(&Reverse((wake, key))) = self.throttled.peek() {
            if !all && wake > now {
                break;
            }
            self.throttled.pop();
            if let Some(conn) = self.conns.get_mut(key) {
                if conn.throttled {
                    conn.throttled = false;
                    self.queue_resume(key);
                }
            }
        }
    }

    /// Client eviction (`maxmemory-clients`), as Redis 7.0's `evictClients`: while the
    /// clients' buffers together hold at least the limit, the evictable client holding the
    /// most (not CLIENT NO-EVICT) is closed at once, its pending output dropped.
    fn evict_clients_if_needed(&mut self) {
        let limit = self.server.config.client_eviction_limit() as usize;
        if limit == 0 || self.server.clients_buf_mem < limit {
            return;
        }
        let mut candidates: Vec<(usize, usize)> = self
            .server
            .clients
            .iter()
            .filter(|(_, c)| !c.no_evict && !c.killed)
            .map(|(k, c)| (c.bufs.conn_mem, k))
            .collect();
        candidates.sort_unstable_by(|a, b| b.cmp(a));
        for (_, key) in candidates {
            if self.server.clients_buf_mem < limit {
                break;
            }
            let info = cmd::client::describe(&self.server, key, unix_ms());
            log::info!("Evicting client: {info}");
            self.server.stats.evicted_clients += 1;
            self.close(key);
        }
        if self.server.clients_buf_mem >= limit {
            log::warn!("Over client maxmemory after evicting all evictable clients");
        }
    }

    fn cron(&mut self) {
        let hz = self.server.config.hz.clamp(1, 500);
        self.next_cron = Instant::now() + Duration::from_micros(1_000_000 / hz as u64);
        cron::tick(&mut self.server);
        // Notifications of keys the cron expired or evicted.
        if self.server.pubsub.has_deliveries() {
            self.deliver_messages();
        }
        crate::state::snapshot::cron(&mut self.server);
        if self.server.tracking.clients > 0 {
            self.server.limit_tracking_table();
        }
        if !self.partial.is_empty() {
            cron::request_deadlines(&mut self.server, &mut self.conns, &self.partial, unix_ms());
        }
        let killed: Vec<usize> = self
            .server
            .clients
            .iter()
            .filter(|(_, c)| c.killed)
            .map(|(k, _)| k)
            .collect();
        for key in killed {
            self.close(key);
        }
        if self.last_buffer_resize.elapsed() >= Duration::from_secs(1) {
            self.last_buffer_resize = Instant::now();
            let now = unix_ms();
            let limits = &self.server.config.client_output_buffer_limit;
            let mut over_limit = Vec::new();
            for (key, conn) in self.conns.iter_mut() {
                if let Some(client) = self.server.clients.get_mut(key) {
                    let idle_secs = (now - client.last_interaction_ms) / 1000;
                    conn.cron_resize(idle_secs, now);
                    let bufs = conn.stats();
                    self.server.clients_buf_mem =
                        self.server.clients_buf_mem - client.bufs.conn_mem + bufs.conn_mem;
                    client.bufs = bufs;
                    // A client above its soft limit that gets no new output is closed here
                    // once soft-seconds pass, as Redis's clientsCron does.
                    let pending = conn.out.len() - conn.wpos;
                    if !client.killed
                        && limits::output_limit_reached(client, pending, limits, now / 1000)
                    {
                        over_limit.push(key);
                    }
                }
            }
            for key in over_limit {
                self.output_limit_close(key);
            }
        }
        // Timeouts and CLIENT UNBLOCK replies. (No sweep for waited keys that exist: Redis
        // serves only keys a write signalled, and a waiter a write did not signal stays.)
        if self.server.blocking.has_work() {
            self.run_blocked(unix_ms());
        }
    }

    /// Serves blocked clients whose keys became ready and delivers the replies of clients
    /// unblocked by a timeout or CLIENT UNBLOCK (see `cmd/blocking.rs`); each unblocked client's
    /// output is queued for writing and its pipelined input resumed.
    fn run_blocked(&mut self, now: i64) {
        blocking::process(&mut self.server, &mut self.conns, now);
        // Notifications of what the served commands did.
        if self.server.pubsub.has_deliveries() {
            self.deliver_messages();
        }
        self.apply_ops(false);
    }

    /// Copies the frames queued for delivery (PUBLISH messages, [`Server::push_to`] pushes)
    /// into their clients' output and queues those connections for writing. Called after
    /// every command, and before the turn's output is written for frames queued elsewhere.
    ///
    /// A client that does not read lets its output grow with every frame: past the
    /// `client-output-buffer-limit` of its class it is closed (see `limits.rs`).
    fn deliver_messages(&mut self) {
        let limits = &self.server.config.client_output_buffer_limit;
        let clients = &mut self.server.clients;
        let conns = &mut self.conns;
        let to_flush = &mut self.to_flush;
        let now_s = unix_ms() / 1000;
        let mut over_limit = Vec::new();
        let mut dropped = hashbrown::HashSet::new();
        self.server.pubsub.deliver_pending(|key, bytes| {
            // Like Redis, a client past its limit gets nothing more: an EXEC full of
            // PUBLISHes must not copy all of them into every subscriber before the check.
            if dropped.contains(&key) {
                return;
            }
            let (Some(conn), Some(client)) = (conns.get_mut(key), clients.get_mut(key)) else {
                return;
            };
            if client.killed {
                return;
            }
            conn.out.raw(bytes);
            let pending = conn.out.len() - conn.wpos;
            if limits::output_limit_reached(client, pending, limits, now_s) {
                dropped.insert(key);
                over_limit.push(key);
            } else if !conn.flush_queued {
                conn.flush_queued = true;
                to_flush.push(key);
            }
        });
        for key in over_limit {
            self.output_limit_close(key);
        }
    }

    /// Closes client `key` for passing its output buffer limits, asynchronously as Redis's
    /// `closeClientOnOutputBufferLimitReached`: it runs nothing more, is sent nothing more,
    /// and its connection goes at the end of this loop turn.
    fn output_limit_close(&mut self, key: usize) {
        let Some(client) = self.server.clients.get(key) else {
            return;
        };
        if client.killed {
            return;
        }
        let info = cmd::client::describe(&self.server, key, unix_ms());
        log::warn!("Client {info} closed for overcoming of output buffer limits.");
        self.server.stats.client_outbuf_limit_disconnections += 1;
        self.server.kill_client(key);
    }

    /// Queues `key` to continue its buffered input next turn. Once only: a connection queued
    /// twice would run twice per turn, and each run re-queues it, so the copies would pile up
    /// and one bulk loader would end up holding the loop for tens of milliseconds per turn.
    fn queue_resume(&mut self, key: usize) {
        if let Some(conn) = self.conns.get_mut(key) {
            if !conn.resume_queued {
                conn.resume_queued = true;
                self.to_resume.push(key);
            }
        }
    }

    fn shutdown(&mut self) -> Result<(), String> {
        log::warn!("User requested shutdown...");
        let keys: Vec<usize> = self.conns.iter().map(|(k, _)| k).collect();
        for key in keys {
            if let Some(conn) = self.conns.get_mut(key) {
                let _ = conn.flush();
            }
            self.close(key);
        }
        log::warn!("ferrodis is now ready to exit, bye bye...");
        Ok(())
    }

    fn accept(&mut self, listener_idx: usize) {
        loop {
            let (mut stream, peer) = match self.listeners[listener_idx].accept() {
                Ok(pair) => pair,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::warn!("Accepting client connection: {e}");
                    return;
                }
            };
            self.server.stats.connections_received += 1;
            let is_tls = self.listener_tls[listener_idx];
            if self.server.clients.len() as u64 >= self.server.config.maxclients {
                use std::io::Write;
                // (A TLS client could not read the plain-text error: it is just closed.)
                if !is_tls {
                    let _ = stream.write(b"-ERR max number of clients reached\r\n");
                }
                self.server.stats.rejected_connections += 1;
                continue;
            }
            let nopass = self.server.acl.default_user().is_some_and(|u| u.nopass());
            if self
                .server
                .config
                .protected_mode_refuses_with(peer.ip(), nopass)
            {
                use std::io::Write;
                if !is_tls {
                    let _ = stream.write(crate::cmd::conn::PROTECTED_MODE_DENIED);
                }
                // Redis counts it as rejected, not as a connection received.
                self.server.stats.rejected_connections += 1;
                self.server.stats.connections_received -= 1;
                log::debug!("Protected mode: refused the client {peer}");
                continue;
            }
            let _ = stream.set_nodelay(true);
            let laddr = stream
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default();
            let fd = {
                use std::os::fd::AsRawFd;
                stream.as_raw_fd()
            };
            let keepalive = self.server.config.tcp_keepalive;
            if keepalive > 0 {
                if let Err(e) = sockets::set_keepalive(fd, keepalive) {
                    log::debug!("tcp-keepalive {keepalive} on {peer}: {e}");
                }
            }
            let now = unix_ms();
            let nopass = self.server.acl.default_open();
            let id = self.server.next_client_id;
            self.server.next_client_id += 1;
            let entry = self.conns.vacant_entry();
            let key = entry.key();
            if let Err(e) = self.poll.registry().register(
                &mut stream,
                Token(CONN_BASE + key),
                Interest::READABLE,
            ) {
                log::warn!("Registering client connection: {e}");
                continue;
            }
            let stream = if is_tls {
                let Some(config) = self.server.tls.clone() else {
                    let _ = self.poll.registry().deregister(&mut stream);
                    continue;
                };
                match TlsStream::new(stream, config) {
                    Ok(t) => Stream::Tls(Box::new(t)),
                    Err(e) => {
                        log::warn!("TLS connection setup for {peer}: {e}");
                        continue;
                    }
                }
            } else {
                Stream::Plain(stream)
            };
            let conn = entry.insert(Conn::new(stream, now));
            if is_tls {
                // The handshake counts as a request in progress: a client that stalls in it
                // is closed by client-request-timeout.
                conn.partial_since_ms = now;
                conn.partial_mark = conn.bytes_in;
                self.partial.insert(key);
            }
            let client_key = self.server.clients.insert(Client::new(
                id,
                peer.to_string(),
                laddr,
                fd,
                now,
                nopass,
            ));
            debug_assert_eq!(client_key, key, "connection and client slabs move together");
            self.server.clients[client_key].acl_unrestricted =
                self.server.acl.unrestricted(b"default");
            log::debug!("id={id} Accepted {peer}");
        }
    }

    fn on_readable(&mut self, key: usize) {
        for _ in 0..MAX_READS_PER_TURN {
            let Some(conn) = self.conns.get_mut(key) else {
                return;
            };
            if conn.paused || conn.throttled {
                return;
            }
            match conn.read_once() {
                ReadOutcome::Closed => {
                    // Replies to what came before the end of the stream still go out, as in
                    // Redis, which writes them before it reads the end.
                    let _ = conn.flush();
                    self.close(key);
                    return;
                }
                ReadOutcome::WouldBlock => return,
                ReadOutcome::Data { bytes, drained } => {
                    if let Stream::Tls(t) = &mut conn.stream {
                        if !t.established && !t.tls.is_handshaking() {
                            t.established = true;
                            self.tls_established(key);
                        }
                    }
                    self.server.stats.net_input_bytes += bytes as u64;
                    // Any bytes read are an interaction (`timeout`, CLIENT LIST idle), even
                    // part of a request, as Redis's readQueryFromClient counts them.
                    self.server.clients[key].last_interaction_ms = self.turn_ms;
                    // A short read emptied the socket, unless the peer also closed it: its
                    // end of stream was announced with the data and must be read now.
                    let drained = drained && !self.conns.get(key).is_some_and(|c| c.read_closed);
                    // A blocked client reads on until the socket is empty or closed: no reply
                    // write would reveal its disconnection (see cmd/blocking.rs).
                    if !self.process_input(key)
                        || (drained
                            && !self.server.blocking.is_blocked(key)
                            && !self.server.clients[key].postponed)
                    {
                        return;
                    }
                }
            }
        }
        // The socket still has data: a client that keeps it full (a bulk loader) would hold
        // the loop forever, so it continues next turn, after the others.
        self.queue_resume(key);
    }

    /// Runs the complete commands in `key`'s buffer. Returns false when the connection was
    /// closed or must not read more now.
    fn process_input(&mut self, key: usize) -> bool {
        let mut limits = Limits {
            max_bulk_len: self.server.config.proto_max_bulk_len as i64,
            unauthenticated: false,
        };
        let Some(mut conn) = self.conns.get_mut(key) else {
            return false;
        };
        if self.server.clients[key].killed {
            // Killed earlier in this turn; closed at its end without running anything more.
            return false;
        }
        if self.server.blocking.is_blocked(key) || self.server.clients[key].postponed {
            // A blocked client (or one held by CLIENT PAUSE) runs nothing until it is served;
            // its input waits in the buffer (still read, so a disconnection is noticed), within
            // the query buffer limit.
            if conn.pending_input() as u64 > self.server.config.client_query_buffer_limit {
                self.server.stats.client_qbuf_limit_disconnections += 1;
                self.close(key);
                return false;
            }
            self.server.set_bufs(key, conn.stats());
            return true;
        }
        let now = unix_ms();
        self.server.begin_batch();
        // While this batch runs, the caller's query buffer holds all of it (as Redis's does).
        self.server.set_bufs(key, conn.stats());
        let started = self.server.command_timer;
        let mut ran = 0;
        let mut keep_reading = true;
        let mut out_of_budget = false;
        // Set when a rate limit holds this client: when to try again.
        let mut throttle_until = None;
        loop {
            if conn.rpos == conn.rend {
                break;
            }
            // Bounded by count and by time: a batch of expensive commands must not keep the
            // other clients waiting either.
            if ran >= MAX_COMMANDS_PER_TURN
                || (ran % 64 == 63 && started.elapsed() > MAX_BATCH_TIME)
            {
                out_of_budget = true;
                keep_reading = false;
                break;
            }
            let input = &conn.rbuf[conn.rpos..conn.rend];
            // Per request: an AUTH earlier in the same batch lifts the limits for the next one.
            limits.unauthenticated = !self.server.clients[key].authenticated;
            match conn.parser.parse(input, &limits) {
                Ok(Parsed::Incomplete) => {
                    if conn.pending_input() as u64 > self.server.config.client_query_buffer_limit {
                        let id = self.server.clients[key].id;
                        log::warn!("id={id} Closing client that reached max query buffer length");
                        self.server.stats.client_qbuf_limit_disconnections += 1;
                        self.close(key);
                        return false;
                    }
                    break;
                }
                Ok(Parsed::Empty { consumed }) => conn.rpos += consumed,
                Ok(Parsed::Command { consumed }) => {
                    let args = conn.parser.args(input);
                    if self.server.pause.is_active()
                        && cmd::client::postpone(&mut self.server, key, &args)
                    {
                        // Held by CLIENT PAUSE: the command stays unconsumed, to be parsed again
                        // and run when the pause ends (see `Server::release_paused`).
                        break;
                    }
                    let mark = conn.out.len();
                    // Rate limits (server/ratelimit.rs): one branch while they are off.
                    let mut refused = false;
                    if self.server.rate.on {
                        let srv = &mut self.server;
                        let bucket = &mut srv.clients[key].rate_bucket;
                        match srv.rate.admit(bucket, Instant::now()) {
                            Admission::Run => conn.rate_delayed = false,
                            Admission::Wait(wake) => {
                                // Held unconsumed, and the socket unread, until `wake`;
                                // counted once however often it has to wait again.
                                if !std::mem::replace(&mut conn.rate_delayed, true) {
                                    srv.stats.rate_limited_commands += 1;
                                }
                                conn.throttled = true;
                                throttle_until = Some(wake);
                                keep_reading = false;
                                break;
                            }
                            Admission::Refuse => {
                                srv.stats.rate_limited_commands += 1;
                                refused = true;
                            }
                        }
                    }
                    if refused {
                        cmd::refuse(&mut self.server, key, &args, &mut conn.out, REJECTED);
                    } else {
                        cmd::execute(&mut self.server, key, &args, &mut conn.out, now);
                    }
                    let client = &mut self.server.clients[key];
                    if client.reply_off | client.reply_skip | client.reply_skip_next {
                        apply_reply_mode(client, &mut conn.out, mark);
                    }
                    conn.rpos += consumed;
                    ran += 1;
                    // PUBLISH left messages for subscribers: into their output now, so they
                    // arrive in publish order, and before this client may stop (killed,
                    // paused) and a closed subscriber's slot could go to a new connection.
                    if self.server.pubsub.has_deliveries() {
                        self.deliver_messages();
                        cmd::finish_deferred_call(&mut self.server);
                        conn = match self.conns.get_mut(key) {
                            Some(conn) => conn,
                            None => return false,
                        };
                    }
                    let client = &self.server.clients[key];
                    if client.close_after_reply || client.killed {
                        conn.rpos = conn.rend;
                        keep_reading = false;
                        break;
                    }
                    let pending = conn.out.len() - conn.wpos;
                    let client = &mut self.server.clients[key];
                    let limits = &self.server.config.client_output_buffer_limit;
                    if limits::output_limit_reached(client, pending, limits, now / 1000) {
                        self.output_limit_close(key);
                        conn = match self.conns.get_mut(key) {
                            Some(conn) => conn,
                            None => return false,
                        };
                        conn.rpos = conn.rend;
                        keep_reading = false;
                        break;
                    }
                    if pending > limits::pause_threshold(client, limits) {
                        conn.paused = true;
                        keep_reading = false;
                        break;
                    }
                    // Blocking hooks (state/blocking.rs). A command that blocked stops this
                    // client's pipeline until it is served.
                    if self.server.blocking.is_blocked(key) {
                        break;
                    }
                    // A write made keys ready (or CLIENT UNBLOCK ran): serve the waiters now,
                    // before this client's next command, as Redis does after each command.
                    if self.server.blocking.has_work() {
                        self.run_blocked(now);
                        // Redis serves them after the command's call, outside its duration
                        // (ferrodis does not yet charge it to the served commands).
                        self.server.restart_command_timer();
                        conn = match self.conns.get_mut(key) {
                            Some(conn) => conn,
                            None => return false,
                        };
                    }
                }
                Err(e) => {
                    let client = &mut self.server.clients[key];
                    let text = e.message();
                    log::debug!(
                        "id={} Protocol error ({}) from client {}",
                        client.id,
                        String::from_utf8_lossy(&text),
                        client.addr
                    );
                    client.close_after_reply = true;
                    conn.out.error_bytes(&text);
                    self.server.count_error(&text);
                    conn.rpos = conn.rend;
                    keep_reading = false;
                    break;
                }
            }
        }
        if conn.rpos == conn.rend {
            conn.rpos = 0;
            conn.rend = 0;
        }
        // `client-request-timeout`: the clock of an incomplete request starts with its first
        // bytes and restarts whenever a command completes (see `cron::request_deadlines`).
        if conn.rpos != conn.rend || conn.stream.handshaking() {
            if conn.partial_since_ms == 0 || ran > 0 {
                conn.partial_since_ms = now;
                conn.partial_mark = conn.bytes_in;
                self.partial.insert(key);
            }
        } else if conn.partial_since_ms != 0 {
            conn.partial_since_ms = 0;
            self.partial.remove(&key);
        }
        if ran > 0 {
            self.server.clients[key].last_interaction_ms = now;
        }
        self.server.set_bufs(key, conn.stats());
        if let Some(wake) = throttle_until {
            self.throttled.push(Reverse((wake, key)));
        }
        if (conn.has_output() || self.server.clients[key].close_after_reply) && !conn.flush_queued {
            conn.flush_queued = true;
            self.to_flush.push(key);
        }
        if out_of_budget {
            self.queue_resume(key);
        }
        keep_reading
    }

    fn on_writable(&mut self, key: usize) {
        if self.conns.contains(key) {
            self.write_conn(key);
        }
    }

    /// Writes every queued connection's output (after delivering any frames still queued).
    /// Connections queued while this runs (a paused
    /// client resumed by its drained output) wait for the next turn, which then polls without
    /// sleeping.
    fn flush_all(&mut self) {
        // Frames queued outside a command (cron, blocked clients served) go out this turn.
        if self.server.pubsub.has_deliveries() {
            self.deliver_messages();
        }
        let pending = std::mem::take(&mut self.to_flush);
        for &key in &pending {
            if let Some(conn) = self.conns.get_mut(key) {
                conn.flush_queued = false;
                self.write_conn(key);
            }
        }
    }

    /// Writes what `key` has pending and adjusts its interest; closes it when done and asked to.
    fn write_conn(&mut self, key: usize) {
        // A killed client (CLIENT KILL, output buffer limits) is sent nothing more.
        if self.server.clients.get(key).is_some_and(|c| c.killed) {
            self.close(key);
            return;
        }
        let Some(conn) = self.conns.get_mut(key) else {
            return;
        };
        match conn.flush() {
            Ok(n) => {
                self.server.stats.net_output_bytes += n as u64;
                // So is output written: a client reading a big reply slowly is not idle.
                if n > 0 {
                    self.server.clients[key].last_interaction_ms = self.turn_ms;
                }
            }
            Err(_) => {
                self.close(key);
                return;
            }
        }
        // Only the pending figure moves on a write, unless the flush released the reply
        // buffer: then client eviction's total must see it go.
        if conn.out.buf.capacity() == self.server.clients[key].bufs.rbs {
            self.server.clients[key].bufs.pending_out = conn.out.len() - conn.wpos;
        } else {
            self.server.set_bufs(key, conn.stats());
        }
        let client = &mut self.server.clients[key];
        let mut done = !conn.has_output();
        if done && client.close_after_reply {
            // A TLS peer is told the connection ends (close_notify) before it is closed.
            if let Stream::Tls(t) = &mut conn.stream {
                if !t.closing {
                    t.closing = true;
                    t.tls.send_close_notify();
                    if conn.flush().is_err() {
                        self.close(key);
                        return;
                    }
                    done = !conn.has_output();
                }
            }
        }
        if done && (client.close_after_reply || client.killed) {
            self.close(key);
            return;
        }
        let want_write = !done;
        if want_write != conn.want_write {
            let interest = if want_write {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            let token = Token(CONN_BASE + key);
            if self
                .poll
                .registry()
                .reregister(conn.stream.source(), token, interest)
                .is_err()
            {
                self.close(key);
                return;
            }
            conn.want_write = want_write;
            client.bufs.writing = want_write;
        }
        if conn.paused && conn.out.len() - conn.wpos < limits::OUTPUT_PAUSE_BYTES / 2 {
            conn.paused = false;
            // Edge-triggered readiness will not repeat for bytes already waiting: look now.
            if self.process_input(key) {
                self.on_readable(key);
            }
        }
    }

    /// A TLS handshake finished: with `tls-auth-clients-user CN`, the verified client
    /// certificate's common name logs the connection in as that user.
    fn tls_established(&mut self, key: usize) {
        let Some(Stream::Tls(t)) = self.conns.get(key).map(|c| &c.stream) else {
            return;
        };
        let id = self.server.clients.get(key).map_or(0, |c| c.id);
        log::debug!(
            "id={id} TLS handshake done ({:?}, {:?})",
            t.tls.protocol_version(),
            t.tls.negotiated_cipher_suite().map(|s| s.suite())
        );
        if !self.server.config.tls_auth_clients_user_cn {
            return;
        }
        let Some(cn) = t
            .tls
            .peer_certificates()
            .and_then(|certs| certs.first())
            .and_then(|cert| crate::tls::subject_common_name(cert))
        else {
            return;
        };
        if cmd::conn::authenticate_user(&mut self.server, key, &cn) {
            log::debug!(
                "id={id} Authenticated as '{}' by its TLS client certificate",
                String::from_utf8_lossy(&cn)
            );
        } else {
            log::info!(
                "id={id} TLS client certificate CN '{}' names no enabled user: not authenticated",
                String::from_utf8_lossy(&cn)
            );
        }
    }

    fn close(&mut self, key: usize) {
        // A blocked client leaves the registry without a reply; a held one its pause.
        self.server.blocking.remove_client(key);
        self.server.pause.remove_client(key);
        self.server.unwatch_all(key);
        self.server.unsubscribe_all(key);
        self.server.disable_tracking(key);
        // Its slot may go to the next connection, which must not inherit its messages.
        self.server.pubsub.forget_deliveries(key);
        self.partial.remove(&key);
        if let Some(mut conn) = self.conns.try_remove(key) {
            let _ = self.poll.registry().deregister(conn.stream.source());
        }
        if let Some(client) = self.server.remove_client(key) {
            log::debug!("id={} Client closed connection {}", client.id, client.addr);
        }
    }
}

/// CLIENT REPLY OFF|SKIP after a command: drops the reply it appended to `out` from `mark`
/// on, errors included (as Redis's prepareClientToWrite refuses every reply), except the
/// pub/sub confirmations, which Redis 7.0 sends as pushes whatever the reply mode. Then moves
/// a pending SKIP on to the next command, as Redis's resetClient does.
fn apply_reply_mode(client: &mut Client, out: &mut crate::resp::Reply, mark: usize) {
    if client.reply_off || client.reply_skip {
        let pushes = matches!(out.buf.get(mark), Some(b'*' | b'>'))
            && matches!(
                cmd::last_command_name(client),
                "subscribe"
                    | "unsubscribe"
                    | "psubscribe"
                    | "punsubscribe"
                    | "ssubscribe"
                    | "sunsubscribe"
            );
        if !pushes {
            out.buf.truncate(mark);
        }
    }
    client.reply_skip = std::mem::take(&mut client.reply_skip_next);
}
