//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document):
//! on a site that opted in, a `client_id` that is a URL names a JSON
//! document describing the client. It is fetched through the SSRF-safe
//! [`Outbound`](crate::outbound::Outbound) (5 KiB, a few seconds), checked
//! (`document.rs`), and kept as a client row whose `client_id` is the URL,
//! rewritten on every fetch, so codes, consents, grants and tokens refer to
//! it like to any client. The resolved client is cached in memory
//! (`cache.rs`) as its `Cache-Control` allows, within bounds.

pub mod cache;
pub mod document;

use std::sync::Arc;
use std::time::Duration;

use super::client_auth::check_auth;
use super::clients::{Client, Clients, check, join_grants, join_uris};
use super::scopes::{Scope, ScopeSet};
use crate::sites::Site;
use crate::store::{DocumentClient, StoreError};
use document::{DocumentError, parse_client_id, read_document};

/// The draft recommends a limit of 5 kilobytes.
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
/// The whole fetch, under the outbound client's own limit: a user waits.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(3);

/// Whether a client id is a URL, so names a metadata document rather than
/// a client registered here (those ids never contain `:`).
pub fn is_document_url(client_id: &str) -> bool {
    client_id.starts_with("https://") || client_id.starts_with("http://")
}

impl Clients {
    /// The client a URL client id names on `site`, or `None`: the site
    /// did not opt in, or the document is unreachable or refused (logged
    /// with the reason; the request is answered as for an unknown client).
    pub(super) async fn resolve_document(
        &self,
        site: &Site,
        client_id: &str,
    ) -> Result<Option<Arc<Client>>, StoreError> {
        if !site.oauth.client_id_metadata_documents {
            return Ok(None);
        }
        let now = self.clock.now();
        let documents = &self.cache.metadata_documents;
        if let Some(cached) = documents.get(site.id, client_id, now) {
            return Ok(cached);
        }
        match self.load_document(site, client_id, now).await? {
            Ok((client, ttl)) => {
                documents.put(site.id, client_id, Some(client.clone()), now + ttl);
                Ok(Some(client))
            }
            Err(e) => {
                tracing::warn!(site = %site.slug, client_id, error = %e, "client metadata document refused");
                documents.put(site.id, client_id, None, now + cache::REFUSED_TTL_SECS);
                Ok(None)
            }
        }
    }

    /// Fetches and checks the document, and stores its client; returns it
    /// with how long (seconds) it may be kept.
    async fn load_document(
        &self,
        site: &Site,
        client_id: &str,
        now: i64,
    ) -> Result<Result<(Arc<Client>, i64), DocumentError>, StoreError> {
        let policy = self.outbound_policy;
        let url = match parse_client_id(client_id, policy.allow_private) {
            Ok(url) => url,
            Err(e) => return Ok(Err(e)),
        };
        let Some(outbound) = &self.outbound else {
            return Ok(Err(DocumentError::Fetch("no outbound fetches here".into())));
        };
        let fetch = outbound.fetch_cacheable(&url, "application/json", MAX_DOCUMENT_BYTES);
        let fetched = match tokio::time::timeout(FETCH_TIMEOUT, fetch).await {
            Ok(Ok(fetched)) => fetched,
            Ok(Err(e)) => return Ok(Err(DocumentError::Fetch(e.to_string()))),
            Err(_) => return Ok(Err(DocumentError::Fetch("timed out".into()))),
        };
        let mut metadata = match read_document(&fetched.body, &url) {
            Ok(metadata) => metadata,
            Err(e) => return Ok(Err(e)),
        };
        // Scopes Tessera does not know are not this client's to ask for;
        // the rest are held to what the site lets unvetted clients have,
        // which is also what a document without `scope` gets.
        let limits = self.store.anonymous_client_limits(site.id).await?;
        let registrable = ScopeSet::from_stored(&limits.registrable_scopes);
        let known = metadata.settings.scopes.take().map(|raw| {
            raw.split(' ')
                .filter(|s| Scope::parse(s).is_some())
                .collect::<Vec<_>>()
                .join(" ")
        });
        metadata.settings.scopes = known
            .filter(|s| !s.is_empty())
            .or_else(|| Some(registrable.to_string()));
        let field =
            |e: super::clients::ClientInputError| DocumentError::Field(e.field(), e.to_string());
        let checked = match check(&metadata.settings, metadata.auth.method.is_confidential()) {
            Ok(checked) => checked,
            Err(e) => return Ok(Err(field(e))),
        };
        let keys = match check_auth(&metadata.auth, policy) {
            Ok(keys) => keys,
            Err(e) => return Ok(Err(field(e))),
        };
        let scopes = checked.scopes.intersect(registrable);
        if scopes.is_empty() {
            return Ok(Err(DocumentError::Field(
                "scope",
                "none of its scopes may be given to a metadata document client here".into(),
            )));
        }
        let row = DocumentClient {
            site_id: site.id,
            client_id: client_id.to_owned(),
            name: checked.name,
            homepage_url: checked.homepage_url,
            redirect_uris: join_uris(&checked.redirect_uris),
            scopes: scopes.to_string(),
            grant_types: join_grants(&checked.grant_types),
            keys,
            now,
        };
        let Some(record) = self.store.upsert_document_client(&row).await? else {
            return Ok(Err(DocumentError::Taken));
        };
        let client = Arc::new(Client::from_record(record));
        Ok(Ok((client, cache::ttl_of(fetched.freshness))))
    }
}
