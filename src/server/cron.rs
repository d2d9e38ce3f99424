//! The cron: work done `hz` times per second on the reactor thread.

use super::state::{unix_ms, Server};
use crate::alloc;
use crate::store::expire::CycleKind;

/// One tick: statistics, the slow active expiry cycle and client time-outs.
pub fn tick(server: &mut Server) {
    active_expire(server, CycleKind::Slow);
    server.peak_memory = server.peak_memory.max(alloc::allocated());
    crate::cmd::info::sample_metrics(server, unix_ms());
    let timeout_ms = server.config.timeout.saturating_mul(1000) as i64;
    if timeout_ms > 0 {
        let now = unix_ms();
        for (_, client) in server.clients.iter_mut() {
            if now - client.last_interaction_ms > timeout_ms {
                log::debug!("id={} Closing idle client", client.id);
                client.killed = true;
            }
        }
    }
}

/// Runs an active expiry cycle of `kind` and counts what it deleted.
pub fn active_expire(server: &mut Server, kind: CycleKind) {
    let hz = server.config.hz;
    let effort = 1;
    let expired = server
        .active_expire
        .run(&mut server.dbs, kind, unix_ms, hz, effort);
    server.stats.expired_keys += expired;
}
