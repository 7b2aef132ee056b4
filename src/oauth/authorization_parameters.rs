//! The parameters of an authorization request that do not depend on who
//! is signed in: `response_type`, PKCE, `scope` and `prompt`. The
//! authorization endpoint and PAR check them alike.

use super::authorize::AuthorizationRequest;
use super::clients::{Client, GrantType};
use super::error::OAuthError;
use super::pkce::CodeChallenge;
use super::scopes::ScopeSet;

/// OpenID Connect Core 3.1.2.1 `prompt`.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Prompt {
    /// No page may be shown: answer with an error instead.
    pub(super) none: bool,
    /// Ask for consent even when it was given before.
    pub(super) consent: bool,
    /// Sign in again even when signed in.
    pub(super) login: bool,
    /// Offer to switch accounts.
    pub(super) select_account: bool,
}

pub(super) fn parse_prompt(raw: Option<&str>) -> Result<Prompt, OAuthError> {
    let mut prompt = Prompt::default();
    let mut values = 0;
    for value in raw.unwrap_or_default().split(' ').filter(|v| !v.is_empty()) {
        values += 1;
        match value {
            "none" => prompt.none = true,
            "consent" => prompt.consent = true,
            "login" => prompt.login = true,
            "select_account" => prompt.select_account = true,
            _ => {
                return Err(OAuthError::invalid_request(format!(
                    "unsupported prompt `{value}`"
                )));
            }
        }
    }
    if prompt.none && values > 1 {
        return Err(OAuthError::invalid_request(
            "prompt=none cannot be combined with other values",
        ));
    }
    Ok(prompt)
}

/// `max_age` (OpenID Connect Core 3.1.2.1): whole seconds, 0 or more.
pub(super) fn parse_max_age(raw: Option<&str>) -> Result<Option<i64>, OAuthError> {
    match raw.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(value) => value
            .parse::<u32>()
            .map(|seconds| Some(i64::from(seconds)))
            .map_err(|_| OAuthError::invalid_request("max_age must be a number of seconds")),
    }
}

/// Nonces longer than this are refused rather than stored.
pub(super) const MAX_NONCE_LEN: usize = 512;

pub(super) fn check_parameters(
    client: &Client,
    request: &AuthorizationRequest,
) -> Result<(ScopeSet, CodeChallenge), OAuthError> {
    match request.response_type.as_deref() {
        Some("code") => {}
        None => return Err(OAuthError::invalid_request("response_type is required")),
        Some(_) => return Err(OAuthError::UnsupportedResponseType),
    }
    if !client.allows(GrantType::AuthorizationCode) {
        return Err(OAuthError::UnauthorizedClient(
            "this client may not use the authorization code grant",
        ));
    }
    let Some(challenge) = request.code_challenge.as_deref().filter(|c| !c.is_empty()) else {
        return Err(OAuthError::invalid_request(
            "PKCE is required: send code_challenge with method S256",
        ));
    };
    if request.code_challenge_method.as_deref() != Some("S256") {
        return Err(OAuthError::invalid_request(
            "code_challenge_method must be S256 (plain is not accepted)",
        ));
    }
    let challenge = CodeChallenge::parse(challenge)
        .ok_or_else(|| OAuthError::invalid_request("code_challenge is not an S256 challenge"))?;
    let scopes = match request
        .scope
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => client.scopes,
        Some(raw) => ScopeSet::parse(raw).map_err(|e| OAuthError::InvalidScope(e.to_string()))?,
    };
    if scopes.is_empty() {
        return Err(OAuthError::InvalidScope("no scope requested".into()));
    }
    if !scopes.is_subset_of(client.scopes) {
        return Err(OAuthError::InvalidScope(format!(
            "this client may ask only for: {}",
            client.scopes
        )));
    }
    Ok((scopes, challenge))
}
