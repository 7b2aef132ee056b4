//! DPoP (RFC 9449): proofs of possession that bind access and refresh tokens
//! to a client's key. This module checks one proof against one request; the
//! token endpoint (`grants/`) and the API callers (`tokens/oauth.rs`) decide
//! what a proof, or its absence, means for a token.
//!
//! A proof is accepted when, in this order: it is one compact JWS of
//! reasonable size; `typ` is `dpop+jwt`; `alg` is one of [`SIGNING_ALGS`]
//! (asymmetric only); `jwk` is a public key of a shape that fits `alg`, with
//! no private members; the signature verifies with it; `htm` is the request
//! method; `htu` is the request URL (built from the site's base URL, never
//! from request headers) without query and fragment, scheme and host
//! compared case-insensitively and default ports ignored; `ath` is the
//! SHA-256 of the access token where one is presented; `nonce` is a fresh
//! server nonce when the site requires them; `iat` is within the window;
//! and its `jti` was not seen before with this key on this site, by any
//! process of the deployment (`replay.rs`).

mod error;
#[cfg(test)]
mod es256_tests;
mod jws;
mod key;
mod keys;
pub mod nonce;
mod presentation;
mod replay;
#[cfg(test)]
mod tests;

use actix_web::http::header::HeaderName;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde_json::Value;
use sha2::{Digest, Sha256};
use url::Url;

pub use error::ProofError;
pub use key::{Jkt, ProofKey, is_thumbprint};
pub use keys::ProofKeys;
pub use presentation::{Presentation, PresentationError, Scheme};
pub use replay::SHARE_PER_KEY as REPLAY_SHARE_PER_KEY;
use replay::{PendingUse, ReplayGuard};

use crate::clock::SharedClock;
use crate::oauth::fapi::{self, SecurityProfile};
use crate::oauth::writer::GrantWriter;
use crate::sites::Site;

/// The request header that carries the proof, and the response header that
/// carries a server nonce (names built once, not parsed per request).
pub const DPOP_HEADER: HeaderName = HeaderName::from_static("dpop");
pub const NONCE_HEADER: HeaderName = HeaderName::from_static("dpop-nonce");
/// The token type of bound tokens, and the `Authorization` scheme they are
/// presented with.
pub const TOKEN_TYPE: &str = "DPoP";

/// The algorithms proofs may be signed with: every asymmetric algorithm
/// jsonwebtoken verifies (checked with aws-lc-rs directly,
/// see `key.rs`). Metadata
/// (`dpop_signing_alg_values_supported`) and `WWW-Authenticate` challenges
/// publish exactly this list.
pub const SIGNING_ALGS: [Algorithm; 9] = [
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
];

/// [`SIGNING_ALGS`] by their JOSE names, space-separated as the `algs`
/// parameter of a `DPoP` challenge wants them (a unit test keeps the two equal).
pub const SIGNING_ALG_NAMES: &str = "ES256 ES384 EdDSA RS256 RS384 RS512 PS256 PS384 PS512";

/// The `WWW-Authenticate` challenge that says DPoP is accepted.
pub const CHALLENGE: &str = r#"DPoP algs="ES256 ES384 EdDSA RS256 RS384 RS512 PS256 PS384 PS512""#;

/// A `DPoP` challenge with an error (RFC 9449 section 7.1). Descriptions
/// are ours and never hold quotes or backslashes.
pub fn challenge(code: &str, description: &str) -> String {
    format!(r#"DPoP error="{code}", error_description="{description}", algs="{SIGNING_ALG_NAMES}""#)
}

pub fn signing_alg_names() -> Vec<&'static str> {
    SIGNING_ALG_NAMES.split(' ').collect()
}

/// The algorithms proofs are accepted in on a site following `profile`
/// ([`SIGNING_ALGS`], on a FAPI 2.0 site only those the profile allows),
/// for its metadata and challenges.
pub fn site_alg_names(profile: SecurityProfile) -> Vec<&'static str> {
    let mut names = signing_alg_names();
    if profile.is_fapi2() {
        names.retain(|name| fapi::ALG_NAMES.contains(name));
    }
    names
}

/// A `DPoP` challenge of ours ([`CHALLENGE`], [`challenge`]) with its
/// `algs` narrowed to what a site following `profile` accepts; `None`
/// when there is nothing to narrow. The errors that build challenges know
/// no site, so the response is rewritten once the site is known
/// (`routes/resource_challenge.rs`).
pub fn narrow_challenge(challenge: &str, profile: SecurityProfile) -> Option<String> {
    let every = format!(r#"algs="{SIGNING_ALG_NAMES}""#);
    (profile.is_fapi2() && challenge.contains(&every)).then(|| {
        let accepted = format!(r#"algs="{}""#, site_alg_names(profile).join(" "));
        challenge.replace(&every, &accepted)
    })
}

/// The confirmation claim of a bound token (RFC 9449 section 6):
/// `"cnf": {"jkt": "…"}` in JWT access tokens and introspection answers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Confirmation {
    pub jkt: String,
}

impl Confirmation {
    pub fn of(jkt: Option<&str>) -> Option<Confirmation> {
        jkt.map(|jkt| Confirmation {
            jkt: jkt.to_owned(),
        })
    }
}

/// Proofs are a few hundred bytes (RSA keys make them about 1.5 KB).
pub const MAX_PROOF_LEN: usize = 8 * 1024;
/// `jti` values longer than this are refused.
pub const MAX_JTI_LEN: usize = 256;

/// How old (and how far in the future) a proof's `iat` may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProofWindow {
    pub max_age_secs: i64,
    pub future_skew_secs: i64,
}

impl Default for ProofWindow {
    fn default() -> Self {
        Self {
            max_age_secs: 60,
            future_skew_secs: 5,
        }
    }
}

/// The request a proof must be for.
#[derive(Debug, Clone, Copy)]
pub struct ProofTarget<'a> {
    /// `POST`, `GET`, …
    pub method: &'a str,
    /// The request path on the site (no query).
    pub path: &'a str,
    /// The access token presented with the proof, at resource servers:
    /// `ath` is then required and must be its hash.
    pub access_token: Option<&'a str>,
}

/// A proof that passed every check but the replay check.
#[derive(Debug)]
pub struct CheckedProof {
    pub jkt: Jkt,
    jti: String,
    usable_until: i64,
}

/// Checks proofs, all but their `jti`: needs no store (benches use it alone).
pub struct ProofChecker {
    window: ProofWindow,
    keys: ProofKeys,
    clock: SharedClock,
}

impl ProofChecker {
    pub fn new(window: ProofWindow, clock: SharedClock) -> Self {
        Self {
            window,
            keys: ProofKeys::new(),
            clock,
        }
    }

    /// Checks `proof` for `target` on `site`, all but whether it was used
    /// before.
    pub fn check(
        &self,
        site: &Site,
        proof: &str,
        target: &ProofTarget<'_>,
    ) -> Result<CheckedProof, ProofError> {
        let now = self.clock.now();
        let profile = site.oauth.profile;
        let (jkt, alg, claims) = self.keys.verify_signed(proof).map_err(|e| match e {
            // Say what this site accepts, not what Tessera can verify.
            ProofError::UnsupportedAlgorithm if profile.is_fapi2() => {
                ProofError::AlgorithmNotInProfile
            }
            e => e,
        })?;
        if !profile.allows(alg) {
            return Err(ProofError::AlgorithmNotInProfile);
        }
        if claims.get("htm").and_then(Value::as_str) != Some(target.method) {
            return Err(match claims.get("htm") {
                None => ProofError::MissingClaim("htm"),
                _ => ProofError::WrongMethod,
            });
        }
        let htu = claims
            .get("htu")
            .and_then(Value::as_str)
            .ok_or(ProofError::MissingClaim("htu"))?;
        if !same_resource(htu, &site.base_url, target.path) {
            return Err(ProofError::WrongUrl);
        }
        if let Some(token) = target.access_token {
            let ath = claims
                .get("ath")
                .and_then(Value::as_str)
                .ok_or(ProofError::MissingAth)?;
            if !crate::crypto::constant_time_eq(ath.as_bytes(), access_token_hash(token).as_bytes())
            {
                return Err(ProofError::WrongAth);
            }
        }
        if site.oauth.dpop_nonce_required {
            let fresh = claims
                .get("nonce")
                .and_then(Value::as_str)
                .is_some_and(|n| nonce::is_fresh(&site.oauth.dpop_nonce_key, n, now));
            if !fresh {
                return Err(ProofError::UseNonce(nonce::mint(
                    &site.oauth.dpop_nonce_key,
                    now,
                )));
            }
        }
        let iat = match claims.get("iat") {
            None => return Err(ProofError::MissingClaim("iat")),
            Some(Value::Number(n)) => n
                .as_i64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| f.is_finite())
                        .map(|f| f.floor() as i64)
                })
                .ok_or(ProofError::InvalidClaim("iat"))?,
            Some(_) => return Err(ProofError::InvalidClaim("iat")),
        };
        if iat < now.saturating_sub(self.window.max_age_secs) {
            return Err(ProofError::Stale);
        }
        if iat > now.saturating_add(self.window.future_skew_secs) {
            return Err(ProofError::FromTheFuture);
        }
        let jti = match claims.get("jti") {
            None => return Err(ProofError::MissingClaim("jti")),
            Some(Value::String(jti)) if !jti.is_empty() && jti.len() <= MAX_JTI_LEN => jti,
            Some(_) => return Err(ProofError::InvalidClaim("jti")),
        };
        Ok(CheckedProof {
            jkt,
            jti: jti.clone(),
            usable_until: iat.saturating_add(self.window.max_age_secs),
        })
    }
}

/// Checks proofs: one per process, shared by every site. Replays are
/// refused per (site, key) through the shared store (`replay.rs`).
pub struct Dpop {
    checker: ProofChecker,
    replay: ReplayGuard,
}

/// A proof that passed every check; its `jti` is not recorded yet. Whoever
/// acts on it records it first ([`Proof::spend`]).
pub struct Proof<'a> {
    pub jkt: Jkt,
    pending: PendingUse,
    dpop: &'a Dpop,
}

impl Proof<'_> {
    pub fn jkt(&self) -> &Jkt {
        &self.jkt
    }

    /// Records the proof's use: refused if it was used before, by any process.
    pub async fn spend(&self) -> Result<(), ProofError> {
        let now = self.dpop.checker.clock.now();
        self.dpop.replay.record(&self.pending, now).await
    }
}

impl Dpop {
    /// Records proof uses through `writer`, the group commit that stores
    /// the token endpoint's tokens.
    pub fn new(window: ProofWindow, clock: SharedClock, writer: GrantWriter) -> Self {
        Self {
            checker: ProofChecker::new(window, clock),
            replay: ReplayGuard::new(writer),
        }
    }

    /// The proof among a request's `DPoP` header values: none, or exactly one.
    pub fn single<'a>(values: &[&'a str]) -> Result<Option<&'a str>, ProofError> {
        match values {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            _ => Err(ProofError::Multiple),
        }
    }

    /// Checks `proof` for `target` on `site`, all but the store's word on
    /// whether it was used before.
    pub fn check(
        &self,
        site: &Site,
        proof: &str,
        target: &ProofTarget<'_>,
    ) -> Result<Proof<'_>, ProofError> {
        let checked = self.checker.check(site, proof, target)?;
        let pending = self.replay.prepare(
            site.id,
            checked.jkt.as_str(),
            &checked.jti,
            checked.usable_until,
            self.checker.clock.now(),
        )?;
        Ok(Proof {
            jkt: checked.jkt,
            pending,
            dpop: self,
        })
    }

    /// Checks `proof` for `target` on `site` and records its use; the key
    /// thumbprint it proves.
    pub async fn verify(
        &self,
        site: &Site,
        proof: &str,
        target: &ProofTarget<'_>,
    ) -> Result<Jkt, ProofError> {
        let proof = self.check(site, proof, target)?;
        proof.spend().await?;
        Ok(proof.jkt)
    }

    /// The proof in a request's `DPoP` header, if it has one, checked but
    /// not recorded. For the token endpoint and other requests that present
    /// no access token.
    pub fn check_request(
        &self,
        site: &Site,
        values: &[&str],
        method: &str,
        path: &str,
    ) -> Result<Option<Proof<'_>>, ProofError> {
        let Some(proof) = Dpop::single(values)? else {
            return Ok(None);
        };
        let target = ProofTarget {
            method,
            path,
            access_token: None,
        };
        self.check(site, proof, &target).map(Some)
    }

    /// The key proved by a request's `DPoP` header, if it has one, its use
    /// recorded.
    pub async fn verify_request(
        &self,
        site: &Site,
        values: &[&str],
        method: &str,
        path: &str,
    ) -> Result<Option<Jkt>, ProofError> {
        match self.check_request(site, values, method, path)? {
            Some(proof) => {
                proof.spend().await?;
                Ok(Some(proof.jkt))
            }
            None => Ok(None),
        }
    }

    /// A fresh nonce for a response, when the site requires nonces.
    pub fn nonce_for(&self, site: &Site) -> Option<String> {
        site.oauth
            .dpop_nonce_required
            .then(|| nonce::mint(&site.oauth.dpop_nonce_key, self.checker.clock.now()))
    }
}

/// `ath`: base64url of the SHA-256 of the access token as sent.
pub fn access_token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// Whether `htu` names `path` on the site at `base`: scheme and host compare
/// case-insensitively (the URL parser lower-cases them), a default port
/// equals no port, query and fragment are ignored (RFC 9449 section 4.3).
pub fn same_resource(htu: &str, base: &Url, path: &str) -> bool {
    let Ok(htu) = Url::parse(htu) else {
        return false;
    };
    let mut expected = base.clone();
    expected.set_path(path);
    htu.scheme() == expected.scheme()
        && htu.host_str() == expected.host_str()
        && htu.port_or_known_default() == expected.port_or_known_default()
        && htu.path() == expected.path()
        && htu.username().is_empty()
        && htu.password().is_none()
}
