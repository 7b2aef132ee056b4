//! The SQL of `DpopProofStore`, shared by both backends.

macro_rules! impl_dpop_proof_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::DpopProofStore for $store {
            async fn record_proof_uses(
                &self,
                uses: &[$crate::store::ProofUse],
            ) -> $crate::store::StoreResult<Vec<bool>> {
                let mut new = std::collections::HashSet::new();
                // One statement per chunk: a use is new when its row was
                // inserted (`RETURNING` names only inserted rows).
                for chunk in uses.chunks($crate::store::oauth_sql::MAX_ROWS_PER_INSERT) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO dpop_proofs (site_id, jkt, jti_hash, expires_at) ",
                    );
                    insert.push_values(chunk, |mut row, u| {
                        row.push_bind(u.site_id)
                            .push_bind(u.jkt.clone())
                            .push_bind(u.jti_hash.clone())
                            .push_bind(u.expires_at);
                    });
                    insert.push(
                        " ON CONFLICT (site_id, jkt, jti_hash) DO NOTHING \
                         RETURNING site_id, jkt, jti_hash",
                    );
                    new.extend(
                        insert
                            .build_query_as::<(i64, String, Vec<u8>)>()
                            .fetch_all(&self.pool)
                            .await?,
                    );
                }
                Ok(uses
                    .iter()
                    .map(|u| new.contains(&(u.site_id, u.jkt.clone(), u.jti_hash.clone())))
                    .collect())
            }

            async fn purge_proof_uses(&self, before: i64) -> $crate::store::StoreResult<u64> {
                Ok(sqlx::query("DELETE FROM dpop_proofs WHERE expires_at < $1")
                    .bind(before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected())
            }
        }
    };
}
