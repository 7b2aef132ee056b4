//! Client assertions (RFC 7523 2.2, RFC 7521 4.2, OpenID Connect Core 9):
//! a JWT the client signs, with its private key (`private_key_jwt`) or an
//! HMAC over its secret (`client_secret_jwt`), sent as `client_assertion`
//! with `client_assertion_type` [`ASSERTION_TYPE`].
//!
//! Order: size and header first (`alg` refused before any key is looked at:
//! `none`, HMAC for a key client, asymmetric for a secret client, and any
//! algorithm but the one the client registered), then the signature, then
//! the claims: `iss` and `sub` the client id, `aud` naming this server (its
//! issuer, its token endpoint, or the endpoint the request is for; on a
//! FAPI 2.0 site its issuer alone, as a string: see [`audiences`]), `exp`
//! required and at most [`MAX_LIFETIME_SECS`] ahead, `nbf` and `iat` not in
//! the future, each with [`CLOCK_SKEW_SECS`], and a `jti`. That the `jti`
//! is used once is recorded by the caller, in the shared store.

use std::str::FromStr;

use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

use super::client_auth::ClientAuthMethod;
use crate::identity::validate::{read_header, time_claim, verify_signature};
use crate::ratelimit::Endpoint;
use crate::sites::Site;

/// RFC 7523 2.2: the only `client_assertion_type`.
pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// An assertion whose `exp` is further ahead than this is refused: a
/// short life bounds how long its `jti` must be remembered, and how long a
/// stolen one could be used before its first use.
pub const MAX_LIFETIME_SECS: i64 = 300;
/// Clock skew allowed on `exp`, `nbf` and `iat`.
pub const CLOCK_SKEW_SECS: i64 = 30;
/// Assertions are well under a kilobyte; anything far larger is junk.
pub const MAX_ASSERTION_LEN: usize = 8 * 1024;
const MAX_JTI_LEN: usize = 256;

/// Why an assertion is refused; every one is `invalid_client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssertionError {
    Malformed,
    AlgorithmRefused,
    AlgorithmNotRegistered,
    /// FAPI 2.0 sites: not PS256, ES256 or EdDSA.
    AlgorithmNotInProfile,
    UnknownKey,
    AmbiguousKey,
    KeysUnavailable,
    NoKeys,
    BadSignature,
    WrongIssuer,
    WrongAudience,
    /// FAPI 2.0 sites: `aud` is not the issuer identifier as a string.
    AudienceNotInProfile,
    MissingExpiry,
    Expired,
    LivesTooLong,
    NotYetValid,
    MissingJti,
    Replayed,
}

impl AssertionError {
    /// The `error_description` the client is told.
    pub fn description(self) -> &'static str {
        match self {
            AssertionError::Malformed => "the client assertion is not a well-formed JWT",
            AssertionError::AlgorithmRefused => {
                "the client assertion's alg is not accepted for this client's authentication method"
            }
            AssertionError::AlgorithmNotRegistered => {
                "the client assertion's alg is not the client's token_endpoint_auth_signing_alg"
            }
            AssertionError::AlgorithmNotInProfile => {
                "this site follows the FAPI 2.0 Security Profile: client assertions must be signed with PS256, ES256 or EdDSA"
            }
            AssertionError::UnknownKey => {
                "the client assertion is signed with a key the client has not registered"
            }
            AssertionError::AmbiguousKey => {
                "the client assertion names no kid and several registered keys fit its alg"
            }
            AssertionError::KeysUnavailable => "the client's jwks_uri could not be fetched",
            AssertionError::NoKeys => "the client has no usable keys registered",
            AssertionError::BadSignature => "the client assertion's signature is invalid",
            AssertionError::WrongIssuer => {
                "the client assertion's iss and sub must both be the client id"
            }
            AssertionError::WrongAudience => {
                "the client assertion's aud must be this server's issuer or endpoint URL"
            }
            AssertionError::AudienceNotInProfile => {
                "this site follows the FAPI 2.0 Security Profile: the client assertion's aud must be the issuer identifier, as a single string"
            }
            AssertionError::MissingExpiry => "the client assertion has no exp",
            AssertionError::Expired => "the client assertion has expired",
            AssertionError::LivesTooLong => {
                "the client assertion's exp is more than 5 minutes ahead"
            }
            AssertionError::NotYetValid => "the client assertion is not valid yet (nbf or iat)",
            AssertionError::MissingJti => "the client assertion has no jti",
            AssertionError::Replayed => "the client assertion was used before (jti)",
        }
    }
}

/// A good assertion: its `jti` and until when it could be used, for the
/// single-use record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedAssertion {
    pub jti: String,
    pub expires_at: i64,
}

/// The header of an assertion whose algorithm the client may use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionHeader {
    pub alg: Algorithm,
    pub kid: Option<String>,
}

/// The client an assertion claims to be from (`sub`, which must equal
/// `iss`), unverified: only for finding the client whose key checks it.
pub fn peek_client_id(assertion: &str) -> Option<String> {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    if assertion.len() > MAX_ASSERTION_LEN {
        return None;
    }
    let payload = assertion.split('.').nth(1)?;
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
    claims.get("sub")?.as_str().map(str::to_owned)
}

/// Reads the header and refuses any algorithm the method does not allow,
/// or that is not the one the client registered.
pub fn read_assertion_header(
    assertion: &str,
    method: ClientAuthMethod,
    registered: Option<Algorithm>,
) -> Result<AssertionHeader, AssertionError> {
    if assertion.len() > MAX_ASSERTION_LEN {
        return Err(AssertionError::Malformed);
    }
    let header = read_header(assertion).map_err(|_| AssertionError::Malformed)?;
    let alg = Algorithm::from_str(&header.alg)
        .ok()
        .filter(|alg| method.algorithms().contains(alg))
        .ok_or(AssertionError::AlgorithmRefused)?;
    if registered.is_some_and(|registered| registered != alg) {
        return Err(AssertionError::AlgorithmNotRegistered);
    }
    Ok(AssertionHeader {
        alg,
        kid: header.kid,
    })
}

/// Verifies the signature with `key`, then the claims (see the module).
pub fn check_assertion(
    assertion: &str,
    alg: Algorithm,
    key: &DecodingKey,
    client_id: &str,
    audiences: &Audiences,
    now: i64,
) -> Result<CheckedAssertion, AssertionError> {
    let claims = verify_signature(assertion, alg, key).map_err(|e| match e {
        crate::identity::IdentityError::Malformed => AssertionError::Malformed,
        _ => AssertionError::BadSignature,
    })?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("iss") != Some(client_id) || text("sub") != Some(client_id) {
        return Err(AssertionError::WrongIssuer);
    }
    if !audiences.named_by(&claims) {
        return Err(if audiences.issuer_only {
            AssertionError::AudienceNotInProfile
        } else {
            AssertionError::WrongAudience
        });
    }
    let time = |name| time_claim(&claims, name).map_err(|_| AssertionError::Malformed);
    let exp = time("exp")?.ok_or(AssertionError::MissingExpiry)?;
    if now >= exp.saturating_add(CLOCK_SKEW_SECS) {
        return Err(AssertionError::Expired);
    }
    if exp > now.saturating_add(MAX_LIFETIME_SECS + CLOCK_SKEW_SECS) {
        return Err(AssertionError::LivesTooLong);
    }
    for name in ["nbf", "iat"] {
        if time(name)?.is_some_and(|at| at > now.saturating_add(CLOCK_SKEW_SECS)) {
            return Err(AssertionError::NotYetValid);
        }
    }
    let jti = text("jti")
        .filter(|jti| !jti.is_empty() && jti.len() <= MAX_JTI_LEN)
        .ok_or(AssertionError::MissingJti)?;
    Ok(CheckedAssertion {
        jti: jti.to_owned(),
        expires_at: exp.saturating_add(CLOCK_SKEW_SECS),
    })
}

/// What an assertion may name as its audience.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audiences {
    accepted: Vec<String>,
    /// FAPI 2.0: the issuer alone, as a JSON string (not in an array).
    issuer_only: bool,
}

impl Audiences {
    /// Any of `accepted`, as the string `aud` or one member of an array.
    pub fn any_of(accepted: Vec<String>) -> Audiences {
        Audiences {
            accepted,
            issuer_only: false,
        }
    }

    /// Only `issuer`, and only as the string `aud`.
    pub fn issuer_only(issuer: &str) -> Audiences {
        Audiences {
            accepted: vec![issuer.to_owned()],
            issuer_only: true,
        }
    }

    fn named_by(&self, claims: &Map<String, Value>) -> bool {
        let accepted = |aud: &str| self.accepted.iter().any(|a| a == aud);
        match claims.get("aud") {
            Some(Value::String(aud)) => accepted(aud),
            Some(Value::Array(auds)) if !self.issuer_only => {
                auds.iter().filter_map(Value::as_str).any(accepted)
            }
            _ => false,
        }
    }
}

/// What an assertion sent to `endpoint` on `site` may name as its
/// audience: the issuer, the token endpoint, or the URL of the endpoint
/// itself (RFC 7523 3, RFC 9126 2). On a FAPI 2.0 site, the issuer alone
/// as a string (FAPI 2.0 Security Profile 5.3.2.1 item 8: the server
/// "shall only accept its issuer identifier value ... as a string in the
/// `aud` claim"), which no assertion made for another server can carry.
pub fn audiences(site: &Site, endpoint: Endpoint) -> Audiences {
    if site.oauth.profile.is_fapi2() {
        return Audiences::issuer_only(&site.issuer);
    }
    let path = match endpoint {
        // Registration and the passkey steps take no client assertion.
        Endpoint::Token | Endpoint::Exchange | Endpoint::Register | Endpoint::Passkey => {
            "/oauth/token"
        }
        Endpoint::Par => "/oauth/par",
        Endpoint::Revoke => "/oauth/revoke",
        Endpoint::Introspect => "/oauth/introspect",
        Endpoint::Device => "/oauth/device_authorization",
    };
    let mut audiences = vec![site.issuer.clone(), site.url("/oauth/token")];
    if path != "/oauth/token" {
        audiences.push(site.url(path));
    }
    Audiences::any_of(audiences)
}

#[cfg(test)]
#[path = "client_assertion_tests.rs"]
mod tests;
