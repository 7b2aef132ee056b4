//! The parameters of an authorization request that do not depend on who
//! is signed in: `response_type`, PKCE, `scope` and `prompt`. The
//! authorization endpoint and PAR check them alike.

use super::authorize::AuthorizationRequest;
use super::clients::{Client, GrantType};
use super::error::OAuthError;
use super::pkce::CodeChallenge;
use super::scopes::ScopeSet;

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Prompt {
    pub(super) none: bool,
    pub(super) consent: bool,
}

pub(super) fn parse_prompt(raw: Option<&str>) -> Result<Prompt, OAuthError> {
    let mut prompt = Prompt::default();
    for value in raw.unwrap_or_default().split(' ').filter(|v| !v.is_empty()) {
        match value {
            "none" => prompt.none = true,
            // Re-authentication is not offered; asking again is the closest.
            "consent" | "login" => prompt.consent = true,
            "select_account" => {}
            _ => {
                return Err(OAuthError::invalid_request(format!(
                    "unsupported prompt `{value}`"
                )));
            }
        }
    }
    if prompt.none && prompt.consent {
        return Err(OAuthError::invalid_request(
            "prompt=none cannot be combined with other values",
        ));
    }
    Ok(prompt)
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
