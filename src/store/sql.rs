//! The SQL shared by both backends. `impl_store!` expands the same statements
//! for Postgres and for SQLite; the only differences between the databases
//! live in the migrations and in the `notify` statement passed in.

macro_rules! site_columns {
    () => {
        "id, slug, name, base_url, session_ttl_secs, created_at, access_token_ttl_secs, \
         admin_access_token_ttl_secs, refresh_token_ttl_secs, refresh_grace_secs, dpop_nonce_required, \
         rate_limits, security_profile, client_id_metadata_documents, par_required, signup_policy, \
         email_from, second_factor_policy, default_locale, display_name, logo_url, accent_colour"
    };
}

macro_rules! user_columns {
    () => {
        "id, site_id, username, display_name, email, password_hash, role, disabled, \
         external_issuer, external_subject, created_at, updated_at, email_verified_at, \
         awaiting_verification, locale"
    };
}

macro_rules! session_columns {
    () => {
        "id, site_id, user_id, token_hash, method, ip, user_agent, created_at, expires_at, revoked_at, \
         amr, auth_time"
    };
}

macro_rules! impl_store {
    ($store:ident, $db:ty, notify = $notify:literal) => {
        impl $store {
            /// Runs `update`, one statement on a site's row, and announces
            /// the site's change in the same transaction (every process
            /// caches sites); false when no row changed.
            async fn update_site_setting<'q>(
                &self,
                site_id: i64,
                now: i64,
                update: sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let changed = update.execute(&mut *tx).await?.rows_affected() > 0;
                if changed {
                    Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::Site, site_id, now)
                        .await?;
                }
                tx.commit().await?;
                Ok(changed)
            }

            /// Appends to the change feed inside the caller's transaction, so
            /// the change and its announcement commit together.
            async fn record_change(
                conn: &mut <$db as sqlx::Database>::Connection,
                site_id: i64,
                kind: $crate::store::ChangeKind,
                subject: i64,
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO changes (site_id, kind, subject, created_at) VALUES ($1, $2, $3, $4)",
                )
                .bind(site_id)
                .bind(kind.as_str())
                .bind(subject)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                sqlx::query($notify).execute(&mut *conn).await?;
                Ok(())
            }

            async fn insert_site(
                conn: &mut <$db as sqlx::Database>::Connection,
                site: &$crate::store::NewSite,
                hosts: &[String],
            ) -> $crate::store::StoreResult<$crate::store::SiteRecord> {
                let record = sqlx::query_as::<$db, $crate::store::SiteRecord>(concat!(
                    "INSERT INTO sites (slug, name, base_url, session_ttl_secs, created_at) \
                     VALUES ($1, $2, $3, $4, $5) RETURNING ",
                    site_columns!()
                ))
                .bind(&site.slug)
                .bind(&site.name)
                .bind(&site.base_url)
                .bind(site.session_ttl_secs)
                .bind(site.created_at)
                .fetch_one(&mut *conn)
                .await?;
                for host in hosts {
                    sqlx::query("INSERT INTO site_hosts (host, site_id) VALUES ($1, $2)")
                        .bind(host)
                        .bind(record.id)
                        .execute(&mut *conn)
                        .await?;
                }
                Self::record_change(conn, record.id, $crate::store::ChangeKind::Site, record.id, site.created_at)
                    .await?;
                Ok(record)
            }

            async fn insert_user(
                conn: &mut <$db as sqlx::Database>::Connection,
                user: &$crate::store::NewUser,
            ) -> $crate::store::StoreResult<$crate::store::UserRecord> {
                Ok(sqlx::query_as::<$db, $crate::store::UserRecord>(concat!(
                    "INSERT INTO users (site_id, username, display_name, email, password_hash, role, \
                     external_issuer, external_subject, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING ",
                    user_columns!()
                ))
                .bind(user.site_id)
                .bind(&user.username)
                .bind(&user.display_name)
                .bind(&user.email)
                .bind(&user.password_hash)
                .bind(&user.role)
                .bind(&user.external_issuer)
                .bind(&user.external_subject)
                .bind(user.created_at)
                .fetch_one(&mut *conn)
                .await?)
            }

            pub(super) async fn insert_session(
                conn: &mut <$db as sqlx::Database>::Connection,
                session: &$crate::store::NewSession,
            ) -> $crate::store::StoreResult<$crate::store::SessionRecord> {
                Ok(sqlx::query_as::<$db, $crate::store::SessionRecord>(concat!(
                    "INSERT INTO sessions (site_id, user_id, token_hash, method, ip, user_agent, \
                     created_at, expires_at, amr, auth_time) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $7) RETURNING ",
                    session_columns!()
                ))
                .bind(session.site_id)
                .bind(session.user_id)
                .bind(&session.token_hash)
                .bind(&session.method)
                .bind(&session.ip)
                .bind(&session.user_agent)
                .bind(session.created_at)
                .bind(session.expires_at)
                .bind(&session.amr)
                .fetch_one(&mut *conn)
                .await?)
            }

            async fn revoke_sessions_in(
                conn: &mut <$db as sqlx::Database>::Connection,
                site_id: i64,
                user_id: i64,
                keep: Option<i64>,
                now: i64,
            ) -> $crate::store::StoreResult<u64> {
                let done = sqlx::query(
                    "UPDATE sessions SET revoked_at = $1 \
                     WHERE site_id = $2 AND user_id = $3 AND revoked_at IS NULL \
                     AND id <> COALESCE($4, -1)",
                )
                .bind(now)
                .bind(site_id)
                .bind(user_id)
                .bind(keep)
                .execute(&mut *conn)
                .await?;
                Self::queue_backchannel_logouts_in(
                    &mut *conn,
                    site_id,
                    user_id,
                    $crate::store::EndedSessions::AllBut(keep),
                    now,
                )
                .await?;
                Ok(done.rows_affected())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::SiteStore for $store {
            async fn count_sites(&self) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar::<$db, i64>("SELECT COUNT(*) FROM sites")
                    .fetch_one(&self.pool)
                    .await?)
            }

            async fn list_sites(&self) -> $crate::store::StoreResult<Vec<$crate::store::SiteRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::SiteRecord>(concat!(
                    "SELECT ",
                    site_columns!(),
                    " FROM sites ORDER BY id"
                ))
                .fetch_all(&self.pool)
                .await?)
            }

            async fn list_site_hosts(
                &self,
            ) -> $crate::store::StoreResult<Vec<$crate::store::SiteHostRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::SiteHostRecord>(
                    "SELECT host, site_id FROM site_hosts ORDER BY host",
                )
                .fetch_all(&self.pool)
                .await?)
            }

            async fn find_site_by_slug(
                &self,
                slug: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::SiteRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::SiteRecord>(concat!(
                    "SELECT ",
                    site_columns!(),
                    " FROM sites WHERE slug = $1"
                ))
                .bind(slug)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn create_site(
                &self,
                site: &$crate::store::NewSite,
                hosts: &[String],
            ) -> $crate::store::StoreResult<$crate::store::SiteRecord> {
                let mut tx = self.begin_write().await?;
                let record = Self::insert_site(&mut *tx, site, hosts).await?;
                tx.commit().await?;
                Ok(record)
            }

            async fn bootstrap(
                &self,
                site: &$crate::store::NewSite,
                hosts: &[String],
                admin: &$crate::store::NewUser,
            ) -> $crate::store::StoreResult<
                Option<($crate::store::SiteRecord, $crate::store::UserRecord)>,
            > {
                let mut tx = self.begin_write().await?;
                let existing = sqlx::query_scalar::<$db, i64>("SELECT COUNT(*) FROM sites")
                    .fetch_one(&mut *tx)
                    .await?;
                if existing > 0 {
                    return Ok(None);
                }
                let record = match Self::insert_site(&mut *tx, site, hosts).await {
                    Ok(record) => record,
                    // Another process bootstrapped between our count and insert.
                    Err($crate::store::StoreError::Conflict) => return Ok(None),
                    Err(e) => return Err(e),
                };
                let mut admin = admin.clone();
                admin.site_id = record.id;
                let user = Self::insert_user(&mut *tx, &admin).await?;
                tx.commit().await?;
                Ok(Some((record, user)))
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::UserStore for $store {
            async fn create_user(
                &self,
                user: &$crate::store::NewUser,
            ) -> $crate::store::StoreResult<$crate::store::UserRecord> {
                let mut conn = self.pool.acquire().await?;
                Self::insert_user(&mut *conn, user).await
            }

            async fn find_user(
                &self,
                site_id: i64,
                user_id: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::UserRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::UserRecord>(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users WHERE site_id = $1 AND id = $2"
                ))
                .bind(site_id)
                .bind(user_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn find_user_by_username(
                &self,
                site_id: i64,
                username: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::UserRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::UserRecord>(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users WHERE site_id = $1 AND username = $2"
                ))
                .bind(site_id)
                .bind(username)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn list_users(
                &self,
                site_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::UserRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::UserRecord>(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users WHERE site_id = $1 ORDER BY username"
                ))
                .bind(site_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn set_password(
                &self,
                site_id: i64,
                user_id: i64,
                password_hash: &str,
                keep_session: Option<i64>,
                now: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::PasswordChanged>> {
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE users SET password_hash = $1, updated_at = $2 WHERE site_id = $3 AND id = $4",
                )
                .bind(password_hash)
                .bind(now)
                .bind(site_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    return Ok(None);
                }
                Self::revoke_sessions_in(&mut *tx, site_id, user_id, keep_session, now).await?;
                // Whoever knew the old password may have authorized apps:
                // their grants (refresh tokens included) end with it.
                let changed = Self::revoke_user_oauth_in(&mut *tx, site_id, user_id, now).await?;
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::User, user_id, now)
                    .await?;
                tx.commit().await?;
                Ok(Some(changed))
            }

            async fn set_disabled(
                &self,
                site_id: i64,
                user_id: i64,
                disabled: bool,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE users SET disabled = $1, updated_at = $2 WHERE site_id = $3 AND id = $4",
                )
                .bind(disabled)
                .bind(now)
                .bind(site_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    return Ok(false);
                }
                if disabled {
                    Self::revoke_sessions_in(&mut *tx, site_id, user_id, None, now).await?;
                }
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::User, user_id, now)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn set_role(
                &self,
                site_id: i64,
                user_id: i64,
                role: &str,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE users SET role = $1, updated_at = $2 WHERE site_id = $3 AND id = $4",
                )
                .bind(role)
                .bind(now)
                .bind(site_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    return Ok(false);
                }
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::User, user_id, now)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::SessionStore for $store {
            async fn create_session(
                &self,
                session: &$crate::store::NewSession,
            ) -> $crate::store::StoreResult<$crate::store::SessionRecord> {
                let mut conn = self.pool.acquire().await?;
                Self::insert_session(&mut *conn, session).await
            }

            async fn find_session_by_hash(
                &self,
                site_id: i64,
                token_hash: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::SessionRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::SessionRecord>(concat!(
                    "SELECT ",
                    session_columns!(),
                    " FROM sessions WHERE site_id = $1 AND token_hash = $2"
                ))
                .bind(site_id)
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn list_active_sessions(
                &self,
                site_id: i64,
                user_id: i64,
                now: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::SessionRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::SessionRecord>(concat!(
                    "SELECT ",
                    session_columns!(),
                    " FROM sessions WHERE site_id = $1 AND user_id = $2 AND revoked_at IS NULL \
                     AND expires_at > $3 ORDER BY created_at DESC, id DESC"
                ))
                .bind(site_id)
                .bind(user_id)
                .bind(now)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn revoke_session(
                &self,
                site_id: i64,
                user_id: i64,
                session_id: i64,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "UPDATE sessions SET revoked_at = $1 \
                     WHERE site_id = $2 AND user_id = $3 AND id = $4 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(site_id)
                .bind(user_id)
                .bind(session_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if done == 0 {
                    return Ok(false);
                }
                Self::queue_backchannel_logouts_in(
                    &mut *tx,
                    site_id,
                    user_id,
                    $crate::store::EndedSessions::One(session_id),
                    now,
                )
                .await?;
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::Session, session_id, now)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn revoke_user_sessions(
                &self,
                site_id: i64,
                user_id: i64,
                keep: Option<i64>,
                now: i64,
            ) -> $crate::store::StoreResult<u64> {
                let mut tx = self.begin_write().await?;
                let count = Self::revoke_sessions_in(&mut *tx, site_id, user_id, keep, now).await?;
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::User, user_id, now)
                    .await?;
                tx.commit().await?;
                Ok(count)
            }

            async fn purge_sessions(&self, before: i64) -> $crate::store::StoreResult<u64> {
                Ok(sqlx::query("DELETE FROM sessions WHERE expires_at < $1 OR revoked_at < $1")
                    .bind(before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::ChangeFeed for $store {
            async fn changes_since(
                &self,
                since: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ChangeRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::ChangeRecord>(
                    "SELECT id, site_id, kind, subject, created_at FROM changes \
                     WHERE created_at >= $1 ORDER BY id",
                )
                .bind(since)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn purge_changes(&self, before: i64) -> $crate::store::StoreResult<u64> {
                Ok(sqlx::query("DELETE FROM changes WHERE created_at < $1")
                    .bind(before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }
        }
    };
}
