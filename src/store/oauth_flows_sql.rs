//! The SQL of the device grant, pushed requests and client registration,
//! shared by both backends (expanded next to `impl_oauth_store!`, whose
//! token insertion it reuses).

macro_rules! device_code_columns {
    () => {
        "d.id, d.site_id, d.client_pk, c.client_id, d.scopes, d.status, d.user_id, d.interval_secs, \
         d.last_polled_at, d.created_at, d.expires_at, d.resource FROM oauth_device_codes d \
         JOIN oauth_clients c ON c.id = d.client_pk"
    };
}

macro_rules! impl_oauth_flows_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::DeviceCodeStore for $store {
            async fn create_device_code(
                &self,
                code: &$crate::store::NewDeviceCode,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO oauth_device_codes (site_id, device_code_hash, user_code_hash, client_pk, scopes, \
                     interval_secs, created_at, expires_at, resource) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(code.site_id)
                .bind(&code.device_code_hash)
                .bind(&code.user_code_hash)
                .bind(code.client_pk)
                .bind(&code.scopes)
                .bind(code.interval_secs)
                .bind(code.created_at)
                .bind(code.expires_at)
                .bind(&code.resource)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn find_device_code(
                &self,
                site_id: i64,
                device_code_hash: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::DeviceCodeRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::DeviceCodeRecord>(concat!(
                    "SELECT ",
                    device_code_columns!(),
                    " WHERE d.site_id = $1 AND d.device_code_hash = $2"
                ))
                .bind(site_id)
                .bind(device_code_hash)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn find_device_code_by_user_code(
                &self,
                site_id: i64,
                user_code_hash: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::DeviceCodeRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::DeviceCodeRecord>(concat!(
                    "SELECT ",
                    device_code_columns!(),
                    " WHERE d.site_id = $1 AND d.user_code_hash = $2"
                ))
                .bind(site_id)
                .bind(user_code_hash)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn decide_device_code(
                &self,
                site_id: i64,
                id: i64,
                user_id: i64,
                approve: bool,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                Ok(sqlx::query(
                    "UPDATE oauth_device_codes SET status = $1, user_id = $2 \
                     WHERE site_id = $3 AND id = $4 AND status = 'pending' AND expires_at > $5",
                )
                .bind(if approve { "approved" } else { "denied" })
                .bind(user_id)
                .bind(site_id)
                .bind(id)
                .bind(now)
                .execute(&self.pool)
                .await?
                .rows_affected()
                    == 1)
            }

            async fn record_device_poll(
                &self,
                site_id: i64,
                id: i64,
                interval_secs: i64,
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "UPDATE oauth_device_codes SET interval_secs = $1, last_polled_at = $2 \
                     WHERE site_id = $3 AND id = $4",
                )
                .bind(interval_secs)
                .bind(now)
                .bind(site_id)
                .bind(id)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn redeem_device_code(
                &self,
                id: i64,
                grant: &$crate::store::NewGrant,
                tokens: &[$crate::store::NewToken],
            ) -> $crate::store::StoreResult<Option<(i64, $crate::store::TokenIds)>> {
                let mut tx = self.begin_write().await?;
                let claimed = sqlx::query(
                    "UPDATE oauth_device_codes SET status = 'redeemed' \
                     WHERE id = $1 AND site_id = $2 AND status = 'approved'",
                )
                .bind(id)
                .bind(grant.site_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if claimed != 1 {
                    tx.rollback().await?;
                    return Ok(None);
                }
                let grant_id = sqlx::query_scalar::<$db, i64>(
                    "INSERT INTO oauth_grants (site_id, client_pk, user_id, scopes, created_at, expires_at, resource) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                )
                .bind(grant.site_id)
                .bind(grant.client_pk)
                .bind(grant.user_id)
                .bind(&grant.scopes)
                .bind(grant.created_at)
                .bind(grant.expires_at)
                .bind(&grant.resource)
                .fetch_one(&mut *tx)
                .await?;
                let tokens: Vec<&$crate::store::NewToken> = tokens.iter().collect();
                let token_ids = Self::insert_tokens(&mut *tx, &tokens, Some(grant_id)).await?;
                tx.commit().await?;
                Ok(Some((grant_id, token_ids)))
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::PushedRequestStore for $store {
            async fn purge_oauth_flows(&self, before: i64) -> $crate::store::StoreResult<u64> {
                let devices = sqlx::query("DELETE FROM oauth_device_codes WHERE expires_at < $1")
                    .bind(before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                let pushed = sqlx::query("DELETE FROM oauth_pushed_requests WHERE expires_at < $1")
                    .bind(before)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
                Ok(devices + pushed)
            }

            async fn create_pushed_request(
                &self,
                request: &$crate::store::NewPushedRequest,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO oauth_pushed_requests (site_id, request_uri_hash, client_pk, parameters, \
                     created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(request.site_id)
                .bind(&request.request_uri_hash)
                .bind(request.client_pk)
                .bind(&request.parameters)
                .bind(request.created_at)
                .bind(request.expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn find_pushed_request(
                &self,
                site_id: i64,
                request_uri_hash: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::PushedRequestRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::PushedRequestRecord>(
                    "SELECT id, client_pk, parameters, expires_at, used_at FROM oauth_pushed_requests \
                     WHERE site_id = $1 AND request_uri_hash = $2",
                )
                .bind(site_id)
                .bind(request_uri_hash)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn consume_pushed_request(
                &self,
                site_id: i64,
                request_uri_hash: &str,
                now: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::PushedRequestRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::PushedRequestRecord>(
                    "UPDATE oauth_pushed_requests SET used_at = $1 \
                     WHERE site_id = $2 AND request_uri_hash = $3 AND used_at IS NULL AND expires_at > $1 \
                     RETURNING id, client_pk, parameters, expires_at, used_at",
                )
                .bind(now)
                .bind(site_id)
                .bind(request_uri_hash)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn site_par_required(&self, site_id: i64) -> $crate::store::StoreResult<bool> {
                Ok(sqlx::query_scalar::<$db, bool>("SELECT par_required FROM sites WHERE id = $1")
                    .bind(site_id)
                    .fetch_optional(&self.pool)
                    .await?
                    .unwrap_or(false))
            }

            async fn par_required(
                &self,
                site_id: i64,
                client_pk: i64,
            ) -> $crate::store::StoreResult<(bool, bool)> {
                Ok(sqlx::query_as::<$db, (bool, bool)>(
                    "SELECT s.par_required, c.par_required FROM sites s \
                     JOIN oauth_clients c ON c.site_id = s.id WHERE s.id = $1 AND c.id = $2",
                )
                .bind(site_id)
                .bind(client_pk)
                .fetch_optional(&self.pool)
                .await?
                .unwrap_or((false, false)))
            }

            async fn set_site_par_required(
                &self,
                site_id: i64,
                required: bool,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let update = sqlx::query("UPDATE sites SET par_required = $1 WHERE id = $2")
                    .bind(required)
                    .bind(site_id);
                self.update_site_setting(site_id, now, update).await
            }

            async fn set_client_par_required(
                &self,
                site_id: i64,
                client_pk: i64,
                required: bool,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let changed = sqlx::query(
                    "UPDATE oauth_clients SET par_required = $1 WHERE site_id = $2 AND id = $3",
                )
                .bind(required)
                .bind(site_id)
                .bind(client_pk)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                if changed {
                    Self::record_change(&mut *tx, site_id, $crate::store::ChangeKind::Client, client_pk, now)
                        .await?;
                }
                tx.commit().await?;
                Ok(changed)
            }

            async fn par_required_clients(
                &self,
                site_id: i64,
            ) -> $crate::store::StoreResult<Vec<i64>> {
                Ok(sqlx::query_scalar::<$db, i64>(
                    "SELECT id FROM oauth_clients WHERE site_id = $1 AND par_required = $2 ORDER BY id",
                )
                .bind(site_id)
                .bind(true)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn set_site_dpop_nonce_required(
                &self,
                site_id: i64,
                required: bool,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let update = sqlx::query("UPDATE sites SET dpop_nonce_required = $1 WHERE id = $2")
                    .bind(required)
                    .bind(site_id);
                self.update_site_setting(site_id, now, update).await
            }

            async fn set_site_security_profile(
                &self,
                site_id: i64,
                profile: &str,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let update = sqlx::query("UPDATE sites SET security_profile = $1 WHERE id = $2")
                    .bind(profile)
                    .bind(site_id);
                self.update_site_setting(site_id, now, update).await
            }

            async fn set_client_dpop_required(
                &self,
                site_id: i64,
                client_pk: i64,
                required: bool,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let changed = sqlx::query(
                    "UPDATE oauth_clients SET dpop_required = $1, updated_at = $2 \
                     WHERE site_id = $3 AND id = $4",
                )
                .bind(required)
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

            async fn set_client_signed_request_required(
                &self,
                site_id: i64,
                client_pk: i64,
                required: bool,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let changed = sqlx::query(
                    "UPDATE oauth_clients SET require_signed_request_object = $1, updated_at = $2 \
                     WHERE site_id = $3 AND id = $4",
                )
                .bind(required)
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
        }

        #[async_trait::async_trait]
        impl $crate::store::RegistrationStore for $store {
            async fn registration_policy(&self, site_id: i64) -> $crate::store::StoreResult<String> {
                Ok(
                    sqlx::query_scalar::<$db, String>("SELECT registration_policy FROM sites WHERE id = $1")
                        .bind(site_id)
                        .fetch_optional(&self.pool)
                        .await?
                        .unwrap_or_else(|| "closed".to_string()),
                )
            }

            async fn set_registration_policy(
                &self,
                site_id: i64,
                policy: &str,
            ) -> $crate::store::StoreResult<bool> {
                Ok(sqlx::query("UPDATE sites SET registration_policy = $1 WHERE id = $2")
                    .bind(policy)
                    .bind(site_id)
                    .execute(&self.pool)
                    .await?
                    .rows_affected()
                    == 1)
            }

            async fn create_initial_access_token(
                &self,
                site_id: i64,
                token_hash: &str,
                user_id: Option<i64>,
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO oauth_initial_access_tokens (site_id, token_hash, user_id, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(site_id)
                .bind(token_hash)
                .bind(user_id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn find_initial_access_token(
                &self,
                site_id: i64,
                token_hash: &str,
            ) -> $crate::store::StoreResult<Option<(i64, Option<i64>)>> {
                Ok(sqlx::query_as::<$db, (i64, Option<i64>)>(
                    "SELECT id, user_id FROM oauth_initial_access_tokens WHERE site_id = $1 AND token_hash = $2",
                )
                .bind(site_id)
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn save_client_registration(
                &self,
                site_id: i64,
                client_pk: i64,
                token_hash: &str,
                token_endpoint_auth_method: &str,
                now: i64,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "INSERT INTO oauth_client_registrations (client_pk, site_id, token_hash, \
                     token_endpoint_auth_method, created_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (client_pk) DO UPDATE SET token_hash = excluded.token_hash, \
                     token_endpoint_auth_method = excluded.token_endpoint_auth_method",
                )
                .bind(client_pk)
                .bind(site_id)
                .bind(token_hash)
                .bind(token_endpoint_auth_method)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn find_client_registration(
                &self,
                site_id: i64,
                client_pk: i64,
            ) -> $crate::store::StoreResult<Option<$crate::store::ClientRegistrationRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::ClientRegistrationRecord>(
                    "SELECT client_pk, token_hash, token_endpoint_auth_method FROM oauth_client_registrations \
                     WHERE site_id = $1 AND client_pk = $2",
                )
                .bind(site_id)
                .bind(client_pk)
                .fetch_optional(&self.pool)
                .await?)
            }
        }
    };
}
