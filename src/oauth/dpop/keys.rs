//! Proof keys seen before. A DPoP client signs every proof with the same
//! key and, with most libraries, the same header bytes; checking such a
//! proof again from scratch costs a base64 and JSON decode of the header,
//! the key's checks, its RFC 7638 thumbprint (a SHA-256) and aws-lc's
//! parsing of the key (an on-curve check for EC keys). This module keeps
//! that work for keys whose proofs verified:
//!
//! - by the header's exact bytes: the header checks, the algorithm, the
//!   thumbprint and the parsed key are a pure function of them;
//! - by thumbprint and algorithm: the parsed key (`ParsedPublicKey`), for a
//!   key that comes with other header bytes (another member order, a `kid`).
//!
//! The signature itself is checked on every proof, with aws-lc-rs's public
//! API; nothing here does any arithmetic of its own. Entries are made only
//! after a signature verified, so filling the maps takes a signed proof per
//! key. Each map holds at most [`MAX_KEYS`] keys and is cleared when full
//! (like `cache.rs`): that costs speed, never correctness.

use std::sync::Arc;

use aws_lc_rs::signature::ParsedPublicKey;
use dashmap::DashMap;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

use super::jws::{self, Parts};
use super::{Jkt, ProofError};

/// Keys remembered per map at most.
pub const MAX_KEYS: usize = 4096;
/// Headers longer than this are checked every time instead of remembered
/// (a 4096-bit RSA key makes a header of about 1 KiB).
const MAX_REMEMBERED_HEADER: usize = 2048;

/// A key whose proof verified: what its header says and the key parsed.
pub struct VerifiedKey {
    alg: Algorithm,
    jkt: Jkt,
    public: ParsedPublicKey,
}

impl VerifiedKey {
    fn verifies(&self, parts: &Parts<'_>) -> Result<(), ProofError> {
        let signature = jws::decode_signature(parts.signature)?;
        self.public
            .verify_sig(parts.signed.as_bytes(), &signature)
            .map_err(|_| ProofError::BadSignature)
    }
}

#[derive(Default)]
pub struct ProofKeys {
    by_header: DashMap<Box<str>, Arc<VerifiedKey>>,
    by_thumbprint: DashMap<(Jkt, Algorithm), Arc<VerifiedKey>>,
}

impl ProofKeys {
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the proof's form, header and signature; its key's thumbprint
    /// and its claims.
    pub fn verify(&self, proof: &str) -> Result<(Jkt, Map<String, Value>), ProofError> {
        self.verify_signed(proof)
            .map(|(jkt, _, claims)| (jkt, claims))
    }

    /// [`Self::verify`], with the algorithm the proof is signed with.
    pub fn verify_signed(
        &self,
        proof: &str,
    ) -> Result<(Jkt, Algorithm, Map<String, Value>), ProofError> {
        let parts = jws::split(proof)?;
        let known = self.by_header.get(parts.header).map(|k| k.value().clone());
        let key = match known {
            Some(key) => {
                key.verifies(&parts)?;
                key
            }
            None => self.verify_new_header(&parts)?,
        };
        Ok((key.jkt.clone(), key.alg, jws::json_object(parts.payload)?))
    }

    fn verify_new_header(&self, parts: &Parts<'_>) -> Result<Arc<VerifiedKey>, ProofError> {
        let (alg, proof_key) = jws::read_header(parts.header)?;
        let index = (proof_key.jkt().clone(), alg);
        let known = self.by_thumbprint.get(&index).map(|k| k.value().clone());
        let key = match known {
            Some(key) => key,
            None => Arc::new(VerifiedKey {
                alg,
                public: proof_key.parse(alg)?,
                jkt: proof_key.into_jkt(),
            }),
        };
        key.verifies(parts)?;
        remember(&self.by_thumbprint, index, &key);
        if parts.header.len() <= MAX_REMEMBERED_HEADER {
            remember(&self.by_header, parts.header.into(), &key);
        }
        Ok(key)
    }

    #[cfg(test)]
    pub fn remembered(&self) -> (usize, usize) {
        (self.by_header.len(), self.by_thumbprint.len())
    }
}

fn remember<K: Eq + std::hash::Hash>(
    map: &DashMap<K, Arc<VerifiedKey>>,
    index: K,
    key: &Arc<VerifiedKey>,
) {
    if map.contains_key(&index) {
        return;
    }
    if map.len() >= MAX_KEYS {
        map.clear();
    }
    map.insert(index, key.clone());
}

impl std::fmt::Debug for VerifiedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedKey")
            .field("alg", &self.alg)
            .field("jkt", &self.jkt)
            .finish_non_exhaustive()
    }
}
