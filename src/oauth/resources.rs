//! Resource indicators (RFC 8707). A site registers the protected APIs
//! its tokens may be issued for; a client names one with `resource` at the
//! authorization, PAR and token endpoints, and the access token it gets is
//! for that one audience only. Without `resource` (or with the site's own
//! issuer URL), a token is for the site's own API, as before resources
//! existed, and its audience is stored as `None`.
//!
//! One audience per token: a request naming more than one resource is
//! `invalid_target` (the form readers refuse the repeated parameter).

use std::fmt;

use url::Url;

use super::OAuth;
use super::error::{OAuthError, OAuthResult};
use super::scopes::ScopeSet;
use crate::sites::Site;
use crate::store::ResourceRecord;

/// Why a request naming two resources is refused.
pub const ONE_RESOURCE: &str =
    "only one resource may be named: an access token carries exactly one audience";

/// The longest resource URI accepted or registered.
pub const MAX_URI_LEN: usize = 2048;

/// How a resource's access tokens are issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenFormat {
    /// The opaque `tat_…` form, checked by introspection.
    Opaque,
    /// An RFC 9068 JWT, verifiable offline against the site's JWKS.
    Jwt,
}

impl TokenFormat {
    pub fn parse(raw: &str) -> Option<TokenFormat> {
        match raw {
            "opaque" => Some(TokenFormat::Opaque),
            "jwt" => Some(TokenFormat::Jwt),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TokenFormat::Opaque => "opaque",
            TokenFormat::Jwt => "jwt",
        }
    }
}

/// Why a string is not a resource indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ResourceUriError {
    #[error("resource must be an absolute URI")]
    NotAbsolute,
    #[error("resource must not contain a fragment")]
    Fragment,
    #[error("resource is too long")]
    TooLong,
}

/// An absolute URI without fragment (RFC 8707 section 2), kept exactly as
/// given: registered and requested URIs are compared as strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceUri(String);

impl ResourceUri {
    pub fn parse(raw: &str) -> Result<ResourceUri, ResourceUriError> {
        if raw.len() > MAX_URI_LEN {
            return Err(ResourceUriError::TooLong);
        }
        if raw.contains('#') {
            return Err(ResourceUriError::Fragment);
        }
        let url = Url::parse(raw).map_err(|_| ResourceUriError::NotAbsolute)?;
        if url.cannot_be_a_base() || url.host_str().is_none_or(str::is_empty) {
            return Err(ResourceUriError::NotAbsolute);
        }
        if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ResourceUriError::NotAbsolute);
        }
        Ok(ResourceUri(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ResourceUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A registered resource, as the protocol uses it.
#[derive(Debug, Clone)]
pub struct Resource {
    /// Its row id, as access tokens name it.
    pub id: i64,
    pub uri: String,
    pub scopes: ScopeSet,
    pub format: TokenFormat,
}

impl Resource {
    pub fn from_record(record: &ResourceRecord) -> Resource {
        Resource {
            id: record.id,
            uri: record.uri.clone(),
            scopes: ScopeSet::from_stored(&record.scopes),
            format: TokenFormat::parse(&record.token_format).unwrap_or(TokenFormat::Opaque),
        }
    }

    /// Scopes beyond what the resource allows are `invalid_scope`.
    pub fn check_scopes(&self, scopes: ScopeSet) -> OAuthResult<()> {
        if scopes.is_subset_of(self.scopes) {
            Ok(())
        } else {
            Err(OAuthError::InvalidScope(format!(
                "a token for this resource may carry at most: {}",
                self.scopes
            )))
        }
    }
}

/// Whether `uri` names the site's own API: its issuer, with or without
/// the trailing slash.
pub fn is_own_api(site: &Site, uri: &str) -> bool {
    uri.strip_suffix('/').unwrap_or(uri) == site.issuer
}

/// Checks the scopes a token will carry against its resource, if any.
pub fn check_scopes(resource: Option<&Resource>, scopes: ScopeSet) -> OAuthResult<()> {
    resource.map_or(Ok(()), |r| r.check_scopes(scopes))
}

impl OAuth {
    /// The resource a request names: `None` for none (or the site's own
    /// API), the registered resource, or `invalid_target`.
    pub async fn resolve_resource(
        &self,
        site: &Site,
        raw: Option<&str>,
    ) -> OAuthResult<Option<Resource>> {
        let Some(raw) = raw.filter(|r| !r.is_empty()) else {
            return Ok(None);
        };
        let uri = ResourceUri::parse(raw).map_err(|e| {
            OAuthError::InvalidTarget(match e {
                ResourceUriError::NotAbsolute => "resource must be an absolute URI",
                ResourceUriError::Fragment => "resource must not contain a fragment",
                ResourceUriError::TooLong => "resource is too long",
            })
        })?;
        if is_own_api(site, uri.as_str()) {
            return Ok(None);
        }
        match self.store.find_resource(site.id, uri.as_str()).await? {
            Some(record) => Ok(Some(Resource::from_record(&record))),
            None => Err(OAuthError::InvalidTarget(
                "resource is not registered on this site",
            )),
        }
    }

    /// The resource of a token request against what was granted (the
    /// code's or the refresh token's): the same one, or none (which means
    /// the granted one). Anything else would widen the grant.
    pub(crate) async fn granted_resource(
        &self,
        site: &Site,
        requested: Option<&str>,
        granted: Option<&str>,
    ) -> OAuthResult<Option<Resource>> {
        let named = requested.is_some_and(|r| !r.is_empty());
        let requested = self.resolve_resource(site, requested).await?;
        match (named, requested, granted) {
            (_, Some(r), Some(g)) if r.uri == g => Ok(Some(r)),
            // The site's own API, named, and granted.
            (true, None, None) | (false, _, None) => Ok(None),
            (true, _, _) => Err(OAuthError::InvalidTarget(
                "resource differs from the one granted",
            )),
            // The granted one, implied: loaded for its format. No new
            // tokens for a resource removed since.
            (false, _, Some(g)) => match self.store.find_resource(site.id, g).await? {
                Some(record) => Ok(Some(Resource::from_record(&record))),
                None => Err(OAuthError::InvalidTarget(
                    "the resource granted is no longer registered",
                )),
            },
        }
    }

    /// Every resource URI the site issues tokens for, its own API first
    /// (RFC 9728 `protected_resources`).
    pub async fn protected_resources(&self, site: &Site) -> OAuthResult<Vec<String>> {
        let mut uris = vec![site.issuer.clone()];
        uris.extend(
            self.store
                .list_resources(site.id)
                .await?
                .into_iter()
                .map(|r| r.uri),
        );
        Ok(uris)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_uris_are_absolute_without_fragment() {
        assert!(ResourceUri::parse("https://api.example.com").is_ok());
        assert!(ResourceUri::parse("https://api.example.com/mcp?x=1").is_ok());
        assert_eq!(
            ResourceUri::parse("https://api.example.com/#top"),
            Err(ResourceUriError::Fragment)
        );
        assert_eq!(
            ResourceUri::parse("/relative"),
            Err(ResourceUriError::NotAbsolute)
        );
        assert_eq!(
            ResourceUri::parse("mailto:a@example.com"),
            Err(ResourceUriError::NotAbsolute)
        );
        assert_eq!(
            ResourceUri::parse(&format!("https://a.example/{}", "x".repeat(MAX_URI_LEN))),
            Err(ResourceUriError::TooLong)
        );
    }

    #[test]
    fn token_formats_round_trip() {
        for format in [TokenFormat::Opaque, TokenFormat::Jwt] {
            assert_eq!(TokenFormat::parse(format.as_str()), Some(format));
        }
        assert_eq!(TokenFormat::parse("JWT"), None);
    }
}
