//! The trusted identity providers of each site, as validators with warm key
//! caches, loaded from the store on first use and reloaded when the change
//! feed says a site's providers changed (in any process). A reload keeps the
//! validator, and so the fetched keys, of every provider that is still
//! registered unchanged: adding one provider does not make the others
//! refetch their keys, nor reopen their once-a-minute refetch window.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;

use super::http::HttpJwks;
use super::jwks::{InlineJwks, JwksCache, JwksFetcher, RefetchPolicy};
use super::validate::IdentityValidator;
use super::{IdentityProvider, parse_algorithms};
use crate::outbound::Outbound;
use crate::store::{IdentityProviderRecord, SharedStore, StoreError};

/// A provider's validator and the registration it was built from.
struct Loaded {
    record: IdentityProviderRecord,
    validator: Arc<IdentityValidator>,
}

fn same_registration(a: &IdentityProviderRecord, b: &IdentityProviderRecord) -> bool {
    a.id == b.id
        && a.issuer == b.issuer
        && a.audience == b.audience
        && a.algorithms == b.algorithms
        && a.jwks_uri == b.jwks_uri
        && a.jwks_json == b.jwks_json
}

/// One site's providers, by issuer.
#[derive(Default)]
pub struct SiteProviders {
    by_issuer: HashMap<String, Loaded>,
}

impl SiteProviders {
    pub fn for_issuer(&self, issuer: &str) -> Option<Arc<IdentityValidator>> {
        self.by_issuer.get(issuer).map(|l| l.validator.clone())
    }

    /// The validator already built for this exact registration, if any.
    fn reusable(&self, record: &IdentityProviderRecord) -> Option<Arc<IdentityValidator>> {
        self.by_issuer
            .get(&record.issuer)
            .filter(|l| same_registration(&l.record, record))
            .map(|l| l.validator.clone())
    }

    pub fn len(&self) -> usize {
        self.by_issuer.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_issuer.is_empty()
    }
}

/// The loaded providers of every site. Part of `AuthCache`, so the change
/// watcher can evict a site's entry.
#[derive(Default)]
pub struct IdentityProviderCache {
    sites: DashMap<i64, Arc<SiteProviders>>,
    /// Evicted entries, kept so a reload can reuse unchanged validators.
    retired: DashMap<i64, Arc<SiteProviders>>,
    /// Bumped by every eviction, so a load that raced one is not kept.
    epoch: AtomicU64,
    lookups: crate::cache::HitCount,
}

impl IdentityProviderCache {
    pub fn lookups(&self) -> &crate::cache::HitCount {
        &self.lookups
    }

    fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    fn get(&self, site_id: i64) -> Option<Arc<SiteProviders>> {
        self.lookups
            .count(self.sites.get(&site_id).map(|s| s.clone()))
    }

    fn retired(&self, site_id: i64) -> Option<Arc<SiteProviders>> {
        self.retired.get(&site_id).map(|s| s.clone())
    }

    fn put(&self, site_id: i64, providers: Arc<SiteProviders>, epoch: u64) {
        self.sites.insert(site_id, providers);
        if self.epoch() != epoch {
            // An eviction raced this load: reload next time, but the
            // validators just built (keys and all) may still be reused.
            if let Some((_, providers)) = self.sites.remove(&site_id) {
                self.retired.insert(site_id, providers);
            }
        } else {
            self.retired.remove(&site_id);
        }
    }

    /// The site's providers changed: reload them on next use.
    pub fn evict_site(&self, site_id: i64) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        if let Some((_, providers)) = self.sites.remove(&site_id) {
            self.retired.insert(site_id, providers);
        }
    }

    pub fn clear(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.sites.clear();
        self.retired.clear();
    }
}

/// Finds the validator for a site's provider.
#[derive(Clone)]
pub struct IdentityProviders {
    store: SharedStore,
    cache: Arc<IdentityProviderCache>,
    outbound: Outbound,
    policy: RefetchPolicy,
}

impl IdentityProviders {
    pub fn new(
        store: SharedStore,
        cache: Arc<IdentityProviderCache>,
        outbound: Outbound,
    ) -> IdentityProviders {
        IdentityProviders {
            store,
            cache,
            outbound,
            policy: RefetchPolicy::default(),
        }
    }

    /// The validator of the site's provider with exactly this issuer.
    pub async fn validator(
        &self,
        site_id: i64,
        issuer: &str,
    ) -> Result<Option<Arc<IdentityValidator>>, StoreError> {
        Ok(self.site(site_id).await?.for_issuer(issuer))
    }

    async fn site(&self, site_id: i64) -> Result<Arc<SiteProviders>, StoreError> {
        if let Some(providers) = self.cache.get(site_id) {
            return Ok(providers);
        }
        let epoch = self.cache.epoch();
        let previous = self.cache.retired(site_id);
        let records = self.store.list_identity_providers(site_id).await?;
        let by_issuer = records
            .into_iter()
            .filter_map(|record| {
                let validator = match previous.as_ref().and_then(|p| p.reusable(&record)) {
                    Some(validator) => validator,
                    None => Arc::new(self.validator_of(&record)?),
                };
                Some((record.issuer.clone(), Loaded { record, validator }))
            })
            .collect();
        let providers = Arc::new(SiteProviders { by_issuer });
        self.cache.put(site_id, providers.clone(), epoch);
        Ok(providers)
    }

    /// A stored provider that no longer makes sense (edited by hand, say)
    /// is left out, with a warning, rather than trusted half-way.
    fn validator_of(&self, record: &IdentityProviderRecord) -> Option<IdentityValidator> {
        let skip = |why: String| {
            tracing::warn!(
                site_id = record.site_id,
                issuer = %record.issuer,
                problem = %why,
                "identity provider ignored"
            );
        };
        let provider = parse_algorithms(&record.algorithms)
            .and_then(|algs| IdentityProvider::new(&record.issuer, &record.audience, &algs))
            .map_err(|e| skip(e.to_string()))
            .ok()?;
        let fetcher: Arc<dyn JwksFetcher> = match (&record.jwks_uri, &record.jwks_json) {
            // Whether the URL may be fetched is checked by the outbound
            // client on every fetch, so a row written around registration
            // is refused there, with the cache's once-a-minute limit.
            (Some(uri), None) => {
                let uri = url::Url::parse(uri)
                    .map_err(|e| skip(format!("the JWKS URI is not a URL: {e}")))
                    .ok()?;
                Arc::new(HttpJwks::new(self.outbound.clone(), uri))
            }
            (None, Some(json)) => Arc::new(
                InlineJwks::new(json.as_str())
                    .map_err(|e| skip(e.to_string()))
                    .ok()?,
            ),
            _ => {
                skip("it needs exactly one of a JWKS URI and inline keys".into());
                return None;
            }
        };
        Some(IdentityValidator::new(
            provider,
            JwksCache::new(fetcher, self.policy),
        ))
    }
}
