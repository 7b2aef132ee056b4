//! JWT-secured authorization requests (RFC 9101): the authorization
//! request as a JWS (`request`) the client signs with a key it registered
//! (`jwks` or `jwks_uri`, the keys of private_key_jwt, parsed once and
//! cached by `client_auth::ClientKeyCache`).
//!
//! Order: size and header first (`alg` must be one of [`KEY_ALGORITHMS`]:
//! `none` and HMAC are refused before any key is looked at), then the
//! signature, then the claims: `iss` the client id, `aud` naming this
//! issuer, a `client_id` claim equal to the query's, `exp` required and at
//! most [`MAX_LIFETIME_SECS`] ahead, `nbf` and `iat` not in the future.
//! A `jti`, when present, is used once (recorded by the caller). Per RFC
//! 9101 section 6.3 only the parameters inside the object count.

use std::str::FromStr;

use jsonwebtoken::{Algorithm, DecodingKey};
use serde_json::{Map, Value};

use super::OAuth;
use super::authorize::{Answer, AuthorizationRequest, Authorize, UserFacingError};
use super::client_assertion::CLOCK_SKEW_SECS;
use super::client_auth::KEY_ALGORITHMS;
use super::clients::{Client, ClientKeyError};
use super::error::{OAuthError, OAuthResult};
use super::response::{ClientResponse, ResponseMode};
use crate::crypto::sha256_hex;
use crate::identity::validate::{read_header, time_claim, verify_signature};
use crate::sites::Site;

/// A request object whose `exp` is further ahead than this is refused.
pub const MAX_LIFETIME_SECS: i64 = 3600;
/// Request objects are a few kilobytes at most.
pub const MAX_REQUEST_OBJECT_LEN: usize = 16 * 1024;
const MAX_JTI_LEN: usize = 256;
/// The JOSE names of [`KEY_ALGORITHMS`], for the server metadata.
pub const REQUEST_OBJECT_ALG_NAMES: [&str; 4] = ["ES256", "RS256", "PS256", "EdDSA"];
/// JWT claims that are not authorization request parameters.
const JWT_CLAIMS: [&str; 6] = ["iss", "aud", "exp", "nbf", "iat", "jti"];

/// Why a request object is refused; each is `invalid_request_object`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestObjectError {
    Malformed,
    AlgorithmRefused,
    /// FAPI 2.0 sites: not PS256, ES256 or EdDSA.
    AlgorithmNotInProfile,
    NoKeys,
    UnknownKey,
    AmbiguousKey,
    KeysUnavailable,
    BadSignature,
    WrongIssuer,
    WrongAudience,
    ClientMismatch,
    MissingExpiry,
    Expired,
    LivesTooLong,
    NotYetValid,
    Nested,
    Replayed,
}

impl RequestObjectError {
    /// The `error_description` the client is told.
    pub fn description(self) -> &'static str {
        match self {
            RequestObjectError::Malformed => {
                "the request object is not a well-formed JWT of string parameters"
            }
            RequestObjectError::AlgorithmRefused => {
                "the request object must be signed with ES256, RS256, PS256 or EdDSA"
            }
            RequestObjectError::AlgorithmNotInProfile => {
                "this site follows the FAPI 2.0 Security Profile: request objects must be signed with PS256, ES256 or EdDSA"
            }
            RequestObjectError::NoKeys => {
                "the client has no public keys registered (jwks or jwks_uri) to check request objects"
            }
            RequestObjectError::UnknownKey => {
                "the request object is signed with a key the client has not registered"
            }
            RequestObjectError::AmbiguousKey => {
                "the request object names no kid and several registered keys fit its alg"
            }
            RequestObjectError::KeysUnavailable => "the client's jwks_uri could not be fetched",
            RequestObjectError::BadSignature => "the request object's signature is invalid",
            RequestObjectError::WrongIssuer => "the request object's iss must be the client id",
            RequestObjectError::WrongAudience => {
                "the request object's aud must be this server's issuer"
            }
            RequestObjectError::ClientMismatch => {
                "the request object's client_id must be the client_id of the request"
            }
            RequestObjectError::MissingExpiry => "the request object has no exp",
            RequestObjectError::Expired => "the request object has expired",
            RequestObjectError::LivesTooLong => {
                "the request object's exp is more than 60 minutes ahead"
            }
            RequestObjectError::NotYetValid => "the request object is not valid yet (nbf or iat)",
            RequestObjectError::Nested => "a request object cannot carry request or request_uri",
            RequestObjectError::Replayed => "the request object was used before (jti)",
        }
    }

    pub fn into_error(self) -> OAuthError {
        OAuthError::InvalidRequestObject(self.description())
    }
}

/// A request object that checked out: its parameters, and its `jti` with
/// until when it could be used, for the single-use record.
#[derive(Debug, Clone)]
pub struct OpenedRequest {
    pub request: AuthorizationRequest,
    pub jti: Option<String>,
    pub expires_at: i64,
}

/// The `alg` and `kid` of a request object signed with an allowed algorithm.
pub fn read_request_header(
    object: &str,
) -> Result<(Algorithm, Option<String>), RequestObjectError> {
    if object.len() > MAX_REQUEST_OBJECT_LEN {
        return Err(RequestObjectError::Malformed);
    }
    let header = read_header(object).map_err(|_| RequestObjectError::Malformed)?;
    let alg = Algorithm::from_str(&header.alg)
        .ok()
        .filter(|alg| KEY_ALGORITHMS.contains(alg))
        .ok_or(RequestObjectError::AlgorithmRefused)?;
    Ok((alg, header.kid))
}

/// Verifies the signature with `key`, then the claims (see the module).
pub fn check_request_object(
    object: &str,
    alg: Algorithm,
    key: &DecodingKey,
    client_id: &str,
    issuer: &str,
    now: i64,
) -> Result<OpenedRequest, RequestObjectError> {
    let claims = verify_signature(object, alg, key).map_err(|e| match e {
        crate::identity::IdentityError::Malformed => RequestObjectError::Malformed,
        _ => RequestObjectError::BadSignature,
    })?;
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    if text("iss") != Some(client_id) {
        return Err(RequestObjectError::WrongIssuer);
    }
    if !names_audience(&claims, issuer) {
        return Err(RequestObjectError::WrongAudience);
    }
    if text("client_id") != Some(client_id) {
        return Err(RequestObjectError::ClientMismatch);
    }
    let time = |name| time_claim(&claims, name).map_err(|_| RequestObjectError::Malformed);
    let exp = time("exp")?.ok_or(RequestObjectError::MissingExpiry)?;
    if now >= exp.saturating_add(CLOCK_SKEW_SECS) {
        return Err(RequestObjectError::Expired);
    }
    if exp > now.saturating_add(MAX_LIFETIME_SECS + CLOCK_SKEW_SECS) {
        return Err(RequestObjectError::LivesTooLong);
    }
    for name in ["nbf", "iat"] {
        if time(name)?.is_some_and(|at| at > now.saturating_add(CLOCK_SKEW_SECS)) {
            return Err(RequestObjectError::NotYetValid);
        }
    }
    if claims.contains_key("request") || claims.contains_key("request_uri") {
        return Err(RequestObjectError::Nested);
    }
    let jti = match claims.get("jti") {
        None => None,
        Some(Value::String(jti)) if !jti.is_empty() && jti.len() <= MAX_JTI_LEN => {
            Some(jti.clone())
        }
        Some(_) => return Err(RequestObjectError::Malformed),
    };
    let parameters: Map<String, Value> = claims
        .into_iter()
        .filter(|(name, _)| !JWT_CLAIMS.contains(&name.as_str()))
        .collect();
    let request: AuthorizationRequest = serde_json::from_value(Value::Object(parameters))
        .map_err(|_| RequestObjectError::Malformed)?;
    Ok(OpenedRequest {
        request,
        jti,
        expires_at: exp.saturating_add(CLOCK_SKEW_SECS),
    })
}

fn names_audience(claims: &Map<String, Value>, issuer: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(aud)) => aud == issuer,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(issuer)),
        _ => false,
    }
}

impl OAuth {
    /// The parameters of `object`, a request object of `client`. With
    /// `spend`, its `jti` is recorded as used (at the authorization
    /// endpoint only once the user is signed in, so the trip through the
    /// sign-in page does not spend it).
    pub(super) async fn open_request_object(
        &self,
        site: &Site,
        client: &Client,
        object: &str,
        spend: bool,
    ) -> OAuthResult<Result<AuthorizationRequest, RequestObjectError>> {
        let opened = match self.check_signed_request(site, client, object).await {
            Ok(opened) => opened,
            Err(e) => return Ok(Err(e)),
        };
        if let (true, Some(jti)) = (spend, &opened.jti) {
            let key = sha256_hex(
                format!("request-object\n{}\n{}\n{jti}", site.id, client.client_id).as_bytes(),
            );
            let now = self.clock.now();
            if !self.store.use_once(&key, opened.expires_at, now).await? {
                return Ok(Err(RequestObjectError::Replayed));
            }
        }
        Ok(Ok(opened.request))
    }

    async fn check_signed_request(
        &self,
        site: &Site,
        client: &Client,
        object: &str,
    ) -> Result<OpenedRequest, RequestObjectError> {
        let (alg, kid) = read_request_header(object)?;
        if !site.oauth.profile.allows(alg) {
            return Err(RequestObjectError::AlgorithmNotInProfile);
        }
        let key = self
            .clients
            .public_key_for(site, client, kid.as_deref(), alg)
            .await
            .map_err(|e| match e {
                ClientKeyError::NoKeys => RequestObjectError::NoKeys,
                ClientKeyError::Unknown => RequestObjectError::UnknownKey,
                ClientKeyError::Ambiguous => RequestObjectError::AmbiguousKey,
                ClientKeyError::Unavailable => RequestObjectError::KeysUnavailable,
            })?;
        let now = self.clock.now();
        check_request_object(
            object,
            alg,
            key.decoding_key(),
            &client.client_id,
            &site.issuer,
            now,
        )
    }
}

/// Where the parameters of an authorization request came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The query, as sent.
    Query,
    /// A pushed request (RFC 9126), checked when it was pushed.
    Pushed,
    /// A request object the client signed.
    Signed,
}

impl OAuth {
    /// The parameters that count (RFC 9101 6.3): those of the pushed
    /// request, or of the request object (with the query's `client_id`), or
    /// else the query's. A request object that does not check out goes back
    /// to the client when the query names it and a registered redirect URI;
    /// otherwise the user is told.
    pub(super) async fn resolve_request(
        &self,
        site: &Site,
        signed_in: bool,
        query: &AuthorizationRequest,
    ) -> OAuthResult<Result<(AuthorizationRequest, Source), Answer>> {
        let shown = |e: UserFacingError| Ok(Err(Answer::Page(Authorize::ShowError(e))));
        if query.request_uri.is_some() {
            if query.request.is_some() {
                return shown(UserFacingError::InvalidRequestObject);
            }
            return match self.resolve_pushed(site, signed_in, query).await? {
                Ok(Some(pushed)) => Ok(Ok((pushed, Source::Pushed))),
                Ok(None) => Ok(Ok((query.clone(), Source::Query))),
                Err(e) => shown(e),
            };
        }
        let Some(object) = query.request.as_deref() else {
            return Ok(Ok((query.clone(), Source::Query)));
        };
        let client = match query.client_id.as_deref() {
            Some(id) => self.clients.find(site, id).await?,
            None => None,
        };
        let Some(client) = client else {
            return shown(UserFacingError::UnknownClient);
        };
        match self
            .open_request_object(site, &client, object, signed_in)
            .await?
        {
            Ok(mut request) => {
                request.client_id = Some(client.client_id.clone());
                Ok(Ok((request, Source::Signed)))
            }
            Err(e) => {
                tracing::info!(site = %site.slug, client_id = %client.client_id, reason = e.description(), "request object refused");
                match client.redirect_uri_for(query.redirect_uri.as_deref()) {
                    Some(redirect_uri) => Ok(Err(Answer::Client(ClientResponse::error(
                        &client.client_id,
                        &redirect_uri,
                        ResponseMode::Query,
                        query.state.as_deref(),
                        &e.into_error(),
                    )))),
                    None => shown(UserFacingError::InvalidRequestObject),
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "request_object_tests.rs"]
mod tests;
