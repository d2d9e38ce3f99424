//! The cron: work done `hz` times per second on the reactor thread.

use crate::alloc;
use crate::state::{unix_ms, Server};
use crate::store::expire::CycleKind;

/// One tick: statistics, the slow active expiry cycle and client time-outs.
pub fn tick(server: &mut Server) {
    active_expire(server, CycleKind::Slow);
    // Nothing the store logged waits longer than a tick (every path drains its own already).
    server.drain_all_key_events();
    enforce_maxmemory_rss(server);
    server.peak_memory = server.peak_memory.max(alloc::allocated());
    crate::state::metrics::sample_metrics(server, unix_ms());
    close_idle_clients(server, unix_ms());
}

/// `timeout`: marks for closing the clients idle for more than `timeout` seconds, as Redis
/// 7.0's `clientsCronHandleTimeout` does. Like Redis it counts whole seconds of the wall clock
/// (its `lastinteraction` is `server.unixtime`), so a client goes between `timeout` and
/// `timeout + 1` seconds after its last interaction. Not closed, as in Redis: subscribers of
/// any kind (the `CLIENT_PUBSUB` flag), blocked clients (a blocking command has its own
/// timeout) and clients held by CLIENT PAUSE (Redis blocks those too). A client inside MULTI
/// is closed like any other.
pub fn close_idle_clients(server: &mut Server, now_ms: i64) {
    let timeout = server.config.timeout;
    if timeout == 0 {
        return;
    }
    let now = now_ms.div_euclid(1000);
    for (key, client) in server.clients.iter_mut() {
        let idle = now - client.last_interaction_ms.div_euclid(1000);
        if idle > 0
            && idle as u64 > timeout
            && !client.killed
            && !client.subscribed()
            && !client.postponed
            && !server.blocking.is_blocked(key)
        {
            log::debug!("id={} Closing idle client", client.id);
            client.killed = true;
        }
    }
}

/// Runs an active expiry cycle of `kind` and counts what it deleted.
/// Nothing expires while clients are paused (CLIENT PAUSE keeps the dataset static).
pub fn active_expire(server: &mut Server, kind: CycleKind) {
    if !server.active_expire_enabled || server.pause.is_active() {
        return;
    }
    let hz = server.config.hz;
    let effort = server.config.active_expire_effort;
    let expired = server
        .active_expire
        .run(&mut server.dbs, kind, unix_ms, hz, effort);
    if expired > 0 {
        // The expired keys go through the "key deleted" hook (statistics, WATCH, `expired`).
        server.drain_all_key_events();
    }
}

/// `maxmemory-rss`: when the resident size passes the limit, evict by the configured policy
/// until the allocator holds proportionally less, then hand freed pages back to the kernel.
/// RSS only falls once memory is returned, hence the trim; allocator bytes are the lever.
fn enforce_maxmemory_rss(server: &mut Server) {
    let limit = server.config.maxmemory_rss as usize;
    if limit == 0 || server.pause.is_active() {
        return;
    }
    let rss = alloc::rss_bytes();
    if rss <= limit {
        return;
    }
    let used = alloc::allocated();
    // Aim 5% under the proportional target so one tick's work usually suffices.
    let target = (used as f64 * (limit as f64 / rss as f64) * 0.95) as usize;
    let before = server.evictor.evicted;
    // The per-command tenacity budget is too small to catch up with a large overshoot: the
    // cron may spend up to a quarter of a tick here.
    let budget = std::time::Duration::from_micros(250_000 / server.config.hz.max(1) as u64);
    let started = std::time::Instant::now();
    while server.evict_to(target, unix_ms()) == crate::store::evict::Eviction::Running
        && started.elapsed() < budget
    {}
    let evicted = server.evictor.evicted - before;
    server.evictor.evicted_for_rss += evicted;
    if evicted > 0 {
        // SAFETY: malloc_trim only returns free heap pages to the kernel.
        unsafe {
            libc::malloc_trim(0);
        }
        log::warn!("RSS {rss} bytes above maxmemory-rss {limit}: evicted {evicted} keys");
    }
}

/// `client-request-timeout`: closes the clients in `partial` (those holding an incomplete
/// request) whose request neither completed nor grew by [`MIN_REQUEST_PROGRESS`] bytes in
/// the last `client-request-timeout` seconds. A client that did make that progress starts a
/// new window, so a large value arriving steadily over a slow link is never cut. Clients that
/// are not being read (blocked, held by CLIENT PAUSE, paused by their own unread output, or
/// waiting for their next turn) are not judged: their window restarts.
///
/// [`MIN_REQUEST_PROGRESS`]: super::limits::MIN_REQUEST_PROGRESS
pub fn request_deadlines(
    server: &mut Server,
    conns: &mut slab::Slab<super::conn::Conn>,
    partial: &hashbrown::HashSet<usize>,
    now: i64,
) {
    let timeout_ms = server.config.client_request_timeout.saturating_mul(1000) as i64;
    if timeout_ms <= 0 {
        return;
    }
    let mut expired = Vec::new();
    for &key in partial {
        let (Some(conn), Some(client)) = (conns.get_mut(key), server.clients.get(key)) else {
            continue;
        };
        if conn.partial_since_ms == 0 || now - conn.partial_since_ms < timeout_ms {
            continue;
        }
        let held = conn.paused
            || conn.resume_queued
            || client.postponed
            || client.killed
            || server.blocking.is_blocked(key);
        if held || conn.bytes_in - conn.partial_mark >= super::limits::MIN_REQUEST_PROGRESS {
            conn.partial_since_ms = now;
            conn.partial_mark = conn.bytes_in;
            continue;
        }
        expired.push((key, conn.pending_input()));
    }
    for (key, pending) in expired {
        let client = &server.clients[key];
        log::warn!(
            "id={} addr={} Closing client: request incomplete after {}s ({} bytes pending, \
             client-request-timeout)",
            client.id,
            client.addr,
            server.config.client_request_timeout,
            pending
        );
        server.stats.client_request_timeouts += 1;
        server.kill_client(key);
    }
}
