//! `grant_type=urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693)
//! with an ID token from one of the site's trusted identity providers
//! (spec 3.5): the token is validated, its subject found by (issuer, `sub`)
//! or created just in time, and a sign-in session is started. The issued
//! token is that session's authtoken.
//!
//! Client authentication is optional, as RFC 8693 allows: the spec's
//! integrations call the endpoint with the ID token alone, which is itself
//! the proof. When a request does present client credentials (Basic, or
//! `client_id`/`client_secret` in the form) they must be right, else
//! `invalid_client`, exactly as for the other grants; the client is then
//! recorded in the log. No scope or refresh token is issued: the session is
//! a first-party sign-in, not a delegation to the client.
//!
//! `token_type` is `N_A` (RFC 8693 2.2.1): the authtoken is a session
//! credential, not an OAuth access token (it has no scopes and is not
//! introspectable), although the API also accepts it as a bearer.

use crate::ratelimit::Endpoint;
use std::sync::Arc;

use serde::Serialize;

use super::TokenRequest;
use crate::cache::AuthCache;
use crate::clock::SharedClock;
use crate::identity::IdentityError;
use crate::identity::registry::IdentityProviders;
use crate::identity::{IdentityClaims, peek_issuer};
use crate::oauth::client_authentication::PresentedClient;
use crate::oauth::clients::Clients;
use crate::oauth::error::{OAuthError, OAuthResult};
use crate::sessions::{ClientInfo, Sessions, SignInMethod};
use crate::sites::Site;
use crate::store::{ExternalIdentity, Provisioned, SharedStore, UserRecord};
use crate::users::{Role, validate_username};

pub const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The only subject token type accepted.
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
/// The type of the issued token: a Tessera sign-in session's authtoken.
pub const AUTHTOKEN_TYPE: &str = "urn:tessera:params:oauth:token-type:authtoken";
/// Display names longer than this are cut.
const MAX_DISPLAY_NAME_CHARS: usize = 200;

/// RFC 8693 section 2.2.1. No `Debug`: it holds the authtoken.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ExchangeResponse {
    pub access_token: String,
    pub issued_token_type: &'static str,
    pub token_type: &'static str,
    pub expires_in: i64,
}

/// A successful exchange: the response, and the session behind it (for
/// the cookie).
pub struct Exchanged {
    pub response: ExchangeResponse,
    pub authtoken: String,
    pub expires_in: i64,
}

#[derive(Clone)]
pub struct TokenExchange {
    clients: Clients,
    providers: IdentityProviders,
    sessions: Sessions,
    store: SharedStore,
    cache: Arc<AuthCache>,
    clock: SharedClock,
}

impl TokenExchange {
    pub fn new(
        clients: Clients,
        providers: IdentityProviders,
        sessions: Sessions,
        store: SharedStore,
        cache: Arc<AuthCache>,
        clock: SharedClock,
    ) -> TokenExchange {
        TokenExchange {
            clients,
            providers,
            sessions,
            store,
            cache,
            clock,
        }
    }

    /// `POST /oauth/token` with the token-exchange grant. `authorization`
    /// is the raw `Authorization` header.
    pub async fn exchange(
        &self,
        site: &Site,
        authorization: Option<&str>,
        request: &TokenRequest,
        client_info: ClientInfo,
    ) -> OAuthResult<Exchanged> {
        let client_id = self
            .authenticate_if_presented(site, authorization, request)
            .await?;
        let token = check_request(request)?;
        let claims = self.validate(site, token).await?;
        let user = self.provision(site, &claims).await?;
        if user.disabled {
            tracing::info!(site = %site.slug, user_id = user.id, "identity exchange refused: account disabled");
            return Err(OAuthError::InvalidGrant(
                "the account of this identity is disabled",
            ));
        }
        let session = self
            .sessions
            .start(site, &user, SignInMethod::IdentityToken, client_info)
            .await?;
        let expires_in = session.record.expires_at - self.clock.now();
        tracing::info!(
            site = %site.slug,
            user_id = user.id,
            issuer = %claims.issuer,
            client_id = client_id.as_deref().unwrap_or("-"),
            "identity token exchanged for a session"
        );
        Ok(Exchanged {
            response: ExchangeResponse {
                access_token: session.authtoken.clone(),
                issued_token_type: AUTHTOKEN_TYPE,
                token_type: "N_A",
                expires_in,
            },
            authtoken: session.authtoken,
            expires_in,
        })
    }

    /// Checks client credentials when the request carries any.
    async fn authenticate_if_presented(
        &self,
        site: &Site,
        authorization: Option<&str>,
        request: &TokenRequest,
    ) -> OAuthResult<Option<String>> {
        let presented = PresentedClient {
            authorization,
            client_id: request.client_id.as_deref(),
            client_secret: request.client_secret.as_deref(),
            client_assertion_type: request.client_assertion_type.as_deref(),
            client_assertion: request.client_assertion.as_deref(),
        };
        if !presented.carries_credentials() && presented.client_id.is_none() {
            return Ok(None);
        }
        let client = self
            .clients
            .authenticate_at(site, &presented, Endpoint::Exchange)
            .await?;
        Ok(Some(client.client_id.clone()))
    }

    async fn validate(&self, site: &Site, token: &str) -> OAuthResult<IdentityClaims> {
        let issuer = peek_issuer(token).ok_or(OAuthError::InvalidGrant(
            "the subject token is not a JWT with an `iss` claim",
        ))?;
        let Some(validator) = self.providers.validator(site.id, &issuer).await? else {
            tracing::info!(site = %site.slug, issuer = %issuer, "identity exchange refused: unknown issuer");
            return Err(OAuthError::InvalidGrant(
                "the subject token's issuer is not a trusted identity provider of this site",
            ));
        };
        validator
            .validate(token, self.clock.now())
            .await
            .map_err(|e| {
                tracing::info!(site = %site.slug, issuer = %issuer, reason = %e, "identity exchange refused");
                refusal(e)
            })
    }

    async fn provision(&self, site: &Site, claims: &IdentityClaims) -> OAuthResult<UserRecord> {
        let Some(identity) = just_in_time_identity(site, claims, self.clock.now()) else {
            return Err(OAuthError::InvalidGrant(
                "the subject token's `sub` cannot be a username on this site",
            ));
        };
        match self.store.provision_external_user(&identity).await? {
            Provisioned::Created(user) => {
                tracing::info!(site = %site.slug, user_id = user.id, "user created from an identity token");
                Ok(user)
            }
            Provisioned::Existing(user) => Ok(user),
            Provisioned::Refreshed(user) => {
                // This process shows the new name at once; others follow
                // the change feed.
                self.cache.evict_user(user.id);
                Ok(user)
            }
            Provisioned::UsernameTaken => {
                tracing::warn!(site = %site.slug, issuer = %claims.issuer, "identity exchange refused: username taken by another account");
                Err(OAuthError::InvalidGrant(
                    "the username in the subject token's `sub` belongs to another account on this site; an identity token never takes over an existing account",
                ))
            }
        }
    }
}

/// The RFC 8693 parameters, checked before any token is looked at.
fn check_request(request: &TokenRequest) -> OAuthResult<&str> {
    match request.subject_token_type.as_deref() {
        None | Some("") => {
            return Err(OAuthError::invalid_request(
                "subject_token_type is required",
            ));
        }
        Some(ID_TOKEN_TYPE) => {}
        Some(_) => {
            return Err(OAuthError::invalid_request(format!(
                "unsupported subject_token_type: only {ID_TOKEN_TYPE} can be exchanged"
            )));
        }
    }
    if let Some(requested) = request.requested_token_type.as_deref()
        && !requested.is_empty()
        && requested != AUTHTOKEN_TYPE
    {
        return Err(OAuthError::invalid_request(format!(
            "unsupported requested_token_type: only {AUTHTOKEN_TYPE} is issued"
        )));
    }
    if request
        .actor_token
        .as_deref()
        .is_some_and(|t| !t.is_empty())
    {
        return Err(OAuthError::invalid_request(
            "actor_token (delegation) is not supported",
        ));
    }
    request
        .subject_token
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| OAuthError::invalid_request("subject_token is required"))
}

/// One answer for every failure that depends on the provider's keys. The
/// keys are fetched for an anonymous caller: telling "could not fetch"
/// apart from "no such key" or "bad signature" (or answering 5xx) would
/// tell them whether the provider's `jwks_uri` is reachable from here. The
/// log says which it was.
const UNVERIFIABLE: &str = "the subject token's signature could not be verified with the identity provider's published keys";

/// What the client is told for each way an ID token can fail.
fn refusal(error: IdentityError) -> OAuthError {
    use IdentityError::*;
    let description = match error {
        KeysUnavailable(_) | UnknownKey | AmbiguousKey | KeyAlgorithmMismatch | BadSignature => {
            UNVERIFIABLE
        }
        Malformed => "the subject token is not a well-formed JWT",
        AlgorithmRefused(_) => {
            "the subject token's algorithm is never accepted (`none` and HMAC algorithms are refused)"
        }
        AlgorithmNotAllowed(_) => {
            "the subject token's algorithm is not allowed for this identity provider"
        }
        UnsupportedCriticalHeader => {
            "the subject token has a critical header extension that is not understood"
        }
        WrongIssuer => "the subject token is from another issuer",
        WrongAudience => "the subject token is meant for another audience",
        Expired => "the subject token has expired",
        NotYetValid => "the subject token is not valid yet",
        MissingClaim("sub") => "the subject token lacks the `sub` claim",
        MissingClaim("given_name") => "the subject token lacks the `given_name` claim",
        MissingClaim("family_name") => "the subject token lacks the `family_name` claim",
        MissingClaim("exp") => "the subject token lacks the `exp` claim",
        MissingClaim(_) => "the subject token lacks a required claim",
        InvalidClaim(_) => "a claim of the subject token has the wrong type",
    };
    OAuthError::InvalidGrant(description)
}

/// The account an external identity is found by or created as, just in
/// time: `sub` is the username, `given_name` and `family_name` the display
/// name, a plausible `email` is kept, and the role is `community`. `None`
/// when `sub` cannot be a username. Signing in with an upstream provider
/// (`crate::upstream`) follows the same rules.
pub(crate) fn just_in_time_identity(
    site: &Site,
    claims: &IdentityClaims,
    now: i64,
) -> Option<ExternalIdentity> {
    validate_username(&claims.sub).ok()?;
    Some(ExternalIdentity {
        site_id: site.id,
        issuer: claims.issuer.clone(),
        subject: claims.sub.clone(),
        username: claims.sub.clone(),
        display_name: display_name(claims),
        email: claims.email.clone().filter(|e| plausible_email(e)),
        role: Role::Community.as_str().to_owned(),
        now,
    })
}

fn display_name(claims: &IdentityClaims) -> String {
    let full = format!("{} {}", claims.given_name.trim(), claims.family_name.trim());
    full.chars()
        .filter(|c| !c.is_control())
        .take(MAX_DISPLAY_NAME_CHARS)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// The `email` claim is optional: one that is clearly not an address is
/// dropped rather than failing the sign-in.
fn plausible_email(email: &str) -> bool {
    email.len() <= 254
        && email
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty())
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(given: &str, family: &str) -> IdentityClaims {
        IdentityClaims {
            issuer: "https://idp.example".into(),
            sub: "u-1".into(),
            given_name: given.into(),
            family_name: family.into(),
            email: None,
        }
    }

    #[test]
    fn display_names_join_given_and_family_names() {
        assert_eq!(display_name(&claims(" Ada ", "Lovelace")), "Ada Lovelace");
        assert_eq!(
            display_name(&claims("Ada\n", "Love\u{7}lace")),
            "Ada Lovelace"
        );
        assert_eq!(
            display_name(&claims(&"x".repeat(300), "y")).chars().count(),
            MAX_DISPLAY_NAME_CHARS
        );
    }

    #[test]
    fn only_id_tokens_are_exchanged() {
        let request = |kind: Option<&str>| TokenRequest {
            subject_token: Some("a.b.c".into()),
            subject_token_type: kind.map(str::to_owned),
            ..TokenRequest::default()
        };
        assert_eq!(
            check_request(&request(Some(ID_TOKEN_TYPE))).ok(),
            Some("a.b.c")
        );
        for kind in [
            None,
            Some(""),
            Some("urn:ietf:params:oauth:token-type:access_token"),
            Some("urn:ietf:params:oauth:token-type:jwt"),
        ] {
            assert!(matches!(
                check_request(&request(kind)),
                Err(OAuthError::InvalidRequest(_))
            ));
        }
    }

    #[test]
    fn implausible_emails_are_dropped() {
        assert!(plausible_email("ada@example.com"));
        assert!(!plausible_email("ada"));
        assert!(!plausible_email("ada @example.com"));
        assert!(!plausible_email("@example.com"));
    }
}
