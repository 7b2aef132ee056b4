//! Browser API tokens (spec 3.2): the origins a token trusts, and the CORS
//! answer that follows, as plain data for the HTTP layer to write out.
//!
//! Pattern forms, comma-separated in a list:
//! - `https://app.example.com`, `http://localhost:3000`: exact origin.
//! - `app.example.com`: no scheme given, so `https`; no port given, so the
//!   scheme's default. Scheme and port are respected whenever given and
//!   default otherwise: `app.example.com` does not trust
//!   `http://app.example.com` nor `https://app.example.com:8443`.
//! - `*.example.com` (with optional scheme and port): any host one label or
//!   more below `example.com`, never `example.com` itself (list it too if
//!   wanted). The parent needs two labels (`*.com` is refused) except
//!   `*.localhost`, which only ever names this machine.
//!
//! Hosts compare case-insensitively; an explicit default port equals none.
//! Anything else (paths, queries, credentials, other schemes, `*` elsewhere,
//! non-ASCII hosts: use the punycode form) is refused when the token is made.
//!
//! The key itself is public (it sits in a page's JavaScript) and carries no
//! permissions: it only names the patterns. See [`cors`] for the answer.

pub mod cors;

use std::fmt;

pub use cors::{CorsAnswer, CorsRequest, OriginCheck};

use crate::crypto::random;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn parse(raw: &str) -> Option<Scheme> {
        match raw.to_ascii_lowercase().as_str() {
            "http" => Some(Scheme::Http),
            "https" => Some(Scheme::Https),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// A web origin, `scheme://host[:port]`, with the host lower-cased and the
/// port made explicit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    #[error("the opaque origin `null` is never trusted")]
    Null,
    #[error("not an http(s) origin of the form scheme://host[:port]")]
    Malformed,
}

impl Origin {
    /// Parses an `Origin` header value. Refuses `null`, paths (even `/`),
    /// queries, credentials and schemes other than http and https.
    pub fn parse(raw: &str) -> Result<Origin, OriginError> {
        if raw.eq_ignore_ascii_case("null") {
            return Err(OriginError::Null);
        }
        let (scheme, authority) = raw.split_once("://").ok_or(OriginError::Malformed)?;
        let scheme = Scheme::parse(scheme).ok_or(OriginError::Malformed)?;
        let (host, port) = split_authority(authority).map_err(|_| OriginError::Malformed)?;
        if !is_valid_host(&host) {
            return Err(OriginError::Malformed);
        }
        Ok(Origin {
            port: port.unwrap_or(scheme.default_port()),
            scheme,
            host,
        })
    }

    /// The origin of a site's base URL (its path, if any, is ignored).
    pub fn from_base_url(base_url: &str) -> Result<Origin, OriginError> {
        let url = url::Url::parse(base_url).map_err(|_| OriginError::Malformed)?;
        let scheme = Scheme::parse(url.scheme()).ok_or(OriginError::Malformed)?;
        let host = url.host_str().ok_or(OriginError::Malformed)?;
        Ok(Origin {
            host: host.to_ascii_lowercase(),
            port: url.port().unwrap_or(scheme.default_port()),
            scheme,
        })
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.host)?;
        if self.port != self.scheme.default_port() {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Exact(String),
    /// `*.parent`: strictly below `parent`.
    Below(String),
}

/// One trusted-origin pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginPattern {
    scheme: Scheme,
    host: HostPattern,
    port: u16,
}

/// Why a pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("the list of origins is empty")]
    EmptyList,
    #[error("an entry in the list of origins is empty")]
    EmptyEntry,
    #[error("`{0}`: only http and https origins can be trusted")]
    UnsupportedScheme(String),
    #[error("`{0}`: an origin has no path, query or fragment")]
    HasPath(String),
    #[error("`{0}`: an origin has no user name or password")]
    HasCredentials(String),
    #[error("`{0}`: the port must be a number from 1 to 65535")]
    BadPort(String),
    #[error("`{0}`: not a valid host name (use the punycode form for international names)")]
    BadHost(String),
    #[error("`{0}`: a wildcard is only allowed as the whole first label, as in `*.example.com`")]
    BadWildcard(String),
    #[error("`{0}`: the wildcard is too broad; name at least two labels after `*.`")]
    WildcardTooBroad(String),
}

impl OriginPattern {
    pub fn parse(raw: &str) -> Result<OriginPattern, PatternError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(PatternError::EmptyEntry);
        }
        let (scheme, authority) = match raw.split_once("://") {
            Some((scheme, rest)) => (
                Scheme::parse(scheme).ok_or_else(|| PatternError::UnsupportedScheme(raw.into()))?,
                rest,
            ),
            None if raw.contains(':') && !raw.starts_with('[') && !ends_with_port(raw) => {
                // `ftp:foo`, `javascript:…`: a scheme without `//`.
                return Err(PatternError::UnsupportedScheme(raw.into()));
            }
            None => (Scheme::Https, raw),
        };
        let (host, port) = split_authority(authority).map_err(|problem| match problem {
            AuthorityProblem::Path => PatternError::HasPath(raw.into()),
            AuthorityProblem::Credentials => PatternError::HasCredentials(raw.into()),
            AuthorityProblem::Port => PatternError::BadPort(raw.into()),
            AuthorityProblem::Host => PatternError::BadHost(raw.into()),
        })?;
        let host = match host.strip_prefix("*.") {
            Some(parent) => {
                if parent.contains('*') {
                    return Err(PatternError::BadWildcard(raw.into()));
                }
                if !is_valid_host(parent) || parent.starts_with('[') {
                    return Err(PatternError::BadHost(raw.into()));
                }
                let labels = parent.split('.').count();
                let numeric = parent.bytes().all(|b| b.is_ascii_digit() || b == b'.');
                if numeric || (labels < 2 && parent != "localhost") {
                    return Err(PatternError::WildcardTooBroad(raw.into()));
                }
                HostPattern::Below(parent.to_owned())
            }
            None if host.contains('*') => return Err(PatternError::BadWildcard(raw.into())),
            None if !is_valid_host(&host) => return Err(PatternError::BadHost(raw.into())),
            None => HostPattern::Exact(host),
        };
        Ok(OriginPattern {
            port: port.unwrap_or(scheme.default_port()),
            scheme,
            host,
        })
    }

    pub fn matches(&self, origin: &Origin) -> bool {
        if origin.scheme != self.scheme || origin.port != self.port {
            return false;
        }
        match &self.host {
            HostPattern::Exact(host) => origin.host == *host,
            HostPattern::Below(parent) => origin
                .host
                .strip_suffix(parent.as_str())
                .and_then(|prefix| prefix.strip_suffix('.'))
                .is_some_and(|labels| !labels.is_empty()),
        }
    }
}

impl fmt::Display for OriginPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://", self.scheme.as_str())?;
        match &self.host {
            HostPattern::Exact(host) => f.write_str(host)?,
            HostPattern::Below(parent) => write!(f, "*.{parent}")?,
        }
        if self.port != self.scheme.default_port() {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

/// A browser token's trusted origins: a non-empty, de-duplicated list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginPatterns(Vec<OriginPattern>);

impl OriginPatterns {
    /// Parses a comma-separated list; any bad entry refuses the whole list.
    pub fn parse(list: &str) -> Result<OriginPatterns, PatternError> {
        if list.trim().is_empty() {
            return Err(PatternError::EmptyList);
        }
        let mut patterns: Vec<OriginPattern> = Vec::new();
        for entry in list.split(',') {
            let pattern = OriginPattern::parse(entry)?;
            if !patterns.contains(&pattern) {
                patterns.push(pattern);
            }
        }
        Ok(OriginPatterns(patterns))
    }

    pub fn patterns(&self) -> &[OriginPattern] {
        &self.0
    }

    /// Whether a raw `Origin` header value is trusted; `null`, paths and
    /// anything unparseable never are.
    pub fn matches(&self, origin: &str) -> bool {
        Origin::parse(origin).is_ok_and(|origin| self.matches_origin(&origin))
    }

    pub fn matches_origin(&self, origin: &Origin) -> bool {
        self.0.iter().any(|pattern| pattern.matches(origin))
    }
}

/// The canonical list, as stored and shown: `https://a.example.com, https://*.example.com`.
impl fmt::Display for OriginPatterns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, pattern) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{pattern}")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthorityProblem {
    Path,
    Credentials,
    Port,
    Host,
}

/// Splits `host[:port]` (or `[v6][:port]`), lower-casing the host.
fn split_authority(authority: &str) -> Result<(String, Option<u16>), AuthorityProblem> {
    if authority.contains(['/', '?', '#', '\\']) {
        return Err(AuthorityProblem::Path);
    }
    if authority.contains('@') {
        return Err(AuthorityProblem::Credentials);
    }
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (inside, after) = rest.split_once(']').ok_or(AuthorityProblem::Host)?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(AuthorityProblem::Host)?),
        };
        (format!("[{inside}]"), port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host.to_owned(), Some(port)),
            None => (authority.to_owned(), None),
        }
    };
    let port = match port {
        None => None,
        Some(digits) => Some(parse_port(digits).ok_or(AuthorityProblem::Port)?),
    };
    if host.is_empty() {
        return Err(AuthorityProblem::Host);
    }
    Ok((host.to_ascii_lowercase(), port))
}

fn parse_port(digits: &str) -> Option<u16> {
    if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u16>().ok().filter(|port| *port != 0)
}

/// `host:` followed by digits or nothing (a bad port, reported as such).
fn ends_with_port(raw: &str) -> bool {
    raw.rsplit_once(':')
        .is_some_and(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
}

/// A DNS name of letter-digit-hyphen labels (underscores tolerated), or a
/// bracketed IPv6 literal. The host is already lower-cased.
fn is_valid_host(host: &str) -> bool {
    if let Some(inside) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return !inside.is_empty()
            && inside.contains(':')
            && inside
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
    }
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
}

/// A new browser token key: 128 random bits as 32 lower-case hex
/// characters, so never mistaken for a `tkn_…` server token.
pub fn generate_key() -> String {
    random::hex_128()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns(list: &str) -> OriginPatterns {
        OriginPatterns::parse(list).unwrap()
    }

    fn origin(raw: &str) -> Origin {
        Origin::parse(raw).unwrap()
    }

    #[test]
    fn generated_keys_are_hex_and_unique() {
        let key = generate_key();
        assert_eq!(key.len(), 32);
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(key, generate_key());
    }

    #[test]
    fn an_exact_pattern_matches_only_that_origin() {
        let p = patterns("https://app.example.com");
        assert!(p.matches("https://app.example.com"));
        assert!(p.matches("https://app.example.com:443"));
        assert!(!p.matches("http://app.example.com"));
        assert!(!p.matches("https://app.example.com:8443"));
        assert!(!p.matches("https://example.com"));
        assert!(!p.matches("https://x.app.example.com"));
        assert!(!p.matches("https://app.example.com.evil.com"));
        assert!(!p.matches("https://evilapp.example.com"));
    }

    #[test]
    fn a_bare_host_means_https_on_the_default_port() {
        let p = patterns("app.example.com");
        assert!(p.matches("https://app.example.com"));
        assert!(!p.matches("http://app.example.com"));
        assert!(!p.matches("https://app.example.com:8443"));
        let with_port = patterns("app.example.com:8443");
        assert!(with_port.matches("https://app.example.com:8443"));
        assert!(!with_port.matches("https://app.example.com"));
        assert!(!with_port.matches("http://app.example.com:8443"));
    }

    #[test]
    fn scheme_and_port_are_respected_when_given() {
        let p = patterns("http://localhost:3000");
        assert!(p.matches("http://localhost:3000"));
        assert!(!p.matches("https://localhost:3000"));
        assert!(!p.matches("http://localhost:3001"));
        assert!(!p.matches("http://localhost"));
        let http = patterns("http://app.example.com");
        assert!(http.matches("http://app.example.com:80"));
        assert!(!http.matches("https://app.example.com"));
    }

    #[test]
    fn a_wildcard_matches_any_depth_below_but_never_the_parent() {
        let p = patterns("*.example.com");
        assert!(p.matches("https://app.example.com"));
        assert!(p.matches("https://a.b.c.example.com"));
        assert!(!p.matches("https://example.com"));
        assert!(!p.matches("https://evilexample.com"));
        assert!(!p.matches("https://example.com.evil.com"));
        assert!(!p.matches("https://app.example.com.evil.com"));
        assert!(!p.matches("https://app.example.co"));
        assert!(!p.matches("http://app.example.com"));
        assert!(!p.matches("https://app.example.com:8443"));
    }

    #[test]
    fn a_wildcard_with_scheme_and_port() {
        let p = patterns("http://*.dev.example.com:8080");
        assert!(p.matches("http://a.dev.example.com:8080"));
        assert!(!p.matches("http://a.dev.example.com"));
        assert!(!p.matches("https://a.dev.example.com:8080"));
        assert!(!p.matches("http://dev.example.com:8080"));
    }

    #[test]
    fn the_parent_is_trusted_only_when_listed_too() {
        let p = patterns("*.example.com, example.com");
        assert!(p.matches("https://example.com"));
        assert!(p.matches("https://www.example.com"));
    }

    #[test]
    fn hosts_compare_without_regard_to_case() {
        let p = patterns("HTTPS://App.Example.COM, *.Corp.Example.NET");
        assert!(p.matches("https://app.example.com"));
        assert!(p.matches("https://APP.EXAMPLE.COM"));
        assert!(p.matches("https://X.corp.example.net"));
        assert_eq!(
            p.to_string(),
            "https://app.example.com, https://*.corp.example.net"
        );
    }

    #[test]
    fn comma_lists_are_trimmed_deduplicated_and_printed_canonically() {
        let p = patterns(" app.example.com ,https://app.example.com:443,http://localhost:3000 ");
        assert_eq!(p.patterns().len(), 2);
        assert_eq!(
            p.to_string(),
            "https://app.example.com, http://localhost:3000"
        );
        assert_eq!(OriginPatterns::parse(&p.to_string()), Ok(p));
    }

    #[test]
    fn ipv6_and_localhost_wildcards() {
        let p = patterns("http://[::1]:8080, http://*.localhost:5173");
        assert!(p.matches("http://[::1]:8080"));
        assert!(p.matches("http://app.localhost:5173"));
        assert!(!p.matches("http://localhost:5173"));
    }

    type Refusal = fn(String) -> PatternError;

    #[test]
    fn malformed_patterns_are_refused_with_a_reason() {
        use PatternError::*;
        let cases: &[(&str, Refusal)] = &[
            ("ftp://example.com", UnsupportedScheme),
            ("javascript:alert(1)", UnsupportedScheme),
            ("https://example.com/", HasPath),
            ("https://example.com/app", HasPath),
            ("https://example.com?x=1", HasPath),
            ("https://example.com#top", HasPath),
            ("https://user:pw@example.com", HasCredentials),
            ("https://example.com:0", BadPort),
            ("https://example.com:65536", BadPort),
            ("https://example.com:", BadPort),
            ("https://example.com:80a", BadPort),
            ("example.com:", BadPort),
            ("https://exa mple.com", BadHost),
            ("https://-bad.example.com", BadHost),
            ("https://bücher.example", BadHost),
            ("https://example..com", BadHost),
            ("https://", BadHost),
            ("*", BadWildcard),
            ("*example.com", BadWildcard),
            ("app.*.example.com", BadWildcard),
            ("*.*.example.com", BadWildcard),
            ("https://**.example.com", BadWildcard),
            ("*.com", WildcardTooBroad),
            ("*.10.0.0.1", WildcardTooBroad),
            ("*.", BadHost),
        ];
        for (raw, expected) in cases {
            assert_eq!(
                OriginPattern::parse(raw),
                Err(expected((*raw).to_owned())),
                "{raw}"
            );
        }
    }

    #[test]
    fn empty_lists_and_entries_are_refused() {
        assert_eq!(OriginPatterns::parse(""), Err(PatternError::EmptyList));
        assert_eq!(OriginPatterns::parse("  "), Err(PatternError::EmptyList));
        assert_eq!(
            OriginPatterns::parse("a.example.com,,b.example.com"),
            Err(PatternError::EmptyEntry)
        );
        assert_eq!(
            OriginPatterns::parse("a.example.com,"),
            Err(PatternError::EmptyEntry)
        );
        assert_eq!(
            OriginPatterns::parse("a.example.com, https://b.example.com/x"),
            Err(PatternError::HasPath("https://b.example.com/x".into()))
        );
    }

    #[test]
    fn origins_that_are_not_plain_origins_never_match() {
        let p = patterns("*.example.com, example.com");
        for raw in [
            "null",
            "NULL",
            "",
            "example.com",
            "https://example.com/",
            "https://app.example.com/path",
            "https://app.example.com?q",
            "https://user@app.example.com",
            "file://app.example.com",
            "https://app.example.com\r\nX-Evil: 1",
            "https://app.example.com:99999",
        ] {
            assert!(!p.matches(raw), "{raw:?}");
        }
        assert_eq!(Origin::parse("null"), Err(OriginError::Null));
    }

    #[test]
    fn origins_normalise_case_and_default_ports() {
        assert_eq!(
            origin("HTTPS://App.Example.com:443"),
            origin("https://app.example.com")
        );
        assert_eq!(origin("http://a.example.com").port, 80);
        assert_eq!(
            origin("https://a.example.com:8443").to_string(),
            "https://a.example.com:8443"
        );
        assert_eq!(
            origin("https://a.example.com:443").to_string(),
            "https://a.example.com"
        );
        assert_eq!(
            Origin::from_base_url("http://localhost:8080/")
                .unwrap()
                .to_string(),
            "http://localhost:8080"
        );
    }
}
