//! Fetching an identity provider's JWKS from its `jwks_uri`, through the
//! [`Outbound`] client: https to public addresses only (checked at
//! registration, before the request and on every resolved address), no
//! redirects, bounded time and size. The body is never logged: errors name
//! the URI and what went wrong, nothing of the keys.

use async_trait::async_trait;
use url::Url;

use super::jwks::{JwksFetchError, JwksFetcher};
use crate::outbound::Outbound;

/// Real key sets are a few kilobytes; this leaves room for dozens of keys.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;
const ACCEPT_JWKS: &str = "application/jwk-set+json, application/json";

/// Fetches one provider's JWKS document from its URI.
pub struct HttpJwks {
    outbound: Outbound,
    uri: Url,
}

impl HttpJwks {
    pub fn new(outbound: Outbound, uri: Url) -> HttpJwks {
        HttpJwks { outbound, uri }
    }
}

#[async_trait]
impl JwksFetcher for HttpJwks {
    async fn fetch(&self) -> Result<String, JwksFetchError> {
        let failed = |what: &dyn std::fmt::Display| JwksFetchError(format!("{}: {what}", self.uri));
        let body = self
            .outbound
            .fetch(&self.uri, ACCEPT_JWKS, MAX_JWKS_BYTES)
            .await
            .map_err(|e| failed(&e))?;
        String::from_utf8(body).map_err(|_| failed(&"the key set is not UTF-8"))
    }
}
