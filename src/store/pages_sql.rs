//! The content API's SQL, shared by both backends.

macro_rules! page_columns {
    () => {
        "id, site_id, path, title, body, public, author_id, created_at, updated_at"
    };
}

macro_rules! impl_page_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::PageStore for $store {
            async fn find_page(
                &self,
                site_id: i64,
                path: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::PageRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::PageRecord>(concat!(
                    "SELECT ",
                    page_columns!(),
                    " FROM pages WHERE site_id = $1 AND path = $2"
                ))
                .bind(site_id)
                .bind(path)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn list_pages(
                &self,
                site_id: i64,
                include_private: bool,
            ) -> $crate::store::StoreResult<Vec<$crate::store::PageSummary>> {
                Ok(sqlx::query_as::<$db, $crate::store::PageSummary>(
                    "SELECT path, title, public, updated_at FROM pages \
                     WHERE site_id = $1 AND (public OR $2) ORDER BY path LIMIT 1000",
                )
                .bind(site_id)
                .bind(include_private)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn put_page(
                &self,
                page: &$crate::store::NewPage,
            ) -> $crate::store::StoreResult<($crate::store::PageRecord, bool)> {
                let mut tx = self.begin_write().await?;
                let existed = sqlx::query_scalar::<$db, i64>(
                    "SELECT id FROM pages WHERE site_id = $1 AND path = $2",
                )
                .bind(page.site_id)
                .bind(&page.path)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
                let record = sqlx::query_as::<$db, $crate::store::PageRecord>(concat!(
                    "INSERT INTO pages (site_id, path, title, body, public, author_id, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                     ON CONFLICT (site_id, path) DO UPDATE SET title = excluded.title, body = excluded.body, \
                     public = excluded.public, author_id = excluded.author_id, updated_at = excluded.updated_at \
                     RETURNING ",
                    page_columns!()
                ))
                .bind(page.site_id)
                .bind(&page.path)
                .bind(&page.title)
                .bind(&page.body)
                .bind(page.public)
                .bind(page.author_id)
                .bind(page.now)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok((record, !existed))
            }

            async fn delete_page(&self, site_id: i64, path: &str) -> $crate::store::StoreResult<bool> {
                Ok(sqlx::query("DELETE FROM pages WHERE site_id = $1 AND path = $2")
                    .bind(site_id)
                    .bind(path)
                    .execute(&self.pool)
                    .await?
                    .rows_affected()
                    > 0)
            }
        }
    };
}
