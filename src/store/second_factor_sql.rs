//! The SQL of `SecondFactorStore`, shared by both backends.

macro_rules! impl_second_factor_store {
    ($store:ident, $db:ty) => {
        impl $store {
            async fn insert_recovery_codes(
                conn: &mut <$db as sqlx::Database>::Connection,
                site_id: i64,
                user_id: i64,
                hashes: &[String],
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM recovery_codes WHERE site_id = $1 AND user_id = $2")
                    .bind(site_id)
                    .bind(user_id)
                    .execute(&mut *conn)
                    .await?;
                for hash in hashes {
                    sqlx::query(
                        "INSERT INTO recovery_codes (site_id, user_id, code_hash, created_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(site_id)
                    .bind(user_id)
                    .bind(hash)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::SecondFactorStore for $store {
            async fn find_totp(
                &self,
                site_id: i64,
                user_id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::TotpRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::TotpRecord>(
                    "SELECT user_id, site_id, sealed_secret, confirmed_at, last_used_step, created_at \
                     FROM user_totp WHERE site_id = $1 AND user_id = $2",
                )
                .bind(site_id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn start_totp_enrolment(
                &self,
                site_id: i64,
                user_id: i64,
                sealed_secret: &str,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                // One statement: a confirmed secret is never overwritten.
                let done = sqlx::query(
                    "INSERT INTO user_totp (user_id, site_id, sealed_secret, created_at) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (user_id) DO UPDATE SET sealed_secret = excluded.sealed_secret, \
                     created_at = excluded.created_at, last_used_step = 0 \
                     WHERE user_totp.confirmed_at IS NULL AND user_totp.site_id = excluded.site_id",
                )
                .bind(user_id)
                .bind(site_id)
                .bind(sealed_secret)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn confirm_totp(
                &self,
                site_id: i64,
                user_id: i64,
                step: i64,
                recovery_code_hashes: &[String],
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let confirmed = sqlx::query(
                    "UPDATE user_totp SET confirmed_at = $1, last_used_step = $2 \
                     WHERE site_id = $3 AND user_id = $4 AND confirmed_at IS NULL",
                )
                .bind(now)
                .bind(step)
                .bind(site_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if confirmed != 1 {
                    return Ok(false);
                }
                Self::insert_recovery_codes(&mut *tx, site_id, user_id, recovery_code_hashes, now)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn use_totp_step(
                &self,
                site_id: i64,
                user_id: i64,
                step: i64,
            ) -> $crate::store::StoreResult<bool> {
                // The comparison and the write in one statement: two
                // processes given the same code cannot both accept it.
                let done = sqlx::query(
                    "UPDATE user_totp SET last_used_step = $1 \
                     WHERE site_id = $2 AND user_id = $3 AND confirmed_at IS NOT NULL \
                     AND last_used_step < $1",
                )
                .bind(step)
                .bind(site_id)
                .bind(user_id)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn replace_recovery_codes(
                &self,
                site_id: i64,
                user_id: i64,
                hashes: &[String],
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin_write().await?;
                Self::insert_recovery_codes(&mut *tx, site_id, user_id, hashes, now).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn use_recovery_code(
                &self,
                site_id: i64,
                user_id: i64,
                hash: &str,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE recovery_codes SET used_at = $1 \
                     WHERE site_id = $2 AND user_id = $3 AND code_hash = $4 AND used_at IS NULL",
                )
                .bind(now)
                .bind(site_id)
                .bind(user_id)
                .bind(hash)
                .execute(&self.pool)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn count_recovery_codes(
                &self,
                site_id: i64,
                user_id: i64,
            ) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar::<$db, i64>(
                    "SELECT COUNT(*) FROM recovery_codes \
                     WHERE site_id = $1 AND user_id = $2 AND used_at IS NULL",
                )
                .bind(site_id)
                .bind(user_id)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn remove_second_factor(
                &self,
                site_id: i64,
                user_id: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let removed = sqlx::query("DELETE FROM user_totp WHERE site_id = $1 AND user_id = $2")
                    .bind(site_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                sqlx::query("DELETE FROM recovery_codes WHERE site_id = $1 AND user_id = $2")
                    .bind(site_id)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(removed > 0)
            }

            async fn create_pending_signin(
                &self,
                pending: &$crate::store::NewPendingSignin,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO pending_signins (site_id, user_id, token_hash, purpose, amr, session_id, \
                     ip, user_agent, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(pending.site_id)
                .bind(pending.user_id)
                .bind(&pending.token_hash)
                .bind(&pending.purpose)
                .bind(&pending.amr)
                .bind(pending.session_id)
                .bind(&pending.ip)
                .bind(&pending.user_agent)
                .bind(pending.created_at)
                .bind(pending.expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn find_pending_signin(
                &self,
                site_id: i64,
                token_hash: &str,
                now: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::PendingSigninRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::PendingSigninRecord>(
                    "SELECT id, site_id, user_id, purpose, amr, session_id, ip, user_agent, created_at, \
                     expires_at FROM pending_signins \
                     WHERE site_id = $1 AND token_hash = $2 AND consumed_at IS NULL AND expires_at > $3",
                )
                .bind(site_id)
                .bind(token_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn complete_pending_signin(
                &self,
                pending_id: i64,
                session: &$crate::store::NewSession,
                reuse_session: Option<i64>,
                now: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::SessionRecord>> {
                let mut tx = self.begin_write().await?;
                let used = sqlx::query(
                    "UPDATE pending_signins SET consumed_at = $1 \
                     WHERE id = $2 AND site_id = $3 AND user_id = $4 AND consumed_at IS NULL \
                     AND expires_at > $1",
                )
                .bind(now)
                .bind(pending_id)
                .bind(session.site_id)
                .bind(session.user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if used != 1 {
                    return Ok(None);
                }
                if let Some(session_id) = reuse_session {
                    let reused = sqlx::query_as::<$db, $crate::store::SessionRecord>(concat!(
                        "UPDATE sessions SET amr = $1, auth_time = $2 \
                         WHERE site_id = $3 AND user_id = $4 AND id = $5 AND revoked_at IS NULL \
                         AND expires_at > $2 RETURNING ",
                        session_columns!()
                    ))
                    .bind(&session.amr)
                    .bind(now)
                    .bind(session.site_id)
                    .bind(session.user_id)
                    .bind(session_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(reused) = reused {
                        // Processes that cache the session's authentication drop it.
                        Self::record_change(&mut *tx, session.site_id, $crate::store::ChangeKind::Session, session_id, now).await?;
                        tx.commit().await?;
                        return Ok(Some(reused));
                    }
                }
                let created = Self::insert_session(&mut *tx, session).await?;
                tx.commit().await?;
                Ok(Some(created))
            }

            async fn purge_pending_signins(&self, before: i64) -> $crate::store::StoreResult<u64> {
                Ok(sqlx::query("DELETE FROM pending_signins WHERE expires_at < $1")
                    .bind(before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }

            async fn session_authentication(
                &self,
                site_id: i64,
                session_id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::SessionAuthentication>> {
                Ok(sqlx::query_as::<$db, $crate::store::SessionAuthentication>(
                    "SELECT COALESCE(auth_time, created_at) AS auth_time, amr FROM sessions \
                     WHERE site_id = $1 AND id = $2",
                )
                .bind(site_id)
                .bind(session_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn reauthenticate_session(
                &self,
                site_id: i64,
                user_id: i64,
                session_id: i64,
                amr: &str,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE sessions SET amr = $1, auth_time = $2 \
                     WHERE site_id = $3 AND user_id = $4 AND id = $5 AND revoked_at IS NULL \
                     AND expires_at > $2",
                )
                .bind(amr)
                .bind(now)
                .bind(site_id)
                .bind(user_id)
                .bind(session_id)
                .execute(&mut *tx)
                .await?;
                if done.rows_affected() != 1 {
                    return Ok(false);
                }
                // Processes that cache the session's authentication drop it.
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::Session, session_id, now).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn set_site_second_factor_policy(
                &self,
                site_id: i64,
                policy: &str,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let update = sqlx::query("UPDATE sites SET second_factor_policy = $1 WHERE id = $2")
                    .bind(policy)
                    .bind(site_id);
                self.update_site_setting(site_id, now, update).await
            }
        }
    };
}
