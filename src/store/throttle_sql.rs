//! The throttle counters' SQL, shared by both backends.
//!
//! `INSERT … ON CONFLICT (key) DO UPDATE SET key = excluded.key RETURNING`
//! creates a missing counter and, either way, returns it locked: Postgres
//! holds the row lock until commit; SQLite's `BEGIN IMMEDIATE` (see
//! `begin_write`) holds the database's write lock. Keys are locked in
//! sorted order, so two attempts sharing keys cannot deadlock.

macro_rules! impl_throttle_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::ThrottleStore for $store {
            async fn update_throttle_counters(
                &self,
                keys: &[String],
                update: $crate::store::ThrottleUpdate<'_>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ThrottleCounter>> {
                let mut order: Vec<usize> = (0..keys.len()).collect();
                order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
                let mut tx = self.begin_write().await?;
                let mut before = vec![$crate::store::ThrottleCounter::default(); keys.len()];
                for &i in &order {
                    before[i] = sqlx::query_as::<$db, $crate::store::ThrottleCounter>(
                        "INSERT INTO throttle_counters (key, hits, last_hit_at, next_at) \
                         VALUES ($1, 0, 0, 0) \
                         ON CONFLICT (key) DO UPDATE SET key = excluded.key \
                         RETURNING hits, last_hit_at, next_at",
                    )
                    .bind(&keys[i])
                    .fetch_one(&mut *tx)
                    .await?;
                }
                let Some(after) = update(&before) else {
                    tx.rollback().await?;
                    return Ok(before);
                };
                for (key, counter) in keys.iter().zip(&after) {
                    if *counter == $crate::store::ThrottleCounter::default() {
                        sqlx::query("DELETE FROM throttle_counters WHERE key = $1")
                            .bind(key)
                            .execute(&mut *tx)
                            .await?;
                        continue;
                    }
                    sqlx::query(
                        "UPDATE throttle_counters SET hits = $2, last_hit_at = $3, next_at = $4 \
                         WHERE key = $1",
                    )
                    .bind(key)
                    .bind(counter.hits)
                    .bind(counter.last_hit_at)
                    .bind(counter.next_at)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                Ok(before)
            }

            async fn find_throttle_counter(
                &self,
                key: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::ThrottleCounter>> {
                Ok(sqlx::query_as::<$db, $crate::store::ThrottleCounter>(
                    "SELECT hits, last_hit_at, next_at FROM throttle_counters WHERE key = $1",
                )
                .bind(key)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn purge_throttle_counters(
                &self,
                before: i64,
            ) -> $crate::store::StoreResult<u64> {
                Ok(sqlx::query(
                    "DELETE FROM throttle_counters WHERE last_hit_at < $1 AND next_at < $1",
                )
                .bind(before)
                .execute(&self.pool)
                .await?
                .rows_affected())
            }
        }
    };
}
