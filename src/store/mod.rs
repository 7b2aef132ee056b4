//! Storage: one trait per capability, implemented once for Postgres and once
//! for SQLite from the same SQL text (see `sql.rs`).

#[macro_use]
mod sql;
mod audit;
#[macro_use]
mod audit_sql;
#[macro_use]
pub(crate) mod oauth_sql;
mod client_powers;
#[macro_use]
mod client_powers_sql;
mod dpop;
#[macro_use]
mod dpop_sql;
mod identity;
#[macro_use]
mod identity_sql;
mod oauth;
mod oauth_flows;
#[macro_use]
mod oauth_flows_sql;
mod pages;
#[macro_use]
mod pages_sql;
mod token_kinds;
#[macro_use]
mod token_kinds_sql;
mod signing;
#[macro_use]
mod signing_sql;
mod rate_window;
#[macro_use]
mod rate_window_sql;
mod throttle;
#[macro_use]
mod throttle_sql;
mod logout;
#[macro_use]
mod logout_sql;
mod oauth_records;
mod one_time;
mod passkey;
#[macro_use]
mod passkey_sql;
#[macro_use]
mod one_time_sql;
mod resource;
#[macro_use]
mod resource_sql;
mod metadata_document;
#[macro_use]
mod metadata_document_sql;
mod accounts;
#[macro_use]
mod accounts_sql;
mod email;
#[macro_use]
mod email_sql;
mod look;
#[macro_use]
mod look_sql;
mod second_factor;
#[macro_use]
mod second_factor_sql;
mod upstream;
#[macro_use]
mod upstream_sql;
mod postgres;
mod records;
mod sqlite;
mod unavailable;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;

pub use accounts::{AccountLinkRecord, AccountStore, NewAccountLink, SignUpRecord};
pub use audit::{AuditEventRecord, AuditQuery, AuditStore, NewAuditEvent};
pub use client_powers::{AnonymousClientLimitsRecord, ClientPowerStore};
pub use dpop::{DpopProofStore, ProofUse};
pub use email::{EmailStore, QueuedEmailRecord};
pub use identity::{
    ExternalIdentity, IdentityProviderRecord, IdentityProviderStore, NewIdentityProvider,
    Provisioned,
};
pub use logout::{BackchannelLogoutRecord, ClientLogoutColumns, EndedSessions, LogoutStore};
pub use look::{LookStore, SiteLookChange};
pub use metadata_document::{DocumentClient, MetadataDocumentStore};
pub use oauth::{ClientStore, ConsentStore, GrantStore};
pub use oauth_flows::{
    ClientRegistrationRecord, DeviceCodeRecord, DeviceCodeStore, NewDeviceCode, NewPushedRequest,
    PushedRequestRecord, PushedRequestStore, RegistrationStore,
};
pub use oauth_records::*;
pub use one_time::{OneTimeStore, Reseal, SealedColumn, SealedValue, SealedValueStore};
pub use pages::{NewPage, PageRecord, PageStore, PageSummary};
pub use passkey::{CeremonyRecord, NewCeremony, NewPasskey, PasskeyRecord, PasskeyStore};
pub use postgres::PgStore;
pub use rate_window::RateLimitStore;
pub use records::*;
pub use resource::{NewResource, ResourceRecord, ResourceStore};
pub use second_factor::{
    NewPendingSignin, PendingSigninRecord, SecondFactorStore, SessionAuthentication, TotpRecord,
};
pub use signing::{
    KeyChange, NewSigningKey, SigningKeyRecord, SigningKeyStore, SigningSettingsRecord,
};
pub use sqlite::SqliteStore;
pub use throttle::{ThrottleCounter, ThrottleStore, ThrottleUpdate};
pub use token_kinds::{
    BrowserTokenRecord, LegacyEnabled, LegacyKeyRecord, LegacyUsageDelta, LegacyUsageRecord,
    NewBrowserToken, NewServerToken, ServerTokenRecord, TokenKindStore,
};
pub use unavailable::{StoreUnavailable, is_unavailable, sqlx_unavailable};
pub use upstream::{
    NewUpstreamFlow, NewUpstreamIdentity, NewUpstreamProvider, UpstreamFlowRecord,
    UpstreamIdentityRecord, UpstreamProviderRecord, UpstreamStore,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken: the thing already exists.
    #[error("already exists")]
    Conflict,
    #[error(transparent)]
    Database(sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            _ => StoreError::Database(e),
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait SiteStore {
    async fn count_sites(&self) -> StoreResult<i64>;
    async fn list_sites(&self) -> StoreResult<Vec<SiteRecord>>;
    async fn list_site_hosts(&self) -> StoreResult<Vec<SiteHostRecord>>;
    async fn find_site_by_slug(&self, slug: &str) -> StoreResult<Option<SiteRecord>>;
    /// Creates the site and claims its hosts in one transaction.
    async fn create_site(&self, site: &NewSite, hosts: &[String]) -> StoreResult<SiteRecord>;
    /// Creates the first site and its admin in one transaction, only if the
    /// store has no site yet. `None` when another process got there first.
    async fn bootstrap(
        &self,
        site: &NewSite,
        hosts: &[String],
        admin: &NewUser,
    ) -> StoreResult<Option<(SiteRecord, UserRecord)>>;
}

#[async_trait]
pub trait UserStore {
    async fn create_user(&self, user: &NewUser) -> StoreResult<UserRecord>;
    async fn find_user(&self, site_id: i64, user_id: i64) -> StoreResult<Option<UserRecord>>;
    async fn find_user_by_username(
        &self,
        site_id: i64,
        username: &str,
    ) -> StoreResult<Option<UserRecord>>;
    async fn list_users(&self, site_id: i64) -> StoreResult<Vec<UserRecord>>;
    /// Sets the password and, in the same transaction, revokes every session
    /// but `keep_session` and every OAuth grant and token of the user (each
    /// announced on the change feed). `None` when there is no such user.
    async fn set_password(
        &self,
        site_id: i64,
        user_id: i64,
        password_hash: &str,
        keep_session: Option<i64>,
        now: i64,
    ) -> StoreResult<Option<PasswordChanged>>;
    /// Disabling also revokes every session of the user.
    async fn set_disabled(
        &self,
        site_id: i64,
        user_id: i64,
        disabled: bool,
        now: i64,
    ) -> StoreResult<bool>;
    /// Changes the user's role; announced on the change feed so every
    /// process drops its cached copy.
    async fn set_role(&self, site_id: i64, user_id: i64, role: &str, now: i64)
    -> StoreResult<bool>;
}

#[async_trait]
pub trait SessionStore {
    async fn create_session(&self, session: &NewSession) -> StoreResult<SessionRecord>;
    async fn find_session_by_hash(
        &self,
        site_id: i64,
        token_hash: &str,
    ) -> StoreResult<Option<SessionRecord>>;
    async fn list_active_sessions(
        &self,
        site_id: i64,
        user_id: i64,
        now: i64,
    ) -> StoreResult<Vec<SessionRecord>>;
    /// Revokes one session of the user; false when there was none to revoke.
    async fn revoke_session(
        &self,
        site_id: i64,
        user_id: i64,
        session_id: i64,
        now: i64,
    ) -> StoreResult<bool>;
    /// Revokes every live session of the user except `keep`; returns how many.
    async fn revoke_user_sessions(
        &self,
        site_id: i64,
        user_id: i64,
        keep: Option<i64>,
        now: i64,
    ) -> StoreResult<u64>;
    /// Deletes sessions that expired or were revoked before `before`.
    async fn purge_sessions(&self, before: i64) -> StoreResult<u64>;
}

/// The feed of changes that invalidate cached state in every process.
#[async_trait]
pub trait ChangeFeed {
    async fn changes_since(&self, since: i64) -> StoreResult<Vec<ChangeRecord>>;
    async fn purge_changes(&self, before: i64) -> StoreResult<u64>;
}

#[async_trait]
pub trait Store:
    SiteStore
    + UserStore
    + SessionStore
    + ChangeFeed
    + ClientStore
    + ClientPowerStore
    + ConsentStore
    + GrantStore
    + DeviceCodeStore
    + PushedRequestStore
    + RegistrationStore
    + PageStore
    + IdentityProviderStore
    + TokenKindStore
    + SigningKeyStore
    + ThrottleStore
    + RateLimitStore
    + OneTimeStore
    + SealedValueStore
    + DpopProofStore
    + AuditStore
    + ResourceStore
    + MetadataDocumentStore
    + LogoutStore
    + AccountStore
    + EmailStore
    + SecondFactorStore
    + PasskeyStore
    + UpstreamStore
    + LookStore
    + Send
    + Sync
    + 'static
{
    async fn migrate(&self) -> StoreResult<()>;
    async fn ping(&self) -> StoreResult<()>;
    fn backend(&self) -> &'static str;
    /// The connection pool's state now, for the metrics.
    fn pool_usage(&self) -> PoolUsage;
    /// How long a request waits for a connection before the store counts
    /// as unavailable (`TESSERA_DATABASE_TIMEOUT_MILLIS`).
    fn acquire_timeout(&self) -> std::time::Duration;
    /// A store of its own for the group-commit writers (`oauth/writer.rs`),
    /// or `None` where they share this one (SQLite: one writing connection).
    fn group_commit_store(&self) -> Option<SharedStore>;
    /// Fires when another process recorded a change (Postgres LISTEN); `None`
    /// where the backend has no such signal and polling alone applies.
    fn change_signal(&self) -> Option<Arc<tokio::sync::Notify>>;
}

pub type SharedStore = Arc<dyn Store>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    /// Connections open, idle or in use.
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

impl PoolUsage {
    fn of<DB: sqlx::Database>(pool: &sqlx::Pool<DB>) -> Self {
        Self {
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        }
    }
}

/// Opens the store named by a `postgres://` or `sqlite:` URL. A request
/// waits at most `acquire_timeout` for a connection (then the store is
/// unavailable, see [`is_unavailable`]).
pub async fn connect(
    database_url: &str,
    acquire_timeout: std::time::Duration,
) -> anyhow::Result<SharedStore> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        Ok(Arc::new(
            PgStore::connect(database_url, acquire_timeout).await?,
        ))
    } else {
        Ok(Arc::new(
            SqliteStore::connect(database_url, acquire_timeout).await?,
        ))
    }
}

/// The file behind a `sqlite://path` URL, if it names one.
pub fn sqlite_file_path(database_url: &str) -> Option<PathBuf> {
    let rest = database_url
        .strip_prefix("sqlite://")
        .or_else(|| database_url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || rest.contains("mode=memory") {
        return None;
    }
    Some(PathBuf::from(path))
}
