//! The rate limits' SQL, shared by both backends (expanded next to
//! `impl_store!`, whose `record_change` it uses). For the counters, one upsert per chunk:
//! the row lock (Postgres) or the write lock (SQLite) makes each increment
//! see the one before, so `RETURNING used` tells the caller exactly what it
//! added to.

macro_rules! impl_rate_limit_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::RateLimitStore for $store {
            async fn set_site_rate_limits(
                &self,
                site_id: i64,
                spec: &str,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let update = sqlx::query("UPDATE sites SET rate_limits = $1 WHERE id = $2")
                    .bind(spec)
                    .bind(site_id);
                self.update_site_setting(site_id, now, update).await
            }

            async fn add_to_rate_window(
                &self,
                key: &str,
                window_start: i64,
                window_end: i64,
                chunk: i64,
            ) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar::<$db, i64>(
                    "INSERT INTO rate_windows (key, window_start, window_end, used) \
                     VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (key, window_start) DO UPDATE SET used = rate_windows.used + excluded.used \
                     RETURNING used",
                )
                .bind(key)
                .bind(window_start)
                .bind(window_end)
                .bind(chunk)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn purge_rate_windows(&self, before: i64) -> $crate::store::StoreResult<u64> {
                Ok(sqlx::query("DELETE FROM rate_windows WHERE window_end < $1")
                    .bind(before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }
        }
    };
}
