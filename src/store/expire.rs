//! Active expiry: Redis 7.0's adaptive cycle.
//!
//! Lazy expiry alone would keep a key that is never read again forever. The cycle samples keys
//! that have a TTL and deletes the expired ones, repeating on a database while more than the
//! acceptable share of a sample was stale, within a time budget:
//! - the *slow* cycle runs from the cron and may use `25% + 2%·effort` of a tick;
//! - the *fast* cycle runs before the reactor sleeps, for at most `1 ms + 0.25 ms·effort`, and
//!   only when the last slow cycle ran out of time or the estimated stale share is too high.
//!
//! Sampling walks each database's dense TTL list (`Db::expires`) from a persistent cursor, so
//! every sampled key costs O(1) and successive cycles cover the whole list.

use std::time::Instant;

use super::db::{Db, Deletion};

/// Keys sampled per database per iteration at effort 1.
const KEYS_PER_LOOP: u64 = 20;
/// Fast cycle budget at effort 1, in microseconds.
const FAST_DURATION_US: u64 = 1000;
/// Share of a cron tick the slow cycle may use at effort 1, in percent.
const SLOW_TIME_PERC: u64 = 25;
/// Stale share (percent) below which a database is left alone, at effort 1.
const ACCEPTABLE_STALE: u64 = 10;
/// Databases visited per slow cycle when none ran out of time.
const DBS_PER_CALL: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CycleKind {
    Slow,
    Fast,
}

/// State carried between cycles, and the statistics INFO reports.
#[derive(Debug, Default)]
pub struct ActiveExpire {
    /// Next database to visit.
    current_db: usize,
    /// The last cycle stopped because it ran out of time.
    timelimit_exit: bool,
    /// Start of the last fast cycle (µs since `epoch`).
    last_fast_us: u64,
    epoch: Option<Instant>,
    /// Estimated share of stale keys among keys with a TTL (0.0–1.0), INFO
    /// `expired_stale_perc` ×100.
    pub stale_perc: f64,
    /// INFO `expired_time_cap_reached_count`.
    pub time_cap_reached: u64,
    /// Keys this cycle deleted since start (INFO `expired_keys` adds lazy expiries).
    pub expired: u64,
}

/// Effort-scaled parameters (`active-expire-effort` 1–10).
struct Params {
    keys_per_loop: u64,
    fast_duration_us: u64,
    slow_time_perc: u64,
    acceptable_stale: u64,
}

impl Params {
    fn new(effort: u32) -> Params {
        let e = effort.clamp(1, 10) as u64 - 1;
        Params {
            keys_per_loop: KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * e,
            fast_duration_us: FAST_DURATION_US + FAST_DURATION_US / 4 * e,
            slow_time_perc: SLOW_TIME_PERC + 2 * e,
            acceptable_stale: ACCEPTABLE_STALE - e,
        }
    }
}

impl ActiveExpire {
    fn micros(&mut self) -> u64 {
        self.epoch
            .get_or_insert_with(Instant::now)
            .elapsed()
            .as_micros() as u64
    }

    /// Runs one cycle over `dbs`; `now_ms` is the unix time in ms, `hz` the cron frequency,
    /// `effort` the `active-expire-effort` setting. Returns the keys deleted.
    pub fn run(
        &mut self,
        dbs: &mut [Db],
        kind: CycleKind,
        now_ms: impl Fn() -> i64,
        hz: u32,
        effort: u32,
    ) -> u64 {
        if dbs.is_empty() {
            return 0;
        }
        let p = Params::new(effort);
        // The fast cycle runs before every sleep: decide to skip it before reading the clock.
        if kind == CycleKind::Fast
            && !self.timelimit_exit
            && self.stale_perc * 100.0 < p.acceptable_stale as f64
        {
            return 0;
        }
        let start = self.micros();
        if kind == CycleKind::Fast {
            if start < self.last_fast_us + p.fast_duration_us * 2 {
                return 0;
            }
            self.last_fast_us = start;
        }
        let dbs_per_call = if self.timelimit_exit {
            dbs.len()
        } else {
            DBS_PER_CALL.min(dbs.len())
        };
        let timelimit_us = match kind {
            CycleKind::Fast => p.fast_duration_us,
            CycleKind::Slow => (p.slow_time_perc * 1_000_000 / hz.max(1) as u64 / 100).max(1),
        };
        self.timelimit_exit = false;
        let mut total_sampled = 0u64;
        let mut total_expired = 0u64;
        let mut iteration = 0u64;
        'dbs: for _ in 0..dbs_per_call {
            let idx = self.current_db % dbs.len();
            self.current_db = self.current_db.wrapping_add(1);
            let db = &mut dbs[idx];
            loop {
                if db.expires_len() == 0 {
                    db.avg_ttl = 0;
                    break;
                }
                let now = now_ms();
                let want = (db.expires_len() as u64).min(p.keys_per_loop);
                let (sampled, expired, ttl_sum, ttl_samples) = sample(db, want, now);
                total_sampled += sampled;
                total_expired += expired;
                if ttl_samples > 0 {
                    let avg = ttl_sum / ttl_samples as i64;
                    db.avg_ttl = if db.avg_ttl == 0 {
                        avg
                    } else {
                        (db.avg_ttl / 50) * 49 + avg / 50
                    };
                }
                iteration += 1;
                if iteration.is_multiple_of(16) && self.micros() - start > timelimit_us {
                    self.timelimit_exit = true;
                    self.time_cap_reached += 1;
                    break 'dbs;
                }
                if sampled == 0 || expired * 100 / sampled <= p.acceptable_stale {
                    break;
                }
            }
        }
        let current = if total_sampled > 0 {
            total_expired as f64 / total_sampled as f64
        } else {
            0.0
        };
        self.stale_perc = current * 0.05 + self.stale_perc * 0.95;
        self.expired += total_expired;
        total_expired
    }
}

/// Samples up to `want` keys from `db`'s TTL list at its cursor, deleting expired ones.
/// Returns (sampled, expired, sum of remaining TTLs, keys in that sum).
fn sample(db: &mut Db, want: u64, now_ms: i64) -> (u64, u64, i64, u64) {
    let mut sampled = 0;
    let mut expired = 0;
    let mut ttl_sum: i64 = 0;
    let mut ttl_samples = 0;
    while sampled < want && db.expires_len() > 0 {
        let pos = db.expire_cursor % db.expires_len();
        let (slot, at) = db.expires()[pos];
        sampled += 1;
        if at < now_ms {
            // The last entry moves into `pos`; the cursor stays to look at it next.
            db.delete_logged(slot, Deletion::ExpiredActive);
            expired += 1;
        } else {
            ttl_sum = ttl_sum.saturating_add(at - now_ms);
            ttl_samples += 1;
            db.expire_cursor = pos + 1;
        }
    }
    (sampled, expired, ttl_sum, ttl_samples)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Value;

    #[test]
    fn slow_cycles_remove_most_expired_keys() {
        let mut dbs = vec![Db::new()];
        for i in 0..10_000 {
            let slot = dbs[0].set(format!("k{i}").as_bytes(), Value::Int(i), false, 0);
            dbs[0].set_expire(slot, if i % 10 == 0 { 1_000_000 } else { 10 });
        }
        let mut cycle = ActiveExpire::default();
        for _ in 0..100 {
            cycle.run(&mut dbs, CycleKind::Slow, || 500, 10, 1);
        }
        assert_eq!(dbs[0].len(), 1000);
        assert_eq!(dbs[0].expires_len(), 1000);
        assert!(dbs[0].avg_ttl > 0);
    }

    #[test]
    fn fast_cycle_skips_when_little_is_stale() {
        let mut dbs = vec![Db::new()];
        let slot = dbs[0].set(b"k", Value::Int(1), false, 0);
        dbs[0].set_expire(slot, 10);
        let mut cycle = ActiveExpire::default();
        assert_eq!(cycle.run(&mut dbs, CycleKind::Fast, || 500, 10, 1), 0);
        assert_eq!(cycle.run(&mut dbs, CycleKind::Slow, || 500, 10, 1), 1);
    }
}
