//! Storage of DPoP proofs seen (RFC 9449 section 11.1), shared by every
//! process of a deployment so that a proof replayed against another process
//! is refused too.

use async_trait::async_trait;

use super::StoreResult;

/// One use of a proof: the key that signed it, a SHA-256 of its `jti`, and
/// until when the proof could be used at all.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProofUse {
    pub site_id: i64,
    pub jkt: String,
    pub jti_hash: Vec<u8>,
    pub expires_at: i64,
}

#[async_trait]
pub trait DpopProofStore {
    /// Records each proof use unless one with the same site, key and `jti`
    /// is stored; per use, whether it was new (a use twice in `uses` is new
    /// at most once).
    async fn record_proof_uses(&self, uses: &[ProofUse]) -> StoreResult<Vec<bool>>;
    /// Deletes uses that expired before `before`.
    async fn purge_proof_uses(&self, before: i64) -> StoreResult<u64>;
}
