//! Sites (tenants) and the registry that routes a request to one by its
//! `Host` header. The registry is an in-memory snapshot, reloaded when the
//! change feed says a site changed or when an unknown host shows up.

pub mod look;
mod registry;

use url::Url;

pub use registry::SiteRegistry;

use crate::crypto::{KeyPurpose, MasterKey, SubKey};
use crate::oauth::fapi::SecurityProfile;
use crate::second_factor::SecondFactorPolicy;
use crate::store::SiteRecord;

/// A site as the request path sees it: its record plus derived keys.
#[derive(Debug)]
pub struct Site {
    pub id: i64,
    pub slug: String,
    /// The slug as a response header value, built once (forward-auth's
    /// `X-Tessera-Site`).
    pub slug_header: actix_web::http::header::HeaderValue,
    pub name: String,
    pub base_url: Url,
    /// The base URL without a trailing slash: the OAuth issuer.
    pub issuer: String,
    pub session_ttl_secs: i64,
    pub hosts: Vec<String>,
    pub authtoken_key: SubKey,
    pub csrf_key: SubKey,
    pub oauth: OAuthSettings,
    /// The site's own rate limits, over the deployment's (`crate::ratelimit`).
    pub rate_limits: crate::ratelimit::LimitTable,
    /// The base URL's origin, parsed once for same-origin checks.
    pub origin: Option<crate::tokens::browser::Origin>,
    /// Sign-up policy and the sender of the site's messages (`crate::accounts`).
    pub accounts: crate::accounts::AccountSettings,
    /// Who must use a second factor (`second_factor`).
    pub second_factor_policy: crate::second_factor::SecondFactorPolicy,
    /// The language of visitors whose browser asks for none Tessera
    /// speaks, and of emails to people who chose none (`i18n`).
    pub default_locale: crate::i18n::Locale,
    /// Display name, logo and accent colour of the pages.
    pub look: look::Look,
}

/// A site's OAuth settings and keys.
#[derive(Debug)]
pub struct OAuthSettings {
    pub access_token_ttl_secs: i64,
    /// Access tokens that carry the `admin` scope live this long instead.
    pub admin_access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    /// How long a rotated refresh token stays usable (0: not at all).
    pub refresh_grace_secs: i64,
    /// MACs access tokens, so forged ones fail before any lookup.
    pub access_token_key: SubKey,
    /// Keys the client-secret hashes.
    pub client_secret_key: SubKey,
    /// MACs the consent form's token.
    pub consent_key: SubKey,
    /// Whether DPoP proofs must carry a server nonce (RFC 9449 section 8),
    /// and the key those stateless nonces are MAC'd with.
    pub dpop_nonce_required: bool,
    pub dpop_nonce_key: SubKey,
    /// `fapi2`: the FAPI 2.0 Security Profile is enforced (`oauth::fapi`).
    pub profile: crate::oauth::fapi::SecurityProfile,
    /// Whether a `client_id` that is an https URL is resolved by fetching
    /// its Client ID Metadata Document (`oauth::metadata_document`).
    pub client_id_metadata_documents: bool,
    /// Whether authorization requests must be pushed (RFC 9126).
    pub par_required: bool,
}

impl Site {
    pub fn from_record(record: SiteRecord, hosts: Vec<String>, master: &MasterKey) -> Option<Self> {
        let base_url = Url::parse(&record.base_url).ok()?;
        // Written only through a check, so a bad value is a hand edit: say
        // so and fall back to the deployment's limits.
        let rate_limits =
            crate::ratelimit::LimitTable::parse(&record.rate_limits).unwrap_or_else(|e| {
                tracing::warn!(site = %record.slug, "ignoring the site's rate limits: {e}");
                crate::ratelimit::LimitTable::default()
            });
        // Written only through a check too: an unknown name is a hand edit,
        // and the site keeps the stricter reading of it.
        let profile = match record.security_profile.as_str() {
            "" => SecurityProfile::Default,
            raw => SecurityProfile::parse(raw).unwrap_or_else(|| {
                tracing::warn!(site = %record.slug, "unknown security profile; enforcing fapi2");
                SecurityProfile::Fapi2
            }),
        };
        let accounts = crate::accounts::AccountSettings::from_record(&record);
        // Written only through a check too: an unknown name is a hand edit,
        // and the site keeps the stricter reading of it.
        let second_factor_policy = match record.second_factor_policy.as_str() {
            "" => SecondFactorPolicy::Optional,
            raw => SecondFactorPolicy::parse(raw).unwrap_or_else(|| {
                tracing::warn!(site = %record.slug, "unknown second-factor policy; requiring everyone");
                SecondFactorPolicy::Everyone
            }),
        };
        let default_locale = crate::i18n::Locale::parse(&record.default_locale).unwrap_or_default();
        let look = look::Look::from_stored(
            record.display_name.as_deref(),
            record.logo_url.as_deref(),
            record.accent_colour.as_deref(),
        );
        Some(Site {
            default_locale,
            look,
            accounts,
            second_factor_policy,
            rate_limits,
            id: record.id,
            issuer: record.base_url.trim_end_matches('/').to_string(),
            slug_header: actix_web::http::header::HeaderValue::from_str(&record.slug).ok()?,
            slug: record.slug,
            name: record.name,
            base_url,
            session_ttl_secs: record.session_ttl_secs,
            hosts,
            origin: crate::tokens::browser::Origin::from_base_url(&record.base_url).ok(),
            authtoken_key: master.derive(KeyPurpose::Authtoken, record.id),
            csrf_key: master.derive(KeyPurpose::Csrf, record.id),
            oauth: OAuthSettings {
                access_token_ttl_secs: record.access_token_ttl_secs,
                admin_access_token_ttl_secs: record.admin_access_token_ttl_secs,
                refresh_token_ttl_secs: record.refresh_token_ttl_secs,
                refresh_grace_secs: record.refresh_grace_secs,
                access_token_key: master.derive(KeyPurpose::OAuthAccessToken, record.id),
                client_secret_key: master.derive(KeyPurpose::ClientSecret, record.id),
                consent_key: master.derive(KeyPurpose::OAuthConsent, record.id),
                dpop_nonce_required: record.dpop_nonce_required,
                dpop_nonce_key: master.derive(KeyPurpose::DpopNonce, record.id),
                profile,
                client_id_metadata_documents: record.client_id_metadata_documents,
                par_required: record.par_required,
            },
        })
    }

    /// The name people see: the display name when one is set.
    pub fn shown_name(&self) -> &str {
        self.look.display_name.as_deref().unwrap_or(&self.name)
    }

    /// Cookies carry `Secure` whenever the site is served over https.
    pub fn is_https(&self) -> bool {
        self.base_url.scheme() == "https"
    }

    /// An absolute URL on this site, built from the configured base URL and
    /// never from the request.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.issuer, path)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SiteInputError {
    #[error("`{0}` is not a valid URL")]
    InvalidUrl(String),
    #[error("the base URL must use http or https")]
    Scheme,
    #[error("the base URL must name a host")]
    NoHost,
    #[error("the base URL must not have a path, query or fragment (Tessera serves at the root)")]
    HasPath,
    #[error("a site slug is 1 to 40 lower-case letters, digits and dashes, starting with a letter")]
    Slug,
    #[error("`{0}` is not a host name with an optional port")]
    Host(String),
}

pub fn parse_base_url(raw: &str) -> Result<Url, SiteInputError> {
    let url = Url::parse(raw.trim()).map_err(|_| SiteInputError::InvalidUrl(raw.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(SiteInputError::Scheme);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(SiteInputError::NoHost);
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(SiteInputError::HasPath);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(SiteInputError::InvalidUrl(raw.to_string()));
    }
    Ok(url)
}

/// `host[:port]` as a browser sends it in `Host` for this URL: lower case,
/// the port only when it is not the scheme's default.
pub fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

pub fn validate_slug(slug: &str) -> Result<(), SiteInputError> {
    let ok = (1..=40).contains(&slug.len())
        && slug.starts_with(|c: char| c.is_ascii_lowercase())
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(())
    } else {
        Err(SiteInputError::Slug)
    }
}

/// Parses an alias given on the command line (`docs.local:8080`, `[::1]:8080`).
pub fn parse_host_alias(raw: &str) -> Result<String, SiteInputError> {
    let candidate = format!("http://{}/", raw.trim());
    match Url::parse(&candidate) {
        Ok(url)
            if url.host_str().is_some()
                && url.path() == "/"
                && url.username().is_empty()
                && !raw.contains('/') =>
        {
            Ok(host_of(&url))
        }
        _ => Err(SiteInputError::Host(raw.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_must_be_bare_http_origins() {
        assert!(parse_base_url("https://docs.example.com").is_ok());
        assert!(parse_base_url("http://localhost:8080/").is_ok());
        assert!(matches!(
            parse_base_url("ftp://x"),
            Err(SiteInputError::Scheme)
        ));
        assert!(matches!(
            parse_base_url("https://x.example/app"),
            Err(SiteInputError::HasPath)
        ));
        assert!(parse_base_url("not a url").is_err());
    }

    #[test]
    fn host_of_drops_default_ports() {
        let https = parse_base_url("https://Docs.Example.com:443").map(|u| host_of(&u));
        assert_eq!(https.ok().as_deref(), Some("docs.example.com"));
        let dev = parse_base_url("http://localhost:8080").map(|u| host_of(&u));
        assert_eq!(dev.ok().as_deref(), Some("localhost:8080"));
    }

    #[test]
    fn aliases_accept_ipv6_and_ports_but_not_paths() {
        assert_eq!(
            parse_host_alias("[::1]:8080").ok().as_deref(),
            Some("[::1]:8080")
        );
        assert_eq!(
            parse_host_alias("Docs.Local").ok().as_deref(),
            Some("docs.local")
        );
        assert!(parse_host_alias("evil.com/path").is_err());
        assert!(parse_host_alias("user@host").is_err());
    }

    #[test]
    fn slugs_are_short_and_plain() {
        assert!(validate_slug("docs-2").is_ok());
        assert!(validate_slug("Docs").is_err());
        assert!(validate_slug("2docs").is_err());
        assert!(validate_slug("").is_err());
    }
}
