//! Minting and checking the opaque OAuth strings. Every value comes from the
//! OS CSPRNG (`crypto::random`); only SHA-256 hashes (keyed for client
//! secrets) are stored.
//!
//! - access token `tat_{site}.{expires}.{secret}.{mac}`: 128 random bits,
//!   with its site and expiry under an HMAC of the site's access-token key,
//!   so a forged, foreign or expired token is refused before any lookup;
//! - refresh token `trt_…`, code `tac_…`, client secret `tcs_…`: 256
//!   random bits in hex.

use std::fmt;

use crate::crypto::{constant_time_eq, random, sha256_hex};
use crate::sites::Site;

pub const ACCESS_PREFIX: &str = "tat_";
pub const REFRESH_PREFIX: &str = "trt_";
pub const CODE_PREFIX: &str = "tac_";
pub const SECRET_PREFIX: &str = "tcs_";
pub const CLIENT_ID_PREFIX: &str = "tc_";
/// RFC 8628 device code, RFC 9126 request URI, RFC 7591/7592 tokens.
pub const DEVICE_CODE_PREFIX: &str = "tdc_";
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:tpr_";
pub const REGISTRATION_TOKEN_PREFIX: &str = "trg_";
pub const INITIAL_ACCESS_TOKEN_PREFIX: &str = "tia_";
/// The token model's hard limit.
pub const MAX_LEN: usize = 255;
/// Access-token MACs are cut to 128 bits: plenty against forgery, shorter tokens.
const MAC_BYTES: usize = 16;

/// A secret string handed out once; `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }

    /// The SHA-256 under which the value is stored and looked up.
    pub fn hash(&self) -> String {
        hash_token(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = self.0.get(..4).unwrap_or_default();
        write!(f, "Secret({prefix}<redacted>)")
    }
}

/// How every OAuth token and code is stored.
pub fn hash_token(value: &str) -> String {
    sha256_hex(value.as_bytes())
}

pub fn mint_access_token(site: &Site, expires_at: i64) -> Secret {
    let body = format!(
        "{ACCESS_PREFIX}{}.{expires_at}.{}",
        site.id,
        random::hex_128()
    );
    let mac = site.oauth.access_token_key.mac(body.as_bytes());
    Secret(format!("{body}.{}", hex::encode(&mac[..MAC_BYTES])))
}

/// An access token whose MAC, site and expiry checked out: it may be looked up.
#[derive(Debug, Clone)]
pub struct VerifiedAccessToken {
    pub hash: String,
    pub expires_at: i64,
}

pub fn verify_access_token(site: &Site, value: &str, now: i64) -> Option<VerifiedAccessToken> {
    if value.len() > MAX_LEN {
        return None;
    }
    let rest = value.strip_prefix(ACCESS_PREFIX)?;
    let (body_rest, mac_hex) = rest.rsplit_once('.')?;
    let mut parts = body_rest.split('.');
    let site_id: i64 = parts.next()?.parse().ok()?;
    let expires_at: i64 = parts.next()?.parse().ok()?;
    let secret = parts.next()?;
    if parts.next().is_some() || site_id != site.id || secret.len() != 32 {
        return None;
    }
    let mac = hex::decode(mac_hex).ok()?;
    let body = &value[..value.len() - mac_hex.len() - 1];
    let expected = site.oauth.access_token_key.mac(body.as_bytes());
    if !constant_time_eq(&mac, &expected[..MAC_BYTES]) || expires_at <= now {
        return None;
    }
    Some(VerifiedAccessToken {
        hash: hash_token(value),
        expires_at,
    })
}

pub fn mint_refresh_token() -> Secret {
    Secret(format!("{REFRESH_PREFIX}{}", random::hex_256()))
}

pub fn mint_code() -> Secret {
    Secret(format!("{CODE_PREFIX}{}", random::hex_256()))
}

pub fn mint_device_code() -> Secret {
    Secret(format!("{DEVICE_CODE_PREFIX}{}", random::hex_256()))
}

pub fn mint_request_uri() -> Secret {
    Secret(format!("{REQUEST_URI_PREFIX}{}", random::hex_256()))
}

pub fn mint_registration_token() -> Secret {
    Secret(format!("{REGISTRATION_TOKEN_PREFIX}{}", random::hex_256()))
}

pub fn mint_initial_access_token() -> Secret {
    Secret(format!(
        "{INITIAL_ACCESS_TOKEN_PREFIX}{}",
        random::hex_256()
    ))
}

pub fn mint_client_secret() -> Secret {
    Secret(format!("{SECRET_PREFIX}{}", random::hex_256()))
}

pub fn mint_client_id() -> String {
    format!("{CLIENT_ID_PREFIX}{}", &random::hex_128()[..24])
}

/// The keyed hash a client secret is stored as: HMAC-SHA256 under the
/// site's client-secret key, bound to the client id. A 256-bit random
/// secret needs no stretching, so this costs a microsecond, not argon2's 20 ms.
pub fn client_secret_hash(site: &Site, client_id: &str, secret: &str) -> String {
    let message = format!("{client_id}\n{secret}");
    hex::encode(site.oauth.client_secret_key.mac(message.as_bytes()))
}

/// Checks a presented secret against the stored hash in constant time.
pub fn client_secret_matches(
    site: &Site,
    client_id: &str,
    presented: &str,
    stored_hash: &str,
) -> bool {
    let Ok(stored) = hex::decode(stored_hash) else {
        return false;
    };
    let message = format!("{client_id}\n{presented}");
    constant_time_eq(
        &site.oauth.client_secret_key.mac(message.as_bytes()),
        &stored,
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::crypto::MasterKey;
    use crate::store::SiteRecord;

    pub fn site(id: i64, master: &MasterKey) -> Site {
        let record = SiteRecord {
            id,
            slug: format!("s{id}"),
            name: "Test".into(),
            base_url: "http://localhost:8080".into(),
            session_ttl_secs: 3600,
            access_token_ttl_secs: 3600,
            admin_access_token_ttl_secs: 900,
            refresh_token_ttl_secs: 1_209_600,
            ..SiteRecord::default()
        };
        Site::from_record(record, vec![], master).unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn access_tokens_verify_only_on_their_site_before_expiry() {
        let master = MasterKey::generate();
        let (a, b) = (site(1, &master), site(2, &master));
        let token = mint_access_token(&a, 2_000);
        assert!(token.expose().len() <= MAX_LEN);
        assert!(token.expose().starts_with(ACCESS_PREFIX));
        let verified = verify_access_token(&a, token.expose(), 1_000).map(|v| v.hash);
        assert_eq!(verified, Some(token.hash()));
        assert!(verify_access_token(&a, token.expose(), 2_000).is_none());
        assert!(verify_access_token(&b, token.expose(), 1_000).is_none());
        let tampered = token.expose().replacen(".2000.", ".9000.", 1);
        assert!(verify_access_token(&a, &tampered, 1_000).is_none());
    }

    #[test]
    fn client_secrets_match_only_their_own_client() {
        let master = MasterKey::generate();
        let site = site(1, &master);
        let secret = mint_client_secret();
        let stored = client_secret_hash(&site, "tc_a", secret.expose());
        assert!(client_secret_matches(
            &site,
            "tc_a",
            secret.expose(),
            &stored
        ));
        assert!(!client_secret_matches(
            &site,
            "tc_b",
            secret.expose(),
            &stored
        ));
        assert!(!client_secret_matches(&site, "tc_a", "tcs_wrong", &stored));
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        let secret = mint_refresh_token();
        assert_eq!(format!("{secret:?}"), "Secret(trt_<redacted>)");
    }
}
