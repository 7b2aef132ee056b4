//! The SQL of `EmailStore`, shared by both backends.

macro_rules! impl_email_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::EmailStore for $store {
            async fn enqueue_email(
                &self,
                site_id: i64,
                kind: &str,
                sealed_message: &str,
                now: i64,
            ) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar::<$db, i64>(
                    "INSERT INTO outbound_emails \
                     (site_id, kind, sealed_message, attempts, next_attempt_at, created_at) \
                     VALUES ($1, $2, $3, 0, $4, $4) RETURNING id",
                )
                .bind(site_id)
                .bind(kind)
                .bind(sealed_message)
                .bind(now)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn claim_emails(
                &self,
                now: i64,
                lease_until: i64,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::QueuedEmailRecord>> {
                // Read first (no write lock while nothing is due), then claim
                // each row only if nobody moved it since.
                let due = sqlx::query_as::<$db, $crate::store::QueuedEmailRecord>(
                    "SELECT id, site_id, kind, sealed_message, attempts, next_attempt_at \
                     FROM outbound_emails WHERE next_attempt_at <= $1 ORDER BY id LIMIT $2",
                )
                .bind(now)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                let mut claimed = Vec::with_capacity(due.len());
                for mut row in due {
                    let took = sqlx::query(
                        "UPDATE outbound_emails SET next_attempt_at = $1, attempts = attempts + 1 \
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

            async fn finish_email(&self, id: i64) -> $crate::store::StoreResult<()> {
                sqlx::query("DELETE FROM outbound_emails WHERE id = $1")
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn retry_email(
                &self,
                id: i64,
                next_attempt_at: i64,
                error: &str,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE outbound_emails SET next_attempt_at = $1, last_error = $2 WHERE id = $3",
                )
                .bind(next_attempt_at)
                .bind(error)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn pending_emails(&self, site_id: i64) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar::<$db, i64>(
                    "SELECT COUNT(*) FROM outbound_emails WHERE site_id = $1",
                )
                .bind(site_id)
                .fetch_one(&self.pool)
                .await?)
            }
        }
    };
}
