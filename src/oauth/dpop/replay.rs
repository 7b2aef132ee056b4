//! The `jti` replay check (RFC 9449 section 11.1), per (site, key
//! thumbprint), in the shared store: a proof is accepted once across every
//! process of the deployment, and no pool is shared by all keys, so a flood
//! of proofs by one key never refuses another key's proofs.
//!
//! The store decides: every new proof is inserted into `dpop_proofs` with
//! `ON CONFLICT DO NOTHING`, and was new if its row was inserted. Inserts go
//! through the group commit (`oauth/writer.rs`): one statement carries every
//! proof that arrived while the previous batch was in flight, and a token
//! request's proof goes out in the same batch as the token it pays for (the
//! token is stored only if the proof was new). In front of the store, each
//! process remembers the last [`SHARE_PER_KEY`] proofs of each key it
//! accepted, so a proof replayed against the same process is refused
//! without a round trip. That memory is bounded per key and in keys, and
//! forgetting is safe since the store still has the row.
//!
//! Rows live until the proof would be too old anyway (`iat` plus the
//! accepted age); the janitor deletes them after that (`janitor.rs`).

use dashmap::DashMap;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

use super::ProofError;
use crate::oauth::writer::GrantWriter;
use crate::store::{Committed, PendingWrite, ProofUse};

/// Proofs remembered per key in front of the store.
pub const SHARE_PER_KEY: usize = 64;
/// Keys remembered in front of the store; beyond, the memory starts over.
pub const MAX_FRONT_KEYS: usize = 4096;

type Digest32 = [u8; 32];

/// The replay check of one process.
pub struct ReplayGuard {
    front: FrontCache,
    writer: GrantWriter,
}

/// A proof's use, not recorded yet.
#[derive(Debug, Clone)]
pub struct PendingUse {
    key: Digest32,
    jti_hash: Digest32,
    row: ProofUse,
}

impl ReplayGuard {
    /// Records uses through `writer`, the group commit the token endpoint
    /// stores its codes with.
    pub fn new(writer: GrantWriter) -> Self {
        Self {
            front: FrontCache::new(SHARE_PER_KEY, MAX_FRONT_KEYS),
            writer,
        }
    }

    /// The use of a proof by the key `jkt` that is usable until
    /// `usable_until`; a proof this process accepted before is refused at
    /// once.
    pub fn prepare(
        &self,
        site_id: i64,
        jkt: &str,
        jti: &str,
        usable_until: i64,
        now: i64,
    ) -> Result<PendingUse, ProofError> {
        let key = key_digest(site_id, jkt);
        let jti_hash: Digest32 = Sha256::digest(jti.as_bytes()).into();
        if self.front.seen(&key, &jti_hash, now) {
            return Err(ProofError::Replayed);
        }
        Ok(PendingUse {
            key,
            jti_hash,
            row: ProofUse {
                site_id,
                jkt: jkt.to_owned(),
                jti_hash: jti_hash.to_vec(),
                expires_at: usable_until,
            },
        })
    }

    /// Records `pending` alone; a proof recorded before is a replay.
    pub async fn record(&self, pending: &PendingUse, now: i64) -> Result<(), ProofError> {
        let committed = self
            .writer
            .write(PendingWrite::Proof(pending.row.clone()))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "cannot record a DPoP proof");
                ProofError::Unavailable
            })?;
        if committed == Committed::ProofReplayed {
            return Err(ProofError::Replayed);
        }
        self.front
            .remember(pending.key, pending.jti_hash, pending.row.expires_at, now);
        Ok(())
    }
}

/// A digest of (site, key), so that an entry's size does not depend on
/// what the client sent.
fn key_digest(site_id: i64, jkt: &str) -> Digest32 {
    let mut digest = Sha256::new();
    digest.update(site_id.to_be_bytes());
    digest.update(jkt.as_bytes());
    digest.finalize().into()
}

/// Each key's last proofs, with until when each was usable.
struct FrontCache {
    keys: DashMap<Digest32, HashMap<Digest32, i64>>,
    share: usize,
    max_keys: usize,
}

impl FrontCache {
    fn new(share: usize, max_keys: usize) -> Self {
        Self {
            keys: DashMap::new(),
            share,
            max_keys,
        }
    }

    fn seen(&self, key: &Digest32, jti_hash: &Digest32, now: i64) -> bool {
        self.keys
            .get(key)
            .is_some_and(|proofs| proofs.get(jti_hash).is_some_and(|until| *until >= now))
    }

    /// Remembers an accepted proof in its key's share. A full share drops
    /// its expired entries, then, if still full, all of them: only this
    /// key's, and only here (the store keeps them).
    fn remember(&self, key: Digest32, jti_hash: Digest32, usable_until: i64, now: i64) {
        if self.keys.len() >= self.max_keys && !self.keys.contains_key(&key) {
            self.keys.clear();
        }
        let mut proofs = self.keys.entry(key).or_default();
        if proofs.len() >= self.share {
            proofs.retain(|_, until| *until >= now);
            if proofs.len() >= self.share {
                proofs.clear();
            }
        }
        proofs.insert(jti_hash, usable_until);
    }

    #[cfg(test)]
    fn remembered(&self, key: &Digest32) -> usize {
        self.keys.get(key).map_or(0, |p| p.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(s: &str) -> Digest32 {
        Sha256::digest(s.as_bytes()).into()
    }

    #[test]
    fn a_full_share_forgets_only_its_own_key() {
        let front = FrontCache::new(3, 10);
        let (a, b) = (key_digest(1, "a"), key_digest(1, "b"));
        front.remember(b, digest("b0"), 200, 100);
        for i in 0..3 {
            front.remember(a, digest(&format!("a{i}")), 200, 100);
        }
        assert!(front.seen(&a, &digest("a0"), 100));
        // The fourth proof of `a` overflows its share: `a` starts over.
        front.remember(a, digest("a3"), 200, 100);
        assert_eq!(front.remembered(&a), 1);
        assert!(front.seen(&a, &digest("a3"), 100));
        // `b` is untouched.
        assert!(front.seen(&b, &digest("b0"), 100));
        // Expired entries make room first.
        front.remember(a, digest("a4"), 400, 100);
        front.remember(a, digest("a5"), 400, 100);
        front.remember(a, digest("a6"), 400, 300);
        assert_eq!(front.remembered(&a), 3);
        assert!(!front.seen(&a, &digest("a3"), 300));
    }

    #[test]
    fn keys_are_per_site() {
        assert_ne!(key_digest(1, "k"), key_digest(2, "k"));
        let front = FrontCache::new(3, 10);
        front.remember(key_digest(1, "k"), digest("j"), 200, 100);
        assert!(!front.seen(&key_digest(2, "k"), &digest("j"), 100));
        assert!(!front.seen(&key_digest(1, "k"), &digest("j"), 201));
    }

    #[test]
    fn too_many_keys_start_the_memory_over() {
        let front = FrontCache::new(3, 2);
        for k in ["a", "b", "c"] {
            front.remember(key_digest(1, k), digest("j"), 200, 100);
        }
        assert_eq!(front.keys.len(), 1);
    }

    fn proof(jti: &str, until: i64) -> ProofUse {
        ProofUse {
            site_id: 1,
            jkt: "k".into(),
            jti_hash: Sha256::digest(jti.as_bytes()).to_vec(),
            expires_at: until,
        }
    }

    async fn sqlite_store(dir: &tempfile::TempDir) -> crate::store::SharedStore {
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = crate::store::connect(&url, std::time::Duration::from_secs(5))
            .await
            .unwrap();
        store.migrate().await.unwrap();
        store
    }

    #[tokio::test]
    async fn a_proof_twice_in_one_batch_is_new_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = sqlite_store(&dir).await;
        // The same jti with another iat is the same proof for the check.
        let batch = vec![
            proof("a", 100),
            proof("a", 100),
            proof("a", 160),
            proof("b", 100),
        ];
        let first = store.record_proof_uses(&batch).await.unwrap();
        assert_eq!(first, vec![true, false, false, true]);
        let later = store
            .record_proof_uses(&[proof("a", 100), proof("c", 100)])
            .await;
        assert_eq!(later.unwrap(), vec![false, true]);
        let other_site = ProofUse {
            site_id: 2,
            ..proof("a", 100)
        };
        assert_eq!(
            store.record_proof_uses(&[other_site]).await.unwrap(),
            vec![true]
        );
    }

    #[tokio::test]
    async fn a_replayed_proof_stores_nothing_of_its_item() {
        let dir = tempfile::tempdir().unwrap();
        let store = sqlite_store(&dir).await;
        store
            .record_proof_uses(&[proof("used", 100)])
            .await
            .unwrap();
        let writes = vec![
            PendingWrite::Proof(proof("used", 100)),
            PendingWrite::Proof(proof("fresh", 100)),
            PendingWrite::Proof(proof("fresh", 100)),
        ];
        assert_eq!(
            store.commit_writes(&writes).await.unwrap(),
            vec![
                Committed::ProofReplayed,
                Committed::Proof,
                Committed::ProofReplayed
            ]
        );
    }
}
