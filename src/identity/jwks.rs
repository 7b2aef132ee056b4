//! An identity provider's signing keys (JWKS), cached by `kid`; the same
//! cache holds the keys of private_key_jwt clients (`oauth::client_auth`).
//!
//! The cache fetches through a [`JwksFetcher`] (an HTTP client for a
//! `jwks_uri`, or [`InlineJwks`] for keys an admin pasted in). It refetches
//! when a token names a `kid` it does not hold, so an IdP's key rotation is
//! picked up, but at most once per `min_interval_secs`, so a stream of
//! tokens with made-up `kid`s cannot turn Tessera into a load generator
//! against the IdP. Keys also go stale after `max_age_secs`, so a key the
//! IdP withdrew stops working; if that refetch fails the stale keys are
//! kept rather than failing every sign-in while the IdP is down.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use tokio::sync::RwLock;

/// Gets the provider's JWKS document (`{"keys": [...]}`) as served.
#[async_trait]
pub trait JwksFetcher: Send + Sync {
    async fn fetch(&self) -> Result<String, JwksFetchError>;
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("could not get the identity provider's keys: {0}")]
pub struct JwksFetchError(pub String);

/// Keys given inline at registration. They never change, so a refetch
/// just finds the same keys.
#[derive(Debug, Clone)]
pub struct InlineJwks(String);

impl InlineJwks {
    /// Refuses a document with no usable signing key, so a bad paste is
    /// caught when the provider is registered.
    pub fn new(json: impl Into<String>) -> Result<InlineJwks, JwksFetchError> {
        let json = json.into();
        if parse_jwks(&json)?.is_empty() {
            return Err(JwksFetchError(
                "the JWKS holds no usable signing key".into(),
            ));
        }
        Ok(InlineJwks(json))
    }
}

#[async_trait]
impl JwksFetcher for InlineJwks {
    async fn fetch(&self) -> Result<String, JwksFetchError> {
        Ok(self.0.clone())
    }
}

/// The shape of a verification key, which decides the algorithms it fits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Rsa,
    EcP256,
    EcP384,
    Ed25519,
}

impl KeyKind {
    pub fn fits(self, alg: Algorithm) -> bool {
        use Algorithm::*;
        match self {
            KeyKind::Rsa => matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
            KeyKind::EcP256 => alg == ES256,
            KeyKind::EcP384 => alg == ES384,
            KeyKind::Ed25519 => alg == EdDSA,
        }
    }
}

/// One usable public key from a JWKS.
#[derive(Clone)]
pub struct VerificationKey {
    pub kid: Option<String>,
    pub kind: KeyKind,
    /// The JWK's own `alg`, when it names one.
    pub alg: Option<Algorithm>,
    key: DecodingKey,
}

impl VerificationKey {
    /// The key's type fits `alg`, and so does the JWK's `alg` when given.
    pub fn accepts(&self, alg: Algorithm) -> bool {
        self.kind.fits(alg) && self.alg.is_none_or(|own| own == alg)
    }

    pub fn decoding_key(&self) -> &DecodingKey {
        &self.key
    }
}

impl std::fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationKey")
            .field("kid", &self.kid)
            .field("kind", &self.kind)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// Reads a JWKS document, keeping the public signing keys Tessera can use
/// and skipping the rest (symmetric keys, encryption keys, other curves,
/// entries it cannot read) rather than failing the whole set.
pub fn parse_jwks(json: &str) -> Result<Vec<VerificationKey>, JwksFetchError> {
    let document: serde_json::Value =
        serde_json::from_str(json).map_err(|e| JwksFetchError(format!("not JSON: {e}")))?;
    let entries = document
        .get("keys")
        .and_then(serde_json::Value::as_array)
        .ok_or_else(|| JwksFetchError("no `keys` array".into()))?;
    Ok(entries
        .iter()
        .filter_map(|entry| serde_json::from_value::<Jwk>(entry.clone()).ok())
        .filter_map(|jwk| usable_key(&jwk))
        .collect())
}

fn usable_key(jwk: &Jwk) -> Option<VerificationKey> {
    if matches!(&jwk.common.public_key_use, Some(u) if *u != PublicKeyUse::Signature) {
        return None;
    }
    let alg = match jwk.common.key_algorithm {
        None => None,
        // An `alg` that is not a JWS algorithm (RSA-OAEP…) marks a key for
        // something else.
        Some(alg) => Some(Algorithm::try_from(alg).ok()?),
    };
    let (kind, key) = match &jwk.algorithm {
        AlgorithmParameters::RSA(rsa) => (
            KeyKind::Rsa,
            DecodingKey::from_rsa_components(&rsa.n, &rsa.e).ok()?,
        ),
        AlgorithmParameters::EllipticCurve(ec) => {
            let kind = match ec.curve {
                EllipticCurve::P256 => KeyKind::EcP256,
                EllipticCurve::P384 => KeyKind::EcP384,
                _ => return None,
            };
            (kind, DecodingKey::from_ec_components(&ec.x, &ec.y).ok()?)
        }
        AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => {
            let x = URL_SAFE_NO_PAD.decode(&okp.x).ok()?;
            if x.len() != 32 {
                return None;
            }
            (
                KeyKind::Ed25519,
                DecodingKey::from_ed_components(&okp.x).ok()?,
            )
        }
        _ => return None,
    };
    Some(VerificationKey {
        kid: jwk.common.key_id.clone(),
        kind,
        alg,
        key,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefetchPolicy {
    /// At most one fetch per this many seconds, whatever tokens arrive.
    pub min_interval_secs: i64,
    /// Keys older than this are refetched on next use.
    pub max_age_secs: i64,
}

impl Default for RefetchPolicy {
    fn default() -> Self {
        RefetchPolicy {
            min_interval_secs: 60,
            max_age_secs: 3600,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("no key with this id")]
    Unknown,
    #[error("the token names no key id and several keys could fit")]
    Ambiguous,
    #[error(transparent)]
    FetchFailed(JwksFetchError),
}

#[derive(Default)]
struct CacheState {
    keys: Vec<VerificationKey>,
    by_kid: HashMap<String, Vec<usize>>,
    fetched_at: Option<i64>,
    last_attempt: Option<i64>,
    last_error: Option<JwksFetchError>,
}

impl CacheState {
    fn replace(&mut self, keys: Vec<VerificationKey>) {
        self.by_kid.clear();
        for (i, key) in keys.iter().enumerate() {
            if let Some(kid) = &key.kid {
                self.by_kid.entry(kid.clone()).or_default().push(i);
            }
        }
        self.keys = keys;
    }

    /// By `kid` when given (a key that fits `alg` first, else any, so the
    /// caller can say "wrong key type"); without one, the single fitting key.
    fn find(&self, kid: Option<&str>, alg: Algorithm) -> Result<VerificationKey, KeyError> {
        match kid {
            Some(kid) => {
                let named: Vec<&VerificationKey> = self
                    .by_kid
                    .get(kid)
                    .map(|ids| ids.iter().filter_map(|i| self.keys.get(*i)).collect())
                    .unwrap_or_default();
                named
                    .iter()
                    .find(|key| key.accepts(alg))
                    .or(named.first())
                    .map(|key| (*key).clone())
                    .ok_or(KeyError::Unknown)
            }
            None => {
                let mut fitting = self.keys.iter().filter(|key| key.accepts(alg));
                match (fitting.next(), fitting.next()) {
                    (Some(key), None) => Ok(key.clone()),
                    (Some(_), Some(_)) => Err(KeyError::Ambiguous),
                    (None, _) => Err(KeyError::Unknown),
                }
            }
        }
    }

    fn is_stale(&self, now: i64, policy: RefetchPolicy) -> bool {
        self.fetched_at
            .is_none_or(|at| now.saturating_sub(at) >= policy.max_age_secs)
    }

    fn may_fetch(&self, now: i64, policy: RefetchPolicy) -> bool {
        self.last_attempt
            .is_none_or(|at| now.saturating_sub(at) >= policy.min_interval_secs)
    }
}

/// One provider's keys. Share it (behind an `Arc`) across requests.
pub struct JwksCache {
    fetcher: Arc<dyn JwksFetcher>,
    policy: RefetchPolicy,
    state: RwLock<CacheState>,
}

impl JwksCache {
    pub fn new(fetcher: Arc<dyn JwksFetcher>, policy: RefetchPolicy) -> JwksCache {
        JwksCache {
            fetcher,
            policy,
            state: RwLock::new(CacheState::default()),
        }
    }

    /// The key a token with this `kid` and `alg` should be checked with,
    /// fetching first when the cache is empty, stale or lacks the key, and
    /// the last fetch attempt was long enough ago.
    pub async fn key_for(
        &self,
        kid: Option<&str>,
        alg: Algorithm,
        now: i64,
    ) -> Result<VerificationKey, KeyError> {
        {
            let state = self.state.read().await;
            if !state.is_stale(now, self.policy)
                && let Ok(key) = state.find(kid, alg)
            {
                return Ok(key);
            }
        }
        // One writer at a time, so concurrent misses cause one fetch.
        let mut state = self.state.write().await;
        let cached = state.find(kid, alg);
        if cached.is_ok() && !state.is_stale(now, self.policy) {
            return cached;
        }
        if state.may_fetch(now, self.policy) {
            state.last_attempt = Some(now);
            let fetched = match self.fetcher.fetch().await {
                Ok(body) => parse_jwks(&body),
                Err(e) => Err(e),
            };
            match fetched {
                Ok(keys) => {
                    state.replace(keys);
                    state.fetched_at = Some(now);
                    state.last_error = None;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "signing keys (JWKS) could not be refreshed");
                    state.last_error = Some(e);
                    // A stale key still beats refusing everyone while the
                    // IdP is unreachable.
                    if cached.is_ok() {
                        return cached;
                    }
                }
            }
        }
        match (state.find(kid, alg), &state.last_error) {
            (Ok(key), _) => Ok(key),
            (Err(KeyError::Unknown), Some(e)) => Err(KeyError::FetchFailed(e.clone())),
            (Err(e), _) => Err(e),
        }
    }
}
