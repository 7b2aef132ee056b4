//! The consent decision, and the apps a user has authorized.
//!
//! The consent form carries a consent token: the validated authorization
//! request, the user and the site, with an expiry, under an HMAC of the
//! site's consent key. The POST can therefore neither be altered (another
//! redirect URI, more scopes) nor replayed for another user or site, and
//! the server keeps no state between the two requests.

use crate::audit::{Actor, AuditEvent, AuditKind};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::OAuth;
use super::authorize::{Authorize, UserFacingError, ValidatedRequest};
use super::clients::Client;
use super::error::{OAuthError, OAuthResult};
use super::pkce::CodeChallenge;
use super::response::{ClientResponse, ResponseMode};
use super::scopes::ScopeSet;
use crate::cache::CachedUser;
use crate::crypto::constant_time_eq;
use crate::sites::Site;
use crate::store::AuthorizationRecord;

/// How long the consent screen may stay open.
pub const CONSENT_TTL_SECS: i64 = 600;

#[derive(Debug, Serialize, Deserialize)]
struct Sealed {
    site: i64,
    user: i64,
    client: String,
    redirect_uri: String,
    scopes: String,
    state: Option<String>,
    challenge: String,
    expires: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    dpop_jkt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    resource: Option<String>,
    #[serde(default)]
    response_mode: ResponseMode,
}

pub struct ConsentToken;

impl ConsentToken {
    pub fn seal(site: &Site, user_id: i64, request: &ValidatedRequest, now: i64) -> String {
        let sealed = Sealed {
            site: site.id,
            user: user_id,
            client: request.client.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            scopes: request.scopes.to_string(),
            state: request.state.clone(),
            challenge: request.code_challenge.as_str().to_string(),
            expires: now + CONSENT_TTL_SECS,
            nonce: request.nonce.clone(),
            dpop_jkt: request.dpop_jkt.clone(),
            resource: request.resource.clone(),
            response_mode: request.response_mode,
        };
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&sealed).unwrap_or_default());
        let mac = site.oauth.consent_key.mac(body.as_bytes());
        format!("{body}.{}", URL_SAFE_NO_PAD.encode(mac))
    }

    fn open(site: &Site, user_id: i64, value: &str, now: i64) -> Option<Sealed> {
        let (body, mac) = value.split_once('.')?;
        let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
        if !constant_time_eq(&mac, &site.oauth.consent_key.mac(body.as_bytes())) {
            return None;
        }
        let sealed: Sealed = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
        (sealed.site == site.id && sealed.user == user_id && sealed.expires > now).then_some(sealed)
    }
}

/// The user's answer on the consent screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
}

impl Decision {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "allow" => Some(Decision::Allow),
            "deny" => Some(Decision::Deny),
            _ => None,
        }
    }
}

impl OAuth {
    /// `POST /oauth/authorize`: the signed-in user allowed or denied. The
    /// CSRF token was checked by the caller.
    pub async fn decide(
        &self,
        site: &Site,
        user: &CachedUser,
        session_id: Option<i64>,
        consent_token: &str,
        decision: Decision,
    ) -> OAuthResult<Authorize> {
        let now = self.clock.now();
        let Some(sealed) = ConsentToken::open(site, user.id, consent_token, now) else {
            return Ok(Authorize::ShowError(UserFacingError::ConsentExpired));
        };
        // The client may have changed since the screen was shown.
        let Some(client) = self.clients.find(site, &sealed.client).await? else {
            return Ok(Authorize::ShowError(UserFacingError::UnknownClient));
        };
        if client
            .redirect_uri_for(Some(&sealed.redirect_uri))
            .is_none()
        {
            return Ok(Authorize::ShowError(UserFacingError::InvalidRedirectUri));
        }
        let scopes = ScopeSet::from_stored(&sealed.scopes);
        let refuse = |e: OAuthError| {
            ClientResponse::error(
                &client.client_id,
                &sealed.redirect_uri,
                sealed.response_mode,
                sealed.state.as_deref(),
                &e,
            )
        };
        if decision == Decision::Deny {
            tracing::info!(site = %site.slug, client_id = %client.client_id, "consent denied");
            return self.deliver(site, refuse(OAuthError::AccessDenied)).await;
        }
        if !scopes.is_subset_of(client.scopes) {
            let e =
                OAuthError::InvalidScope("the client may no longer ask for these scopes".into());
            return self.deliver(site, refuse(e)).await;
        }
        let earlier = self
            .store
            .find_consent(site.id, user.id, client.pk)
            .await?
            .map(|s| ScopeSet::from_stored(&s))
            .unwrap_or_default();
        let remembered = earlier.union(scopes);
        let epoch = self.cache.epoch();
        self.store
            .save_consent(site.id, user.id, client.pk, &remembered.to_string(), now)
            .await?;
        self.cache
            .put_consent(site.id, user.id, client.pk, remembered, epoch);
        tracing::info!(site = %site.slug, client_id = %client.client_id, "consent given");
        let event = AuditEvent::new(AuditKind::ConsentGranted, Actor::User(user.id))
            .user(user.id)
            .client(&client.client_id)
            .detail("scopes", scopes.to_string());
        self.clients.audit.record(site.id, event).await;
        let claims = self.authentication_of(site, scopes, session_id).await?;
        let request = ValidatedRequest {
            client,
            redirect_uri: sealed.redirect_uri,
            scopes,
            state: sealed.state,
            code_challenge: CodeChallenge::from_stored(sealed.challenge),
            nonce: sealed.nonce,
            auth_time: claims.auth_time,
            dpop_jkt: sealed.dpop_jkt,
            resource: sealed.resource,
            session_id,
            response_mode: sealed.response_mode,
            amr: claims.amr,
            acr: claims.acr,
        };
        let response = self.issue_code(site, user.id, &request).await?;
        self.deliver(site, response).await
    }

    /// The scopes the user has granted the client, from the cache when possible.
    pub(crate) async fn granted_scopes(
        &self,
        site: &Site,
        user_id: i64,
        client: &Client,
    ) -> OAuthResult<Option<ScopeSet>> {
        if let Some(scopes) = self.cache.consent(site.id, user_id, client.pk) {
            return Ok(Some(scopes));
        }
        let epoch = self.cache.epoch();
        let Some(stored) = self.store.find_consent(site.id, user_id, client.pk).await? else {
            return Ok(None);
        };
        let scopes = ScopeSet::from_stored(&stored);
        self.cache
            .put_consent(site.id, user_id, client.pk, scopes, epoch);
        Ok(Some(scopes))
    }

    /// The apps the user authorized, newest first.
    pub async fn list_authorizations(
        &self,
        site: &Site,
        user_id: i64,
    ) -> OAuthResult<Vec<AuthorizationRecord>> {
        Ok(self.store.list_authorizations(site.id, user_id).await?)
    }

    /// Forgets the consent and revokes every token the user gave the app.
    /// False when the user had not authorized it.
    pub async fn revoke_authorization(
        &self,
        site: &Site,
        user_id: i64,
        client_id: &str,
        actor: &Actor,
    ) -> OAuthResult<bool> {
        let Some(client) = self.clients.find(site, client_id).await? else {
            return Ok(false);
        };
        let now = self.clock.now();
        let revoked = self
            .store
            .revoke_authorization(site.id, user_id, client.pk, now)
            .await?;
        let Some(grants) = revoked else {
            return Ok(false);
        };
        for grant in grants {
            self.cache.grant_revoked(grant, now);
        }
        self.cache.evict_consents_of(user_id);
        tracing::info!(site = %site.slug, client_id, "authorization revoked");
        let event = AuditEvent::new(AuditKind::ConsentRevoked, actor.clone())
            .user(user_id)
            .client(client_id);
        self.clients.audit.record(site.id, event).await;
        Ok(true)
    }
}
