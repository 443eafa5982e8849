//! Rate limits: per site for beacons (counted in events) and per credential for the API
//! (counted in requests), so that one site's flood or one client's loop cannot take the
//! collector from the others. Over its limit a request is answered 429 with `Retry-After`, as
//! HubSpot answers; the tracker and HubSpot's clients retry after it. Load shedding (503)
//! stays the server's own protection, apart from these.
//!
//! Each key has a token bucket: `rate` tokens a second up to `burst`. The logic is pure (the
//! clock is an argument), so it is tested without waiting.

use std::collections::HashMap;
use std::sync::Mutex;

/// A limit: `rate` per second, up to `burst` at once. A rate of 0 is no limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// Tokens added per second.
    pub rate: f64,
    /// Most tokens a bucket holds (what may arrive at once after a quiet time).
    pub burst: f64,
}

impl Limit {
    /// No limit.
    pub const NONE: Limit = Limit {
        rate: 0.0,
        burst: 0.0,
    };

    /// `rate` per second with a burst of two seconds' worth.
    pub fn per_second(rate: u32) -> Self {
        Limit {
            rate: f64::from(rate),
            burst: 2.0 * f64::from(rate),
        }
    }
}

/// Buckets kept before idle ones are forgotten (a full bucket is the same as none).
const MAX_KEYS: usize = 10_000;

/// Token buckets by key.
#[derive(Debug)]
pub struct Limiter {
    limit: Limit,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: i64,
}

impl Limiter {
    /// Buckets of `limit`.
    pub fn new(limit: Limit) -> Self {
        Limiter {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes `cost` tokens from `key`'s bucket at `now_ms`; `Err` with the whole seconds to
    /// wait (at least 1) when there are not enough. A cost over the burst is allowed when
    /// the bucket is full (a large batch is not refused forever), and empties it.
    pub fn check(&self, key: &str, cost: f64, now_ms: i64) -> Result<(), u32> {
        if self.limit.rate <= 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_KEYS && !buckets.contains_key(key) {
            let limit = self.limit;
            buckets.retain(|_, b| refilled(limit, *b, now_ms) < limit.burst);
        }
        let bucket = buckets.entry(key.to_owned()).or_insert(Bucket {
            tokens: self.limit.burst,
            at_ms: now_ms,
        });
        let tokens = refilled(self.limit, *bucket, now_ms);
        let needed = cost.min(self.limit.burst);
        if tokens >= needed {
            *bucket = Bucket {
                tokens: tokens - cost.min(tokens),
                at_ms: now_ms,
            };
            return Ok(());
        }
        *bucket = Bucket {
            tokens,
            at_ms: now_ms,
        };
        let wait = (needed - tokens) / self.limit.rate;
        Err(wait.ceil().clamp(1.0, 3600.0) as u32)
    }
}

fn refilled(limit: Limit, bucket: Bucket, now_ms: i64) -> f64 {
    let elapsed = (now_ms - bucket.at_ms).max(0) as f64 / 1000.0;
    (bucket.tokens + elapsed * limit.rate).min(limit.burst)
}

/// The collector's limits.
#[derive(Debug)]
pub struct RateLimits {
    /// Beacon events per site.
    pub beacons: Limiter,
    /// API requests per credential.
    pub api: Limiter,
}

impl RateLimits {
    /// No limits (tests, benchmarks).
    pub fn none() -> Self {
        RateLimits::new(Limit::NONE, Limit::NONE)
    }

    /// The given limits.
    pub fn new(beacons: Limit, api: Limit) -> Self {
        RateLimits {
            beacons: Limiter::new(beacons),
            api: Limiter::new(api),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let limiter = Limiter::new(Limit::per_second(10));
        assert_eq!(limiter.check("a", 20.0, 0), Ok(()));
        assert_eq!(limiter.check("a", 1.0, 0), Err(1));
        // Another key has its own bucket.
        assert_eq!(limiter.check("b", 5.0, 0), Ok(()));
        // After half a second, five more.
        assert_eq!(limiter.check("a", 5.0, 500), Ok(()));
        assert_eq!(limiter.check("a", 5.0, 500), Err(1));
        // Waiting is said in whole seconds: 30 tokens at 10/s, capped to the burst of 20.
        assert_eq!(limiter.check("a", 30.0, 500), Err(2));
    }

    #[test]
    fn a_batch_over_the_burst_passes_on_a_full_bucket() {
        let limiter = Limiter::new(Limit::per_second(10));
        assert_eq!(limiter.check("a", 100.0, 0), Ok(()));
        assert_eq!(limiter.check("a", 1.0, 0), Err(1));
    }

    #[test]
    fn no_limit_never_refuses_and_keys_stay_bounded() {
        let none = Limiter::new(Limit::NONE);
        assert_eq!(none.check("a", 1e9, 0), Ok(()));
        let limiter = Limiter::new(Limit::per_second(1));
        for i in 0..(MAX_KEYS + 10) {
            let _ = limiter.check(&format!("k{i}"), 1.0, 0);
        }
        // Much later every bucket is full again and is forgotten when a new key comes.
        let _ = limiter.check("new", 1.0, 3_600_000);
        assert!(limiter.buckets.lock().unwrap().len() <= 2);
    }
}
