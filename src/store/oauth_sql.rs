//! The OAuth SQL shared by both backends, expanded by `impl_oauth_store!`
//! next to `impl_store!` (whose `record_change` it uses, so a revocation and
//! its change-feed entry commit together).

macro_rules! client_columns {
    () => {
        "id, site_id, client_id, name, homepage_url, redirect_uris, confidential, secret_hash, scopes, \
         grant_types, owner_user_id, created_at, updated_at, jwt_access_tokens, dpop_required, \
         registered_anonymously, granted_permissions, introspect, auth_method, jwks, jwks_uri, \
         auth_signing_alg, sealed_secret, post_logout_redirect_uris, backchannel_logout_uri, \
         backchannel_logout_session_required, require_signed_request_object, metadata_document, \
         par_required"
    };
}

macro_rules! code_columns {
    () => {
        "site_id, client_pk, user_id, redirect_uri, scopes, code_challenge, created_at, expires_at, \
         consumed_at, grant_id, nonce, auth_time, dpop_jkt, resource, session_id, amr, acr"
    };
}

/// Rows per multi-row INSERT: well under both databases' bind limits.
pub const MAX_ROWS_PER_INSERT: usize = 500;

macro_rules! impl_oauth_store {
    ($store:ident, $db:ty) => {
        impl $store {
            async fn insert_tokens(
                conn: &mut <$db as sqlx::Database>::Connection,
                tokens: &[&$crate::store::NewToken],
                grant_id: Option<i64>,
            ) -> $crate::store::StoreResult<$crate::store::TokenIds> {
                let mut ids = Vec::with_capacity(tokens.len());
                for chunk in tokens.chunks($crate::store::oauth_sql::MAX_ROWS_PER_INSERT) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO oauth_tokens (site_id, token_hash, kind, client_pk, user_id, grant_id, \
                         scopes, created_at, expires_at, jkt, resource) ",
                    );
                    insert.push_values(chunk, |mut row, t| {
                        row.push_bind(t.site_id)
                            .push_bind(t.token_hash.clone())
                            .push_bind(t.kind.as_str())
                            .push_bind(t.client_pk)
                            .push_bind(t.user_id)
                            .push_bind(grant_id.or(t.grant_id))
                            .push_bind(t.scopes.clone())
                            .push_bind(t.created_at)
                            .push_bind(t.expires_at)
                            .push_bind(t.jkt.clone())
                            .push_bind(t.resource.clone());
                    });
                    insert.push(" RETURNING token_hash, id");
                    ids.extend(
                        insert
                            .build_query_as::<(String, i64)>()
                            .fetch_all(&mut *conn)
                            .await?,
                    );
                }
                Ok(ids)
            }

            /// A rotation as one transaction: the old token marked rotated,
            /// then its successors inserted, only if the mark took.
            async fn rotate_refresh_in_transaction(
                &self,
                site_id: i64,
                token_id: i64,
                successors: &[$crate::store::NewToken],
                now: i64,
            ) -> $crate::store::StoreResult<$crate::store::Rotation> {
                let mut tx = self.begin_write().await?;
                let rotated = sqlx::query(
                    "UPDATE oauth_tokens SET rotated_at = $1 WHERE site_id = $2 AND id = $3 \
                     AND kind = 'refresh' AND rotated_at IS NULL AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(site_id)
                .bind(token_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if rotated == 0 {
                    return Ok($crate::store::Rotation::AlreadyRotated);
                }
                let successors: Vec<&$crate::store::NewToken> = successors.iter().collect();
                let ids = Self::insert_tokens(&mut *tx, &successors, None).await?;
                tx.commit().await?;
                Ok($crate::store::Rotation::Rotated(ids))
            }

            /// Stores a group commit's batch on `conn`; see `commit_writes`.
            async fn write_batch(
                conn: &mut <$db as sqlx::Database>::Connection,
                writes: &[$crate::store::PendingWrite],
            ) -> $crate::store::StoreResult<Vec<$crate::store::Committed>> {
                use $crate::store::{Committed, PendingWrite};
                let proofs: Vec<&$crate::store::ProofUse> = writes
                    .iter()
                    .filter_map(|write| match write {
                        PendingWrite::Proof(proof) => Some(proof),
                        PendingWrite::Code(_) => None,
                    })
                    .collect();
                let mut fresh = if proofs.is_empty() {
                    Vec::new()
                } else {
                    Self::insert_proof_uses(&mut *conn, &proofs).await?
                }
                .into_iter();
                let mut codes = Vec::new();
                let mut answers = Vec::with_capacity(writes.len());
                for write in writes {
                    answers.push(match write {
                        PendingWrite::Code(code) => {
                            codes.push(code.as_ref());
                            Committed::Code
                        }
                        PendingWrite::Proof(_) => {
                            if fresh.next().unwrap_or(false) {
                                Committed::Proof
                            } else {
                                Committed::ProofReplayed
                            }
                        }
                    });
                }
                Self::insert_codes(&mut *conn, &codes).await?;
                Ok(answers)
            }

            async fn insert_codes(
                conn: &mut <$db as sqlx::Database>::Connection,
                codes: &[&$crate::store::NewCode],
            ) -> $crate::store::StoreResult<()> {
                for chunk in codes.chunks($crate::store::oauth_sql::MAX_ROWS_PER_INSERT) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO oauth_codes (site_id, code_hash, client_pk, user_id, redirect_uri, scopes, \
                         code_challenge, nonce, auth_time, created_at, expires_at, dpop_jkt, resource, \
                         session_id, amr, acr) ",
                    );
                    insert.push_values(chunk, |mut row, c| {
                        row.push_bind(c.site_id)
                            .push_bind(c.code_hash.clone())
                            .push_bind(c.client_pk)
                            .push_bind(c.user_id)
                            .push_bind(c.redirect_uri.clone())
                            .push_bind(c.scopes.clone())
                            .push_bind(c.code_challenge.clone())
                            .push_bind(c.nonce.clone())
                            .push_bind(c.auth_time)
                            .push_bind(c.created_at)
                            .push_bind(c.expires_at)
                            .push_bind(c.dpop_jkt.clone())
                            .push_bind(c.resource.clone())
                            .push_bind(c.session_id)
                            .push_bind(c.amr.clone())
                            .push_bind(c.acr.clone());
                    });
                    insert.build().execute(&mut *conn).await?;
                }
                Ok(())
            }

            async fn revoke_grant_in(
                conn: &mut <$db as sqlx::Database>::Connection,
                site_id: i64,
                grant_id: i64,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let revoked = sqlx::query(
                    "UPDATE oauth_grants SET revoked_at = $1 WHERE site_id = $2 AND id = $3 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(site_id)
                .bind(grant_id)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                sqlx::query(
                    "UPDATE oauth_tokens SET revoked_at = $1 WHERE grant_id = $2 AND site_id = $3 \
                     AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(grant_id)
                .bind(site_id)
                .execute(&mut *conn)
                .await?;
                if revoked > 0 {
                    Self::record_change(conn, site_id, $crate::store::ChangeKind::Grant, grant_id, now).await?;
                }
                Ok(revoked > 0)
            }
        }

        impl $store {
            /// Revokes every live OAuth grant of the user with all its
            /// tokens (every token of a user belongs to a grant), each with
            /// its change-feed entry, inside the caller's transaction.
            async fn revoke_user_oauth_in(
                conn: &mut <$db as sqlx::Database>::Connection,
                site_id: i64,
                user_id: i64,
                now: i64,
            ) -> $crate::store::StoreResult<$crate::store::PasswordChanged> {
                let grants = sqlx::query_scalar::<$db, i64>(
                    "SELECT id FROM oauth_grants WHERE site_id = $1 AND user_id = $2 AND revoked_at IS NULL",
                )
                .bind(site_id)
                .bind(user_id)
                .fetch_all(&mut *conn)
                .await?;
                for grant_id in &grants {
                    Self::revoke_grant_in(&mut *conn, site_id, *grant_id, now).await?;
                }
                Ok($crate::store::PasswordChanged {
                    revoked_grants: grants,
                })
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::ClientStore for $store {
            async fn create_client(
                &self,
                client: &$crate::store::NewClient,
            ) -> $crate::store::StoreResult<$crate::store::ClientRecord> {
                Ok(sqlx::query_as::<$db, $crate::store::ClientRecord>(concat!(
                    "INSERT INTO oauth_clients (site_id, client_id, name, homepage_url, redirect_uris, confidential, \
                     secret_hash, scopes, grant_types, owner_user_id, created_at, updated_at, registered_anonymously, \
                     auth_method, jwks, jwks_uri, auth_signing_alg, sealed_secret) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15, $16, $17) \
                     RETURNING ",
                    client_columns!()
                ))
                .bind(client.site_id)
                .bind(&client.client_id)
                .bind(&client.name)
                .bind(&client.homepage_url)
                .bind(&client.redirect_uris)
                .bind(client.confidential)
                .bind(&client.secret_hash)
                .bind(&client.scopes)
                .bind(&client.grant_types)
                .bind(client.owner_user_id)
                .bind(client.now)
                .bind(client.registered_anonymously)
                .bind(&client.keys.auth_method)
                .bind(&client.keys.jwks)
                .bind(&client.keys.jwks_uri)
                .bind(&client.keys.auth_signing_alg)
                .bind(&client.keys.sealed_secret)
                .fetch_one(&self.pool)
                .await?)
            }

            async fn find_client(
                &self,
                site_id: i64,
                client_id: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::ClientRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::ClientRecord>(concat!(
                    "SELECT ",
                    client_columns!(),
                    " FROM oauth_clients WHERE site_id = $1 AND client_id = $2"
                ))
                .bind(site_id)
                .bind(client_id)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn find_client_by_pk(
                &self,
                site_id: i64,
                pk: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::ClientRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::ClientRecord>(concat!(
                    "SELECT ",
                    client_columns!(),
                    " FROM oauth_clients WHERE site_id = $1 AND id = $2"
                ))
                .bind(site_id)
                .bind(pk)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn list_clients(
                &self,
                site_id: i64,
                owner: Option<i64>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ClientRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::ClientRecord>(concat!(
                    "SELECT ",
                    client_columns!(),
                    " FROM oauth_clients WHERE site_id = $1 AND ($2 IS NULL OR owner_user_id = $2) \
                     ORDER BY created_at, id"
                ))
                .bind(site_id)
                .bind(owner)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn update_client(
                &self,
                site_id: i64,
                client_pk: i64,
                changes: &$crate::store::ClientChanges,
                now: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::ClientRecord>> {
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query_as::<$db, $crate::store::ClientRecord>(concat!(
                    "UPDATE oauth_clients SET name = $1, homepage_url = $2, redirect_uris = $3, scopes = $4, \
                     grant_types = $5, updated_at = $6 WHERE site_id = $7 AND id = $8 RETURNING ",
                    client_columns!()
                ))
                .bind(&changes.name)
                .bind(&changes.homepage_url)
                .bind(&changes.redirect_uris)
                .bind(&changes.scopes)
                .bind(&changes.grant_types)
                .bind(now)
                .bind(site_id)
                .bind(client_pk)
                .fetch_optional(&mut *tx)
                .await?;
                if updated.is_some() {
                    Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::Client, client_pk, now)
                        .await?;
                }
                tx.commit().await?;
                Ok(updated)
            }

            async fn set_client_secret(
                &self,
                site_id: i64,
                client_pk: i64,
                secret_hash: &str,
                sealed_secret: Option<&str>,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE oauth_clients SET secret_hash = $1, sealed_secret = $2, updated_at = $3 \
                     WHERE site_id = $4 AND id = $5 AND confidential",
                )
                .bind(secret_hash)
                .bind(sealed_secret)
                .bind(now)
                .bind(site_id)
                .bind(client_pk)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    return Ok(false);
                }
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::Client, client_pk, now).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn set_client_keys(
                &self,
                site_id: i64,
                client_pk: i64,
                keys: &$crate::store::ClientKeyColumns,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE oauth_clients SET jwks = $1, jwks_uri = $2, auth_signing_alg = $3, updated_at = $4 \
                     WHERE site_id = $5 AND id = $6 AND auth_method = $7",
                )
                .bind(&keys.jwks)
                .bind(&keys.jwks_uri)
                .bind(&keys.auth_signing_alg)
                .bind(now)
                .bind(site_id)
                .bind(client_pk)
                .bind(&keys.auth_method)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    return Ok(false);
                }
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::Client, client_pk, now).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn delete_client(&self, site_id: i64, client_pk: i64, now: i64) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                // Dependent rows go by ON DELETE CASCADE.
                let deleted = sqlx::query("DELETE FROM oauth_clients WHERE site_id = $1 AND id = $2")
                    .bind(site_id)
                    .bind(client_pk)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if deleted == 0 {
                    return Ok(false);
                }
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::Client, client_pk, now).await?;
                tx.commit().await?;
                Ok(true)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::ConsentStore for $store {
            async fn find_consent(
                &self,
                site_id: i64,
                user_id: i64,
                client_pk: i64,
            ) -> $crate::store::StoreResult<Option<String>> {
                Ok(sqlx::query_scalar::<$db, String>(
                    "SELECT scopes FROM oauth_consents WHERE site_id = $1 AND user_id = $2 AND client_pk = $3",
                )
                .bind(site_id)
                .bind(user_id)
                .bind(client_pk)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn save_consent(
                &self,
                site_id: i64,
                user_id: i64,
                client_pk: i64,
                scopes: &str,
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO oauth_consents (site_id, user_id, client_pk, scopes, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $5) \
                     ON CONFLICT (site_id, user_id, client_pk) \
                     DO UPDATE SET scopes = excluded.scopes, updated_at = excluded.updated_at",
                )
                .bind(site_id)
                .bind(user_id)
                .bind(client_pk)
                .bind(scopes)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn list_authorizations(
                &self,
                site_id: i64,
                user_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::AuthorizationRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::AuthorizationRecord>(
                    "SELECT c.id AS client_pk, c.client_id, c.name AS client_name, c.homepage_url, \
                     s.scopes, s.created_at, s.updated_at \
                     FROM oauth_consents s JOIN oauth_clients c ON c.id = s.client_pk \
                     WHERE s.site_id = $1 AND s.user_id = $2 ORDER BY s.updated_at DESC, s.id DESC",
                )
                .bind(site_id)
                .bind(user_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn revoke_authorization(
                &self,
                site_id: i64,
                user_id: i64,
                client_pk: i64,
                now: i64,
            ) -> $crate::store::StoreResult<Option<Vec<i64>>> {
                let mut tx = self.begin_write().await?;
                let consents = sqlx::query(
                    "DELETE FROM oauth_consents WHERE site_id = $1 AND user_id = $2 AND client_pk = $3",
                )
                .bind(site_id)
                .bind(user_id)
                .bind(client_pk)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let grants = sqlx::query_scalar::<$db, i64>(
                    "SELECT id FROM oauth_grants WHERE site_id = $1 AND user_id = $2 AND client_pk = $3 \
                     AND revoked_at IS NULL",
                )
                .bind(site_id)
                .bind(user_id)
                .bind(client_pk)
                .fetch_all(&mut *tx)
                .await?;
                if consents == 0 && grants.is_empty() {
                    return Ok(None);
                }
                for grant_id in &grants {
                    Self::revoke_grant_in(&mut *tx, site_id, *grant_id, now).await?;
                }
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::Consent, user_id, now).await?;
                tx.commit().await?;
                Ok(Some(grants))
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::GrantStore for $store {
            async fn commit_writes(
                &self,
                writes: &[$crate::store::PendingWrite],
            ) -> $crate::store::StoreResult<Vec<$crate::store::Committed>> {
                use $crate::store::PendingWrite;
                // Rows of a batch belong to different requests and need not
                // commit together: a batch of one table's rows is one
                // multi-row INSERT, atomic and durable by itself. A batch
                // that writes to both tables (codes and proof uses) runs in
                // one transaction instead, so that it waits for one durable
                // commit, not two.
                let mut tables = [false; 2];
                for write in writes {
                    match write {
                        PendingWrite::Code(_) => tables[0] = true,
                        PendingWrite::Proof(_) => tables[1] = true,
                    }
                }
                if tables.iter().filter(|t| **t).count() > 1 {
                    let mut tx = self.begin_write().await?;
                    let committed = Self::write_batch(&mut *tx, writes).await?;
                    tx.commit().await?;
                    Ok(committed)
                } else {
                    let mut conn = self.pool.acquire().await?;
                    Self::write_batch(&mut *conn, writes).await
                }
            }

            async fn insert_tokens_of_grant(
                &self,
                tokens: &[$crate::store::NewToken],
            ) -> $crate::store::StoreResult<$crate::store::TokenIds> {
                let tokens: Vec<&$crate::store::NewToken> = tokens.iter().collect();
                let mut tx = self.begin_write().await?;
                let ids = Self::insert_tokens(&mut *tx, &tokens, None).await?;
                tx.commit().await?;
                Ok(ids)
            }

            async fn find_code(
                &self,
                site_id: i64,
                code_hash: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::CodeRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::CodeRecord>(concat!(
                    "SELECT ",
                    code_columns!(),
                    " FROM oauth_codes WHERE site_id = $1 AND code_hash = $2"
                ))
                .bind(site_id)
                .bind(code_hash)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn claim_codes(
                &self,
                claims: &[$crate::store::CodeClaim],
            ) -> $crate::store::StoreResult<Vec<Option<$crate::store::Redeemed>>> {
                self.claim_code_batch(claims).await
            }

            async fn burn_code(
                &self,
                site_id: i64,
                code_hash: &str,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                Ok(sqlx::query(
                    "UPDATE oauth_codes SET consumed_at = $1 \
                     WHERE site_id = $2 AND code_hash = $3 AND consumed_at IS NULL",
                )
                .bind(now)
                .bind(site_id)
                .bind(code_hash)
                .execute(&self.pool)
                .await?
                .rows_affected()
                    == 1)
            }

            async fn revoke_reused_code(
                &self,
                site_id: i64,
                code_hash: &str,
                now: i64,
            ) -> $crate::store::StoreResult<Option<i64>> {
                let mut tx = self.begin_write().await?;
                let first = sqlx::query_scalar::<$db, Option<i64>>(
                    "SELECT grant_id FROM oauth_codes WHERE site_id = $1 AND code_hash = $2",
                )
                .bind(site_id)
                .bind(code_hash)
                .fetch_optional(&mut *tx)
                .await?
                .flatten();
                let mut revoked_grant = None;
                if let Some(first) = first
                    && Self::revoke_grant_in(&mut *tx, site_id, first, now).await?
                {
                    revoked_grant = Some(first);
                }
                tx.commit().await?;
                Ok(revoked_grant)
            }

            async fn find_token(
                &self,
                site_id: i64,
                token_hash: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::TokenRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::TokenRecord>(
                    "SELECT t.id, t.site_id, t.kind, t.client_pk, c.client_id, t.user_id, t.grant_id, t.scopes, \
                     t.created_at, t.expires_at, t.rotated_at, t.revoked_at, t.jkt, t.resource \
                     FROM oauth_tokens t JOIN oauth_clients c ON c.id = t.client_pk \
                     WHERE t.site_id = $1 AND t.token_hash = $2",
                )
                .bind(site_id)
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn rotate_refresh_token(
                &self,
                site_id: i64,
                token_id: i64,
                successors: &[$crate::store::NewToken],
                now: i64,
            ) -> $crate::store::StoreResult<$crate::store::Rotation> {
                self.rotate_refresh(site_id, token_id, successors, now).await
            }

            async fn revoke_grant(&self, site_id: i64, grant_id: i64, now: i64) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let revoked = Self::revoke_grant_in(&mut *tx, site_id, grant_id, now).await?;
                tx.commit().await?;
                Ok(revoked)
            }

            async fn revoke_access_token(
                &self,
                site_id: i64,
                token_id: i64,
                expires_at: i64,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let revoked = sqlx::query(
                    "INSERT INTO oauth_revoked_access_tokens (site_id, token_id, expires_at, revoked_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT (site_id, token_id) DO NOTHING",
                )
                .bind(site_id)
                .bind(token_id)
                .bind(expires_at)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if revoked == 0 {
                    return Ok(false);
                }
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::AccessToken, token_id, now)
                    .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn revoked_access(&self, since: i64) -> $crate::store::StoreResult<$crate::store::RevokedAccess> {
                let tokens = sqlx::query_as::<$db, (i64, i64, i64)>(
                    "SELECT site_id, token_id, revoked_at FROM oauth_revoked_access_tokens \
                     WHERE revoked_at >= $1",
                )
                .bind(since)
                .fetch_all(&self.pool)
                .await?;
                let grants = sqlx::query_as::<$db, (i64, i64)>(
                    "SELECT id, revoked_at FROM oauth_grants WHERE revoked_at >= $1",
                )
                .bind(since)
                .fetch_all(&self.pool)
                .await?;
                Ok($crate::store::RevokedAccess { tokens, grants })
            }

            async fn revoke_token(&self, site_id: i64, token_id: i64, now: i64) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let revoked = sqlx::query(
                    "UPDATE oauth_tokens SET revoked_at = $1 WHERE site_id = $2 AND id = $3 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(site_id)
                .bind(token_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if revoked == 0 {
                    return Ok(false);
                }
                Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::Token, token_id, now).await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn purge_oauth(&self, before: i64) -> $crate::store::StoreResult<u64> {
                let mut purged = 0;
                for statement in [
                    "DELETE FROM oauth_codes WHERE expires_at < $1",
                    "DELETE FROM oauth_tokens WHERE expires_at < $1 OR revoked_at < $1",
                    "DELETE FROM oauth_revoked_access_tokens WHERE expires_at < $1",
                    // A grant outlives its expiry while a rotated refresh token of it lives.
                    "DELETE FROM oauth_grants WHERE revoked_at < $1 OR (expires_at < $1 \
                     AND NOT EXISTS (SELECT 1 FROM oauth_tokens t WHERE t.grant_id = oauth_grants.id))",
                ] {
                    purged += sqlx::query(statement)
                        .bind(before)
                        .execute(&self.pool)
                        .await?
                        .rows_affected();
                }
                Ok(purged)
            }
        }
    };
}
