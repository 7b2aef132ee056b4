//! Every HTTP request Tessera makes to another server (identity providers'
//! and private_key_jwt clients' JWKS, Client ID Metadata Documents,
//! back-channel logout tokens, webhooks) goes through [`Outbound`], because
//! the URLs come from admins or clients and a fetch runs inside the network
//! Tessera sits in.
//!
//! - A URL is checked when it is registered ([`Outbound::parse_url`]) and
//!   again before every fetch: https only, no credentials or fragment, no
//!   local names (`localhost`, `*.localhost`, `*.internal`…) and no
//!   loopback, private, link-local (cloud metadata), shared, multicast,
//!   documentation or reserved address, IPv4-mapped IPv6 forms included.
//! - At connect time, the client's DNS resolver drops every forbidden
//!   address a name resolves to, and fails when none is left, so a name
//!   rebound to `169.254.169.254` after registration is never reached.
//! - No redirects (a 3xx is a failure), no proxy from the environment,
//!   [`CONNECT_TIMEOUT`] to connect and [`TOTAL_TIMEOUT`] for the whole
//!   exchange, and a body limit enforced while the body streams in.
//!
//! `TESSERA_OUTBOUND_ALLOW_PRIVATE=true` (development, tests, an IdP on a
//! private network) allows plain http and non-public targets.

pub mod address;
pub mod resolver;
pub mod target;

use std::sync::Arc;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, HeaderValue};
use url::Url;

pub use resolver::{Lookup, RefusedHost, SystemLookup};
pub use target::{ALLOW_PRIVATE_VARIABLE, UrlError};

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(5);

/// What outbound fetches may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OutboundPolicy {
    /// Plain http and loopback, private and link-local targets allowed.
    pub allow_private: bool,
}

impl OutboundPolicy {
    pub fn from_settings(settings: &crate::settings::Settings) -> OutboundPolicy {
        OutboundPolicy {
            allow_private: settings.outbound_allow_private,
        }
    }
}

/// Why a fetch failed. For logs and admins only: callers answering an
/// outside request say something generic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error(transparent)]
    Refused(#[from] UrlError),
    #[error("{0}")]
    RefusedHost(String),
    #[error("timed out")]
    Timeout,
    #[error("cannot connect")]
    Connect,
    #[error("answered {0}: redirects are not followed")]
    Redirected(StatusCode),
    #[error("answered {0}")]
    Status(StatusCode),
    #[error("the response is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the response broke off")]
    Body,
    #[error("the response is not the JSON expected: {0}")]
    NotJson(String),
}

/// A fetched body, and what its `Cache-Control` says.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub body: Vec<u8>,
    pub freshness: Freshness,
}

/// How long an answer may be reused, per its `Cache-Control` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// No `Cache-Control` (or no directive that says).
    Unspecified,
    /// `no-store` or `no-cache`: not to be reused without asking again.
    DoNotReuse,
    /// `max-age`, in seconds.
    MaxAge(u64),
}

impl Freshness {
    fn of(headers: &reqwest::header::HeaderMap) -> Freshness {
        let mut freshness = Freshness::Unspecified;
        for value in headers.get_all(reqwest::header::CACHE_CONTROL) {
            let Ok(value) = value.to_str() else { continue };
            for directive in value.split(',').map(|d| d.trim().to_ascii_lowercase()) {
                if directive == "no-store" || directive == "no-cache" {
                    return Freshness::DoNotReuse;
                }
                if let Some(secs) = directive.strip_prefix("max-age=") {
                    match secs.trim_matches('"').parse() {
                        Ok(secs) => freshness = Freshness::MaxAge(secs),
                        Err(_) => return Freshness::DoNotReuse,
                    }
                }
            }
        }
        freshness
    }
}

/// The one outbound HTTP client. Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    policy: OutboundPolicy,
}

impl Outbound {
    pub fn new(policy: OutboundPolicy) -> anyhow::Result<Outbound> {
        Outbound::with_lookup(policy, Arc::new(SystemLookup))
    }

    /// With another DNS (tests).
    pub fn with_lookup(
        policy: OutboundPolicy,
        lookup: Arc<dyn Lookup>,
    ) -> anyhow::Result<Outbound> {
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(resolver::GuardedResolver::new(lookup, policy)))
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .https_only(!policy.allow_private)
            .user_agent(concat!("tessera/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| anyhow::anyhow!("cannot build the outbound HTTP client: {e}"))?;
        Ok(Outbound { client, policy })
    }

    pub fn policy(&self) -> OutboundPolicy {
        self.policy
    }

    /// Parses and checks a URL an admin registers, with a message for them.
    pub fn parse_url(&self, raw: &str) -> Result<Url, UrlError> {
        target::parse_url(raw, self.policy)
    }

    /// GETs `url` and returns the body, at most `max_bytes` of it.
    pub async fn fetch(
        &self,
        url: &Url,
        accept: &'static str,
        max_bytes: usize,
    ) -> Result<Vec<u8>, FetchError> {
        Ok(self.fetch_cacheable(url, accept, max_bytes).await?.body)
    }

    /// GETs `url` like [`Outbound::fetch`], and says for how long the
    /// server lets the answer be reused (`Cache-Control`).
    pub async fn fetch_cacheable(
        &self,
        url: &Url,
        accept: &'static str,
        max_bytes: usize,
    ) -> Result<Fetched, FetchError> {
        // Checked here too: reqwest does not resolve IP literals, and the
        // URL may come from a row no registration checked.
        target::check_url(url, self.policy)?;
        let response = self
            .client
            .get(url.clone())
            .header(ACCEPT, HeaderValue::from_static(accept))
            .send()
            .await
            .map_err(|e| classify(&e))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(FetchError::Redirected(status));
        }
        if !status.is_success() {
            return Err(FetchError::Status(status));
        }
        let freshness = Freshness::of(response.headers());
        let body = read_bounded(response, max_bytes).await?;
        Ok(Fetched { body, freshness })
    }

    /// GETs `url` as JSON (`Accept: application/json`).
    pub async fn fetch_json<T: serde::de::DeserializeOwned>(
        &self,
        url: &Url,
        max_bytes: usize,
    ) -> Result<T, FetchError> {
        let body = self.fetch(url, "application/json", max_bytes).await?;
        serde_json::from_slice(&body).map_err(|e| FetchError::NotJson(e.to_string()))
    }
}

impl Outbound {
    /// POSTs `body` to `url` (webhooks) with the given headers; any answer
    /// but a 2xx is a failure. The answer's body is not read.
    pub async fn post(
        &self,
        url: &Url,
        content_type: &'static str,
        headers: &[(&'static str, String)],
        body: Vec<u8>,
    ) -> Result<(), FetchError> {
        target::check_url(url, self.policy)?;
        let mut request = self.client.post(url.clone()).header(
            reqwest::header::CONTENT_TYPE,
            HeaderValue::from_static(content_type),
        );
        for (name, value) in headers {
            request = request.header(*name, value.as_str());
        }
        let response = request.body(body).send().await.map_err(|e| classify(&e))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(FetchError::Redirected(status));
        }
        if !status.is_success() {
            return Err(FetchError::Status(status));
        }
        Ok(())
    }
}

/// An answer of [`Outbound::send`], whatever its status.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl Outbound {
    /// Sends a request built elsewhere (the OpenID client of
    /// `crate::upstream`: discovery, keys, token endpoint) and returns the
    /// answer whatever its status, so the caller can read an error body.
    /// The same checks as every fetch; a redirect is a failure, and the
    /// body is read up to `max_bytes`.
    pub async fn send(
        &self,
        method: reqwest::Method,
        url: &Url,
        headers: reqwest::header::HeaderMap,
        body: Vec<u8>,
        max_bytes: usize,
    ) -> Result<Answer, FetchError> {
        target::check_url(url, self.policy)?;
        let response = self
            .client
            .request(method, url.clone())
            .headers(headers)
            .body(body)
            .send()
            .await
            .map_err(|e| classify(&e))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(FetchError::Redirected(status));
        }
        let headers = response.headers().clone();
        let body = read_bounded(response, max_bytes).await?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

/// An answer's body, refused as soon as it is known to exceed `max_bytes`
/// (by its `Content-Length`, or while it streams in).
async fn read_bounded(
    mut response: reqwest::Response,
    max_bytes: usize,
) -> Result<Vec<u8>, FetchError> {
    if response
        .content_length()
        .is_some_and(|len| len > max_bytes as u64)
    {
        return Err(FetchError::TooLarge(max_bytes));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(&e))? {
        if body.len() + chunk.len() > max_bytes {
            return Err(FetchError::TooLarge(max_bytes));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A reqwest error in a few words (without the URL it carries), and the
/// resolver's refusal with its reason.
fn classify(e: &reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(cause) = source {
        if let Some(refused) = cause.downcast_ref::<RefusedHost>() {
            return FetchError::RefusedHost(refused.to_string());
        }
        source = cause.source();
    }
    if e.is_timeout() {
        FetchError::Timeout
    } else if e.is_connect() {
        FetchError::Connect
    } else {
        FetchError::Body
    }
}

#[cfg(test)]
mod tests;
