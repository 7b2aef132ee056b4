//! Values read when `/metrics` is scraped rather than recorded as they
//! happen: they change slowly, or are already counted elsewhere (the
//! caches' atomics), so the request path pays nothing for them.

use ::metrics::Label;

use super::{Registry, names};
use crate::cache::AuthCache;
use crate::invalidation::FeedProgress;
use crate::sites::SiteRegistry;
use crate::store::SharedStore;

/// What a scrape reads.
pub struct ScrapeSources<'a> {
    pub cache: &'a AuthCache,
    pub feed: &'a FeedProgress,
    pub store: &'a SharedStore,
    pub sites: &'a SiteRegistry,
    pub now: i64,
}

pub async fn update(registry: &Registry, sources: &ScrapeSources<'_>) {
    for (cache, lookups) in sources.cache.hit_counts() {
        let (hits, misses) = lookups.read();
        let label = || vec![Label::from_static_parts("cache", cache)];
        registry.counter(names::CACHE_HITS, label()).absolute(hits);
        registry
            .counter(names::CACHE_MISSES, label())
            .absolute(misses);
    }
    registry
        .gauge(names::CHANGE_FEED_LAG, vec![])
        .set(sources.feed.lag().as_secs_f64());

    let pool = sources.store.pool_usage();
    let state = |s: &'static str| vec![Label::from_static_parts("state", s)];
    registry
        .gauge(names::DB_CONNECTIONS, state("idle"))
        .set(f64::from(pool.idle));
    registry
        .gauge(names::DB_CONNECTIONS, state("in_use"))
        .set(f64::from(pool.open.saturating_sub(pool.idle)));
    registry
        .gauge(names::DB_MAX_CONNECTIONS, vec![])
        .set(f64::from(pool.max));

    signing_key_ages(registry, sources).await;
}

/// One small query per site: the age of its current signing key. A site
/// whose keys are not made yet (made on first use) has no series.
async fn signing_key_ages(registry: &Registry, sources: &ScrapeSources<'_>) {
    for site in sources.sites.all() {
        let keys = match sources.store.list_signing_keys(site.id, sources.now).await {
            Ok(keys) => keys,
            Err(e) => {
                tracing::warn!(error = %e, site = %site.slug, "metrics: cannot read signing keys");
                continue;
            }
        };
        let activated = keys
            .iter()
            .find(|k| k.state == "current")
            .map(|k| k.activated_at.unwrap_or(k.created_at));
        if let Some(activated) = activated {
            registry
                .gauge(
                    names::SIGNING_KEY_AGE,
                    vec![Label::new("site", site.slug.clone())],
                )
                .set((sources.now - activated).max(0) as f64);
        }
    }
}
