//! Whether a URL may be fetched at all, before any DNS lookup: checked when
//! an admin registers the URL (so a bad one is refused with a message) and
//! again before every fetch (so a row written some other way is refused
//! too).

use std::net::IpAddr;

use url::{Host, Url};

use super::OutboundPolicy;
use super::address::{forbidden_address, forbidden_name};

/// The setting that allows plain http and private targets, named in messages.
pub const ALLOW_PRIVATE_VARIABLE: &str = "TESSERA_OUTBOUND_ALLOW_PRIVATE";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("`{0}` is not an absolute URL")]
    NotAUrl(String),
    #[error(
        "`{0}`: Tessera fetches only over https (plain http only when {ALLOW_PRIVATE_VARIABLE}=true, for development)"
    )]
    NotHttps(String),
    #[error("`{0}`: a URL Tessera fetches cannot carry a user name, password or fragment")]
    Unsafe(String),
    #[error(
        "`{url}` points at {why}; Tessera does not fetch from loopback, private, link-local or other non-public addresses (unless {ALLOW_PRIVATE_VARIABLE}=true, for development)"
    )]
    Forbidden { url: String, why: &'static str },
}

/// Parses and checks a URL an admin gives.
pub fn parse_url(raw: &str, policy: OutboundPolicy) -> Result<Url, UrlError> {
    let url = Url::parse(raw.trim()).map_err(|_| UrlError::NotAUrl(raw.to_owned()))?;
    check_url(&url, policy)?;
    Ok(url)
}

/// The rules for a parsed URL: https (or http when private targets are
/// allowed), no credentials or fragment, and a host that is neither a
/// local name nor a non-public address.
pub fn check_url(url: &Url, policy: OutboundPolicy) -> Result<(), UrlError> {
    let shown = || url.as_str().to_owned();
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_private => {}
        _ => return Err(UrlError::NotHttps(shown())),
    }
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
        return Err(UrlError::Unsafe(shown()));
    }
    let why = match url.host() {
        None => return Err(UrlError::NotAUrl(shown())),
        Some(_) if policy.allow_private => None,
        Some(Host::Domain(name)) => forbidden_name(name),
        Some(Host::Ipv4(ip)) => forbidden_address(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => forbidden_address(IpAddr::V6(ip)),
    };
    match why {
        Some(why) => Err(UrlError::Forbidden { url: shown(), why }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: OutboundPolicy = OutboundPolicy {
        allow_private: false,
    };
    const DEVELOPMENT: OutboundPolicy = OutboundPolicy {
        allow_private: true,
    };

    #[test]
    fn public_https_urls_are_accepted() {
        for ok in [
            "https://idp.example.com/.well-known/jwks.json",
            "https://idp.example.com:8443/keys?v=2",
            "https://8.8.8.8/jwks",
            "https://[2606:4700::1111]/jwks",
        ] {
            assert!(parse_url(ok, STRICT).is_ok(), "{ok}");
        }
    }

    #[test]
    fn plain_http_is_refused_unless_private_targets_are_allowed() {
        for bad in [
            "http://idp.example.com/jwks",
            "ftp://idp.example.com/jwks",
            "file:///etc/passwd",
        ] {
            assert!(
                matches!(parse_url(bad, STRICT), Err(UrlError::NotHttps(_))),
                "{bad}"
            );
        }
        assert!(parse_url("http://idp.example.com/jwks", DEVELOPMENT).is_ok());
        assert!(matches!(
            parse_url("file:///etc/passwd", DEVELOPMENT),
            Err(UrlError::NotHttps(_))
        ));
    }

    #[test]
    fn every_forbidden_host_class_is_refused() {
        for bad in [
            "https://10.0.0.5/jwks",
            "https://169.254.169.254/latest/meta-data/",
            "https://127.0.0.1:8443/jwks",
            "https://127.1/jwks",
            "https://2130706433/jwks",
            "https://0x7f.0.0.1/jwks",
            "https://[::1]:9/jwks",
            "https://[::ffff:127.0.0.1]/jwks",
            "https://[::ffff:a9fe:a9fe]/jwks",
            "https://[fe80::1]/jwks",
            "https://[fd00::2]/jwks",
            "https://100.64.1.1/jwks",
            "https://0.0.0.0/jwks",
            "https://[::]/jwks",
            "https://224.0.0.1/jwks",
            "https://255.255.255.255/jwks",
            "https://192.0.2.1/jwks",
            "https://localhost/jwks",
            "https://LocalHost./jwks",
            "https://idp.localhost:8080/jwks",
            "https://metadata.google.internal/computeMetadata/v1/",
        ] {
            assert!(
                matches!(parse_url(bad, STRICT), Err(UrlError::Forbidden { .. })),
                "{bad}: {:?}",
                parse_url(bad, STRICT)
            );
            assert!(parse_url(bad, DEVELOPMENT).is_ok(), "{bad}");
        }
    }

    #[test]
    fn the_message_names_the_problem_and_the_setting() {
        let message = parse_url("https://169.254.169.254/", STRICT)
            .unwrap_err()
            .to_string();
        assert!(message.contains("link-local"), "{message}");
        assert!(message.contains(ALLOW_PRIVATE_VARIABLE), "{message}");
    }

    #[test]
    fn credentials_fragments_and_relative_urls_are_refused() {
        assert!(matches!(
            parse_url("https://user:pw@idp.example.com/jwks", DEVELOPMENT),
            Err(UrlError::Unsafe(_))
        ));
        assert!(matches!(
            parse_url("https://idp.example.com/jwks#k", STRICT),
            Err(UrlError::Unsafe(_))
        ));
        assert!(matches!(
            parse_url("/jwks.json", STRICT),
            Err(UrlError::NotAUrl(_))
        ));
    }
}
