//! Each site's signing keys, opened and ready, kept per process. Evicted by
//! the `signing-key` change (another process rotated) and reloaded after
//! `MAX_AGE_SECS` in any case, so a missed change cannot last.

use std::sync::Arc;

use dashmap::DashMap;
use jsonwebtoken::{DecodingKey, EncodingKey};

use super::keygen::SigningAlg;

/// A loaded key set is trusted this long at most.
pub const MAX_AGE_SECS: i64 = 300;

/// The key that signs. No `Debug`: it holds the private key.
pub struct ActiveKey {
    pub id: i64,
    pub kid: String,
    pub alg: SigningAlg,
    pub encoding: EncodingKey,
    pub activated_at: i64,
}

pub struct VerifyingKey {
    pub kid: String,
    pub alg: SigningAlg,
    pub decoding: DecodingKey,
}

/// One site's keys as loaded from the store.
pub struct SiteKeys {
    pub current: ActiveKey,
    pub next_id: i64,
    pub next_alg: SigningAlg,
    /// `{"keys": [...]}`: current, next and still-needed retired keys.
    pub jwks: String,
    pub verifying: Vec<VerifyingKey>,
    /// The site's configured algorithm for new keys.
    pub configured_alg: SigningAlg,
    pub rotation_secs: i64,
    pub loaded_at: i64,
}

impl SiteKeys {
    /// The algorithms a relying party may see: the signing key's, and the
    /// next key's (which will sign after the next rotation).
    pub fn algorithms(&self) -> Vec<&'static str> {
        let mut algs = vec![self.current.alg.as_str()];
        if self.next_alg != self.current.alg {
            algs.push(self.next_alg.as_str());
        }
        algs
    }

    pub fn verifying_key(&self, kid: &str) -> Option<&VerifyingKey> {
        self.verifying.iter().find(|k| k.kid == kid)
    }
}

#[derive(Default)]
pub struct SigningKeyCache {
    sites: DashMap<i64, Arc<SiteKeys>>,
    lookups: crate::cache::HitCount,
}

impl SigningKeyCache {
    pub fn get(&self, site_id: i64, now: i64) -> Option<Arc<SiteKeys>> {
        self.lookups.count(
            self.sites
                .get(&site_id)
                .map(|k| k.clone())
                .filter(|k| now - k.loaded_at < MAX_AGE_SECS),
        )
    }

    pub fn put(&self, site_id: i64, keys: Arc<SiteKeys>) {
        self.sites.insert(site_id, keys);
    }

    pub fn lookups(&self) -> &crate::cache::HitCount {
        &self.lookups
    }

    pub fn evict_site(&self, site_id: i64) {
        self.sites.remove(&site_id);
    }

    pub fn clear(&self) {
        self.sites.clear();
    }
}
