//! Rate limiting of invite guessing: a small in-memory token bucket per peer IP, drained by
//! failed `/auth/accept` attempts only (a person pasting a good link is never slowed down).
//! When a peer's bucket is empty its attempts are refused with 429 before the token is even
//! looked at. Time is passed in, so the bucket is unit-tested without sleeping.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many failures a peer may have in a burst, and how fast they are forgiven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Failures allowed in a burst.
    pub burst: u32,
    /// One failure is forgiven per this interval.
    pub refill: Duration,
}

impl Default for RateLimit {
    /// 10 failures, then one more every 6 seconds (10 a minute).
    fn default() -> Self {
        Self {
            burst: 10,
            refill: Duration::from_secs(6),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Per-IP buckets.
#[derive(Debug)]
pub(crate) struct Limiter {
    limit: RateLimit,
    // A sync mutex: held for a map lookup, never across an await.
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

/// Beyond this many tracked peers, full buckets are forgotten (bounded memory).
const MAX_PEERS: usize = 10_000;

impl Limiter {
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refilled(&self, b: Bucket, now: Instant) -> Bucket {
        let per = self.limit.refill.as_secs_f64().max(f64::EPSILON);
        let gained = now.saturating_duration_since(b.at).as_secs_f64() / per;
        Bucket {
            tokens: (b.tokens + gained).min(f64::from(self.limit.burst)),
            at: now,
        }
    }

    /// Whether `ip` may try now (it has failures left).
    pub(crate) fn allowed(&self, ip: IpAddr, now: Instant) -> bool {
        let buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        buckets
            .get(&ip)
            .is_none_or(|b| self.refilled(*b, now).tokens >= 1.0)
    }

    /// Records a failed attempt by `ip`.
    pub(crate) fn failed(&self, ip: IpAddr, now: Instant) {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= MAX_PEERS {
            let full = f64::from(self.limit.burst);
            buckets.retain(|_, b| self.refilled(*b, now).tokens < full);
        }
        let b = buckets.get(&ip).copied().unwrap_or(Bucket {
            tokens: f64::from(self.limit.burst),
            at: now,
        });
        let mut b = self.refilled(b, now);
        b.tokens = (b.tokens - 1.0).max(0.0);
        buckets.insert(ip, b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_drain_the_bucket_per_peer_and_time_refills_it() {
        let l = Limiter::new(RateLimit {
            burst: 3,
            refill: Duration::from_secs(10),
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let t = Instant::now();
        for _ in 0..3 {
            assert!(l.allowed(a, t));
            l.failed(a, t);
        }
        assert!(!l.allowed(a, t), "burst used up");
        assert!(l.allowed(b, t), "other peers are unaffected");
        assert!(!l.allowed(a, t + Duration::from_secs(9)));
        assert!(l.allowed(a, t + Duration::from_secs(10)), "one forgiven");
        l.failed(a, t + Duration::from_secs(10));
        assert!(!l.allowed(a, t + Duration::from_secs(11)));
        assert!(
            l.allowed(a, t + Duration::from_secs(1000)),
            "fully refilled"
        );
    }
}
