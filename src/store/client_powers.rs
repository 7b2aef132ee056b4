//! Storage of what a client may do on its own: per site, the limits of
//! clients registered anonymously; per client, the permissions an admin
//! granted and whether it may introspect every token of its site.

use async_trait::async_trait;

use super::StoreResult;

/// A site's limits for clients registered without an initial access token.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnonymousClientLimitsRecord {
    /// Space-separated scopes such a client may hold.
    pub registrable_scopes: String,
    /// Whether such a client may use the client_credentials grant.
    pub anonymous_client_credentials: bool,
}

#[async_trait]
pub trait ClientPowerStore {
    /// The site's limits; the defaults of migration 0010 for an unknown site.
    async fn anonymous_client_limits(
        &self,
        site_id: i64,
    ) -> StoreResult<AnonymousClientLimitsRecord>;
    async fn set_registrable_scopes(&self, site_id: i64, scopes: &str) -> StoreResult<bool>;
    async fn set_anonymous_client_credentials(
        &self,
        site_id: i64,
        allowed: bool,
    ) -> StoreResult<bool>;
    /// The permissions (space-separated) a client without owner acts with,
    /// announced on the change feed so every process drops its cached copy.
    async fn set_client_granted_permissions(
        &self,
        site_id: i64,
        client_pk: i64,
        permissions: &str,
        now: i64,
    ) -> StoreResult<bool>;
    /// Whether the client may introspect every token of its site.
    async fn set_client_introspect(
        &self,
        site_id: i64,
        client_pk: i64,
        allowed: bool,
        now: i64,
    ) -> StoreResult<bool>;
}
