//! The SQL of browser tokens, server tokens and legacy keys, shared by both
//! backends. Expanded next to `impl_store!`, whose `record_change` it uses so
//! a revocation and its announcement commit together.

macro_rules! browser_token_columns {
    () => {
        "id, site_id, token_key, name, origins, created_at, revoked_at"
    };
}

macro_rules! server_token_columns {
    () => {
        "id, site_id, token_key, name, sealed_secret, user_id, jit, created_at, revoked_at, last_used_at"
    };
}

macro_rules! legacy_key_columns {
    () => {
        "id, site_id, sealed_key, enabled, created_at, rotated_at"
    };
}

macro_rules! impl_token_kind_store {
    ($store:ident, $db:ty) => {
        impl $store {
            async fn current_legacy_key_in(
                conn: &mut <$db as sqlx::Database>::Connection,
                site_id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::LegacyKeyRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::LegacyKeyRecord>(concat!(
                    "SELECT ",
                    legacy_key_columns!(),
                    " FROM legacy_keys WHERE site_id = $1 AND rotated_at IS NULL"
                ))
                .bind(site_id)
                .fetch_optional(&mut *conn)
                .await?)
            }

            async fn insert_legacy_key(
                conn: &mut <$db as sqlx::Database>::Connection,
                site_id: i64,
                sealed_key: &str,
                enabled: bool,
                now: i64,
            ) -> $crate::store::StoreResult<$crate::store::LegacyKeyRecord> {
                Ok(sqlx::query_as::<$db, $crate::store::LegacyKeyRecord>(concat!(
                    "INSERT INTO legacy_keys (site_id, sealed_key, enabled, created_at) \
                     VALUES ($1, $2, $3, $4) RETURNING ",
                    legacy_key_columns!()
                ))
                .bind(site_id)
                .bind(sealed_key)
                .bind(enabled)
                .bind(now)
                .fetch_one(&mut *conn)
                .await?)
            }

            /// Revokes one live token by key and announces it, in one
            /// transaction. `sql` is the table's constant UPDATE statement.
            async fn revoke_keyed_token(
                &self,
                sql: &'static str,
                kind: $crate::store::ChangeKind,
                site_id: i64,
                key: &str,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(sql)
                    .bind(now)
                    .bind(site_id)
                    .bind(key)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if done == 0 {
                    return Ok(false);
                }
                Self::record_change(&mut *tx, site_id, kind, site_id, now).await?;
                tx.commit().await?;
                Ok(true)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::TokenKindStore for $store {
            async fn create_browser_token(
                &self,
                token: &$crate::store::NewBrowserToken,
            ) -> $crate::store::StoreResult<$crate::store::BrowserTokenRecord> {
                let mut tx = self.begin_write().await?;
                let record = sqlx::query_as::<$db, $crate::store::BrowserTokenRecord>(concat!(
                    "INSERT INTO browser_tokens (site_id, token_key, name, origins, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING ",
                    browser_token_columns!()
                ))
                .bind(token.site_id)
                .bind(&token.token_key)
                .bind(&token.name)
                .bind(&token.origins)
                .bind(token.created_at)
                .fetch_one(&mut *tx)
                .await?;
                Self::record_change(&mut *tx, token.site_id, $crate::store::ChangeKind::BrowserToken, token.site_id, token.created_at)
                    .await?;
                tx.commit().await?;
                Ok(record)
            }

            async fn list_browser_tokens(
                &self,
                site_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::BrowserTokenRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::BrowserTokenRecord>(concat!(
                    "SELECT ",
                    browser_token_columns!(),
                    " FROM browser_tokens WHERE site_id = $1 ORDER BY id"
                ))
                .bind(site_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn revoke_browser_token(
                &self,
                site_id: i64,
                key: &str,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                self.revoke_keyed_token(
                    "UPDATE browser_tokens SET revoked_at = $1 \
                     WHERE site_id = $2 AND token_key = $3 AND revoked_at IS NULL",
                    $crate::store::ChangeKind::BrowserToken,
                    site_id,
                    key,
                    now,
                )
                .await
            }

            async fn create_server_token(
                &self,
                token: &$crate::store::NewServerToken,
            ) -> $crate::store::StoreResult<$crate::store::ServerTokenRecord> {
                let mut tx = self.begin_write().await?;
                let record = sqlx::query_as::<$db, $crate::store::ServerTokenRecord>(concat!(
                    "INSERT INTO server_tokens (site_id, token_key, name, sealed_secret, user_id, jit, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ",
                    server_token_columns!()
                ))
                .bind(token.site_id)
                .bind(&token.token_key)
                .bind(&token.name)
                .bind(&token.sealed_secret)
                .bind(token.user_id)
                .bind(token.jit)
                .bind(token.created_at)
                .fetch_one(&mut *tx)
                .await?;
                Self::record_change(&mut *tx, token.site_id, $crate::store::ChangeKind::ServerToken, token.site_id, token.created_at)
                    .await?;
                tx.commit().await?;
                Ok(record)
            }

            async fn list_server_tokens(
                &self,
                site_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ServerTokenRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::ServerTokenRecord>(concat!(
                    "SELECT ",
                    server_token_columns!(),
                    " FROM server_tokens WHERE site_id = $1 ORDER BY id"
                ))
                .bind(site_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn revoke_server_token(
                &self,
                site_id: i64,
                key: &str,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                self.revoke_keyed_token(
                    "UPDATE server_tokens SET revoked_at = $1 \
                     WHERE site_id = $2 AND token_key = $3 AND revoked_at IS NULL",
                    $crate::store::ChangeKind::ServerToken,
                    site_id,
                    key,
                    now,
                )
                .await
            }

            async fn touch_server_tokens(
                &self,
                uses: &[(String, i64)],
            ) -> $crate::store::StoreResult<()> {
                if uses.is_empty() {
                    return Ok(());
                }
                let mut tx = self.begin_write().await?;
                for (key, at) in uses {
                    sqlx::query(
                        "UPDATE server_tokens SET last_used_at = $1 \
                         WHERE token_key = $2 AND (last_used_at IS NULL OR last_used_at < $1)",
                    )
                    .bind(*at)
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn find_legacy_key(
                &self,
                site_id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::LegacyKeyRecord>> {
                let mut conn = self.pool.acquire().await?;
                Self::current_legacy_key_in(&mut *conn, site_id).await
            }

            async fn enable_legacy(
                &self,
                site_id: i64,
                sealed_key: &str,
                now: i64,
            ) -> $crate::store::StoreResult<$crate::store::LegacyEnabled> {
                let mut tx = self.begin_write().await?;
                let outcome = match Self::current_legacy_key_in(&mut *tx, site_id).await? {
                    Some(mut current) => {
                        sqlx::query("UPDATE legacy_keys SET enabled = $1 WHERE id = $2")
                            .bind(true)
                            .bind(current.id)
                            .execute(&mut *tx)
                            .await?;
                        current.enabled = true;
                        $crate::store::LegacyEnabled::Reenabled(current)
                    }
                    None => $crate::store::LegacyEnabled::Created(
                        Self::insert_legacy_key(&mut *tx, site_id, sealed_key, true, now).await?,
                    ),
                };
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::LegacyKey, site_id, now)
                    .await?;
                tx.commit().await?;
                Ok(outcome)
            }

            async fn disable_legacy(&self, site_id: i64, now: i64) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE legacy_keys SET enabled = $1 WHERE site_id = $2 AND rotated_at IS NULL",
                )
                .bind(false)
                .bind(site_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if done == 0 {
                    return Ok(false);
                }
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::LegacyKey, site_id, now)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn rotate_legacy_key(
                &self,
                site_id: i64,
                sealed_key: &str,
                now: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::LegacyKeyRecord>> {
                let mut tx = self.begin_write().await?;
                let Some(current) = Self::current_legacy_key_in(&mut *tx, site_id).await? else {
                    return Ok(None);
                };
                sqlx::query("UPDATE legacy_keys SET rotated_at = $1 WHERE id = $2")
                    .bind(now)
                    .bind(current.id)
                    .execute(&mut *tx)
                    .await?;
                let record =
                    Self::insert_legacy_key(&mut *tx, site_id, sealed_key, current.enabled, now).await?;
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::LegacyKey, site_id, now)
                    .await?;
                tx.commit().await?;
                Ok(Some(record))
            }

            async fn record_legacy_usage(
                &self,
                usage: &[$crate::store::LegacyUsageDelta],
            ) -> $crate::store::StoreResult<()> {
                if usage.is_empty() {
                    return Ok(());
                }
                let mut tx = self.begin_write().await?;
                for delta in usage {
                    sqlx::query(
                        "INSERT INTO legacy_usage (site_id, key_id, kind, client_ip, count, last_seen) \
                         VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (key_id, kind, client_ip) DO UPDATE SET \
                         count = legacy_usage.count + excluded.count, \
                         last_seen = CASE WHEN excluded.last_seen > legacy_usage.last_seen \
                         THEN excluded.last_seen ELSE legacy_usage.last_seen END",
                    )
                    .bind(delta.site_id)
                    .bind(delta.key_id)
                    .bind(&delta.kind)
                    .bind(&delta.client_ip)
                    .bind(delta.count)
                    .bind(delta.last_seen)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn legacy_usage_report(
                &self,
                site_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::LegacyUsageRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::LegacyUsageRecord>(
                    "SELECT key_id, kind, client_ip, count, last_seen FROM legacy_usage \
                     WHERE site_id = $1 ORDER BY key_id, kind, count DESC, client_ip",
                )
                .bind(site_id)
                .fetch_all(&self.pool)
                .await?)
            }
        }
    };
}
