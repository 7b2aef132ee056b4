//! Storage of the content API's pages.

use async_trait::async_trait;

use super::StoreResult;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PageRecord {
    pub id: i64,
    pub site_id: i64,
    pub path: String,
    pub title: String,
    pub body: String,
    pub public: bool,
    pub author_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PageSummary {
    pub path: String,
    pub title: String,
    pub public: bool,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewPage {
    pub site_id: i64,
    pub path: String,
    pub title: String,
    pub body: String,
    pub public: bool,
    pub author_id: Option<i64>,
    pub now: i64,
}

#[async_trait]
pub trait PageStore {
    async fn find_page(&self, site_id: i64, path: &str) -> StoreResult<Option<PageRecord>>;
    /// Public pages, and private ones too when `include_private`.
    async fn list_pages(
        &self,
        site_id: i64,
        include_private: bool,
    ) -> StoreResult<Vec<PageSummary>>;
    /// Creates or replaces; the flag says whether it was created.
    async fn put_page(&self, page: &NewPage) -> StoreResult<(PageRecord, bool)>;
    async fn delete_page(&self, site_id: i64, path: &str) -> StoreResult<bool>;
}
