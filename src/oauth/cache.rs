//! In-process caches of OAuth clients and access tokens, so the token
//! endpoint, introspection and API calls need no database round trip for
//! them. Evicted at once by the process that changes something, and by the
//! change feed (`invalidation.rs`) in every other process; the epoch stops a
//! load that raced with an eviction from putting stale data back.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;

use super::client_auth::ClientKeyCache;
use super::clients::Client;
use super::scopes::ScopeSet;
use crate::cache::HitCount;

/// An access token as the request path needs it.
#[derive(Debug, Clone)]
pub struct CachedToken {
    pub id: i64,
    pub site_id: i64,
    pub client_pk: i64,
    pub client_id: String,
    pub user_id: Option<i64>,
    pub grant_id: Option<i64>,
    pub scopes: ScopeSet,
    pub issued_at: i64,
    pub expires_at: i64,
    /// Revocation is final, so a revoked token may be remembered as such.
    pub revoked: bool,
    /// RFC 9449: the thumbprint of the key the token is bound to.
    pub jkt: Option<String>,
    /// RFC 8707: the resource the token is for; `None`: the site's own API.
    pub resource: Option<String>,
}

impl CachedToken {
    /// Whether the token is for the site's own API (UserInfo, `/api`), not
    /// for a registered resource elsewhere: a token has one audience.
    pub fn is_for_own_api(&self) -> bool {
        self.resource.is_none()
    }
}

const MAX_ENTRIES: usize = 200_000;

#[derive(Default)]
pub struct OAuthCache {
    clients: DashMap<String, Arc<Client>>,
    tokens: DashMap<String, Arc<CachedToken>>,
    /// Remembered consent by (site, user, client row id).
    consents: DashMap<(i64, i64, i64), ScopeSet>,
    /// The parsed public keys of private_key_jwt clients.
    pub client_keys: ClientKeyCache,
    /// Clients resolved from Client ID Metadata Documents.
    pub metadata_documents: super::metadata_document::cache::DocumentCache,
    epoch: AtomicU64,
    client_lookups: HitCount,
    token_lookups: HitCount,
    consent_lookups: HitCount,
}

#[derive(Debug, Clone, Copy)]
pub struct OAuthEpoch(u64);

impl OAuthCache {
    pub fn epoch(&self) -> OAuthEpoch {
        OAuthEpoch(self.epoch.load(Ordering::Acquire))
    }

    fn bump(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    fn still(&self, epoch: OAuthEpoch) -> bool {
        self.epoch.load(Ordering::Acquire) == epoch.0
    }

    pub fn client(&self, client_id: &str) -> Option<Arc<Client>> {
        self.client_lookups
            .count(self.clients.get(client_id).map(|c| c.clone()))
    }

    pub fn put_client(&self, client: Arc<Client>, epoch: OAuthEpoch) {
        if self.clients.len() >= MAX_ENTRIES {
            self.clients.clear();
        }
        let key = client.client_id.clone();
        self.clients.insert(key.clone(), client);
        if !self.still(epoch) {
            self.clients.remove(&key);
        }
    }

    pub fn token(&self, token_hash: &str) -> Option<Arc<CachedToken>> {
        self.token_lookups
            .count(self.tokens.get(token_hash).map(|t| t.clone()))
    }

    pub fn put_token(&self, token_hash: String, token: CachedToken, epoch: OAuthEpoch) {
        if self.tokens.len() >= MAX_ENTRIES {
            self.tokens.clear();
        }
        let revoked = token.revoked;
        self.tokens.insert(token_hash.clone(), Arc::new(token));
        // A revocation may have run between the read and the insert.
        if !revoked && !self.still(epoch) {
            self.tokens.remove(&token_hash);
        }
    }

    pub fn consent(&self, site_id: i64, user_id: i64, client_pk: i64) -> Option<ScopeSet> {
        self.consent_lookups.count(
            self.consents
                .get(&(site_id, user_id, client_pk))
                .map(|c| *c),
        )
    }

    pub fn put_consent(
        &self,
        site_id: i64,
        user_id: i64,
        client_pk: i64,
        scopes: ScopeSet,
        epoch: OAuthEpoch,
    ) {
        if self.consents.len() >= MAX_ENTRIES {
            self.consents.clear();
        }
        let key = (site_id, user_id, client_pk);
        self.consents.insert(key, scopes);
        if !self.still(epoch) {
            self.consents.remove(&key);
        }
    }

    /// The user took back an authorization.
    pub fn evict_consents_of(&self, user_id: i64) {
        self.bump();
        self.consents.retain(|(_, user, _), _| *user != user_id);
    }

    /// A client changed or went away: drop it and, since deleting a client
    /// deletes its tokens and consents, everything cached of it.
    pub fn evict_client(&self, client_pk: i64) {
        self.bump();
        self.clients.retain(|_, c| c.pk != client_pk);
        self.client_keys.evict(client_pk);
        self.metadata_documents.evict(client_pk);
        self.tokens.retain(|_, t| t.client_pk != client_pk);
        self.consents
            .retain(|(_, _, client), _| *client != client_pk);
    }

    /// A grant was revoked: its tokens are re-read on their next use.
    pub fn evict_grant(&self, grant_id: i64) {
        self.bump();
        self.tokens.retain(|_, t| t.grant_id != Some(grant_id));
    }

    pub fn evict_token(&self, token_id: i64) {
        self.bump();
        self.tokens.retain(|_, t| t.id != token_id);
    }

    pub fn client_lookups(&self) -> &HitCount {
        &self.client_lookups
    }

    pub fn token_lookups(&self) -> &HitCount {
        &self.token_lookups
    }

    pub fn consent_lookups(&self) -> &HitCount {
        &self.consent_lookups
    }

    pub fn clear(&self) {
        self.bump();
        self.clients.clear();
        self.client_keys.clear();
        self.metadata_documents.clear();
        self.tokens.clear();
        self.consents.clear();
    }
}
