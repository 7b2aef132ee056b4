//! The SQL of `ClientPowerStore`, shared by both backends (expanded next to
//! `impl_store!`, whose `record_change` it uses, so a client's change and
//! its change-feed entry commit together).

macro_rules! impl_client_power_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::ClientPowerStore for $store {
            async fn anonymous_client_limits(
                &self,
                site_id: i64,
            ) -> $crate::store::StoreResult<$crate::store::AnonymousClientLimitsRecord> {
                Ok(sqlx::query_as::<$db, $crate::store::AnonymousClientLimitsRecord>(
                    "SELECT registrable_scopes, anonymous_client_credentials FROM sites WHERE id = $1",
                )
                .bind(site_id)
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or_else(|| $crate::store::AnonymousClientLimitsRecord {
                    registrable_scopes: "openid profile email".to_string(),
                    anonymous_client_credentials: false,
                }))
            }

            async fn set_registrable_scopes(
                &self,
                site_id: i64,
                scopes: &str,
            ) -> $crate::store::StoreResult<bool> {
                Ok(sqlx::query("UPDATE sites SET registrable_scopes = $1 WHERE id = $2")
                    .bind(scopes)
                    .bind(site_id)
                    .execute(&self.pool)
                    .await?
                    .rows_affected()
                    == 1)
            }

            async fn set_anonymous_client_credentials(
                &self,
                site_id: i64,
                allowed: bool,
            ) -> $crate::store::StoreResult<bool> {
                Ok(sqlx::query("UPDATE sites SET anonymous_client_credentials = $1 WHERE id = $2")
                    .bind(allowed)
                    .bind(site_id)
                    .execute(&self.pool)
                    .await?
                    .rows_affected()
                    == 1)
            }

            async fn set_client_granted_permissions(
                &self,
                site_id: i64,
                client_pk: i64,
                permissions: &str,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let changed = sqlx::query(
                    "UPDATE oauth_clients SET granted_permissions = $1, updated_at = $2 WHERE site_id = $3 AND id = $4",
                )
                .bind(permissions)
                .bind(now)
                .bind(site_id)
                .bind(client_pk)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed > 0 {
                    Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::Client, client_pk, now)
                        .await?;
                }
                tx.commit().await?;
                Ok(changed > 0)
            }

            async fn set_client_introspect(
                &self,
                site_id: i64,
                client_pk: i64,
                allowed: bool,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let changed = sqlx::query(
                    "UPDATE oauth_clients SET introspect = $1, updated_at = $2 WHERE site_id = $3 AND id = $4",
                )
                .bind(allowed)
                .bind(now)
                .bind(site_id)
                .bind(client_pk)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed > 0 {
                    Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::Client, client_pk, now)
                        .await?;
                }
                tx.commit().await?;
                Ok(changed > 0)
            }
        }
    };
}
