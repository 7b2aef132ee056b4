//! In-process caches of OAuth clients, consents and resources, and the
//! set of revoked access tokens, so the token endpoint, introspection and
//! API calls need no database round trip for them. Evicted at once by the process that changes something, and by the
//! change feed (`invalidation.rs`) in every other process; the epoch stops a
//! load that raced with an eviction from putting stale data back.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;

use super::client_auth::ClientKeyCache;
use super::clients::Client;
use super::revocations::Revocations;
use super::scopes::ScopeSet;
use crate::cache::HitCount;

const MAX_ENTRIES: usize = 200_000;

#[derive(Default)]
pub struct OAuthCache {
    clients: DashMap<String, Arc<Client>>,
    /// The same clients by row id, as access tokens name them.
    clients_by_pk: DashMap<i64, Arc<Client>>,
    /// Registered resources' URIs by row id (site, URI), as access tokens
    /// name them.
    resources: DashMap<i64, (i64, Arc<str>)>,
    /// What revoked access tokens; never cleared with the caches.
    pub revocations: Revocations,
    /// Remembered consent by (site, user, client row id).
    consents: DashMap<(i64, i64, i64), ScopeSet>,
    /// The parsed public keys of private_key_jwt clients.
    pub client_keys: ClientKeyCache,
    /// Clients resolved from Client ID Metadata Documents.
    pub metadata_documents: super::metadata_document::cache::DocumentCache,
    epoch: AtomicU64,
    client_lookups: HitCount,
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

    pub fn client_by_pk(&self, pk: i64) -> Option<Arc<Client>> {
        self.client_lookups
            .count(self.clients_by_pk.get(&pk).map(|c| c.clone()))
    }

    pub fn put_client_by_pk(&self, client: Arc<Client>, epoch: OAuthEpoch) {
        if self.clients_by_pk.len() >= MAX_ENTRIES {
            self.clients_by_pk.clear();
        }
        let pk = client.pk;
        self.clients_by_pk.insert(pk, client);
        if !self.still(epoch) {
            self.clients_by_pk.remove(&pk);
        }
    }

    /// A resource's (site, URI).
    pub fn resource(&self, id: i64) -> Option<(i64, Arc<str>)> {
        self.resources.get(&id).map(|r| r.clone())
    }

    pub fn put_resource(&self, id: i64, site_id: i64, uri: Arc<str>, epoch: OAuthEpoch) {
        if self.resources.len() >= MAX_ENTRIES {
            self.resources.clear();
        }
        self.resources.insert(id, (site_id, uri));
        if !self.still(epoch) {
            self.resources.remove(&id);
        }
    }

    /// A resource was removed: its tokens end with it.
    pub fn evict_resource(&self, id: i64) {
        self.bump();
        self.resources.remove(&id);
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
        self.clients_by_pk.remove(&client_pk);
        self.client_keys.evict(client_pk);
        self.metadata_documents.evict(client_pk);
        self.consents
            .retain(|(_, _, client), _| *client != client_pk);
    }

    /// A grant was revoked at `at`: its access tokens end.
    pub fn grant_revoked(&self, grant_id: i64, at: i64) {
        self.revocations.revoke_grant(grant_id, at);
    }

    pub fn client_lookups(&self) -> &HitCount {
        &self.client_lookups
    }

    pub fn consent_lookups(&self) -> &HitCount {
        &self.consent_lookups
    }

    pub fn clear(&self) {
        self.bump();
        self.clients.clear();
        self.clients_by_pk.clear();
        self.resources.clear();
        self.client_keys.clear();
        self.metadata_documents.clear();
        self.consents.clear();
    }
}
