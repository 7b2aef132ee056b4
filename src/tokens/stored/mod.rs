//! The stored side of browser tokens, server tokens and legacy keys: what
//! admins create, list and revoke, and the cached lookups the request path
//! uses. Secrets (server-token secrets, site API keys) are sealed with
//! `crypto::aead` under the master key before they reach the store.

pub mod cache;
pub mod usage;

use std::collections::HashMap;
use std::sync::Arc;

pub use cache::{
    CachedBrowserToken, CachedLegacyKey, CachedServerToken, KindsEpoch, SiteBrowserTokens,
    SiteServerTokens, TokenKindCache,
};
pub use usage::{LegacyUse, UsageTally};

use crate::clock::SharedClock;
use crate::crypto::{MasterKey, aead};
use crate::store::{
    BrowserTokenRecord, LegacyEnabled, LegacyKeyRecord, LegacyUsageRecord, NewBrowserToken,
    NewServerToken, ServerTokenRecord, SharedStore, StoreError,
};
use crate::tokens::browser::{self, OriginPatterns, PatternError};
use crate::tokens::legacy::{self, SiteApiKey};
use crate::tokens::server::{self, ServerTokenSecret};

pub const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum TokenKindError {
    #[error("bad origin patterns: {0}")]
    Patterns(#[from] PatternError),
    #[error("a name is 1 to {MAX_NAME_CHARS} characters without control characters")]
    BadName,
    #[error("the site has no legacy key yet; run `tessera legacy enable` first")]
    NoLegacyKey,
    #[error("cannot seal the secret: {0}")]
    Seal(#[from] aead::AeadError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A server token as created: the record and its secret, shown once.
pub struct CreatedServerToken {
    pub record: ServerTokenRecord,
    pub secret: ServerTokenSecret,
}

#[derive(Clone)]
pub struct TokenKinds {
    store: SharedStore,
    cache: Arc<TokenKindCache>,
    clock: SharedClock,
    master: MasterKey,
    window: server::Window,
    pub usage: Arc<UsageTally>,
}

fn checked_name(name: Option<String>, default: &str) -> Result<String, TokenKindError> {
    let name = name.map(|n| n.trim().to_owned()).unwrap_or_default();
    if name.is_empty() {
        return Ok(default.to_owned());
    }
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(TokenKindError::BadName);
    }
    Ok(name)
}

impl TokenKinds {
    pub fn new(
        store: SharedStore,
        cache: Arc<TokenKindCache>,
        clock: SharedClock,
        master: MasterKey,
        window: server::Window,
    ) -> Self {
        Self {
            store,
            cache,
            clock,
            master,
            window,
            usage: Arc::new(UsageTally::default()),
        }
    }

    /// How far a server token's time may sit from the clock.
    pub fn window(&self) -> server::Window {
        self.window
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    // ----- browser tokens -----

    pub async fn create_browser_token(
        &self,
        site_id: i64,
        name: Option<String>,
        origins: &str,
    ) -> Result<(BrowserTokenRecord, OriginPatterns), TokenKindError> {
        let patterns = OriginPatterns::parse(origins)?;
        let record = self
            .store
            .create_browser_token(&NewBrowserToken {
                site_id,
                token_key: browser::generate_key(),
                name: checked_name(name, "browser token")?,
                origins: patterns.to_string(),
                created_at: self.clock.now(),
            })
            .await?;
        self.cache.evict_browser_tokens(site_id);
        Ok((record, patterns))
    }

    pub async fn list_browser_tokens(
        &self,
        site_id: i64,
    ) -> Result<Vec<BrowserTokenRecord>, StoreError> {
        self.store.list_browser_tokens(site_id).await
    }

    pub async fn revoke_browser_token(&self, site_id: i64, key: &str) -> Result<bool, StoreError> {
        let revoked = self
            .store
            .revoke_browser_token(site_id, key, self.clock.now())
            .await?;
        self.cache.evict_browser_tokens(site_id);
        Ok(revoked)
    }

    /// The site's active browser tokens, from the cache when possible.
    pub async fn browser_tokens(&self, site_id: i64) -> Result<Arc<SiteBrowserTokens>, StoreError> {
        if let Some(tokens) = self.cache.browser_tokens(site_id) {
            return Ok(tokens);
        }
        let epoch = self.cache.epoch();
        let mut by_key = HashMap::new();
        for record in self.store.list_browser_tokens(site_id).await? {
            if record.revoked_at.is_some() {
                continue;
            }
            match OriginPatterns::parse(&record.origins) {
                Ok(patterns) => {
                    by_key.insert(
                        record.token_key.clone(),
                        Arc::new(CachedBrowserToken {
                            id: record.id,
                            key: record.token_key,
                            patterns,
                        }),
                    );
                }
                Err(e) => {
                    tracing::warn!(token_id = record.id, error = %e, "stored browser token has bad origins; ignored")
                }
            }
        }
        let tokens = Arc::new(SiteBrowserTokens { by_key });
        self.cache
            .put_browser_tokens(site_id, tokens.clone(), epoch);
        Ok(tokens)
    }

    // ----- server tokens -----

    pub async fn create_server_token(
        &self,
        site_id: i64,
        name: Option<String>,
        user_id: Option<i64>,
        jit: bool,
    ) -> Result<CreatedServerToken, TokenKindError> {
        let secret = server::generate_secret();
        let sealed_secret = aead::seal(&self.master, site_id, secret.expose().as_bytes())?;
        let record = self
            .store
            .create_server_token(&NewServerToken {
                site_id,
                token_key: server::generate_key(),
                name: checked_name(name, "server token")?,
                sealed_secret,
                user_id,
                jit,
                created_at: self.clock.now(),
            })
            .await?;
        self.cache.evict_server_tokens(site_id);
        Ok(CreatedServerToken { record, secret })
    }

    pub async fn list_server_tokens(
        &self,
        site_id: i64,
    ) -> Result<Vec<ServerTokenRecord>, StoreError> {
        self.store.list_server_tokens(site_id).await
    }

    pub async fn revoke_server_token(&self, site_id: i64, key: &str) -> Result<bool, StoreError> {
        let revoked = self
            .store
            .revoke_server_token(site_id, key, self.clock.now())
            .await?;
        self.cache.evict_server_tokens(site_id);
        Ok(revoked)
    }

    /// The site's active server tokens with their secrets opened.
    pub async fn server_tokens(&self, site_id: i64) -> Result<Arc<SiteServerTokens>, StoreError> {
        if let Some(tokens) = self.cache.server_tokens(site_id) {
            return Ok(tokens);
        }
        let epoch = self.cache.epoch();
        let mut tokens = SiteServerTokens::new();
        for record in self.store.list_server_tokens(site_id).await? {
            if record.revoked_at.is_some() {
                continue;
            }
            match aead::open_string(&self.master, site_id, &record.sealed_secret) {
                Ok(secret) => {
                    tokens.insert(
                        record.token_key.clone(),
                        Arc::new(CachedServerToken {
                            id: record.id,
                            key: record.token_key,
                            secret: ServerTokenSecret::new(secret),
                            user_id: record.user_id,
                            jit: record.jit,
                        }),
                    );
                }
                Err(e) => {
                    tracing::warn!(token_id = record.id, error = %e, "cannot open a server token's secret; ignored")
                }
            }
        }
        let tokens = Arc::new(tokens);
        self.cache.put_server_tokens(site_id, tokens.clone(), epoch);
        Ok(tokens)
    }

    /// The id of the user with this name, remembered once found.
    pub async fn user_id_by_name(
        &self,
        site_id: i64,
        username: &str,
    ) -> Result<Option<i64>, StoreError> {
        if let Some(id) = self.cache.user_id_by_name(site_id, username) {
            return Ok(Some(id));
        }
        let found = self.store.find_user_by_username(site_id, username).await?;
        if let Some(user) = &found {
            self.cache
                .put_user_id_by_name(site_id, user.username.clone(), user.id);
        }
        Ok(found.map(|u| u.id))
    }

    // ----- legacy keys -----

    fn seal_key(&self, site_id: i64, key: &SiteApiKey) -> Result<String, TokenKindError> {
        Ok(aead::seal(&self.master, site_id, key.expose().as_bytes())?)
    }

    /// Turns legacy credentials on. Returns the new key when one was made
    /// (shown once); re-enabling keeps the current key.
    pub async fn enable_legacy(
        &self,
        site_id: i64,
    ) -> Result<(LegacyKeyRecord, Option<SiteApiKey>), TokenKindError> {
        let fresh = legacy::generate_site_api_key();
        let sealed = self.seal_key(site_id, &fresh)?;
        let outcome = self
            .store
            .enable_legacy(site_id, &sealed, self.clock.now())
            .await?;
        self.cache.evict_legacy_key(site_id);
        Ok(match outcome {
            LegacyEnabled::Created(record) => (record, Some(fresh)),
            LegacyEnabled::Reenabled(record) => (record, None),
        })
    }

    /// False when the site never had a legacy key.
    pub async fn disable_legacy(&self, site_id: i64) -> Result<bool, StoreError> {
        let done = self.store.disable_legacy(site_id, self.clock.now()).await?;
        self.cache.evict_legacy_key(site_id);
        Ok(done)
    }

    /// Replaces the site API key; the old one stops working at once.
    pub async fn rotate_legacy(
        &self,
        site_id: i64,
    ) -> Result<(LegacyKeyRecord, SiteApiKey), TokenKindError> {
        let fresh = legacy::generate_site_api_key();
        let sealed = self.seal_key(site_id, &fresh)?;
        let record = self
            .store
            .rotate_legacy_key(site_id, &sealed, self.clock.now())
            .await?;
        self.cache.evict_legacy_key(site_id);
        record
            .map(|record| (record, fresh))
            .ok_or(TokenKindError::NoLegacyKey)
    }

    pub async fn legacy_report(&self, site_id: i64) -> Result<Vec<LegacyUsageRecord>, StoreError> {
        self.store.legacy_usage_report(site_id).await
    }

    pub async fn current_legacy_key(
        &self,
        site_id: i64,
    ) -> Result<Option<LegacyKeyRecord>, StoreError> {
        self.store.find_legacy_key(site_id).await
    }

    /// The site's current legacy key, opened, from the cache when possible.
    pub async fn legacy_key(
        &self,
        site_id: i64,
    ) -> Result<Option<Arc<CachedLegacyKey>>, StoreError> {
        if let Some(key) = self.cache.legacy_key(site_id) {
            return Ok(key);
        }
        let epoch = self.cache.epoch();
        let key = match self.store.find_legacy_key(site_id).await? {
            None => None,
            Some(record) => match aead::open_string(&self.master, site_id, &record.sealed_key) {
                Ok(key) => Some(Arc::new(CachedLegacyKey {
                    id: record.id,
                    key: SiteApiKey::new(key),
                    enabled: record.enabled,
                })),
                Err(e) => {
                    tracing::warn!(key_id = record.id, error = %e, "cannot open the site's legacy key; treated as absent");
                    None
                }
            },
        };
        self.cache.put_legacy_key(site_id, key.clone(), epoch);
        Ok(key)
    }

    /// Counts one legacy use for the report (flushed in the background).
    pub fn count_legacy_use(&self, site_id: i64, key_id: i64, kind: LegacyUse, ip: Option<String>) {
        self.usage.count_legacy(
            site_id,
            key_id,
            kind,
            ip.unwrap_or_else(|| "unknown".to_owned()),
            self.clock.now(),
        );
    }

    pub fn touch_server_token(&self, key: &str) {
        self.usage.touch_server_token(key, self.clock.now());
    }

    /// Writes the counted uses; the background task calls this every few seconds.
    pub async fn flush_usage(&self) -> Result<(), StoreError> {
        self.usage.flush(&self.store).await
    }

    /// Flushes every `interval`, and early when the tally grows large.
    pub async fn run_usage_flusher(self, interval: std::time::Duration) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(e) = self.flush_usage().await {
                tracing::warn!(error = %e, "cannot write legacy usage counts");
            }
        }
    }
}
