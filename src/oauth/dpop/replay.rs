//! The `jti` replay cache (RFC 9449 section 11.1). Per process: a proof
//! replayed against another process of the same deployment is not caught
//! here. What bounds that is the `iat` window (a proof is only good for
//! `max_age` seconds) and, on sites that require them, server nonces (a
//! captured proof dies with its nonce). See `docs/oauth-design.md`.

use std::sync::atomic::{AtomicI64, Ordering};

use dashmap::DashMap;
use sha2::{Digest, Sha256};

use super::ProofError;

/// Seen proofs, keyed by a digest of (site, key thumbprint, `jti`) so an
/// entry's size does not depend on what the client sent.
pub struct ReplayCache {
    seen: DashMap<[u8; 32], i64>,
    capacity: usize,
    /// Expired entries are swept at most this often, or when the cache is full.
    next_sweep: AtomicI64,
}

const SWEEP_EVERY_SECS: i64 = 10;

impl ReplayCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            seen: DashMap::new(),
            capacity,
            next_sweep: AtomicI64::new(0),
        }
    }

    /// Records a proof that is usable until `usable_until`. A proof seen
    /// before and still usable is a replay. When the cache is full of live
    /// entries, proofs are refused rather than old ones forgotten: forgetting
    /// would let those be replayed.
    pub fn record(
        &self,
        site_id: i64,
        jkt: &str,
        jti: &str,
        usable_until: i64,
        now: i64,
    ) -> Result<(), ProofError> {
        let mut digest = Sha256::new();
        digest.update(site_id.to_be_bytes());
        digest.update(jkt.as_bytes());
        digest.update([0]);
        digest.update(jti.as_bytes());
        let key: [u8; 32] = digest.finalize().into();
        if self.seen.get(&key).is_some_and(|until| *until >= now) {
            return Err(ProofError::Replayed);
        }
        let due = self.next_sweep.load(Ordering::Relaxed);
        if now >= due || self.seen.len() >= self.capacity {
            self.sweep(now);
            if self.seen.len() >= self.capacity {
                return Err(ProofError::Busy);
            }
        }
        match self.seen.entry(key) {
            dashmap::Entry::Occupied(mut seen) => {
                if *seen.get() >= now {
                    return Err(ProofError::Replayed);
                }
                seen.insert(usable_until);
            }
            dashmap::Entry::Vacant(slot) => {
                slot.insert(usable_until);
            }
        }
        Ok(())
    }

    fn sweep(&self, now: i64) {
        self.next_sweep
            .store(now + SWEEP_EVERY_SECS, Ordering::Relaxed);
        self.seen.retain(|_, usable_until| *usable_until >= now);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.seen.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jti_is_refused_the_second_time_while_the_proof_is_usable() {
        let cache = ReplayCache::new(10);
        assert!(cache.record(1, "k", "a", 160, 100).is_ok());
        assert_eq!(
            cache.record(1, "k", "a", 160, 120),
            Err(ProofError::Replayed)
        );
        // Another key, site or jti is another proof.
        assert!(cache.record(1, "other", "a", 160, 120).is_ok());
        assert!(cache.record(2, "k", "a", 160, 120).is_ok());
        assert!(cache.record(1, "k", "b", 160, 120).is_ok());
        // Once the proof is stale anyway, its entry may go.
        assert!(cache.record(1, "k", "a", 300, 200).is_ok());
    }

    #[test]
    fn a_full_cache_refuses_instead_of_forgetting() {
        let cache = ReplayCache::new(2);
        assert!(cache.record(1, "k", "a", 160, 100).is_ok());
        assert!(cache.record(1, "k", "b", 160, 100).is_ok());
        assert_eq!(cache.record(1, "k", "c", 160, 100), Err(ProofError::Busy));
        assert_eq!(
            cache.record(1, "k", "a", 160, 101),
            Err(ProofError::Replayed)
        );
        // Expired entries make room.
        assert!(cache.record(1, "k", "c", 400, 200).is_ok());
        assert_eq!(cache.len(), 1);
    }
}
