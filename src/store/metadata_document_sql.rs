//! The SQL of `MetadataDocumentStore`, shared by both backends.

macro_rules! impl_metadata_document_store {
    ($store:ident, $db:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::MetadataDocumentStore for $store {
            async fn set_site_client_id_metadata_documents(
                &self,
                site_id: i64,
                enabled: bool,
                now: i64,
            ) -> $crate::store::StoreResult<bool> {
                let update =
                    sqlx::query("UPDATE sites SET client_id_metadata_documents = $1 WHERE id = $2")
                        .bind(enabled)
                        .bind(site_id);
                self.update_site_setting(site_id, now, update).await
            }

            async fn upsert_document_client(
                &self,
                client: &$crate::store::DocumentClient,
            ) -> $crate::store::StoreResult<Option<$crate::store::ClientRecord>> {
                Ok(sqlx::query_as::<$db, $crate::store::ClientRecord>(concat!(
                    "INSERT INTO oauth_clients (site_id, client_id, name, homepage_url, redirect_uris, confidential, \
                     scopes, grant_types, created_at, updated_at, registered_anonymously, auth_method, jwks, \
                     jwks_uri, auth_signing_alg, metadata_document) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13, $14, $10) \
                     ON CONFLICT (client_id) DO UPDATE SET name = excluded.name, \
                     homepage_url = excluded.homepage_url, redirect_uris = excluded.redirect_uris, \
                     confidential = excluded.confidential, scopes = excluded.scopes, \
                     grant_types = excluded.grant_types, updated_at = excluded.updated_at, \
                     auth_method = excluded.auth_method, jwks = excluded.jwks, jwks_uri = excluded.jwks_uri, \
                     auth_signing_alg = excluded.auth_signing_alg \
                     WHERE oauth_clients.site_id = excluded.site_id AND oauth_clients.metadata_document \
                     RETURNING ",
                    client_columns!()
                ))
                .bind(client.site_id)
                .bind(&client.client_id)
                .bind(&client.name)
                .bind(&client.homepage_url)
                .bind(&client.redirect_uris)
                .bind(client.keys.auth_method != "none")
                .bind(&client.scopes)
                .bind(&client.grant_types)
                .bind(client.now)
                .bind(true)
                .bind(&client.keys.auth_method)
                .bind(&client.keys.jwks)
                .bind(&client.keys.jwks_uri)
                .bind(&client.keys.auth_signing_alg)
                .fetch_optional(&self.pool)
                .await?)
            }
        }
    };
}
