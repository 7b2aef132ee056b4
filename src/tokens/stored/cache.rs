//! The in-process view of each site's browser tokens, server tokens and
//! legacy key, so recognising a caller (and answering a CORS preflight)
//! needs no database round trip. A site's set is loaded whole on first use
//! and dropped whenever the change feed says one of its tokens changed; the
//! epoch stops a load that raced with an eviction from putting stale data
//! back.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;

use crate::tokens::browser::{Origin, OriginPatterns};
use crate::tokens::legacy::SiteApiKey;
use crate::tokens::server::ServerTokenSecret;

#[derive(Debug)]
pub struct CachedBrowserToken {
    pub id: i64,
    pub key: String,
    pub patterns: OriginPatterns,
}

/// The active browser tokens of one site, by key.
#[derive(Debug, Default)]
pub struct SiteBrowserTokens {
    pub by_key: HashMap<String, Arc<CachedBrowserToken>>,
}

impl SiteBrowserTokens {
    /// Whether any active token trusts the origin: the preflight question.
    pub fn any_trusts(&self, origin: &Origin) -> bool {
        self.by_key
            .values()
            .any(|token| token.patterns.matches_origin(origin))
    }
}

#[derive(Debug)]
pub struct CachedServerToken {
    pub id: i64,
    pub key: String,
    /// Opened from its sealed form when the site's tokens were loaded.
    pub secret: ServerTokenSecret,
    /// The only user the token may act as, when restricted.
    pub user_id: Option<i64>,
    pub jit: bool,
}

/// The active server tokens of one site, by key.
pub type SiteServerTokens = HashMap<String, Arc<CachedServerToken>>;

#[derive(Debug)]
pub struct CachedLegacyKey {
    pub id: i64,
    pub key: SiteApiKey,
    pub enabled: bool,
}

/// Names remembered per site at most; past it, the site's are forgotten.
const MAX_USERNAMES: usize = 200_000;

#[derive(Default)]
pub struct TokenKindCache {
    browser: DashMap<i64, Arc<SiteBrowserTokens>>,
    server: DashMap<i64, Arc<SiteServerTokens>>,
    /// `None`: the site has no current legacy key.
    legacy: DashMap<i64, Option<Arc<CachedLegacyKey>>>,
    /// Usernames never change, so `=username` in a server token maps to the
    /// same id for good; the user itself is still read through the user cache.
    /// Per site, so that a lookup by `&str` needs no owned key.
    usernames: DashMap<i64, HashMap<String, i64>>,
    epoch: AtomicU64,
    /// Browser-token, server-token and legacy-key lookups together.
    lookups: crate::cache::HitCount,
}

/// Taken before a store read; the read may be cached only if no eviction
/// happened in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindsEpoch(u64);

impl TokenKindCache {
    pub fn lookups(&self) -> &crate::cache::HitCount {
        &self.lookups
    }

    pub fn epoch(&self) -> KindsEpoch {
        KindsEpoch(self.epoch.load(Ordering::Acquire))
    }

    fn bump(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    fn still(&self, epoch: KindsEpoch) -> bool {
        self.epoch.load(Ordering::Acquire) == epoch.0
    }

    pub fn browser_tokens(&self, site_id: i64) -> Option<Arc<SiteBrowserTokens>> {
        self.lookups
            .count(self.browser.get(&site_id).map(|s| s.clone()))
    }

    pub fn put_browser_tokens(
        &self,
        site_id: i64,
        tokens: Arc<SiteBrowserTokens>,
        epoch: KindsEpoch,
    ) {
        self.browser.insert(site_id, tokens);
        if !self.still(epoch) {
            self.browser.remove(&site_id);
        }
    }

    pub fn server_tokens(&self, site_id: i64) -> Option<Arc<SiteServerTokens>> {
        self.lookups
            .count(self.server.get(&site_id).map(|s| s.clone()))
    }

    pub fn put_server_tokens(
        &self,
        site_id: i64,
        tokens: Arc<SiteServerTokens>,
        epoch: KindsEpoch,
    ) {
        self.server.insert(site_id, tokens);
        if !self.still(epoch) {
            self.server.remove(&site_id);
        }
    }

    /// `Some(None)`: known to have no current key.
    pub fn legacy_key(&self, site_id: i64) -> Option<Option<Arc<CachedLegacyKey>>> {
        self.lookups
            .count(self.legacy.get(&site_id).map(|k| k.clone()))
    }

    pub fn put_legacy_key(
        &self,
        site_id: i64,
        key: Option<Arc<CachedLegacyKey>>,
        epoch: KindsEpoch,
    ) {
        self.legacy.insert(site_id, key);
        if !self.still(epoch) {
            self.legacy.remove(&site_id);
        }
    }

    pub fn user_id_by_name(&self, site_id: i64, username: &str) -> Option<i64> {
        self.usernames.get(&site_id)?.get(username).copied()
    }

    pub fn put_user_id_by_name(&self, site_id: i64, username: String, user_id: i64) {
        let mut names = self.usernames.entry(site_id).or_default();
        if names.len() >= MAX_USERNAMES {
            names.clear();
        }
        names.insert(username, user_id);
    }

    pub fn evict_browser_tokens(&self, site_id: i64) {
        self.bump();
        self.browser.remove(&site_id);
    }

    pub fn evict_server_tokens(&self, site_id: i64) {
        self.bump();
        self.server.remove(&site_id);
    }

    pub fn evict_legacy_key(&self, site_id: i64) {
        self.bump();
        self.legacy.remove(&site_id);
    }

    pub fn clear(&self) {
        self.bump();
        self.browser.clear();
        self.server.clear();
        self.legacy.clear();
        self.usernames.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn browser_set(origins: &str) -> Arc<SiteBrowserTokens> {
        let token = Arc::new(CachedBrowserToken {
            id: 1,
            key: "k".into(),
            patterns: OriginPatterns::parse(origins).unwrap_or_else(|_| unreachable!()),
        });
        let mut set = SiteBrowserTokens::default();
        set.by_key.insert("k".into(), token);
        Arc::new(set)
    }

    #[test]
    fn a_load_that_raced_with_an_eviction_is_not_kept() {
        let cache = TokenKindCache::default();
        let before = cache.epoch();
        cache.evict_browser_tokens(1);
        cache.put_browser_tokens(1, browser_set("app.example.com"), before);
        assert!(cache.browser_tokens(1).is_none());

        let now = cache.epoch();
        cache.put_browser_tokens(1, browser_set("app.example.com"), now);
        assert!(cache.browser_tokens(1).is_some());
    }

    #[test]
    fn evictions_are_per_site_and_per_kind() {
        let cache = TokenKindCache::default();
        let epoch = cache.epoch();
        cache.put_browser_tokens(1, browser_set("a.example.com"), epoch);
        cache.put_browser_tokens(2, browser_set("b.example.com"), epoch);
        cache.put_legacy_key(1, None, epoch);
        cache.evict_browser_tokens(1);
        assert!(cache.browser_tokens(1).is_none());
        assert!(cache.browser_tokens(2).is_some());
        assert!(matches!(cache.legacy_key(1), Some(None)));
        cache.clear();
        assert!(cache.browser_tokens(2).is_none());
        assert!(cache.legacy_key(1).is_none());
    }

    #[test]
    fn the_preflight_index_trusts_an_origin_any_token_trusts() {
        let set = browser_set("https://*.example.com, http://localhost:3000");
        let trusted = |raw: &str| Origin::parse(raw).is_ok_and(|o| set.any_trusts(&o));
        assert!(trusted("https://app.example.com"));
        assert!(trusted("http://localhost:3000"));
        assert!(!trusted("https://example.com"));
        assert!(!trusted("http://app.example.com"));
    }
}
