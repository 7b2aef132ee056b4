//! The SQL of `AuditStore`, shared by both backends.

macro_rules! audit_columns {
    () => {
        "id, site_id, occurred_at, kind, actor_user_id, actor_client_id, actor_label, \
         subject_user_id, subject_client_id, ip, details"
    };
}

macro_rules! impl_audit_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::AuditStore for $store {
            async fn append_audit_events(
                &self,
                events: &[$crate::store::NewAuditEvent],
            ) -> $crate::store::StoreResult<()> {
                for chunk in events.chunks($crate::store::oauth_sql::MAX_ROWS_PER_INSERT) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO audit_events (site_id, occurred_at, kind, actor_user_id, \
                         actor_client_id, actor_label, subject_user_id, subject_client_id, ip, details) ",
                    );
                    insert.push_values(chunk, |mut row, e| {
                        row.push_bind(e.site_id)
                            .push_bind(e.occurred_at)
                            .push_bind(e.kind.clone())
                            .push_bind(e.actor_user_id)
                            .push_bind(e.actor_client_id.clone())
                            .push_bind(e.actor_label.clone())
                            .push_bind(e.subject_user_id)
                            .push_bind(e.subject_client_id.clone())
                            .push_bind(e.ip.clone())
                            .push_bind(e.details.clone());
                    });
                    insert.build().execute(&self.pool).await?;
                }
                Ok(())
            }

            async fn query_audit_events(
                &self,
                query: &$crate::store::AuditQuery,
            ) -> $crate::store::StoreResult<Vec<$crate::store::AuditEventRecord>> {
                let mut select = sqlx::QueryBuilder::<$db>::new(concat!(
                    "SELECT ",
                    audit_columns!(),
                    " FROM audit_events WHERE site_id = "
                ));
                select.push_bind(query.site_id);
                if let Some(user_id) = query.user_id {
                    select.push(" AND (actor_user_id = ");
                    select.push_bind(user_id);
                    select.push(" OR subject_user_id = ");
                    select.push_bind(user_id);
                    select.push(")");
                }
                if let Some(client_id) = &query.client_id {
                    select.push(" AND (actor_client_id = ");
                    select.push_bind(client_id.clone());
                    select.push(" OR subject_client_id = ");
                    select.push_bind(client_id.clone());
                    select.push(")");
                }
                if let Some(kind) = &query.kind {
                    select.push(" AND kind = ");
                    select.push_bind(kind.clone());
                }
                if let Some(since) = query.since {
                    select.push(" AND occurred_at >= ");
                    select.push_bind(since);
                }
                if let Some(until) = query.until {
                    select.push(" AND occurred_at <= ");
                    select.push_bind(until);
                }
                if let Some(before_id) = query.before_id {
                    select.push(" AND id < ");
                    select.push_bind(before_id);
                }
                select.push(" ORDER BY id DESC LIMIT ");
                select.push_bind(query.limit);
                Ok(select
                    .build_query_as::<$crate::store::AuditEventRecord>()
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn audit_events_after(
                &self,
                after_id: i64,
                until: i64,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::AuditEventRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::AuditEventRecord>(concat!(
                    "SELECT ",
                    audit_columns!(),
                    " FROM audit_events WHERE id > $1 AND occurred_at <= $2 ORDER BY id LIMIT $3"
                ))
                .bind(after_id)
                .bind(until)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn purge_audit_events(&self, before: i64) -> $crate::store::StoreResult<u64> {
                Ok(sqlx::query("DELETE FROM audit_events WHERE occurred_at < $1")
                    .bind(before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }

            async fn lease_audit_delivery(
                &self,
                sink: &str,
                owner: &str,
                now: i64,
                until: i64,
            ) -> $crate::store::StoreResult<Option<i64>> {
                Ok(sqlx::query_scalar::<$db, i64>(
                    "INSERT INTO audit_delivery (sink, last_id, lease_owner, leased_until) \
                     VALUES ($1, 0, $2, $4) \
                     ON CONFLICT (sink) DO UPDATE \
                     SET lease_owner = excluded.lease_owner, leased_until = excluded.leased_until \
                     WHERE audit_delivery.leased_until < $3 \
                        OR audit_delivery.lease_owner = excluded.lease_owner \
                     RETURNING last_id",
                )
                .bind(sink)
                .bind(owner)
                .bind(now)
                .bind(until)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn advance_audit_delivery(
                &self,
                sink: &str,
                owner: &str,
                last_id: i64,
            ) -> $crate::store::StoreResult<bool> {
                Ok(sqlx::query(
                    "UPDATE audit_delivery SET last_id = $3 \
                     WHERE sink = $1 AND lease_owner = $2 AND last_id < $3",
                )
                .bind(sink)
                .bind(owner)
                .bind(last_id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                    == 1)
            }
        }
    };
}
