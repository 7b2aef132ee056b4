//! The SQL of `DpopProofStore`, shared by both backends.

macro_rules! impl_dpop_proof_store {
    ($store:ident, $db:ty) => {
        impl $store {
            /// Inserts proof uses on `conn`; one answer per use, in order:
            /// true for a use not seen before. A (site, key, `jti`) twice in
            /// `uses` (the same proof sent twice at once) is new at most once.
            async fn insert_proof_uses(
                conn: &mut <$db as sqlx::Database>::Connection,
                uses: &[&$crate::store::ProofUse],
            ) -> $crate::store::StoreResult<Vec<bool>> {
                let mut first_at = std::collections::HashMap::with_capacity(uses.len());
                let mut distinct: Vec<&$crate::store::ProofUse> = Vec::with_capacity(uses.len());
                let mut slot_of = Vec::with_capacity(uses.len());
                for u in uses {
                    match first_at.entry((u.site_id, u.jkt.as_str(), u.jti_hash.as_slice())) {
                        std::collections::hash_map::Entry::Occupied(_) => slot_of.push(None),
                        std::collections::hash_map::Entry::Vacant(slot) => {
                            slot.insert(distinct.len());
                            slot_of.push(Some(distinct.len()));
                            distinct.push(u);
                        }
                    }
                }
                let mut new = std::collections::HashSet::new();
                // One statement per chunk: a use is new when its row was
                // inserted (`RETURNING` names only inserted rows).
                for chunk in distinct.chunks($crate::store::oauth_sql::MAX_ROWS_PER_INSERT) {
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
                            .fetch_all(&mut *conn)
                            .await?,
                    );
                }
                Ok(slot_of
                    .into_iter()
                    .map(|slot| {
                        slot.is_some_and(|i| {
                            let u = distinct[i];
                            new.contains(&(u.site_id, u.jkt.clone(), u.jti_hash.clone()))
                        })
                    })
                    .collect())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::DpopProofStore for $store {
            async fn record_proof_uses(
                &self,
                uses: &[$crate::store::ProofUse],
            ) -> $crate::store::StoreResult<Vec<bool>> {
                let uses: Vec<&$crate::store::ProofUse> = uses.iter().collect();
                let mut conn = self.pool.acquire().await?;
                Self::insert_proof_uses(&mut conn, &uses).await
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
