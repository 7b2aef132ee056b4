//! Storage of upstream OpenID providers (signing in with another provider),
//! the identities linked to local accounts, and the sign-ins in progress
//! (`crate::upstream`).

use async_trait::async_trait;

use super::StoreResult;

/// An upstream provider of a site. The client secret stays sealed here.
#[derive(Clone, sqlx::FromRow)]
pub struct UpstreamProviderRecord {
    pub id: i64,
    pub site_id: i64,
    /// The short name in URLs (`/login/upstream/{name}`).
    pub name: String,
    /// What the sign-in button says.
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    pub sealed_client_secret: String,
    pub link_by_email: bool,
    pub create_accounts: bool,
    pub created_at: i64,
}

impl std::fmt::Debug for UpstreamProviderRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamProviderRecord")
            .field("id", &self.id)
            .field("site_id", &self.site_id)
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("link_by_email", &self.link_by_email)
            .field("create_accounts", &self.create_accounts)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct NewUpstreamProvider {
    pub site_id: i64,
    pub name: String,
    pub display_name: String,
    pub issuer: String,
    pub client_id: String,
    pub sealed_client_secret: String,
    pub link_by_email: bool,
    pub create_accounts: bool,
    pub created_at: i64,
}

/// An upstream identity linked to a local account, with its provider's
/// names for the account page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UpstreamIdentityRecord {
    pub id: i64,
    pub site_id: i64,
    pub provider_id: i64,
    pub provider_name: String,
    pub provider_display_name: String,
    pub user_id: i64,
    pub subject: String,
    pub email: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewUpstreamIdentity {
    pub site_id: i64,
    pub provider_id: i64,
    pub user_id: i64,
    pub subject: String,
    pub email: Option<String>,
    pub created_at: i64,
}

/// A sign-in in progress (or an identity waiting to be linked), sealed.
#[derive(Clone)]
pub struct NewUpstreamFlow {
    pub key_hash: String,
    pub site_id: i64,
    /// `sign-in` or `link`.
    pub purpose: &'static str,
    pub sealed_state: String,
    pub expires_at: i64,
}

/// A flow taken back from the store (and so gone from it).
#[derive(Clone, sqlx::FromRow)]
pub struct UpstreamFlowRecord {
    pub purpose: String,
    pub sealed_state: String,
    pub expires_at: i64,
}

#[async_trait]
pub trait UpstreamStore {
    /// `Conflict` when the site has a provider of that name already.
    async fn create_upstream_provider(
        &self,
        provider: &NewUpstreamProvider,
    ) -> StoreResult<UpstreamProviderRecord>;
    /// A site's providers, in the order they were added.
    async fn list_upstream_providers(
        &self,
        site_id: i64,
    ) -> StoreResult<Vec<UpstreamProviderRecord>>;
    async fn find_upstream_provider(
        &self,
        site_id: i64,
        name: &str,
    ) -> StoreResult<Option<UpstreamProviderRecord>>;
    /// Also removes the identities linked through it. False when the site
    /// had no provider of that name.
    async fn delete_upstream_provider(&self, site_id: i64, name: &str) -> StoreResult<bool>;
    async fn find_upstream_identity(
        &self,
        site_id: i64,
        provider_id: i64,
        subject: &str,
    ) -> StoreResult<Option<UpstreamIdentityRecord>>;
    /// Links an identity to an account; `None` when the identity is linked
    /// (to this account or another) already.
    async fn link_upstream_identity(
        &self,
        identity: &NewUpstreamIdentity,
    ) -> StoreResult<Option<i64>>;
    /// A user's linked identities, oldest first.
    async fn list_upstream_identities(
        &self,
        site_id: i64,
        user_id: i64,
    ) -> StoreResult<Vec<UpstreamIdentityRecord>>;
    /// Unlinks one of a user's identities; false when it was not theirs.
    async fn remove_upstream_identity(
        &self,
        site_id: i64,
        user_id: i64,
        id: i64,
    ) -> StoreResult<bool>;
    /// Notes a sign-in through the identity, and the email it came with.
    async fn record_upstream_use(
        &self,
        site_id: i64,
        id: i64,
        email: Option<&str>,
        now: i64,
    ) -> StoreResult<()>;
    async fn save_upstream_flow(&self, flow: &NewUpstreamFlow) -> StoreResult<()>;
    /// Takes a flow out of the store: only the first caller gets it.
    async fn take_upstream_flow(
        &self,
        site_id: i64,
        key_hash: &str,
    ) -> StoreResult<Option<UpstreamFlowRecord>>;
    /// Deletes the flows that expired before `before`.
    async fn purge_upstream_flows(&self, before: i64) -> StoreResult<u64>;
}
