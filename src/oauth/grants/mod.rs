//! The token endpoint (RFC 6749 section 3.2): client authentication, then
//! one module per grant type.

mod authorization_code;
mod client_credentials;
mod device_code;
mod refresh_token;
pub mod token_exchange;

use crate::ratelimit::Endpoint;
use serde::{Deserialize, Serialize};

use super::OAuth;
use super::client_authentication::PresentedClient;
use super::clients::{Client, GrantType};
use super::dpop::{self, Jkt, Proof, ProofError};
use super::error::{OAuthError, OAuthResult};
use super::resources::Resource;
use super::scopes::{Scope, ScopeSet};
use super::tokens::{self, Secret};
use crate::sites::Site;
use crate::store::{NewToken, TokenKind};

/// The form of `POST /oauth/token`, as sent. No `Debug`: it holds secrets.
#[derive(Default, Deserialize, utoipa::ToSchema)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// RFC 7523 2.2: private_key_jwt and client_secret_jwt.
    pub client_assertion_type: Option<String>,
    pub client_assertion: Option<String>,
    /// RFC 8628 (`device_code.rs`).
    pub device_code: Option<String>,
    /// RFC 8693 token exchange (`token_exchange.rs`).
    pub subject_token: Option<String>,
    pub subject_token_type: Option<String>,
    pub requested_token_type: Option<String>,
    pub actor_token: Option<String>,
    /// RFC 8707: the one resource the access token is for.
    pub resource: Option<String>,
}

/// RFC 6749 section 5.1.
#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub scope: String,
    /// OpenID Connect, when `openid` was granted (code grant only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The code an ID token is still to be made from, once the access token
    /// is final (its `at_hash` covers it).
    #[serde(skip)]
    #[schema(ignore)]
    pub(crate) pending_id_token: Option<crate::store::CodeRecord>,
    /// RFC 8707: the resource the access token is for, whose format
    /// decides between the opaque and the JWT form.
    #[serde(skip)]
    #[schema(ignore)]
    pub(crate) resource: Option<Resource>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish_non_exhaustive()
    }
}

/// The scopes a request asks for: absent means everything `allowed`; more
/// than `allowed` is `invalid_scope`.
fn requested_scopes(raw: Option<&str>, allowed: ScopeSet) -> OAuthResult<ScopeSet> {
    let scopes = match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => allowed,
        Some(raw) => ScopeSet::parse(raw).map_err(|e| OAuthError::InvalidScope(e.to_string()))?,
    };
    if !scopes.is_subset_of(allowed) {
        return Err(OAuthError::InvalidScope(format!(
            "scope may be at most: {allowed}"
        )));
    }
    if scopes.is_empty() {
        return Err(OAuthError::InvalidScope("no scope requested".into()));
    }
    Ok(scopes)
}

/// Access tokens with the `admin` scope live shorter; none lives longer
/// than `tokens::MAX_ACCESS_TTL_SECS`.
fn access_ttl(site: &Site, scopes: ScopeSet) -> i64 {
    let ttl = if scopes.contains(Scope::Admin) {
        site.oauth.admin_access_token_ttl_secs
    } else {
        site.oauth.access_token_ttl_secs
    };
    ttl.min(tokens::MAX_ACCESS_TTL_SECS)
}

/// What one set of tokens is bound to.
struct Binding<'a> {
    client: &'a Client,
    user_id: Option<i64>,
    grant_id: Option<i64>,
    scopes: ScopeSet,
    /// RFC 9449: the key thumbprint the access token is bound to (the
    /// request's proof), and the one a refresh token is bound to.
    access_jkt: Option<&'a Jkt>,
    refresh_jkt: Option<&'a Jkt>,
    /// RFC 8707: the audience of both tokens; `None`: the site's own API.
    resource: Option<&'a Resource>,
}

/// RFC 9449 section 5: a public client's refresh tokens are bound to the
/// key of its proof (nothing else stops a thief from using them); a
/// confidential client's are not, since using one needs its secret anyway.
fn refresh_binding<'a>(client: &Client, proof: Option<&'a Jkt>) -> Option<&'a Jkt> {
    if client.confidential { None } else { proof }
}

/// A refresh token for `binding` with `scopes`, and the row it is stored as.
fn mint_refresh(
    site: &Site,
    binding: &Binding<'_>,
    scopes: ScopeSet,
    now: i64,
) -> (Secret, NewToken) {
    let refresh = tokens::mint_refresh_token();
    let row = NewToken {
        site_id: site.id,
        token_hash: refresh.hash(),
        kind: TokenKind::Refresh,
        client_pk: binding.client.pk,
        user_id: binding.user_id,
        grant_id: binding.grant_id,
        scopes: scopes.to_string(),
        created_at: now,
        expires_at: now + site.oauth.refresh_token_ttl_secs,
        jkt: binding.refresh_jkt.map(|j| j.as_str().to_owned()),
        resource: binding.resource.map(|r| r.uri.clone()),
    };
    (refresh, row)
}

/// The access token for `binding` (its grant, if any, known by now). It
/// is not stored: it carries its claims under the site's MAC.
fn mint_access(site: &Site, binding: &Binding<'_>, now: i64) -> OAuthResult<Secret> {
    let jkt = match binding.access_jkt {
        Some(jkt) => Some(jkt.to_bytes().ok_or_else(|| {
            OAuthError::ServerError(anyhow::anyhow!("a DPoP thumbprint is not 32 bytes"))
        })?),
        None => None,
    };
    let claims = tokens::AccessClaims {
        token_id: tokens::new_token_id(),
        site_id: site.id,
        client_pk: binding.client.pk,
        user_id: binding.user_id,
        grant_id: binding.grant_id,
        scopes: binding.scopes,
        issued_at: now,
        expires_at: now + access_ttl(site, binding.scopes),
        jkt,
        resource_id: binding.resource.map(|r| r.id),
    };
    Ok(tokens::mint_access_token(site, &claims))
}

impl OAuth {
    /// `POST /oauth/token`. `authorization` is the raw `Authorization`
    /// header; `proof` the request's DPoP proof, checked but not recorded
    /// (`dpop::Dpop::check_request`): its use is recorded before acting.
    pub async fn token(
        &self,
        site: &Site,
        authorization: Option<&str>,
        request: &TokenRequest,
        proof: Option<&Proof<'_>>,
    ) -> OAuthResult<TokenResponse> {
        let presented = PresentedClient {
            authorization,
            client_id: request.client_id.as_deref(),
            client_secret: request.client_secret.as_deref(),
            client_assertion_type: request.client_assertion_type.as_deref(),
            client_assertion: request.client_assertion.as_deref(),
        };
        // A client assertion's `jti` is recorded as used before anything
        // is done, so a request refused later still used it up.
        let client = self
            .clients
            .authenticate_at(site, &presented, Endpoint::Token)
            .await?;
        // FAPI 2.0 5.3.2.1: only sender-constrained tokens, here with DPoP.
        if (client.dpop_required || site.oauth.profile.is_fapi2()) && proof.is_none() {
            return Err(ProofError::Missing.into());
        }
        if let Some(proof) = proof {
            proof.spend().await?;
        }
        let jkt = proof.map(Proof::jkt);
        let mut response = match request.grant_type.as_deref() {
            None | Some("") => Err(OAuthError::invalid_request("grant_type is required")),
            Some("authorization_code") => self.exchange_code(site, &client, request, jkt).await,
            Some("refresh_token") => self.refresh(site, &client, request, jkt).await,
            Some("client_credentials") => {
                self.client_credentials(site, &client, request, jkt).await
            }
            Some(g) if g == GrantType::DeviceCode.as_str() => {
                self.poll_device_code(site, &client, request, jkt).await
            }
            Some(_) => Err(OAuthError::UnsupportedGrantType),
        }?;
        // JWT access tokens and ID tokens (`oauth/jwt_access.rs`).
        self.finish_response(site, &client, &mut response).await?;
        Ok(response)
    }

    /// Revokes the grant of a replayed code or refresh token, and says so
    /// in the audit record (`reuse`: what came back).
    pub(crate) async fn revoke_reused_family(
        &self,
        site: &Site,
        client: &crate::oauth::Client,
        user_id: Option<i64>,
        grant_id: Option<i64>,
        reuse: &'static str,
    ) -> OAuthResult<()> {
        self.revoke_family(site, grant_id).await?;
        self.record_reuse(site, client, user_id, grant_id, reuse)
            .await;
        Ok(())
    }

    pub(crate) async fn record_reuse(
        &self,
        site: &Site,
        client: &crate::oauth::Client,
        user_id: Option<i64>,
        grant_id: Option<i64>,
        reuse: &'static str,
    ) {
        use crate::audit::{Actor, AuditEvent, AuditKind};
        let event = AuditEvent::new(AuditKind::TokenFamilyRevoked, Actor::System)
            .client(&client.client_id)
            .maybe_user(user_id)
            .detail("reuse", reuse)
            .detail("grant_id", grant_id);
        self.clients.audit.record(site.id, event).await;
    }

    /// Revokes a grant for a replayed code or refresh token.
    pub(crate) async fn revoke_family(
        &self,
        site: &Site,
        grant_id: Option<i64>,
    ) -> OAuthResult<()> {
        if let Some(grant_id) = grant_id {
            let now = self.clock.now();
            self.store.revoke_grant(site.id, grant_id, now).await?;
            self.cache.grant_revoked(grant_id, now);
        }
        Ok(())
    }
}

/// The response for `binding`'s access token (and refresh token).
fn respond(
    site: &Site,
    binding: &Binding<'_>,
    access: Secret,
    refresh: Option<Secret>,
) -> TokenResponse {
    TokenResponse {
        expires_in: access_ttl(site, binding.scopes),
        access_token: access.into_inner(),
        // RFC 9449 section 5: a bound token is presented as `DPoP`.
        token_type: if binding.access_jkt.is_some() {
            dpop::TOKEN_TYPE
        } else {
            "Bearer"
        },
        refresh_token: refresh.map(Secret::into_inner),
        scope: binding.scopes.to_string(),
        id_token: None,
        pending_id_token: None,
        resource: binding.resource.cloned(),
    }
}
