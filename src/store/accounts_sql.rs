//! The SQL of `AccountStore`, shared by both backends (expanded next to
//! `impl_store!` and `impl_oauth_store!`, whose helpers it uses).

macro_rules! account_link_columns {
    () => {
        "id, site_id, purpose, user_id, email, role, created_at, expires_at, used_at"
    };
}

macro_rules! impl_account_store {
    ($store:ident, $db:ty) => {
        impl $store {
            /// Marks a live link used, inside the caller's transaction; the
            /// link when this call was its one use.
            async fn use_account_link_in(
                conn: &mut <$db as sqlx::Database>::Connection,
                site_id: i64,
                token_hash: &str,
                purpose: &str,
                now: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::AccountLinkRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::AccountLinkRecord>(concat!(
                    "UPDATE account_links SET used_at = $1 \
                     WHERE site_id = $2 AND token_hash = $3 AND purpose = $4 \
                     AND used_at IS NULL AND expires_at > $1 RETURNING ",
                    account_link_columns!()
                ))
                .bind(now)
                .bind(site_id)
                .bind(token_hash)
                .bind(purpose)
                .fetch_optional(&mut *conn)
                .await?)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::AccountStore for $store {
            async fn set_site_signup_policy(
                &self,
                site_id: i64,
                policy: &str,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let update = sqlx::query("UPDATE sites SET signup_policy = $1 WHERE id = $2")
                    .bind(policy)
                    .bind(site_id);
                self.update_site_setting(site_id, now, update).await
            }

            async fn set_site_email_from(
                &self,
                site_id: i64,
                from: Option<&str>,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let update = sqlx::query("UPDATE sites SET email_from = $1 WHERE id = $2")
                    .bind(from)
                    .bind(site_id);
                self.update_site_setting(site_id, now, update).await
            }

            async fn find_local_user_by_email(
                &self,
                site_id: i64,
                email: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::UserRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::UserRecord>(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users WHERE site_id = $1 AND lower(email) = lower($2) \
                     AND external_issuer IS NULL"
                ))
                .bind(site_id)
                .bind(email)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn create_account_link(
                &self,
                link: &$crate::store::NewAccountLink,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO account_links (site_id, token_hash, purpose, user_id, email, role, \
                     created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(link.site_id)
                .bind(&link.token_hash)
                .bind(link.purpose)
                .bind(link.user_id)
                .bind(&link.email)
                .bind(&link.role)
                .bind(link.created_at)
                .bind(link.expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn find_live_account_link(
                &self,
                site_id: i64,
                token_hash: &str,
                purpose: &str,
                now: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::AccountLinkRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::AccountLinkRecord>(concat!(
                    "SELECT ",
                    account_link_columns!(),
                    " FROM account_links WHERE site_id = $1 AND token_hash = $2 AND purpose = $3 \
                     AND used_at IS NULL AND expires_at > $4"
                ))
                .bind(site_id)
                .bind(token_hash)
                .bind(purpose)
                .bind(now)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn reset_password_by_link(
                &self,
                site_id: i64,
                token_hash: &str,
                password_hash: &str,
                now: i64,
            ) -> $crate::store::StoreResult<Option<(i64, $crate::store::PasswordChanged)>> {
                let mut tx = self.begin_write().await?;
                let Some(link) =
                    Self::use_account_link_in(&mut *tx, site_id, token_hash, "password-reset", now)
                        .await?
                else {
                    return Ok(None);
                };
                let Some(user_id) = link.user_id else {
                    return Ok(None);
                };
                let updated = sqlx::query(
                    "UPDATE users SET password_hash = $1, updated_at = $2 \
                     WHERE site_id = $3 AND id = $4 AND disabled = FALSE",
                )
                .bind(password_hash)
                .bind(now)
                .bind(site_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    // Disabled (or gone) since the link was sent: nothing changes.
                    return Ok(None);
                }
                // Every other reset link of the user is spent with this one.
                sqlx::query(
                    "UPDATE account_links SET used_at = $1 WHERE site_id = $2 AND user_id = $3 \
                     AND purpose = 'password-reset' AND used_at IS NULL",
                )
                .bind(now)
                .bind(site_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
                Self::revoke_sessions_in(&mut *tx, site_id, user_id, None, now).await?;
                let changed = Self::revoke_user_oauth_in(&mut *tx, site_id, user_id, now).await?;
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::User, user_id, now)
                    .await?;
                tx.commit().await?;
                Ok(Some((user_id, changed)))
            }

            async fn verify_email_by_link(
                &self,
                site_id: i64,
                token_hash: &str,
                now: i64,
            ) -> $crate::store::StoreResult<Option<i64>> {
                let mut tx = self.begin_write().await?;
                let Some(link) =
                    Self::use_account_link_in(&mut *tx, site_id, token_hash, "verify-email", now)
                        .await?
                else {
                    return Ok(None);
                };
                let Some(user_id) = link.user_id else {
                    return Ok(None);
                };
                let updated = sqlx::query(
                    "UPDATE users SET email_verified_at = $1, awaiting_verification = FALSE, \
                     updated_at = $1 WHERE site_id = $2 AND id = $3 AND lower(email) = lower($4)",
                )
                .bind(now)
                .bind(site_id)
                .bind(user_id)
                .bind(&link.email)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    return Ok(None);
                }
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::User, user_id, now)
                    .await?;
                tx.commit().await?;
                Ok(Some(user_id))
            }

            async fn create_signed_up_user(
                &self,
                signup: &$crate::store::SignUpRecord,
                now: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::UserRecord>> {
                let mut tx = self.begin_write().await?;
                if let Some(token_hash) = &signup.invite_token_hash {
                    let used = Self::use_account_link_in(
                        &mut *tx,
                        signup.user.site_id,
                        token_hash,
                        "invite",
                        now,
                    )
                    .await?;
                    if used.is_none() {
                        return Ok(None);
                    }
                }
                let user = &signup.user;
                let record = sqlx::query_as::<$db, $crate::store::UserRecord>(concat!(
                    "INSERT INTO users (site_id, username, display_name, email, password_hash, role, \
                     created_at, updated_at, awaiting_verification, email_verified_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9) RETURNING ",
                    user_columns!()
                ))
                .bind(user.site_id)
                .bind(&user.username)
                .bind(&user.display_name)
                .bind(&user.email)
                .bind(&user.password_hash)
                .bind(&user.role)
                .bind(user.created_at)
                .bind(signup.awaiting_verification)
                .bind(signup.email_verified.then_some(now))
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Some(record))
            }

            async fn purge_account_links(&self, before: i64) -> $crate::store::StoreResult<u64> {
                Ok(sqlx::query("DELETE FROM account_links WHERE expires_at < $1")
                    .bind(before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }
        }
    };
}
