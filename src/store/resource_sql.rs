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

            async fn find_resource_by_id(
                &self,
                site_id: i64,
                id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::ResourceRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::ResourceRecord>(
                    "SELECT id, site_id, uri, scopes, token_format, created_at \
                     FROM oauth_resources WHERE site_id = $1 AND id = $2",
                )
                .bind(site_id)
                .bind(id)
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
                now: i64,
            ) -> $crate::store::StoreResult<Option<i64>> {
                let mut tx = self.begin_write().await?;
                let deleted = sqlx::query_scalar::<$db, i64>(
                    "DELETE FROM oauth_resources WHERE site_id = $1 AND uri = $2 RETURNING id",
                )
                .bind(site_id)
                .bind(uri)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = deleted else {
                    return Ok(None);
                };
                Self::record_change(
                    &mut *tx,
                    site_id,
                    $crate::store::ChangeKind::Resource,
                    id,
                    now,
                )
                .await?;
                tx.commit().await?;
                Ok(Some(id))
            }
        }
    };
}
