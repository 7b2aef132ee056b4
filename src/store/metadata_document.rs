//! Clients resolved from Client ID Metadata Documents
//! (draft-ietf-oauth-client-id-metadata-document), and the site setting
//! that turns them on.

use async_trait::async_trait;

use super::{ClientKeyColumns, ClientRecord, StoreResult};

/// A client as its metadata document describes it, checked, ready to store
/// under its URL.
#[derive(Clone)]
pub struct DocumentClient {
    pub site_id: i64,
    /// The document's URL.
    pub client_id: String,
    pub name: String,
    pub homepage_url: Option<String>,
    /// One URI per line.
    pub redirect_uris: String,
    pub scopes: String,
    pub grant_types: String,
    /// `none`, or `private_key_jwt` with its keys (never a secret).
    pub keys: ClientKeyColumns,
    pub now: i64,
}

#[async_trait]
pub trait MetadataDocumentStore {
    /// Whether the site resolves URL client ids. Announced on the change
    /// feed, since every process keeps the site.
    async fn set_site_client_id_metadata_documents(
        &self,
        site_id: i64,
        enabled: bool,
        now: i64,
    ) -> StoreResult<bool>;
    /// Creates the row of a document's client, or rewrites it from a fresh
    /// copy of the document. `None` when the URL is already the client id
    /// of another site's client or of a registered client (client ids are
    /// unique in the whole deployment).
    async fn upsert_document_client(
        &self,
        client: &DocumentClient,
    ) -> StoreResult<Option<ClientRecord>>;
}
