//! Token introspection (RFC 7662) for authenticated confidential clients.
//! A client may introspect the tokens issued to itself; a resource server
//! (a client with the `introspect` permission, `tessera client
//! set-introspect`) those of every client of its site. Anything unknown,
//! expired, revoked, of another site or of another client is just inactive.

use crate::ratelimit::Endpoint;
use serde::Serialize;

use super::OAuth;
use super::client_authentication::PresentedClient;
use super::dpop::{self, Confirmation};
use super::error::{OAuthError, OAuthResult};
use super::jwt_access;
use super::scopes::ScopeSet;
use super::tokens;
use crate::sites::Site;
use crate::store::TokenKind;

/// RFC 7662 2.2.
#[derive(Debug, Serialize, Default, utoipa::ToSchema)]
pub struct Introspection {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iss: Option<String>,
    /// The one audience of the token (RFC 8707): the resource it was
    /// issued for, or the site's own API (the issuer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    /// RFC 9449 section 6.2: the key a DPoP-bound token is bound to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
}

/// What an active token says about itself.
struct Facts {
    scopes: ScopeSet,
    client_id: String,
    user_id: Option<i64>,
    token_type: &'static str,
    exp: i64,
    iat: i64,
    jkt: Option<String>,
    resource: Option<String>,
}

impl OAuth {
    pub async fn introspect(
        &self,
        site: &Site,
        presented: &PresentedClient<'_>,
        token: &str,
    ) -> OAuthResult<Introspection> {
        let client = self
            .clients
            .authenticate_at(site, presented, Endpoint::Introspect)
            .await?;
        if !client.confidential {
            return Err(OAuthError::InvalidClient(
                "introspection is for confidential clients",
            ));
        }
        let Some(facts) = self.facts(site, token).await? else {
            return Ok(Introspection::default());
        };
        // A client learns about its own tokens; only a resource server an
        // admin marked may look at everyone's. The answer for a token of
        // another client is the one for a token that does not exist.
        if facts.client_id != client.client_id && !client.introspect {
            return Ok(Introspection::default());
        }
        let (username, sub) = match facts.user_id {
            Some(user_id) => match self.users.cached(site.id, user_id).await? {
                Some(user) if !user.disabled => {
                    (Some(user.username.clone()), Some(user.id.to_string()))
                }
                _ => return Ok(Introspection::default()),
            },
            // A client-credentials token acts as its client.
            None => (None, Some(facts.client_id.clone())),
        };
        Ok(Introspection {
            active: true,
            scope: Some(facts.scopes.to_string()),
            client_id: Some(facts.client_id),
            username,
            sub,
            token_type: Some(facts.token_type),
            exp: Some(facts.exp),
            iat: Some(facts.iat),
            iss: Some(site.issuer.clone()),
            aud: Some(jwt_access::audience(site, facts.resource.as_deref()).to_owned()),
            cnf: Confirmation::of(facts.jkt.as_deref()),
        })
    }

    async fn facts(&self, site: &Site, token: &str) -> OAuthResult<Option<Facts>> {
        // Opaque and RFC 9068 JWT access tokens alike.
        if token.starts_with(tokens::ACCESS_PREFIX) || jwt_access::looks_like_jwt(token) {
            return Ok(self.find_access_token(site, token).await?.map(|t| Facts {
                scopes: t.scopes,
                client_id: t.client.client_id.clone(),
                user_id: t.user_id,
                token_type: if t.jkt.is_some() {
                    dpop::TOKEN_TYPE
                } else {
                    "Bearer"
                },
                exp: t.expires_at,
                iat: t.issued_at,
                jkt: t.jkt,
                resource: t.resource.map(|r| r.to_string()),
            }));
        }
        if !token.starts_with(tokens::REFRESH_PREFIX) || token.len() > tokens::MAX_LEN {
            return Ok(None);
        }
        let now = self.clock.now();
        let Some(record) = self
            .store
            .find_token(site.id, &tokens::hash_token(token))
            .await?
        else {
            return Ok(None);
        };
        let live = record.kind == TokenKind::Refresh.as_str()
            && record.revoked_at.is_none()
            && record.rotated_at.is_none()
            && record.expires_at > now;
        Ok(live.then(|| Facts {
            scopes: ScopeSet::from_stored(&record.scopes),
            client_id: record.client_id,
            user_id: record.user_id,
            token_type: "refresh_token",
            exp: record.expires_at,
            iat: record.created_at,
            jkt: record.jkt,
            resource: record.resource,
        }))
    }
}
