//! The identity providers' SQL and just-in-time provisioning, shared by both
//! backends. Expanded next to `impl_store!`, whose `record_change` it uses.

macro_rules! identity_provider_columns {
    () => {
        "id, site_id, issuer, audience, jwks_uri, jwks_json, algorithms, created_at"
    };
}

macro_rules! impl_identity_store {
    ($store:ident, $db:ty) => {
        impl $store {
            async fn find_external_user(
                &self,
                site_id: i64,
                issuer: &str,
                subject: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::UserRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::UserRecord>(concat!(
                    "SELECT ",
                    user_columns!(),
                    " FROM users WHERE site_id = $1 AND external_issuer = $2 \
                     AND external_subject = $3"
                ))
                .bind(site_id)
                .bind(issuer)
                .bind(subject)
                .fetch_optional(&self.pool)
                .await?)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::IdentityProviderStore for $store {
            async fn create_identity_provider(
                &self,
                provider: &$crate::store::NewIdentityProvider,
            ) -> $crate::store::StoreResult<$crate::store::IdentityProviderRecord> {
                let mut tx = self.begin_write().await?;
                let record = sqlx::query_as::<$db, $crate::store::IdentityProviderRecord>(concat!(
                    "INSERT INTO identity_providers (site_id, issuer, audience, jwks_uri, \
                     jwks_json, algorithms, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     RETURNING ",
                    identity_provider_columns!()
                ))
                .bind(provider.site_id)
                .bind(&provider.issuer)
                .bind(&provider.audience)
                .bind(&provider.jwks_uri)
                .bind(&provider.jwks_json)
                .bind(&provider.algorithms)
                .bind(provider.created_at)
                .fetch_one(&mut *tx)
                .await?;
                Self::record_change(
                    &mut *tx,
                    record.site_id,
                    $crate::store::ChangeKind::IdentityProvider,
                    record.id,
                    provider.created_at,
                )
                .await?;
                tx.commit().await?;
                Ok(record)
            }

            async fn list_identity_providers(
                &self,
                site_id: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::IdentityProviderRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::IdentityProviderRecord>(concat!(
                    "SELECT ",
                    identity_provider_columns!(),
                    " FROM identity_providers WHERE site_id = $1 ORDER BY issuer"
                ))
                .bind(site_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn delete_identity_provider(
                &self,
                site_id: i64,
                issuer: &str,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let deleted = sqlx::query_scalar::<$db, i64>(
                    "DELETE FROM identity_providers WHERE site_id = $1 AND issuer = $2 RETURNING id",
                )
                .bind(site_id)
                .bind(issuer)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(id) = deleted else {
                    return Ok(false);
                };
                Self::record_change(
                    &mut *tx,
                    site_id,
                    $crate::store::ChangeKind::IdentityProvider,
                    id,
                    now,
                )
                .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn provision_external_user(
                &self,
                identity: &$crate::store::ExternalIdentity,
            ) -> $crate::store::StoreResult<$crate::store::Provisioned> {
                use $crate::store::Provisioned;
                let found = self
                    .find_external_user(identity.site_id, &identity.issuer, &identity.subject)
                    .await?;
                if let Some(user) = found {
                    if user.display_name == identity.display_name && user.email == identity.email {
                        return Ok(Provisioned::Existing(user));
                    }
                    // The refresh and its announcement commit together, so
                    // no process keeps showing the old name.
                    let mut tx = self.begin_write().await?;
                    let user = sqlx::query_as::<$db, $crate::store::UserRecord>(concat!(
                        "UPDATE users SET display_name = $1, email = $2, updated_at = $3 \
                         WHERE site_id = $4 AND id = $5 RETURNING ",
                        user_columns!()
                    ))
                    .bind(&identity.display_name)
                    .bind(&identity.email)
                    .bind(identity.now)
                    .bind(identity.site_id)
                    .bind(user.id)
                    .fetch_one(&mut *tx)
                    .await?;
                    Self::record_change(
                        &mut *tx,
                        identity.site_id,
                        $crate::store::ChangeKind::User,
                        user.id,
                        identity.now,
                    )
                    .await?;
                    tx.commit().await?;
                    return Ok(Provisioned::Refreshed(user));
                }
                // One statement: either the account is created, or a unique
                // rule (username, or the identity itself) stops it and
                // nothing is written.
                let created = sqlx::query_as::<$db, $crate::store::UserRecord>(concat!(
                    "INSERT INTO users (site_id, username, display_name, email, password_hash, \
                     role, external_issuer, external_subject, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8, $8) \
                     ON CONFLICT DO NOTHING RETURNING ",
                    user_columns!()
                ))
                .bind(identity.site_id)
                .bind(&identity.username)
                .bind(&identity.display_name)
                .bind(&identity.email)
                .bind(&identity.role)
                .bind(&identity.issuer)
                .bind(&identity.subject)
                .bind(identity.now)
                .fetch_optional(&self.pool)
                .await?;
                if let Some(user) = created {
                    return Ok(Provisioned::Created(user));
                }
                // A concurrent exchange for the same identity may have won.
                Ok(
                    match self
                        .find_external_user(identity.site_id, &identity.issuer, &identity.subject)
                        .await?
                    {
                        Some(user) => Provisioned::Existing(user),
                        None => Provisioned::UsernameTaken,
                    },
                )
            }
        }
    };
}
