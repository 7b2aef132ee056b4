//! The signing keys' SQL, shared by both backends.

macro_rules! signing_key_columns {
    () => {
        "id, site_id, kid, alg, state, sealed_private_key, public_jwk, created_at, activated_at, \
         retired_at, publish_until"
    };
}

macro_rules! impl_signing_key_store {
    ($store:ident, $db:ty) => {
        impl $store {
            async fn insert_signing_key(
                conn: &mut <$db as sqlx::Database>::Connection,
                site_id: i64,
                key: &$crate::store::NewSigningKey,
                state: &str,
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO signing_keys (site_id, kid, alg, state, sealed_private_key, public_jwk, \
                     created_at, activated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(site_id)
                .bind(&key.kid)
                .bind(&key.alg)
                .bind(state)
                .bind(&key.sealed_private_key)
                .bind(&key.public_jwk)
                .bind(now)
                .bind((state == "current").then_some(now))
                .execute(&mut *conn)
                .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::SigningKeyStore for $store {
            async fn signing_settings(
                &self,
                site_id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::SigningSettingsRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::SigningSettingsRecord>(
                    "SELECT alg, rotation_secs FROM signing_settings WHERE site_id = $1",
                )
                .bind(site_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn set_signing_settings(
                &self,
                site_id: i64,
                alg: Option<&str>,
                rotation_secs: Option<i64>,
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO signing_settings (site_id) VALUES ($1) ON CONFLICT (site_id) DO NOTHING",
                )
                .bind(site_id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE signing_settings SET alg = COALESCE($2, alg), \
                     rotation_secs = COALESCE($3, rotation_secs) WHERE site_id = $1",
                )
                .bind(site_id)
                .bind(alg)
                .bind(rotation_secs)
                .execute(&mut *tx)
                .await?;
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::SigningKey, site_id, now)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_signing_keys(
                &self,
                site_id: i64,
                now: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::SigningKeyRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::SigningKeyRecord>(concat!(
                    "SELECT ",
                    signing_key_columns!(),
                    " FROM signing_keys WHERE site_id = $1 AND (state <> 'retired' OR publish_until > $2) \
                     ORDER BY id"
                ))
                .bind(site_id)
                .bind(now)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn install_signing_keys(
                &self,
                site_id: i64,
                current: &$crate::store::NewSigningKey,
                next: &$crate::store::NewSigningKey,
                now: i64,
            ) -> $crate::store::StoreResult<$crate::store::KeyChange> {
                let mut tx = self.begin_write().await?;
                // A write first, so SQLite takes the write lock now rather
                // than failing to upgrade a read lock another writer shares.
                sqlx::query(
                    "INSERT INTO signing_settings (site_id) VALUES ($1) ON CONFLICT (site_id) DO NOTHING",
                )
                .bind(site_id)
                .execute(&mut *tx)
                .await?;
                let existing = sqlx::query_scalar::<$db, i64>(
                    "SELECT id FROM signing_keys WHERE site_id = $1 AND state IN ('current', 'next')",
                )
                .bind(site_id)
                .fetch_optional(&mut *tx)
                .await?;
                if existing.is_some() {
                    return Ok($crate::store::KeyChange::Lost);
                }
                // The unique indexes settle a race between two first uses.
                let installed = async {
                    Self::insert_signing_key(&mut *tx, site_id, current, "current", now).await?;
                    Self::insert_signing_key(&mut *tx, site_id, next, "next", now).await
                }
                .await;
                match installed {
                    Err($crate::store::StoreError::Conflict) => return Ok($crate::store::KeyChange::Lost),
                    other => other?,
                }
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::SigningKey, site_id, now)
                    .await?;
                match tx.commit().await {
                    Ok(()) => Ok($crate::store::KeyChange::Rotated),
                    Err(e) => match $crate::store::StoreError::from(e) {
                        $crate::store::StoreError::Conflict => Ok($crate::store::KeyChange::Lost),
                        e => Err(e),
                    },
                }
            }

            async fn rotate_signing_keys(
                &self,
                site_id: i64,
                current_id: i64,
                next_id: i64,
                new_next: &$crate::store::NewSigningKey,
                retired_publish_until: i64,
                now: i64,
            ) -> $crate::store::StoreResult<$crate::store::KeyChange> {
                let mut tx = self.begin_write().await?;
                // Conditional updates: a process that lost the race changes nothing.
                let retired = sqlx::query(
                    "UPDATE signing_keys SET state = 'retired', retired_at = $1, publish_until = $2 \
                     WHERE id = $3 AND site_id = $4 AND state = 'current'",
                )
                .bind(now)
                .bind(retired_publish_until)
                .bind(current_id)
                .bind(site_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if retired != 1 {
                    return Ok($crate::store::KeyChange::Lost);
                }
                let promoted = sqlx::query(
                    "UPDATE signing_keys SET state = 'current', activated_at = $1 \
                     WHERE id = $2 AND site_id = $3 AND state = 'next'",
                )
                .bind(now)
                .bind(next_id)
                .bind(site_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if promoted != 1 {
                    return Ok($crate::store::KeyChange::Lost);
                }
                match Self::insert_signing_key(&mut *tx, site_id, new_next, "next", now).await {
                    Err($crate::store::StoreError::Conflict) => return Ok($crate::store::KeyChange::Lost),
                    other => other?,
                }
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::SigningKey, site_id, now)
                    .await?;
                tx.commit().await?;
                Ok($crate::store::KeyChange::Rotated)
            }

            async fn replace_next_signing_key(
                &self,
                site_id: i64,
                next_id: i64,
                new_next: &$crate::store::NewSigningKey,
                now: i64,
            ) -> $crate::store::StoreResult<$crate::store::KeyChange> {
                let mut tx = self.begin_write().await?;
                let removed = sqlx::query(
                    "DELETE FROM signing_keys WHERE id = $1 AND site_id = $2 AND state = 'next'",
                )
                .bind(next_id)
                .bind(site_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if removed != 1 {
                    return Ok($crate::store::KeyChange::Lost);
                }
                match Self::insert_signing_key(&mut *tx, site_id, new_next, "next", now).await {
                    Err($crate::store::StoreError::Conflict) => return Ok($crate::store::KeyChange::Lost),
                    other => other?,
                }
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::SigningKey, site_id, now)
                    .await?;
                tx.commit().await?;
                Ok($crate::store::KeyChange::Rotated)
            }

            async fn purge_signing_keys(&self, now: i64) -> $crate::store::StoreResult<u64> {
                Ok(sqlx::query(
                    "DELETE FROM signing_keys WHERE state = 'retired' AND publish_until <= $1",
                )
                .bind(now)
                .execute(&self.pool)
                .await?
                .rows_affected())
            }

            async fn set_client_jwt_access_tokens(
                &self,
                site_id: i64,
                client_pk: i64,
                enabled: bool,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let changed = sqlx::query(
                    "UPDATE oauth_clients SET jwt_access_tokens = $1, updated_at = $2 \
                     WHERE site_id = $3 AND id = $4",
                )
                .bind(enabled)
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

            async fn sites_with_signing_keys(&self) -> $crate::store::StoreResult<Vec<i64>> {
                Ok(sqlx::query_scalar::<$db, i64>(
                    "SELECT DISTINCT site_id FROM signing_keys WHERE state = 'current'",
                )
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}
