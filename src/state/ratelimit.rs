//! Rate limiting: token buckets per connection (`client-rate-limit`) and for the whole server
//! (`global-rate-limit`), refilled continuously as golang.org/x/time/rate's `Limiter` is.
//!
//! Every request a client sends (any command, known or not, including AUTH, HELLO and QUIT)
//! takes one token from its own bucket and one from the server's, when each limit is on. A
//! bucket holds at most `*-burst` tokens and gains `*-rate-limit` tokens per second. Nothing
//! here touches a socket: [`RateLimits::admit`] only says whether a request may run now, must
//! wait until a given instant (`rate-limit-mode pause`: the reactor stops reading the client
//! and wakes it then) or is refused (`reject`). With both limits at 0 the reactor never calls
//! in here: it checks the cached flag [`RateLimits::on`] once per request.

use std::time::{Duration, Instant};

use crate::config::{Config, RateLimitMode};

/// Shortest wait handed to the reactor, so that a float rounding the wait to zero can never
/// make it spin (its poll timer has millisecond resolution anyway).
const MIN_WAIT: Duration = Duration::from_micros(1);

/// One token bucket. A new bucket is full, and so is one first used after the limits
/// changed.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokenBucket {
    tokens: f64,
    /// When `tokens` was last brought up to date; `None` for a bucket never used.
    last: Option<Instant>,
    /// The [`RateLimits::generation`] it was last refilled under.
    generation: u64,
}

impl TokenBucket {
    /// Adds the tokens earned since the last refill, capped at `burst`.
    fn refill(&mut self, rate: f64, burst: f64, now: Instant, generation: u64) {
        let earned = match self.last {
            Some(last) if self.generation == generation => {
                now.saturating_duration_since(last).as_secs_f64() * rate
            }
            _ => f64::INFINITY,
        };
        self.generation = generation;
        self.tokens = (self.tokens + earned).min(burst);
        self.last = Some(now);
    }

    /// Time until the bucket holds one whole token, at `rate` tokens per second.
    fn wait_for_one(&self, rate: f64) -> Duration {
        let secs = (1.0 - self.tokens) / rate;
        Duration::try_from_secs_f64(secs)
            .unwrap_or(MIN_WAIT)
            .max(MIN_WAIT)
    }
}

/// What may happen to a request now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Run it: the tokens are taken.
    Run,
    /// `rate-limit-mode pause`: hold it (and everything after it) until this instant.
    Wait(Instant),
    /// `rate-limit-mode reject`: answer it with [`REJECTED`] and go on.
    Refuse,
}

/// The error a refused request gets.
pub const REJECTED: &str = "ERR rate limit exceeded";

/// The server's limits and its own bucket.
#[derive(Debug, Default)]
pub struct RateLimits {
    /// Either limit is set: the one thing the reactor looks at per request.
    pub on: bool,
    client: Option<(f64, f64)>,
    global: Option<(f64, f64)>,
    reject: bool,
    global_bucket: TokenBucket,
    /// Bumped by every [`RateLimits::configure`]: a CONFIG SET of any rate setting starts
    /// every bucket full again (a limit turned on counts from then, not from the last time
    /// it was on).
    generation: u64,
    /// The limits changed (CONFIG SET): the reactor lets every waiting client try again now
    /// rather than at the time the old limits gave it.
    pub changed: bool,
}

/// (rate, burst) of a limit, `None` when off; a burst of 0 means one second's worth.
fn limit(rate: u64, burst: u64) -> Option<(f64, f64)> {
    (rate > 0).then(|| {
        let burst = if burst == 0 { rate } else { burst };
        (rate as f64, burst as f64)
    })
}

impl RateLimits {
    /// Reads the limits from `cfg` (at start-up and after every CONFIG SET of one of them).
    pub fn configure(&mut self, cfg: &Config) {
        self.client = limit(cfg.client_rate_limit, cfg.client_rate_limit_burst);
        self.global = limit(cfg.global_rate_limit, cfg.global_rate_limit_burst);
        self.reject = cfg.rate_limit_mode == RateLimitMode::Reject;
        self.on = self.client.is_some() || self.global.is_some();
        self.generation += 1;
        self.changed = true;
    }

    /// Decides about one request of the client whose bucket is `bucket`, at `now`: takes a
    /// token from each bucket in force when every one of them has one, and otherwise takes
    /// nothing and says how long to wait (or to refuse).
    pub fn admit(&mut self, bucket: &mut TokenBucket, now: Instant) -> Admission {
        let mut wait = Duration::ZERO;
        if let Some((rate, burst)) = self.client {
            bucket.refill(rate, burst, now, self.generation);
            if bucket.tokens < 1.0 {
                wait = bucket.wait_for_one(rate);
            }
        }
        if let Some((rate, burst)) = self.global {
            self.global_bucket.refill(rate, burst, now, self.generation);
            if self.global_bucket.tokens < 1.0 {
                wait = wait.max(self.global_bucket.wait_for_one(rate));
            }
        }
        if wait.is_zero() {
            if self.client.is_some() {
                bucket.tokens -= 1.0;
            }
            if self.global.is_some() {
                self.global_bucket.tokens -= 1.0;
            }
            Admission::Run
        } else if self.reject {
            Admission::Refuse
        } else {
            Admission::Wait(now + wait)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(client: (u64, u64), global: (u64, u64), mode: RateLimitMode) -> RateLimits {
        let cfg = Config {
            client_rate_limit: client.0,
            client_rate_limit_burst: client.1,
            global_rate_limit: global.0,
            global_rate_limit_burst: global.1,
            rate_limit_mode: mode,
            ..Config::default()
        };
        let mut l = RateLimits::default();
        l.configure(&cfg);
        l
    }

    #[test]
    fn off_by_default() {
        let mut l = RateLimits::default();
        l.configure(&Config::default());
        assert!(!l.on);
    }

    #[test]
    fn burst_then_one_token_per_interval() {
        let mut l = limits((10, 3), (0, 0), RateLimitMode::Pause);
        let mut b = TokenBucket::default();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(l.admit(&mut b, t0), Admission::Run);
        }
        let Admission::Wait(until) = l.admit(&mut b, t0) else {
            panic!("the burst is spent");
        };
        assert_eq!(until - t0, Duration::from_millis(100));
        assert_eq!(l.admit(&mut b, until), Admission::Run);
        assert!(matches!(l.admit(&mut b, until), Admission::Wait(_)));
        // Idle time refills up to the burst, no further.
        let later = until + Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(l.admit(&mut b, later), Admission::Run);
        }
        assert!(matches!(l.admit(&mut b, later), Admission::Wait(_)));
    }

    #[test]
    fn burst_zero_means_one_second_of_tokens() {
        let mut l = limits((5, 0), (0, 0), RateLimitMode::Pause);
        let mut b = TokenBucket::default();
        let t0 = Instant::now();
        for _ in 0..5 {
            assert_eq!(l.admit(&mut b, t0), Admission::Run);
        }
        assert!(matches!(l.admit(&mut b, t0), Admission::Wait(_)));
    }

    #[test]
    fn global_bucket_is_shared_and_reject_takes_nothing() {
        let mut l = limits((0, 0), (2, 2), RateLimitMode::Reject);
        let (mut a, mut b) = (TokenBucket::default(), TokenBucket::default());
        let t0 = Instant::now();
        assert_eq!(l.admit(&mut a, t0), Admission::Run);
        assert_eq!(l.admit(&mut b, t0), Admission::Run);
        assert_eq!(l.admit(&mut a, t0), Admission::Refuse);
        assert_eq!(l.admit(&mut b, t0), Admission::Refuse);
        // Half a second later one token is back, and refusals did not spend it.
        let t1 = t0 + Duration::from_millis(500);
        assert_eq!(l.admit(&mut b, t1), Admission::Run);
        assert_eq!(l.admit(&mut a, t1), Admission::Refuse);
    }

    #[test]
    fn both_limits_must_allow_and_neither_is_spent_otherwise() {
        let mut l = limits((1, 1), (3, 3), RateLimitMode::Pause);
        let mut a = TokenBucket::default();
        let t0 = Instant::now();
        assert_eq!(l.admit(&mut a, t0), Admission::Run);
        let Admission::Wait(until) = l.admit(&mut a, t0) else {
            panic!("the client's bucket is empty");
        };
        assert_eq!(until - t0, Duration::from_secs(1));
        // The waiting client did not take from the server's bucket: two tokens are left.
        let mut others = [TokenBucket::default(); 3];
        assert_eq!(l.admit(&mut others[0], t0), Admission::Run);
        assert_eq!(l.admit(&mut others[1], t0), Admission::Run);
        let Admission::Wait(until) = l.admit(&mut others[2], t0) else {
            panic!("the server's bucket is empty");
        };
        let wait = (until - t0).as_secs_f64();
        assert!((wait - 1.0 / 3.0).abs() < 1e-6, "{wait}");
    }

    #[test]
    fn new_limits_start_every_bucket_full() {
        let mut l = limits((1, 1), (0, 0), RateLimitMode::Reject);
        let mut b = TokenBucket::default();
        let t0 = Instant::now();
        assert_eq!(l.admit(&mut b, t0), Admission::Run);
        assert_eq!(l.admit(&mut b, t0), Admission::Refuse);
        l.configure(&Config {
            client_rate_limit: 2,
            rate_limit_mode: RateLimitMode::Reject,
            ..Config::default()
        });
        assert_eq!(l.admit(&mut b, t0), Admission::Run);
        assert_eq!(l.admit(&mut b, t0), Admission::Run);
        assert_eq!(l.admit(&mut b, t0), Admission::Refuse);
    }
}
