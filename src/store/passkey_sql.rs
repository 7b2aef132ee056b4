//! The SQL of `PasskeyStore`, shared by both backends.

macro_rules! impl_passkey_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::PasskeyStore for $store {
            async fn add_passkey(
                &self,
                passkey: &$crate::store::NewPasskey,
            ) -> $crate::store::StoreResult<Option<i64>> {
                Ok(sqlx::query_scalar::<$db, i64>(
                    "INSERT INTO passkeys (site_id, user_id, user_handle, credential_id, name, \
                     credential, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (site_id, credential_id) DO NOTHING RETURNING id",
                )
                .bind(passkey.site_id)
                .bind(passkey.user_id)
                .bind(&passkey.user_handle)
                .bind(&passkey.credential_id)
                .bind(&passkey.name)
                .bind(&passkey.credential)
                .bind(passkey.created_at)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn list_passkeys(
                &self,
                site_id: i64,
                user_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::PasskeyRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::PasskeyRecord>(
                    "SELECT id, site_id, user_id, user_handle, credential_id, name, credential, \
                     created_at, last_used_at FROM passkeys \
                     WHERE site_id = $1 AND user_id = $2 ORDER BY id",
                )
                .bind(site_id)
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn find_passkey(
                &self,
                site_id: i64,
                credential_id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::PasskeyRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::PasskeyRecord>(
                    "SELECT id, site_id, user_id, user_handle, credential_id, name, credential, \
                     created_at, last_used_at FROM passkeys \
                     WHERE site_id = $1 AND credential_id = $2",
                )
                .bind(site_id)
                .bind(credential_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn record_passkey_use(
                &self,
                site_id: i64,
                id: i64,
                credential: &str,
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE passkeys SET credential = $1, last_used_at = $2 \
                     WHERE site_id = $3 AND id = $4",
                )
                .bind(credential)
                .bind(now)
                .bind(site_id)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn remove_passkey(
                &self,
                site_id: i64,
                user_id: i64,
                id: i64,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "DELETE FROM passkeys WHERE site_id = $1 AND user_id = $2 AND id = $3",
                )
                .bind(site_id)
                .bind(user_id)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn save_ceremony(
                &self,
                ceremony: &$crate::store::NewCeremony,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO passkey_ceremonies (key_hash, site_id, purpose, session_id, \
                     state, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&ceremony.key_hash)
                .bind(ceremony.site_id)
                .bind(ceremony.purpose)
                .bind(ceremony.session_id)
                .bind(&ceremony.state)
                .bind(ceremony.expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn take_ceremony(
                &self,
                site_id: i64,
                key_hash: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::CeremonyRecord>> {
                // One statement: of two processes answering the same
                // challenge, only one gets the row back.
                Ok(sqlx::query_as::<$db, $crate::store::CeremonyRecord>(
                    "DELETE FROM passkey_ceremonies WHERE key_hash = $1 AND site_id = $2 \
                     RETURNING purpose, session_id, state, expires_at",
                )
                .bind(key_hash)
                .bind(site_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn purge_ceremonies(&self, before: i64) -> $crate::store::StoreResult<u64> {
                Ok(
                    sqlx::query("DELETE FROM passkey_ceremonies WHERE expires_at < $1")
                        .bind(before)
                        .execute(&self.pool)
                        .await?
                        .rows_affected(),
                )
            }
        }
    };
}
