//! INFO's `instantaneous_*` rates: samples the cron takes of the command and network
//! counters.

use super::Server;

/// Samples kept per instantaneous metric (Redis's STATS_METRIC_SAMPLES).
const SAMPLES: usize = 16;
/// Minimum milliseconds between two samples (Redis samples every 100 ms).
const SAMPLE_PERIOD_MS: i64 = 100;

pub const OPS: usize = 0;
pub const NET_IN: usize = 1;
pub const NET_OUT: usize = 2;

/// Ring buffers of per-second rates for commands and network bytes, as Redis's
/// `trackInstantaneousMetric`.
#[derive(Debug, Default, Clone)]
pub struct InstMetrics {
    samples: [[u64; SAMPLES]; 3],
    idx: usize,
    last_ms: i64,
    last: [u64; 3],
}

impl InstMetrics {
    pub fn average(&self, metric: usize) -> u64 {
        self.samples[metric].iter().sum::<u64>() / SAMPLES as u64
    }
}

/// Records one sample of the instantaneous metrics if at least 100 ms passed since the last.
/// Called by the cron.
pub fn sample_metrics(srv: &mut Server, now_ms: i64) {
    let current = [
        srv.stats.commands_processed,
        srv.stats.net_input_bytes,
        srv.stats.net_output_bytes,
    ];
    let m = &mut srv.inst_metrics;
    if m.last_ms == 0 {
        m.last_ms = now_ms;
        m.last = current;
        return;
    }
    let elapsed = now_ms - m.last_ms;
    if elapsed < SAMPLE_PERIOD_MS {
        return;
    }
    for (metric, &now) in current.iter().enumerate() {
        let delta = now.saturating_sub(m.last[metric]);
        m.samples[metric][m.idx] = delta.saturating_mul(1000) / elapsed as u64;
    }
    m.idx = (m.idx + 1) % SAMPLES;
    m.last_ms = now_ms;
    m.last = current;
}
