//! The SQL of `LogoutStore`, shared by both backends, and the helper that
//! queues back-channel logouts inside the transaction ending sessions
//! (expanded next to `impl_store!` and `impl_oauth_store!`, whose
//! `record_change` and `revoke_grant_in` it uses).

macro_rules! impl_logout_store {
    ($store:ident, $db:ty) => {
        impl $store {
            /// Revokes the user's live grants that `ended` reaches, of
            /// clients that take back-channel logout, and queues one
            /// logout token per client and session, inside the caller's
            /// transaction.
            pub(crate) async fn queue_backchannel_logouts_in(
                conn: &mut <$db as sqlx::Database>::Connection,
                site_id: i64,
                user_id: i64,
                ended: $crate::store::EndedSessions,
                now: i64,
            ) -> $crate::store::StoreResult<u64> {
                let (only, keep) = match ended {
                    $crate::store::EndedSessions::One(id) => (Some(id), None),
                    $crate::store::EndedSessions::AllBut(keep) => (None, keep),
                };
                let grants = sqlx::query_as::<$db, (i64, i64, Option<i64>)>(
                    "SELECT g.id, g.client_pk, g.session_id FROM oauth_grants g \
                     JOIN oauth_clients c ON c.id = g.client_pk \
                     WHERE g.site_id = $1 AND g.user_id = $2 AND g.revoked_at IS NULL \
                     AND g.expires_at > $3 AND c.backchannel_logout_uri IS NOT NULL \
                     AND ($4 IS NULL OR g.session_id = $4) \
                     AND ($5 IS NULL OR g.session_id IS NULL OR g.session_id <> $5) \
                     ORDER BY g.id",
                )
                .bind(site_id)
                .bind(user_id)
                .bind(now)
                .bind(only)
                .bind(keep)
                .fetch_all(&mut *conn)
                .await?;
                let mut queued: Vec<(i64, Option<i64>)> = Vec::new();
                for (grant_id, client_pk, session_id) in grants {
                    Self::revoke_grant_in(&mut *conn, site_id, grant_id, now).await?;
                    if queued.contains(&(client_pk, session_id)) {
                        continue;
                    }
                    queued.push((client_pk, session_id));
                    sqlx::query(
                        "INSERT INTO backchannel_logouts \
                         (site_id, client_pk, user_id, session_id, attempts, next_attempt_at, created_at) \
                         VALUES ($1, $2, $3, $4, 0, $5, $5)",
                    )
                    .bind(site_id)
                    .bind(client_pk)
                    .bind(user_id)
                    .bind(session_id)
                    .bind(now)
                    .execute(&mut *conn)
                    .await?;
                }
                Ok(queued.len() as u64)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::LogoutStore for $store {
            async fn set_client_logout(
                &self,
                site_id: i64,
                client_pk: i64,
                columns: &$crate::store::ClientLogoutColumns,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let changed = sqlx::query(
                    "UPDATE oauth_clients SET post_logout_redirect_uris = $1, \
                     backchannel_logout_uri = $2, backchannel_logout_session_required = $3, \
                     updated_at = $4 WHERE site_id = $5 AND id = $6",
                )
                .bind(&columns.post_logout_redirect_uris)
                .bind(&columns.backchannel_logout_uri)
                .bind(columns.backchannel_logout_session_required)
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

            async fn claim_backchannel_logouts(
                &self,
                now: i64,
                lease_until: i64,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::BackchannelLogoutRecord>> {
                // Read first (no write lock while nothing is due), then claim
                // each row only if nobody moved it since.
                let due = sqlx::query_as::<$db, $crate::store::BackchannelLogoutRecord>(
                    "SELECT b.id, b.site_id, b.client_pk, c.client_id, c.backchannel_logout_uri, \
                     c.backchannel_logout_session_required, b.user_id, b.session_id, b.attempts, \
                     b.next_attempt_at \
                     FROM backchannel_logouts b JOIN oauth_clients c ON c.id = b.client_pk \
                     WHERE b.next_attempt_at <= $1 ORDER BY b.id LIMIT $2",
                )
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                let mut claimed = Vec::with_capacity(due.len());
                for mut row in due {
                    let took = sqlx::query(
                        "UPDATE backchannel_logouts SET next_attempt_at = $1, attempts = attempts + 1 \
                         WHERE id = $2 AND next_attempt_at = $3",
                    )
                    .bind(lease_until)
                    .bind(row.id)
                    .bind(row.next_attempt_at)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                    if took == 1 {
                        row.attempts += 1;
                        row.next_attempt_at = lease_until;
                        claimed.push(row);
                    }
                }
                Ok(claimed)
            }

            async fn finish_backchannel_logout(&self, id: i64) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM backchannel_logouts WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn retry_backchannel_logout(
                &self,
                id: i64,
                next_attempt_at: i64,
                error: &str,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE backchannel_logouts SET next_attempt_at = $1, last_error = $2 WHERE id = $3",
                )
                .bind(next_attempt_at)
                .bind(error)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn pending_backchannel_logouts(
                &self,
                site_id: i64,
            ) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar::<$db, i64>(
                    "SELECT COUNT(*) FROM backchannel_logouts WHERE site_id = $1",
                )
                .bind(site_id)
                .fetch_one(&self.pool)
                .await?)
            }
        }
    };
}
