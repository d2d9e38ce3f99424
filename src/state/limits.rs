//! Per-client network limits: `client-output-buffer-limit` (Redis 7.0's rule) and the
//! read-side back-pressure ferrodis adds when the `normal` class has no limit.
//!
//! A client's class is `pubsub` while it has a subscription and `normal` otherwise (ferrodis
//! has no replicas yet: the `replica` limits are only kept for CONFIG). Its pending output
//! (written into its buffer, not yet sent) is checked after every command, after pub/sub
//! deliveries and once a second by the cron, as Redis checks on every reply append and in
//! `clientsCron`: at or above the hard limit, or at or above the soft limit for more than
//! soft-seconds, the client is closed.

use super::Client;
use crate::config::{OutputLimit, OutputLimits};

/// Output at which a `normal` client without output limits stops being read until its
/// client catches up (ferrodis's back-pressure; Redis reads on and lets the output grow).
pub const OUTPUT_PAUSE_BYTES: usize = 8 * 1024 * 1024;

/// The limits of `client`'s class and the class's name as Redis logs it.
pub fn class_limit<'a>(
    client: &Client,
    limits: &'a OutputLimits,
) -> (&'a OutputLimit, &'static str) {
    if client.subscribed() {
        (&limits.pubsub, "pubsub")
    } else {
        (&limits.normal, "normal")
    }
}

/// Redis's `checkClientOutputBufferLimits`: true when `pending` bytes of unsent output put
/// `client` past its class's hard limit, or above its soft limit for more than soft-seconds
/// (whole unix seconds, as Redis counts them). Starts or clears the soft-limit clock.
pub fn output_limit_reached(
    client: &mut Client,
    pending: usize,
    limits: &OutputLimits,
    now_s: i64,
) -> bool {
    let (limit, _) = class_limit(client, limits);
    if limit.hard == 0 && limit.soft == 0 {
        client.obuf_soft_since_s = 0;
        return false;
    }
    let pending = pending as u64;
    let hard = limit.hard > 0 && pending >= limit.hard;
    let mut soft = limit.soft > 0 && pending >= limit.soft;
    if soft {
        if client.obuf_soft_since_s == 0 {
            client.obuf_soft_since_s = now_s;
            soft = false;
        } else {
            let elapsed = now_s.saturating_sub(client.obuf_soft_since_s);
            soft = elapsed > i64::try_from(limit.soft_seconds).unwrap_or(i64::MAX);
        }
    } else {
        client.obuf_soft_since_s = 0;
    }
    hard || soft
}

/// Pending output at which `client` stops being read: 8 MiB, or its class's soft or hard
/// limit when larger, so that the pause never keeps a client from reaching a configured
/// limit (a hard limit closes the client before the pause is reached; a soft limit holds it
/// there until soft-seconds pass).
pub fn pause_threshold(client: &Client, limits: &OutputLimits) -> usize {
    let (limit, _) = class_limit(client, limits);
    let configured = usize::try_from(limit.hard.max(limit.soft)).unwrap_or(usize::MAX);
    OUTPUT_PAUSE_BYTES.max(configured)
}

/// A request left incomplete must grow by at least this much per `client-request-timeout`
/// window (or complete) for the client to stay connected.
pub const MIN_REQUEST_PROGRESS: u64 = 16 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        Client::new(1, "a".into(), "b".into(), 3, 0, true)
    }

    fn limits(hard: u64, soft: u64, soft_seconds: u64) -> OutputLimits {
        OutputLimits {
            normal: OutputLimit {
                hard,
                soft,
                soft_seconds,
            },
            ..OutputLimits::default()
        }
    }

    #[test]
    fn hard_limit_is_reached_at_its_size() {
        let mut c = client();
        let l = limits(100, 0, 0);
        assert!(!output_limit_reached(&mut c, 99, &l, 10));
        assert!(output_limit_reached(&mut c, 100, &l, 10));
    }

    #[test]
    fn soft_limit_needs_more_than_soft_seconds_above_it() {
        let mut c = client();
        let l = limits(0, 100, 2);
        assert!(!output_limit_reached(&mut c, 150, &l, 10));
        assert!(!output_limit_reached(&mut c, 150, &l, 12));
        assert!(output_limit_reached(&mut c, 150, &l, 13));
        // Dropping under the soft limit restarts the clock.
        assert!(!output_limit_reached(&mut c, 50, &l, 14));
        assert!(!output_limit_reached(&mut c, 150, &l, 15));
        assert!(!output_limit_reached(&mut c, 150, &l, 17));
    }

    #[test]
    fn pause_waits_for_configured_limits() {
        let c = client();
        assert_eq!(pause_threshold(&c, &limits(0, 0, 0)), OUTPUT_PAUSE_BYTES);
        assert_eq!(pause_threshold(&c, &limits(0, 100 << 20, 5)), 100 << 20);
        assert_eq!(
            pause_threshold(&c, &limits(1 << 20, 0, 0)),
            OUTPUT_PAUSE_BYTES
        );
    }
}
