//! Storage of the site's other token kinds: browser API tokens, server API
//! tokens, legacy site API keys and their usage report.
//!
//! Creating, revoking, enabling, disabling and rotating each append a change
//! (subject: the site id) in the same transaction, so every process drops
//! its cached view of that site's tokens.

use async_trait::async_trait;

use super::StoreResult;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BrowserTokenRecord {
    pub id: i64,
    pub site_id: i64,
    pub token_key: String,
    pub name: String,
    pub origins: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewBrowserToken {
    pub site_id: i64,
    pub token_key: String,
    pub name: String,
    pub origins: String,
    pub created_at: i64,
}

#[derive(Clone, sqlx::FromRow)]
pub struct ServerTokenRecord {
    pub id: i64,
    pub site_id: i64,
    pub token_key: String,
    pub name: String,
    /// Sealed with `crypto::aead`; opened only when the token is cached.
    pub sealed_secret: String,
    pub user_id: Option<i64>,
    pub jit: bool,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

impl std::fmt::Debug for ServerTokenRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTokenRecord")
            .field("id", &self.id)
            .field("site_id", &self.site_id)
            .field("token_key", &self.token_key)
            .field("user_id", &self.user_id)
            .field("jit", &self.jit)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct NewServerToken {
    pub site_id: i64,
    pub token_key: String,
    pub name: String,
    pub sealed_secret: String,
    pub user_id: Option<i64>,
    pub jit: bool,
    pub created_at: i64,
}

#[derive(Clone, sqlx::FromRow)]
pub struct LegacyKeyRecord {
    pub id: i64,
    pub site_id: i64,
    pub sealed_key: String,
    pub enabled: bool,
    pub created_at: i64,
    pub rotated_at: Option<i64>,
}

impl std::fmt::Debug for LegacyKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyKeyRecord")
            .field("id", &self.id)
            .field("site_id", &self.site_id)
            .field("enabled", &self.enabled)
            .finish_non_exhaustive()
    }
}

/// Uses counted in memory since the last flush, added to the stored counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegacyUsageDelta {
    pub site_id: i64,
    pub key_id: i64,
    pub kind: String,
    pub client_ip: String,
    pub count: i64,
    pub last_seen: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LegacyUsageRecord {
    pub key_id: i64,
    pub kind: String,
    pub client_ip: String,
    pub count: i64,
    pub last_seen: i64,
}

/// What `enable_legacy` did.
#[derive(Debug, Clone)]
pub enum LegacyEnabled {
    /// No current key existed: this one was created (enabled).
    Created(LegacyKeyRecord),
    /// The current key was switched on (or already was).
    Reenabled(LegacyKeyRecord),
}

#[async_trait]
pub trait TokenKindStore {
    async fn create_browser_token(
        &self,
        token: &NewBrowserToken,
    ) -> StoreResult<BrowserTokenRecord>;
    /// Every browser token of the site, revoked ones included, oldest first.
    async fn list_browser_tokens(&self, site_id: i64) -> StoreResult<Vec<BrowserTokenRecord>>;
    /// False when the site has no such unrevoked token.
    async fn revoke_browser_token(&self, site_id: i64, key: &str, now: i64) -> StoreResult<bool>;

    async fn create_server_token(&self, token: &NewServerToken) -> StoreResult<ServerTokenRecord>;
    async fn list_server_tokens(&self, site_id: i64) -> StoreResult<Vec<ServerTokenRecord>>;
    async fn revoke_server_token(&self, site_id: i64, key: &str, now: i64) -> StoreResult<bool>;
    /// Records when server tokens were last used (key, time), batched.
    async fn touch_server_tokens(&self, uses: &[(String, i64)]) -> StoreResult<()>;

    /// The site's current (unrotated) legacy key, enabled or not.
    async fn find_legacy_key(&self, site_id: i64) -> StoreResult<Option<LegacyKeyRecord>>;
    /// Switches the current key on, or stores `sealed_key` as a new current
    /// key when the site has none.
    async fn enable_legacy(
        &self,
        site_id: i64,
        sealed_key: &str,
        now: i64,
    ) -> StoreResult<LegacyEnabled>;
    /// False when the site has no current key.
    async fn disable_legacy(&self, site_id: i64, now: i64) -> StoreResult<bool>;
    /// Retires the current key and makes `sealed_key` current, keeping the
    /// enabled flag. `None` when the site has no current key.
    async fn rotate_legacy_key(
        &self,
        site_id: i64,
        sealed_key: &str,
        now: i64,
    ) -> StoreResult<Option<LegacyKeyRecord>>;
    /// Adds counted uses to the report, in one transaction.
    async fn record_legacy_usage(&self, usage: &[LegacyUsageDelta]) -> StoreResult<()>;
    async fn legacy_usage_report(&self, site_id: i64) -> StoreResult<Vec<LegacyUsageRecord>>;
}
