//! Checking one ID token against one identity provider.
//!
//! Order: shape and header (`alg` refused before any key is looked at:
//! `none`, HMAC and anything the provider does not allow), the key by `kid`
//! and that it fits `alg`, the signature, then the claims: `iss` exactly,
//! `aud` containing the provider's audience, `exp` required, `nbf` and `iat`
//! when present, each time with [`LEEWAY_SECS`] of clock skew, and the
//! profile claims `sub`, `given_name`, `family_name`.

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde_json::{Map, Value};

use super::IdentityProvider;
use super::jwks::{JwksCache, KeyError};

/// Clock skew allowed on `exp`, `nbf` and `iat`.
pub const LEEWAY_SECS: i64 = 60;
/// ID tokens are a few kilobytes at most; anything far larger is junk.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

/// What a good ID token says about its subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityClaims {
    /// The provider's issuer: with `sub`, the key to the local user.
    pub issuer: String,
    pub sub: String,
    pub given_name: String,
    pub family_name: String,
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("the identity token is malformed")]
    Malformed,
    #[error("the identity token's algorithm `{0}` is never accepted")]
    AlgorithmRefused(String),
    #[error("the identity token's algorithm {0:?} is not allowed for this provider")]
    AlgorithmNotAllowed(Algorithm),
    #[error("the identity token has a critical header extension Tessera does not understand")]
    UnsupportedCriticalHeader,
    #[error("the identity token names no key id and the provider has several keys")]
    AmbiguousKey,
    #[error("the identity token was signed with a key the provider does not publish")]
    UnknownKey,
    #[error("the identity token's algorithm does not fit its key")]
    KeyAlgorithmMismatch,
    #[error("the identity provider's keys are unavailable: {0}")]
    KeysUnavailable(String),
    #[error("the identity token's signature is invalid")]
    BadSignature,
    #[error("the identity token is from another issuer")]
    WrongIssuer,
    #[error("the identity token is meant for another audience")]
    WrongAudience,
    #[error("the identity token has expired")]
    Expired,
    #[error("the identity token is not valid yet")]
    NotYetValid,
    #[error("the identity token lacks the `{0}` claim")]
    MissingClaim(&'static str),
    #[error("the identity token's `{0}` claim has the wrong type")]
    InvalidClaim(&'static str),
}

impl IdentityError {
    /// True when the fault is the provider's availability, not the token
    /// (for logs: the token exchange still answers `invalid_grant`, so an
    /// outside caller learns nothing about what Tessera can reach).
    pub fn is_temporary(&self) -> bool {
        matches!(self, IdentityError::KeysUnavailable(_))
    }
}

/// One provider's validator: its configuration and its key cache.
pub struct IdentityValidator {
    provider: IdentityProvider,
    jwks: JwksCache,
}

impl IdentityValidator {
    pub fn new(provider: IdentityProvider, jwks: JwksCache) -> IdentityValidator {
        IdentityValidator { provider, jwks }
    }

    pub fn provider(&self) -> &IdentityProvider {
        &self.provider
    }

    pub async fn validate(&self, token: &str, now: i64) -> Result<IdentityClaims, IdentityError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(IdentityError::Malformed);
        }
        let header = read_header(token)?;
        let alg = self.check_algorithm(&header.alg)?;
        let key = self
            .jwks
            .key_for(header.kid.as_deref(), alg, now)
            .await
            .map_err(|e| match e {
                KeyError::Unknown => IdentityError::UnknownKey,
                KeyError::Ambiguous => IdentityError::AmbiguousKey,
                KeyError::FetchFailed(e) => IdentityError::KeysUnavailable(e.0),
            })?;
        if !key.accepts(alg) {
            return Err(IdentityError::KeyAlgorithmMismatch);
        }
        let claims = verify_signature(token, alg, key.decoding_key())?;
        self.check_claims(&claims, now)
    }

    fn check_algorithm(&self, name: &str) -> Result<Algorithm, IdentityError> {
        let refused = || IdentityError::AlgorithmRefused(name.to_owned());
        let alg = Algorithm::from_str(name).map_err(|_| refused())?;
        if !super::ASYMMETRIC_ALGORITHMS.contains(&alg) {
            return Err(refused());
        }
        if !self.provider.allows(alg) {
            return Err(IdentityError::AlgorithmNotAllowed(alg));
        }
        Ok(alg)
    }

    fn check_claims(
        &self,
        claims: &Map<String, Value>,
        now: i64,
    ) -> Result<IdentityClaims, IdentityError> {
        if claims.get("iss").and_then(Value::as_str) != Some(self.provider.issuer()) {
            return Err(IdentityError::WrongIssuer);
        }
        let expected = self.provider.audience();
        let audience_ok = match claims.get("aud") {
            Some(Value::String(aud)) => aud == expected,
            Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(expected)),
            _ => false,
        };
        if !audience_ok {
            return Err(IdentityError::WrongAudience);
        }
        let exp = time_claim(claims, "exp")?.ok_or(IdentityError::MissingClaim("exp"))?;
        if now >= exp.saturating_add(LEEWAY_SECS) {
            return Err(IdentityError::Expired);
        }
        for name in ["nbf", "iat"] {
            if let Some(at) = time_claim(claims, name)?
                && at > now.saturating_add(LEEWAY_SECS)
            {
                return Err(IdentityError::NotYetValid);
            }
        }
        Ok(IdentityClaims {
            issuer: self.provider.issuer().to_owned(),
            sub: text_claim(claims, "sub")?,
            given_name: text_claim(claims, "given_name")?,
            family_name: text_claim(claims, "family_name")?,
            email: claims
                .get("email")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .map(str::to_owned),
        })
    }
}

/// The `iss` a token claims, unverified: only for choosing which of a
/// site's providers should validate it.
pub fn peek_issuer(token: &str) -> Option<String> {
    if token.len() > MAX_TOKEN_LEN {
        return None;
    }
    let payload = token.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims.get("iss")?.as_str().map(str::to_owned)
}

pub(crate) struct JoseHeader {
    pub alg: String,
    pub kid: Option<String>,
}

/// Reads the header ourselves, so that `none` and unknown algorithms get a
/// precise refusal instead of a parse error.
pub(crate) fn read_header(token: &str) -> Result<JoseHeader, IdentityError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(IdentityError::Malformed);
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| IdentityError::Malformed)?;
    let header: Map<String, Value> =
        serde_json::from_slice(&bytes).map_err(|_| IdentityError::Malformed)?;
    if header.contains_key("crit") {
        return Err(IdentityError::UnsupportedCriticalHeader);
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .ok_or(IdentityError::Malformed)?;
    let kid = match header.get("kid") {
        None => None,
        Some(Value::String(kid)) => Some(kid.clone()),
        Some(_) => return Err(IdentityError::Malformed),
    };
    Ok(JoseHeader {
        alg: alg.to_owned(),
        kid,
    })
}

/// Verifies the signature with jsonwebtoken, leaving every claim check to
/// us: its own time checks read the system clock, and ours take `now`.
pub(crate) fn verify_signature(
    token: &str,
    alg: Algorithm,
    key: &jsonwebtoken::DecodingKey,
) -> Result<Map<String, Value>, IdentityError> {
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.leeway = 0;
    jsonwebtoken::decode::<Map<String, Value>>(token, key, &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidToken
            | ErrorKind::Base64(_)
            | ErrorKind::Json(_)
            | ErrorKind::Utf8(_) => IdentityError::Malformed,
            ErrorKind::InvalidAlgorithm => IdentityError::KeyAlgorithmMismatch,
            _ => IdentityError::BadSignature,
        })
}

/// A NumericDate claim, in whole seconds; `None` when absent.
pub(crate) fn time_claim(
    claims: &Map<String, Value>,
    name: &'static str,
) -> Result<Option<i64>, IdentityError> {
    match claims.get(name) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| f.floor() as i64)
            })
            .map(Some)
            .ok_or(IdentityError::InvalidClaim(name)),
        Some(_) => Err(IdentityError::InvalidClaim(name)),
    }
}

/// A required, non-blank string claim.
fn text_claim(claims: &Map<String, Value>, name: &'static str) -> Result<String, IdentityError> {
    match claims.get(name) {
        None | Some(Value::Null) => Err(IdentityError::MissingClaim(name)),
        Some(Value::String(s)) if s.trim().is_empty() => Err(IdentityError::MissingClaim(name)),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(IdentityError::InvalidClaim(name)),
    }
}

#[cfg(test)]
#[path = "validate_tests.rs"]
mod tests;
