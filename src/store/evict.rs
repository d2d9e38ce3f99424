//! Access tracking (LRU clock or LFU counter) and `maxmemory` eviction.
//!
//! Every key carries one 32-bit `access` field, read according to the policy as Redis reads
//! its 24-bit `lru` field:
//! - LRU policies: the LRU clock (seconds since start) of the last access.
//! - LFU policies: `minutes << 8 | counter`, where `counter` is a Morris counter that grows
//!   logarithmically with accesses (`lfu-log-factor`) and is decremented once per
//!   `lfu-decay-time` minutes of idleness, and `minutes` is the (16-bit) time of the last
//!   decrement.
//!
//! Eviction approximates the ideal victim by sampling, as Redis does: each round samples
//! `maxmemory-samples` keys per database into a small pool of the best candidates seen so far
//! and evicts the best one still present.

use std::time::Instant;

use super::bytes::SmallBytes;
use super::db::{Db, Deletion};
use crate::config::{Config, MaxmemoryPolicy};

/// Counter given to a new key under LFU, so it is not evicted before it had a chance.
pub const LFU_INIT_VAL: u32 = 5;
/// Candidates kept between sampling rounds.
const POOL_SIZE: usize = 16;

fn minutes(now_ms: i64) -> u32 {
    ((now_ms / 60_000) & 0xffff) as u32
}

/// What the LRU clock reads at start-up: far enough from zero that RESTORE IDLETIME and
/// loaded IDLE opcodes can place a key's last access long before the server started.
pub const LRU_EPOCH: u32 = 1 << 30;

/// The LRU `access` value of a key last used `idle_secs` ago.
pub fn lru_idle_clock(lru_clock: u32, idle_secs: i64) -> u32 {
    let idle = u32::try_from(idle_secs.max(0)).unwrap_or(u32::MAX);
    lru_clock.saturating_sub(idle)
}

/// The LFU `access` value holding `counter` (0..=255), last decremented now.
pub fn lfu_with_counter(now_ms: i64, counter: u32) -> u32 {
    (minutes(now_ms) << 8) | counter.min(255)
}

/// The `access` value of a key created now.
pub fn initial_access(policy: MaxmemoryPolicy, now_ms: i64, lru_clock: u32) -> u32 {
    if policy.is_lfu() {
        (minutes(now_ms) << 8) | LFU_INIT_VAL
    } else {
        lru_clock
    }
}

/// The LFU counter after applying decay for the minutes since its last decrement.
pub fn lfu_decayed(access: u32, now_ms: i64, decay_time: u32) -> u32 {
    // 16 bits of minutes, as in Redis; an LRU clock left from before a policy switch holds
    // more, read the way Redis reads its 24-bit field.
    let last = (access >> 8) & 0xffff;
    let counter = access & 0xff;
    let now = minutes(now_ms);
    let elapsed = if now >= last {
        now - last
    } else {
        65535 - last + now
    };
    let periods = elapsed.checked_div(decay_time).unwrap_or(0);
    counter.saturating_sub(periods)
}

/// The new `access` value after an access.
pub fn touched(access: u32, config: &Config, now_ms: i64, lru_clock: u32, rand: u64) -> u32 {
    if !config.maxmemory_policy.is_lfu() {
        return lru_clock;
    }
    let mut counter = lfu_decayed(access, now_ms, config.lfu_decay_time);
    if counter < 255 {
        let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
        let p = 1.0 / (base * config.lfu_log_factor as f64 + 1.0);
        let r = (rand >> 11) as f64 / (1u64 << 53) as f64;
        if r < p {
            counter += 1;
        }
    }
    (minutes(now_ms) << 8) | counter
}

/// How good a victim a key is under `policy`: larger is evicted first.
fn score(
    db: &Db,
    slot: u32,
    policy: MaxmemoryPolicy,
    config: &Config,
    now_ms: i64,
    lru: u32,
) -> u64 {
    let Some(entry) = db.entry(slot) else {
        return 0;
    };
    match policy {
        MaxmemoryPolicy::VolatileTtl => {
            u64::MAX - db.expire_at(slot).unwrap_or(i64::MAX).max(0) as u64
        }
        p if p.is_lfu() => 255 - lfu_decayed(entry.access, now_ms, config.lfu_decay_time) as u64,
        _ => lru.wrapping_sub(entry.access) as u64,
    }
}

#[derive(Debug)]
struct Candidate {
    score: u64,
    db: usize,
    key: SmallBytes,
}

/// The eviction pool, kept between calls as Redis keeps `EvictionPoolLRU`.
#[derive(Debug, Default)]
pub struct Evictor {
    pool: Vec<Candidate>,
    /// Next database for the random policies.
    next_db: usize,
    /// Keys evicted since start (INFO `evicted_keys`).
    pub evicted: u64,
    /// Of which because of `maxmemory-rss`.
    pub evicted_for_rss: u64,
}

/// Outcome of an eviction attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Eviction {
    /// Under the limit (now or already).
    Ok,
    /// Over the limit and nothing more can be evicted.
    Fail,
    /// Stopped by the time limit while still over; the next command continues.
    Running,
}

impl Evictor {
    /// Evicts keys from `dbs` until `used()` ≤ `limit`, within the tenacity time limit.
    #[allow(clippy::too_many_arguments)]
    pub fn evict_until(
        &mut self,
        dbs: &mut [Db],
        config: &Config,
        limit: usize,
        used: impl Fn() -> usize,
        now_ms: i64,
        lru_clock: u32,
        mut rand: impl FnMut() -> u64,
    ) -> Eviction {
        if used() <= limit {
            return Eviction::Ok;
        }
        let policy = config.maxmemory_policy;
        if policy == MaxmemoryPolicy::NoEviction {
            return Eviction::Fail;
        }
        let started = Instant::now();
        let time_limit_us = time_limit_us(config.maxmemory_eviction_tenacity);
        let mut rounds = 0u32;
        while used() > limit {
            let victim = match policy {
                MaxmemoryPolicy::AllkeysRandom | MaxmemoryPolicy::VolatileRandom => {
                    self.random_victim(dbs, policy.volatile_only(), &mut rand)
                }
                _ => self.pooled_victim(dbs, config, now_ms, lru_clock, &mut rand),
            };
            let Some((db, slot)) = victim else {
                return Eviction::Fail;
            };
            // Logged for the server's "key deleted" hook (WATCH, notifications).
            dbs[db].delete_logged(slot, Deletion::Evicted);
            self.evicted += 1;
            rounds += 1;
            if rounds.is_multiple_of(16) && started.elapsed().as_micros() as u64 > time_limit_us {
                return Eviction::Running;
            }
        }
        Eviction::Ok
    }

    fn random_victim(
        &mut self,
        dbs: &[Db],
        volatile: bool,
        rand: &mut impl FnMut() -> u64,
    ) -> Option<(usize, u32)> {
        for _ in 0..dbs.len() {
            let idx = self.next_db % dbs.len();
            self.next_db = self.next_db.wrapping_add(1);
            let db = &dbs[idx];
            let slot = if volatile {
                let ttl = db.expires();
                if ttl.is_empty() {
                    continue;
                }
                ttl[(rand() % ttl.len() as u64) as usize].0
            } else {
                match db.random_slot(&mut *rand) {
                    Some(s) => s,
                    None => continue,
                }
            };
            return Some((idx, slot));
        }
        None
    }

    /// Samples every database into the pool and takes the best candidate still present.
    fn pooled_victim(
        &mut self,
        dbs: &[Db],
        config: &Config,
        now_ms: i64,
        lru: u32,
        rand: &mut impl FnMut() -> u64,
    ) -> Option<(usize, u32)> {
        let policy = config.maxmemory_policy;
        let volatile = policy.volatile_only();
        loop {
            let mut sampled_any = false;
            for (idx, db) in dbs.iter().enumerate() {
                let population = if volatile { db.expires_len() } else { db.len() };
                if population == 0 {
                    continue;
                }
                for _ in 0..config.maxmemory_samples.max(1) {
                    let slot = if volatile {
                        let ttl = db.expires();
                        ttl[(rand() % ttl.len() as u64) as usize].0
                    } else {
                        match db.random_slot(&mut *rand) {
                            Some(s) => s,
                            None => break,
                        }
                    };
                    let Some(entry) = db.entry(slot) else {
                        continue;
                    };
                    sampled_any = true;
                    let s = score(db, slot, policy, config, now_ms, lru);
                    self.offer(Candidate {
                        score: s,
                        db: idx,
                        key: entry.key.clone(),
                    });
                }
            }
            // Best first: the pool is kept sorted by descending score.
            while !self.pool.is_empty() {
                let best = self.pool.remove(0);
                let Some(db) = dbs.get(best.db) else { continue };
                if let Some(slot) = db.find(&best.key) {
                    if !volatile || db.expire_at(slot).is_some() {
                        return Some((best.db, slot));
                    }
                }
            }
            if !sampled_any {
                return None;
            }
        }
    }

    fn offer(&mut self, c: Candidate) {
        if self
            .pool
            .iter()
            .any(|p| p.db == c.db && p.key.as_slice() == c.key.as_slice())
        {
            return;
        }
        let pos = self.pool.partition_point(|p| p.score >= c.score);
        if pos >= POOL_SIZE {
            return;
        }
        self.pool.insert(pos, c);
        self.pool.truncate(POOL_SIZE);
    }

    /// Forgets pooled candidates (FLUSHALL, SWAPDB …) so stale names are not evicted.
    pub fn clear(&mut self) {
        self.pool.clear();
    }
}

/// Redis's `evictionTimeLimitUs`: how long one call may evict, by tenacity.
fn time_limit_us(tenacity: u32) -> u64 {
    if tenacity <= 10 {
        50 * tenacity as u64
    } else if tenacity < 100 {
        (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64
    } else {
        u64::MAX
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Value;

    #[test]
    fn an_lru_value_read_as_lfu_after_a_policy_switch_does_not_overflow() {
        let lru_value = LRU_EPOCH + 12_345;
        let counter = lfu_decayed(lru_value, 0, 1);
        assert!(counter <= 255);
    }

    fn filled(n: usize, with_ttl_every: usize) -> Vec<Db> {
        let mut db = Db::new();
        for i in 0..n {
            let slot = db.set(
                format!("k{i}").as_bytes(),
                Value::Int(i as i64),
                false,
                i as u32,
            );
            if with_ttl_every > 0 && i % with_ttl_every == 0 {
                db.set_expire(slot, 1_000_000 + i as i64);
            }
        }
        vec![db]
    }

    #[test]
    fn volatile_policies_never_touch_persistent_keys() {
        for policy in [
            MaxmemoryPolicy::VolatileLru,
            MaxmemoryPolicy::VolatileLfu,
            MaxmemoryPolicy::VolatileRandom,
            MaxmemoryPolicy::VolatileTtl,
        ] {
            let mut dbs = filled(1000, 10);
            let config = Config {
                maxmemory_policy: policy,
                ..Config::default()
            };
            let mut ev = Evictor::default();
            let mut x = 7u64;
            let mut rand = || {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            };
            // Ask for everything: only the 100 keys with a TTL may go, then it fails.
            let mut result = Eviction::Running;
            while result == Eviction::Running {
                result = ev.evict_until(&mut dbs, &config, 0, || 1, 0, 5000, &mut rand);
            }
            assert_eq!(result, Eviction::Fail, "{policy:?}");
            assert_eq!(dbs[0].len(), 900, "{policy:?}");
            assert_eq!(dbs[0].expires_len(), 0);
        }
    }

    #[test]
    fn lru_prefers_idle_keys_and_ttl_prefers_near_deadlines() {
        let mut dbs = filled(1000, 1);
        let config = Config {
            maxmemory_policy: MaxmemoryPolicy::AllkeysLru,
            ..Config::default()
        };
        let mut ev = Evictor::default();
        let mut x = 11u64;
        let mut rand = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        // "Used memory" is one unit per call: the evictor runs about 500 rounds.
        let left = std::cell::Cell::new(500usize);
        let used = || {
            let v = left.get();
            left.set(v.saturating_sub(1));
            v
        };
        while left.get() > 0 {
            ev.evict_until(&mut dbs, &config, 0, used, 0, 5000, &mut rand);
        }
        let survivors_old = (0..250)
            .filter(|i| dbs[0].find(format!("k{i}").as_bytes()).is_some())
            .count();
        let survivors_new = (750..1000)
            .filter(|i| dbs[0].find(format!("k{i}").as_bytes()).is_some())
            .count();
        assert!(
            survivors_new > survivors_old * 2,
            "{survivors_old} {survivors_new}"
        );
    }

    #[test]
    fn lfu_counter_grows_logarithmically_and_decays() {
        let config = Config {
            maxmemory_policy: MaxmemoryPolicy::AllkeysLfu,
            ..Config::default()
        };
        let mut access = initial_access(config.maxmemory_policy, 0, 0);
        let mut x = 3u64;
        for _ in 0..1000 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            access = touched(access, &config, 0, 0, x);
        }
        let counter = access & 0xff;
        assert!((10..40).contains(&counter), "{counter}");
        assert_eq!(lfu_decayed(access, 5 * 60_000, 1), counter - 5);
        assert_eq!(lfu_decayed(access, 600 * 60_000, 1), 0);
    }
}
