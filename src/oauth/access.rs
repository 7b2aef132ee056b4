//! Checking an access token, without the database: the opaque form carries
//! its claims under the site's MAC (`tokens::AccessClaims`), the JWT form
//! (RFC 9068) under the site's signature. What a token names (its client,
//! its resource) comes from the caches, and whether it was revoked from
//! the in-memory set every process keeps (`revocations.rs`).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::OAuth;
use super::clients::Client;
use super::dpop::Jkt;
use super::jwt_access::{self, AccessTokenClaims};
use super::scopes::ScopeSet;
use super::tokens::{self, AccessClaims};
use crate::sites::Site;
use crate::store::StoreError;

/// A live access token: valid, of this site, not expired, not revoked.
#[derive(Debug, Clone)]
pub struct AccessToken {
    /// Random; what revoking the token records.
    pub id: i64,
    pub client: Arc<Client>,
    pub user_id: Option<i64>,
    pub grant_id: Option<i64>,
    pub scopes: ScopeSet,
    pub issued_at: i64,
    pub expires_at: i64,
    /// RFC 9449: the thumbprint of the key the token is bound to.
    pub jkt: Option<String>,
    /// RFC 8707: the resource the token is for; `None`: the site's own API.
    pub resource: Option<Arc<str>>,
}

impl AccessToken {
    /// Whether the token is for the site's own API (UserInfo, `/api`), not
    /// for a registered resource elsewhere: a token has one audience.
    pub fn is_for_own_api(&self) -> bool {
        self.resource.is_none()
    }
}

/// The JWS `kid`-less claims of a JWT access token, read into the claims
/// an opaque token carries.
fn claims_of_jwt(jwt: &AccessTokenClaims, site: &Site, client: &Client) -> Option<AccessClaims> {
    let user_id = match jwt.sub == client.client_id {
        true => None,
        false => Some(jwt.sub.parse().ok()?),
    };
    let jkt = match &jwt.cnf {
        Some(cnf) => Some(Jkt::from_stored(cnf.jkt.as_str()).to_bytes()?),
        None => None,
    };
    Some(AccessClaims {
        token_id: jwt.jti.parse().ok()?,
        site_id: site.id,
        client_pk: client.pk,
        user_id,
        grant_id: jwt.grant_id,
        scopes: ScopeSet::parse(&jwt.scope).ok()?,
        issued_at: jwt.iat,
        expires_at: jwt.exp,
        jkt,
        resource_id: None,
    })
}

impl OAuth {
    /// The live access token behind a bearer value, or `None` for anything
    /// forged, foreign, expired or revoked. Forgeries fail on the MAC (or
    /// signature) before anything else is looked at.
    pub async fn find_access_token(
        &self,
        site: &Site,
        value: &str,
    ) -> Result<Option<AccessToken>, StoreError> {
        let Some((claims, client, resource)) = self.verify_access(site, value).await? else {
            return Ok(None);
        };
        if !self.cache.revocations.allows(&claims) {
            return Ok(None);
        }
        // A process that cannot follow the change feed may miss another
        // one's revocations: past the stated bound it answers nothing.
        if self.cache.revocations.is_stale() {
            return Err(StoreError::Database(sqlx::Error::PoolTimedOut));
        }
        Ok(Some(AccessToken {
            id: claims.token_id,
            client,
            user_id: claims.user_id,
            grant_id: claims.grant_id,
            scopes: claims.scopes,
            issued_at: claims.issued_at,
            expires_at: claims.expires_at,
            jkt: claims.jkt.map(|jkt| URL_SAFE_NO_PAD.encode(jkt)),
            resource,
        }))
    }

    /// An access token's claims, its client and its resource, once its MAC
    /// or signature, site and expiry check out and what it names still
    /// exists; revocation is not looked at (the revocation endpoint needs
    /// revoked tokens too).
    pub(crate) async fn verify_access(
        &self,
        site: &Site,
        value: &str,
    ) -> Result<Option<(AccessClaims, Arc<Client>, Option<Arc<str>>)>, StoreError> {
        let now = self.clock.now();
        if jwt_access::looks_like_jwt(value) {
            let Some(jwt) = self.verify_jwt_access_token(site, value).await? else {
                return Ok(None);
            };
            let Some(client) = self.clients.find(site, &jwt.client_id).await? else {
                return Ok(None);
            };
            let Some(claims) = claims_of_jwt(&jwt, site, &client) else {
                return Ok(None);
            };
            let resource = (jwt.aud != site.issuer).then(|| Arc::<str>::from(jwt.aud.as_str()));
            let live = claims.expires_at > now
                && claims.expires_at - claims.issued_at <= tokens::MAX_ACCESS_TTL_SECS;
            return Ok(live.then_some((claims, client, resource)));
        }
        let Some(claims) = tokens::verify_access_token(site, value, now) else {
            return Ok(None);
        };
        let Some(client) = self.client_by_pk(site, claims.client_pk).await? else {
            return Ok(None);
        };
        let resource = match claims.resource_id {
            None => None,
            Some(id) => match self.resource_uri(site, id).await? {
                Some(uri) => Some(uri),
                // Removed: its tokens end with it.
                None => return Ok(None),
            },
        };
        Ok(Some((claims, client, resource)))
    }

    async fn client_by_pk(&self, site: &Site, pk: i64) -> Result<Option<Arc<Client>>, StoreError> {
        if let Some(client) = self.cache.client_by_pk(pk) {
            return Ok((client.site_id == site.id).then_some(client));
        }
        let epoch = self.cache.epoch();
        let Some(record) = self.store.find_client_by_pk(site.id, pk).await? else {
            return Ok(None);
        };
        let client = Arc::new(Client::from_record(record));
        self.cache.put_client_by_pk(client.clone(), epoch);
        Ok(Some(client))
    }

    async fn resource_uri(&self, site: &Site, id: i64) -> Result<Option<Arc<str>>, StoreError> {
        if let Some((site_id, uri)) = self.cache.resource(id) {
            return Ok((site_id == site.id).then_some(uri));
        }
        let epoch = self.cache.epoch();
        let Some(record) = self.store.find_resource_by_id(site.id, id).await? else {
            return Ok(None);
        };
        let uri = Arc::<str>::from(record.uri);
        self.cache.put_resource(id, site.id, uri.clone(), epoch);
        Ok(Some(uri))
    }
}
