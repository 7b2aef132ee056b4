//! Protected resource metadata (RFC 9728) for the site's own API: what a
//! client that met a bare 401 needs to find the authorization server. The
//! API's resource identifier is the site's issuer URL (the audience of
//! tokens issued without `resource`), so the document lives at
//! `/.well-known/oauth-protected-resource` with no path suffix.

use serde::Serialize;

use super::dpop;
use super::scopes::Scope;
use crate::sites::Site;

/// Where the document is served, relative to the site's base URL.
pub const PATH: &str = "/.well-known/oauth-protected-resource";

/// RFC 9728 section 2.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProtectedResourceMetadata {
    /// The API's resource identifier: the site's issuer URL.
    pub resource: String,
    /// The one authorization server: this site.
    pub authorization_servers: Vec<String>,
    pub scopes_supported: Vec<&'static str>,
    /// Tokens are accepted in the `Authorization` header only.
    pub bearer_methods_supported: [&'static str; 1],
    /// RFC 9449: DPoP-bound tokens are accepted, with proofs in these
    /// algorithms (on a FAPI 2.0 site, only those the profile allows).
    pub dpop_signing_alg_values_supported: Vec<&'static str>,
    pub resource_documentation: String,
}

pub fn protected_resource_metadata(site: &Site) -> ProtectedResourceMetadata {
    ProtectedResourceMetadata {
        resource: site.issuer.clone(),
        authorization_servers: vec![site.issuer.clone()],
        scopes_supported: Scope::ALL.iter().map(|s| s.as_str()).collect(),
        bearer_methods_supported: ["header"],
        dpop_signing_alg_values_supported: dpop::site_alg_names(site.oauth.profile),
        resource_documentation: site.url("/developers"),
    }
}

/// A `Bearer` or `DPoP` challenge with RFC 9728 section 5.1's
/// `resource_metadata` parameter added; other challenges unchanged.
pub fn with_resource_metadata(challenge: &str, metadata_url: &str) -> Option<String> {
    let (scheme, params) = challenge
        .split_once(' ')
        .map_or((challenge, ""), |(s, p)| (s, p.trim()));
    let resource_scheme =
        scheme.eq_ignore_ascii_case("Bearer") || scheme.eq_ignore_ascii_case(dpop::TOKEN_TYPE);
    if !resource_scheme || params.contains("resource_metadata=") {
        return None;
    }
    let parameter = format!(r#"resource_metadata="{metadata_url}""#);
    Some(if params.is_empty() {
        format!("{scheme} {parameter}")
    } else {
        format!("{scheme} {params}, {parameter}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_dpop_challenges_gain_resource_metadata() {
        let url = "https://a.example/.well-known/oauth-protected-resource";
        assert_eq!(
            with_resource_metadata("Bearer", url).as_deref(),
            Some(
                r#"Bearer resource_metadata="https://a.example/.well-known/oauth-protected-resource""#
            )
        );
        assert_eq!(
            with_resource_metadata(r#"Bearer error="invalid_token""#, url).as_deref(),
            Some(
                r#"Bearer error="invalid_token", resource_metadata="https://a.example/.well-known/oauth-protected-resource""#
            )
        );
        assert!(
            with_resource_metadata(r#"DPoP algs="ES256""#, url)
                .is_some_and(|c| c.starts_with(r#"DPoP algs="ES256", resource_metadata=""#))
        );
        assert_eq!(
            with_resource_metadata(r#"Basic realm="tessera""#, url),
            None
        );
    }
}
