//! The cron: work done `hz` times per second on the reactor thread.

use super::state::{unix_ms, Server};
use crate::alloc;

/// One tick: statistics and client time-outs.
pub fn tick(server: &mut Server) {
    server.peak_memory = server.peak_memory.max(alloc::allocated());
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
