//! The SQL of `UpstreamStore`, shared by both backends.

macro_rules! upstream_provider_columns {
    () => {
        "id, site_id, name, display_name, issuer, client_id, sealed_client_secret, \
         link_by_email, create_accounts, created_at"
    };
}

macro_rules! upstream_identity_select {
    () => {
        "SELECT i.id, i.site_id, i.provider_id, p.name AS provider_name, \
         p.display_name AS provider_display_name, i.user_id, i.subject, i.email, \
         i.created_at, i.last_used_at \
         FROM upstream_identities i JOIN upstream_providers p ON p.id = i.provider_id "
    };
}

macro_rules! impl_upstream_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::UpstreamStore for $store {
            async fn create_upstream_provider(
                &self,
                provider: &$crate::store::NewUpstreamProvider,
            ) -> $crate::store::StoreResult<$crate::store::UpstreamProviderRecord> {
                Ok(
                    sqlx::query_as::<$db, $crate::store::UpstreamProviderRecord>(concat!(
                        "INSERT INTO upstream_providers (site_id, name, display_name, issuer, \
                     client_id, sealed_client_secret, link_by_email, create_accounts, \
                     created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING ",
                        upstream_provider_columns!()
                    ))
                    .bind(provider.site_id)
                    .bind(&provider.name)
                    .bind(&provider.display_name)
                    .bind(&provider.issuer)
                    .bind(&provider.client_id)
                    .bind(&provider.sealed_client_secret)
                    .bind(provider.link_by_email)
                    .bind(provider.create_accounts)
                    .bind(provider.created_at)
                    .fetch_one(&self.pool)
                    .await?,
                )
            }

            async fn list_upstream_providers(
                &self,
                site_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::UpstreamProviderRecord>> {
                Ok(
                    sqlx::query_as::<$db, $crate::store::UpstreamProviderRecord>(concat!(
                        "SELECT ",
                        upstream_provider_columns!(),
                        " FROM upstream_providers WHERE site_id = $1 ORDER BY id"
                    ))
                    .bind(site_id)
                    .fetch_all(&self.pool)
                    .await?,
                )
            }

            async fn find_upstream_provider(
                &self,
                site_id: i64,
                name: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::UpstreamProviderRecord>> {
                Ok(
                    sqlx::query_as::<$db, $crate::store::UpstreamProviderRecord>(concat!(
                        "SELECT ",
                        upstream_provider_columns!(),
                        " FROM upstream_providers WHERE site_id = $1 AND name = $2"
                    ))
                    .bind(site_id)
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?,
                )
            }

            async fn delete_upstream_provider(
                &self,
                site_id: i64,
                name: &str,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                // Explicitly, not by cascade: SQLite enforces foreign keys
                // only when the connection asks it to.
                sqlx::query(
                    "DELETE FROM upstream_identities WHERE provider_id IN \
                     (SELECT id FROM upstream_providers WHERE site_id = $1 AND name = $2)",
                )
                .bind(site_id)
                .bind(name)
                .execute(&mut *tx)
                .await?;
                let done =
                    sqlx::query("DELETE FROM upstream_providers WHERE site_id = $1 AND name = $2")
                        .bind(site_id)
                        .bind(name)
                        .execute(&mut *tx)
                        .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn find_upstream_identity(
                &self,
                site_id: i64,
                provider_id: i64,
                subject: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::UpstreamIdentityRecord>> {
                Ok(
                    sqlx::query_as::<$db, $crate::store::UpstreamIdentityRecord>(concat!(
                        upstream_identity_select!(),
                        "WHERE i.site_id = $1 AND i.provider_id = $2 AND i.subject = $3"
                    ))
                    .bind(site_id)
                    .bind(provider_id)
                    .bind(subject)
                    .fetch_optional(&self.pool)
                    .await?,
                )
            }

            async fn link_upstream_identity(
                &self,
                identity: &$crate::store::NewUpstreamIdentity,
            ) -> $crate::store::StoreResult<Option<i64>> {
                Ok(sqlx::query_scalar::<$db, i64>(
                    "INSERT INTO upstream_identities (site_id, provider_id, user_id, subject, \
                     email, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
                     ON CONFLICT (provider_id, subject) DO NOTHING RETURNING id",
                )
                .bind(identity.site_id)
                .bind(identity.provider_id)
                .bind(identity.user_id)
                .bind(&identity.subject)
                .bind(&identity.email)
                .bind(identity.created_at)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn list_upstream_identities(
                &self,
                site_id: i64,
                user_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::UpstreamIdentityRecord>> {
                Ok(
                    sqlx::query_as::<$db, $crate::store::UpstreamIdentityRecord>(concat!(
                        upstream_identity_select!(),
                        "WHERE i.site_id = $1 AND i.user_id = $2 ORDER BY i.id"
                    ))
                    .bind(site_id)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?,
                )
            }

            async fn remove_upstream_identity(
                &self,
                site_id: i64,
                user_id: i64,
                id: i64,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "DELETE FROM upstream_identities WHERE site_id = $1 AND user_id = $2 \
                     AND id = $3",
                )
                .bind(site_id)
                .bind(user_id)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn record_upstream_use(
                &self,
                site_id: i64,
                id: i64,
                email: Option<&str>,
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE upstream_identities SET email = $1, last_used_at = $2 \
                     WHERE site_id = $3 AND id = $4",
                )
                .bind(email)
                .bind(now)
                .bind(site_id)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn save_upstream_flow(
                &self,
                flow: &$crate::store::NewUpstreamFlow,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO upstream_flows (key_hash, site_id, purpose, sealed_state, \
                     expires_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&flow.key_hash)
                .bind(flow.site_id)
                .bind(flow.purpose)
                .bind(&flow.sealed_state)
                .bind(flow.expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn take_upstream_flow(
                &self,
                site_id: i64,
                key_hash: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::UpstreamFlowRecord>> {
                // One statement: of two processes given the same callback,
                // only one gets the row back.
                Ok(sqlx::query_as::<$db, $crate::store::UpstreamFlowRecord>(
                    "DELETE FROM upstream_flows WHERE key_hash = $1 AND site_id = $2 \
                     RETURNING purpose, sealed_state, expires_at",
                )
                .bind(key_hash)
                .bind(site_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn purge_upstream_flows(&self, before: i64) -> $crate::store::StoreResult<u64> {
                Ok(
                    sqlx::query("DELETE FROM upstream_flows WHERE expires_at < $1")
                        .bind(before)
                        .execute(&self.pool)
                        .await?
                        .rows_affected(),
                )
            }
        }
    };
}
