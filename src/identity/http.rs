//! Fetching an identity provider's JWKS from its `jwks_uri`.
//!
//! Bounded in every direction, because the IdP is outside Tessera's control:
//! [`FETCH_TIMEOUT`] for the whole exchange, [`MAX_JWKS_BYTES`] of body, no
//! redirects (the URI is configured exactly; following one could downgrade
//! to plain HTTP), no proxy from the environment. The body is never logged:
//! errors name the URI and what went wrong, nothing of the keys.

use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{ACCEPT, HeaderValue};
use url::{Host, Url};

use super::jwks::{JwksFetchError, JwksFetcher};

pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Real key sets are a few kilobytes; this leaves room for dozens of keys.
pub const MAX_JWKS_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksUriError {
    #[error("`{0}` is not an absolute URL")]
    NotAUrl(String),
    #[error("`{0}`: the JWKS must be fetched over https (plain http only on a loopback address)")]
    NotHttps(String),
    #[error("`{0}`: a JWKS URL cannot carry a user name, password or fragment")]
    Unsafe(String),
}

/// Checks an admin's `jwks_uri`: https, or http to the local machine (an
/// IdP on the same host, or a test); a key set fetched in the clear from
/// anywhere else could be swapped by anyone on the path.
pub fn parse_jwks_uri(raw: &str) -> Result<Url, JwksUriError> {
    let url = Url::parse(raw.trim()).map_err(|_| JwksUriError::NotAUrl(raw.to_owned()))?;
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(JwksUriError::Unsafe(raw.to_owned()));
    }
    let loopback = match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" if url.host().is_some() => Ok(url),
        "http" if loopback => Ok(url),
        _ => Err(JwksUriError::NotHttps(raw.to_owned())),
    }
}

/// The HTTP client shared by every provider's fetcher.
pub fn jwks_client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .user_agent(concat!("tessera/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| anyhow::anyhow!("cannot build the HTTP client for identity providers: {e}"))
}

/// Fetches one provider's JWKS document from its URI.
pub struct HttpJwks {
    client: reqwest::Client,
    uri: Url,
}

impl HttpJwks {
    pub fn new(client: reqwest::Client, uri: Url) -> HttpJwks {
        HttpJwks { client, uri }
    }

    fn failed(&self, what: impl std::fmt::Display) -> JwksFetchError {
        JwksFetchError(format!("{}: {what}", self.uri))
    }
}

#[async_trait]
impl JwksFetcher for HttpJwks {
    async fn fetch(&self) -> Result<String, JwksFetchError> {
        let mut response = self
            .client
            .get(self.uri.clone())
            .header(
                ACCEPT,
                HeaderValue::from_static("application/jwk-set+json, application/json"),
            )
            .send()
            .await
            .map_err(|e| self.failed(describe(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(self.failed(format_args!("answered {status}")));
        }
        if response
            .content_length()
            .is_some_and(|len| len > MAX_JWKS_BYTES as u64)
        {
            return Err(self.failed("the key set is too large"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.failed(describe(&e)))?
        {
            if body.len() + chunk.len() > MAX_JWKS_BYTES {
                return Err(self.failed("the key set is too large"));
            }
            body.extend_from_slice(&chunk);
        }
        String::from_utf8(body).map_err(|_| self.failed("the key set is not UTF-8"))
    }
}

/// A reqwest error in a few words, without the URL it already carries.
fn describe(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_redirect() {
        "redirected (redirects are not followed)"
    } else if e.is_body() || e.is_decode() {
        "the response broke off"
    } else {
        "the request failed"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwks_uris_must_be_https_except_on_loopback() {
        assert!(parse_jwks_uri("https://idp.example.com/.well-known/jwks.json").is_ok());
        assert!(parse_jwks_uri("http://127.0.0.1:8080/jwks").is_ok());
        assert!(parse_jwks_uri("http://localhost/jwks").is_ok());
        assert!(parse_jwks_uri("http://[::1]:9/jwks").is_ok());
        for bad in [
            "http://idp.example.com/jwks",
            "http://10.0.0.1/jwks",
            "ftp://idp.example.com/jwks",
            "file:///etc/jwks.json",
        ] {
            assert!(
                matches!(parse_jwks_uri(bad), Err(JwksUriError::NotHttps(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            parse_jwks_uri("https://user:pw@idp.example.com/jwks"),
            Err(JwksUriError::Unsafe(_))
        ));
        assert!(matches!(
            parse_jwks_uri("/jwks.json"),
            Err(JwksUriError::NotAUrl(_))
        ));
    }
}
