//! Per-API-key rate limiting: a token bucket per key (`governor`'s GCRA), refilled at a steady
//! rate up to a burst size.
//!
//! Buckets are keyed by API key id, after authentication: unknown keys never reach a bucket, so
//! the table holds at most one small entry per key that exists.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

/// The buckets of every API key.
pub struct RateLimiter {
    buckets: DefaultKeyedRateLimiter<i64>,
    clock: DefaultClock,
}

impl RateLimiter {
    /// Buckets that refill `per_second` requests a second and hold at most `burst`; `None`
    /// (no limiting) when either is 0.
    pub fn new(per_second: u32, burst: u32) -> Option<Self> {
        let per_second = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(burst)?;
        let quota = Quota::per_second(per_second).allow_burst(burst);
        Some(Self {
            buckets: DefaultKeyedRateLimiter::keyed(quota),
            clock: DefaultClock::default(),
        })
    }

    /// Takes one request from the bucket of key `key_id`.
    ///
    /// # Errors
    /// When the bucket is empty: how long until it holds a request again.
    pub fn check(&self, key_id: i64) -> Result<(), Duration> {
        self.buckets
            .check_key(&key_id)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }
}

/// A `Retry-After` value: whole seconds, rounded up, at least 1.
pub fn retry_after_secs(wait: Duration) -> u64 {
    let whole = wait.as_secs();
    let secs = if wait.subsec_nanos() > 0 {
        whole + 1
    } else {
        whole
    };
    secs.max(1)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn zero_disables() {
        assert!(RateLimiter::new(0, 10).is_none());
        assert!(RateLimiter::new(10, 0).is_none());
    }

    #[test]
    fn burst_then_refusal_per_key() {
        // 1 request a second, burst 2: two pass at once, the third waits for about a second.
        let limiter = RateLimiter::new(1, 2).unwrap();
        assert!(limiter.check(7).is_ok());
        assert!(limiter.check(7).is_ok());
        let wait = limiter.check(7).unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        // Another key has its own bucket.
        assert!(limiter.check(8).is_ok());
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_secs(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_secs(Duration::ZERO), 1);
        assert_eq!(retry_after_secs(Duration::from_secs(2)), 2);
        assert_eq!(retry_after_secs(Duration::from_millis(2001)), 3);
    }
}
