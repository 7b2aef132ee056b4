//! The SQL of `ResourceStore`, shared by both backends.

macro_rules! impl_resource_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::ResourceStore for $store {
            async fn create_resource(
                &self,
                resource: &$crate::store::NewResource,
            ) -> $crate::store::StoreResult<$crate::store::ResourceRecord> {
                Ok(sqlx::query_as::<$db, $crate::store::ResourceRecord>(
                    "INSERT INTO oauth_resources (site_id, uri, scopes, token_format, created_at) \
                     VALUES ($1, $2, $3, $4, $5) \
                     RETURNING id, site_id, uri, scopes, token_format, created_at",
                )
                .bind(resource.site_id)
                .bind(&resource.uri)
                .bind(&resource.scopes)
                .bind(&resource.token_format)
                .bind(resource.created_at)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn find_resource(
                &self,
                site_id: i64,
                uri: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::ResourceRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::ResourceRecord>(
                    "SELECT id, site_id, uri, scopes, token_format, created_at \
                     FROM oauth_resources WHERE site_id = $1 AND uri = $2",
                )
                .bind(site_id)
                .bind(uri)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn list_resources(
                &self,
                site_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ResourceRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::ResourceRecord>(
                    "SELECT id, site_id, uri, scopes, token_format, created_at \
                     FROM oauth_resources WHERE site_id = $1 ORDER BY uri",
                )
                .bind(site_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn delete_resource(
                &self,
                site_id: i64,
                uri: &str,
            ) -> $crate::store::StoreResult<bool> {
                Ok(
                    sqlx::query("DELETE FROM oauth_resources WHERE site_id = $1 AND uri = $2")
                        .bind(site_id)
                        .bind(uri)
                        .execute(&self.pool)
                        .await?
                        .rows_affected()
                        > 0,
                )
            }
        }
    };
}
