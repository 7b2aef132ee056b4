//! Registered resources (RFC 8707): the protected APIs a site's access
//! tokens may be issued for.

use async_trait::async_trait;

use super::StoreResult;

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ResourceRecord {
    pub id: i64,
    pub site_id: i64,
    /// An absolute URI without fragment: the audience of its tokens.
    pub uri: String,
    /// The scopes a token for it may carry, space separated.
    pub scopes: String,
    /// `opaque` or `jwt`.
    pub token_format: String,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewResource {
    pub site_id: i64,
    pub uri: String,
    pub scopes: String,
    pub token_format: String,
    pub created_at: i64,
}

#[async_trait]
pub trait ResourceStore {
    /// `StoreError::Conflict` when the site has the URI already.
    async fn create_resource(&self, resource: &NewResource) -> StoreResult<ResourceRecord>;
    async fn find_resource(&self, site_id: i64, uri: &str) -> StoreResult<Option<ResourceRecord>>;
    async fn find_resource_by_id(
        &self,
        site_id: i64,
        id: i64,
    ) -> StoreResult<Option<ResourceRecord>>;
    async fn list_resources(&self, site_id: i64) -> StoreResult<Vec<ResourceRecord>>;
    /// The removed resource's id; `None` when the site has no such
    /// resource. Its access tokens end with it (a change-feed entry tells
    /// every process).
    async fn delete_resource(&self, site_id: i64, uri: &str, now: i64) -> StoreResult<Option<i64>>;
}
