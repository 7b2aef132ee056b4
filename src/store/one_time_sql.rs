//! The SQL of `OneTimeStore` and `SealedValueStore`, shared by both backends.

macro_rules! impl_one_time_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::OneTimeStore for $store {
            async fn use_once(
                &self,
                key: &str,
                expires_at: i64,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                // One statement: the insert wins for the first use, and an
                // entry whose window has ended (not yet purged) is taken over.
                let done = sqlx::query(
                    "INSERT INTO used_once (key_hash, expires_at) VALUES ($1, $2) \
                     ON CONFLICT (key_hash) DO UPDATE SET expires_at = excluded.expires_at \
                     WHERE used_once.expires_at < $3",
                )
                .bind(key)
                .bind(expires_at)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn purge_used_once(&self, before: i64) -> $crate::store::StoreResult<u64> {
                Ok(sqlx::query("DELETE FROM used_once WHERE expires_at < $1")
                    .bind(before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::SealedValueStore for $store {
            async fn list_sealed_values(
                &self,
            ) -> $crate::store::StoreResult<Vec<$crate::store::SealedValue>> {
                use $crate::store::SealedColumn;
                let mut values = Vec::new();
                for (column, sql) in [
                    (
                        SealedColumn::ServerTokenSecret,
                        "SELECT id, site_id, sealed_secret FROM server_tokens ORDER BY id",
                    ),
                    (
                        SealedColumn::LegacyKey,
                        "SELECT id, site_id, sealed_key FROM legacy_keys ORDER BY id",
                    ),
                    (
                        SealedColumn::SigningPrivateKey,
                        "SELECT id, site_id, sealed_private_key FROM signing_keys ORDER BY id",
                    ),
                    (
                        SealedColumn::ClientSecret,
                        "SELECT id, site_id, sealed_secret FROM oauth_clients \
                         WHERE sealed_secret IS NOT NULL ORDER BY id",
                    ),
                    (
                        SealedColumn::TotpSecret,
                        "SELECT user_id, site_id, sealed_secret FROM user_totp ORDER BY user_id",
                    ),
                    (
                        SealedColumn::UpstreamClientSecret,
                        "SELECT id, site_id, sealed_client_secret FROM upstream_providers ORDER BY id",
                    ),
                ] {
                    let rows = sqlx::query_as::<$db, (i64, i64, String)>(sql)
                        .fetch_all(&self.pool)
                        .await?;
                    values.extend(rows.into_iter().map(|(row_id, site_id, sealed)| {
                        $crate::store::SealedValue {
                            column,
                            row_id,
                            site_id,
                            sealed,
                        }
                    }));
                }
                Ok(values)
            }

            async fn replace_sealed_values(
                &self,
                changes: &[$crate::store::Reseal],
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                use $crate::store::SealedColumn;
                let mut tx = self.begin_write().await?;
                let mut sites = std::collections::BTreeSet::new();
                for change in changes {
                    let sql = match change.old.column {
                        SealedColumn::ServerTokenSecret => {
                            "UPDATE server_tokens SET sealed_secret = $1 WHERE id = $2 AND sealed_secret = $3"
                        }
                        SealedColumn::LegacyKey => {
                            "UPDATE legacy_keys SET sealed_key = $1 WHERE id = $2 AND sealed_key = $3"
                        }
                        SealedColumn::SigningPrivateKey => {
                            "UPDATE signing_keys SET sealed_private_key = $1 WHERE id = $2 \
                             AND sealed_private_key = $3"
                        }
                        SealedColumn::ClientSecret => {
                            "UPDATE oauth_clients SET sealed_secret = $1 WHERE id = $2 AND sealed_secret = $3"
                        }
                        SealedColumn::TotpSecret => {
                            "UPDATE user_totp SET sealed_secret = $1 WHERE user_id = $2 AND sealed_secret = $3"
                        }
                        SealedColumn::UpstreamClientSecret => {
                            "UPDATE upstream_providers SET sealed_client_secret = $1 WHERE id = $2 \
                             AND sealed_client_secret = $3"
                        }
                    };
                    let done = sqlx::query(sql)
                        .bind(&change.new_sealed)
                        .bind(change.old.row_id)
                        .bind(&change.old.sealed)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                    if done != 1 {
                        // Dropping the transaction rolls everything back.
                        return Ok(false);
                    }
                    // A client's change names the client row; the others the site.
                    let subject = match change.old.column {
                        SealedColumn::ClientSecret | SealedColumn::TotpSecret => change.old.row_id,
                        _ => change.old.site_id,
                    };
                    sites.insert((change.old.site_id, change.old.column, subject));
                }
                // Running processes drop what they opened under the old key.
                for (site_id, column, subject) in sites {
                    let kind = match column {
                        SealedColumn::ServerTokenSecret => $crate::store::ChangeKind::ServerToken,
                        SealedColumn::LegacyKey => $crate::store::ChangeKind::LegacyKey,
                        SealedColumn::SigningPrivateKey => $crate::store::ChangeKind::SigningKey,
                        SealedColumn::ClientSecret => $crate::store::ChangeKind::Client,
                        SealedColumn::TotpSecret => $crate::store::ChangeKind::User,
                        // Opened on each use, never cached: the site's change will do.
                        SealedColumn::UpstreamClientSecret => $crate::store::ChangeKind::Site,
                    };
                    Self::record_change(&mut *tx, site_id, kind, subject, now).await?;
                }
                tx.commit().await?;
                Ok(true)
            }
        }
    };
}
