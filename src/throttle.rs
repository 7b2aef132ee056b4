//! Throttling of failed sign-ins per site, username and client IP.
//!
//! After `limit` failures the key is locked out for a minute, doubling with
//! each further failure up to fifteen minutes. A success clears the key.
//! The state is per process: with several processes an attacker gets at most
//! `limit` tries per process before every one of them locks.

use dashmap::DashMap;

const BASE_LOCK_SECS: i64 = 60;
const MAX_LOCK_SECS: i64 = 15 * 60;
/// Failures older than this are forgotten.
const MEMORY_SECS: i64 = 60 * 60;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ThrottleKey {
    pub site_id: i64,
    pub username: String,
    pub ip: String,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: i64,
}

pub struct LoginThrottle {
    limit: u32,
    failures: DashMap<ThrottleKey, Failures>,
}

impl LoginThrottle {
    pub fn new(limit: u32) -> Self {
        Self {
            limit,
            failures: DashMap::new(),
        }
    }

    /// `Err(seconds)` while the key is locked out.
    pub fn check(&self, key: &ThrottleKey, now: i64) -> Result<(), i64> {
        let Some(f) = self.failures.get(key).map(|f| *f) else {
            return Ok(());
        };
        if f.count < self.limit {
            return Ok(());
        }
        let exponent = (f.count - self.limit).min(10);
        let lock = (BASE_LOCK_SECS << exponent).min(MAX_LOCK_SECS);
        let until = f.last + lock;
        if now < until {
            Err(until - now)
        } else {
            Ok(())
        }
    }

    pub fn record_failure(&self, key: ThrottleKey, now: i64) {
        if self.failures.len() > 100_000 {
            self.failures.retain(|_, f| now - f.last < MEMORY_SECS);
        }
        let mut entry = self.failures.entry(key).or_insert(Failures {
            count: 0,
            last: now,
        });
        if now - entry.last >= MEMORY_SECS {
            entry.count = 0;
        }
        entry.count += 1;
        entry.last = now;
    }

    pub fn clear(&self, key: &ThrottleKey) {
        self.failures.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ThrottleKey {
        ThrottleKey {
            site_id: 1,
            username: "alice".into(),
            ip: "127.0.0.1".into(),
        }
    }

    #[test]
    fn locks_after_the_limit_and_doubles() {
        let throttle = LoginThrottle::new(3);
        for _ in 0..3 {
            assert!(throttle.check(&key(), 100).is_ok());
            throttle.record_failure(key(), 100);
        }
        assert_eq!(throttle.check(&key(), 100), Err(60));
        assert!(throttle.check(&key(), 161).is_ok());
        throttle.record_failure(key(), 161);
        assert_eq!(throttle.check(&key(), 161), Err(120));
        throttle.clear(&key());
        assert!(throttle.check(&key(), 161).is_ok());
    }
}
