//! Minting and checking the opaque OAuth strings. Every value comes from the
//! OS CSPRNG (`crypto::random`); only SHA-256 hashes (keyed for client
//! secrets) are stored.
//!
//! - access token `tat_` + base64url of its claims (site, client, user,
//!   grant, scopes, times, DPoP key, resource, a random id) and a 128-bit
//!   HMAC of the site's access-token key: it is never stored, and checked
//!   without a lookup ([`AccessClaims`]);
//! - refresh token `trt_…`, code `tac_…`, client secret `tcs_…`: 256
//!   random bits in hex.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::scopes::ScopeSet;
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
/// No access token lives longer, whatever a site sets: revocations are
/// remembered a little longer than this (`revocations::KEEP_SECS`).
pub const MAX_ACCESS_TTL_SECS: i64 = 12 * 60 * 60;
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

/// What an access token says about itself, under the site's MAC: all that
/// checking it needs, so a token is issued without a write and checked
/// without a read. Revocation is looked up in memory (`revocations.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    /// Random; what revoking this one token records.
    pub token_id: i64,
    pub site_id: i64,
    /// The client's row id.
    pub client_pk: i64,
    pub user_id: Option<i64>,
    /// The grant (consent + refresh family) behind a user's token.
    pub grant_id: Option<i64>,
    pub scopes: ScopeSet,
    pub issued_at: i64,
    pub expires_at: i64,
    /// RFC 9449: the SHA-256 thumbprint of the key the token is bound to.
    pub jkt: Option<[u8; 32]>,
    /// RFC 8707: the registered resource's row id; `None`: the site's own API.
    pub resource_id: Option<i64>,
}

/// Layout version and MAC key of the access-token body. A new layout or a
/// rotated key gets a new value; tokens of an unknown one are refused.
const ACCESS_FORMAT: u8 = 1;
const HAS_USER: u8 = 1;
const HAS_GRANT: u8 = 2;
const HAS_JKT: u8 = 4;
const HAS_RESOURCE: u8 = 8;
/// Format, flags, scopes, then six integers; then the optional parts.
const FIXED_BODY: usize = 3 + 6 * 8;
const MAX_BODY: usize = FIXED_BODY + 2 * 8 + 32 + 8;

/// `tat_` and the base64url of the claims in a fixed binary layout, then
/// 128 bits of HMAC-SHA256 under the site's access-token key (over the
/// prefix and body). At most 168 characters.
pub fn mint_access_token(site: &Site, claims: &AccessClaims) -> Secret {
    let mut body = Vec::with_capacity(MAX_BODY + MAC_BYTES);
    let flag = |present: bool, bit: u8| if present { bit } else { 0 };
    let flags = flag(claims.user_id.is_some(), HAS_USER)
        | flag(claims.grant_id.is_some(), HAS_GRANT)
        | flag(claims.jkt.is_some(), HAS_JKT)
        | flag(claims.resource_id.is_some(), HAS_RESOURCE);
    body.extend_from_slice(&[ACCESS_FORMAT, flags, claims.scopes.bits()]);
    for n in [
        claims.site_id,
        claims.token_id,
        claims.client_pk,
        claims.issued_at,
        claims.expires_at,
        0,
    ] {
        body.extend_from_slice(&n.to_be_bytes());
    }
    for n in [claims.user_id, claims.grant_id].into_iter().flatten() {
        body.extend_from_slice(&n.to_be_bytes());
    }
    if let Some(jkt) = &claims.jkt {
        body.extend_from_slice(jkt);
    }
    if let Some(resource) = claims.resource_id {
        body.extend_from_slice(&resource.to_be_bytes());
    }
    let mac = access_mac(site, &body);
    body.extend_from_slice(&mac[..MAC_BYTES]);
    let mut value = String::with_capacity(ACCESS_PREFIX.len() + body.len().div_ceil(3) * 4);
    value.push_str(ACCESS_PREFIX);
    URL_SAFE_NO_PAD.encode_string(&body, &mut value);
    Secret(value)
}

fn access_mac(site: &Site, body: &[u8]) -> [u8; 32] {
    site.oauth
        .access_token_key
        .mac_parts(&[ACCESS_PREFIX.as_bytes(), body])
}

/// The claims of an access token whose MAC, site and expiry check out.
/// Says nothing of revocation.
pub fn verify_access_token(site: &Site, value: &str, now: i64) -> Option<AccessClaims> {
    let encoded = value.strip_prefix(ACCESS_PREFIX)?;
    if value.len() > MAX_LEN {
        return None;
    }
    // The decoder wants room for its estimate, a byte or two more.
    let mut raw = [0u8; MAX_BODY + MAC_BYTES + 3];
    let len = URL_SAFE_NO_PAD
        .decode_slice(encoded, &mut raw)
        .ok()
        .filter(|len| *len >= FIXED_BODY + MAC_BYTES)?;
    let (body, mac) = raw[..len].split_at(len - MAC_BYTES);
    if !constant_time_eq(mac, &access_mac(site, body)[..MAC_BYTES]) {
        return None;
    }
    let claims = parse_access_body(body)?;
    let live = claims.site_id == site.id
        && claims.expires_at > now
        && claims.expires_at - claims.issued_at <= MAX_ACCESS_TTL_SECS;
    live.then_some(claims)
}

/// The claims of a MAC'd body; `None` for a layout this version does not write.
fn parse_access_body(body: &[u8]) -> Option<AccessClaims> {
    let mut body = Reader(body);
    let [format, flags, scopes] = body.take::<3>()?;
    if format != ACCESS_FORMAT || flags & !(HAS_USER | HAS_GRANT | HAS_JKT | HAS_RESOURCE) != 0 {
        return None;
    }
    let (site_id, token_id, client_pk) = (body.int()?, body.int()?, body.int()?);
    let (issued_at, expires_at, _reserved) = (body.int()?, body.int()?, body.int()?);
    let user_id = body.int_if(flags & HAS_USER != 0)?;
    let grant_id = body.int_if(flags & HAS_GRANT != 0)?;
    let jkt = match flags & HAS_JKT != 0 {
        true => Some(body.take::<32>()?),
        false => None,
    };
    let resource_id = body.int_if(flags & HAS_RESOURCE != 0)?;
    if !body.0.is_empty() {
        return None;
    }
    Some(AccessClaims {
        token_id,
        site_id,
        client_pk,
        user_id,
        grant_id,
        scopes: ScopeSet::from_bits(scopes)?,
        issued_at,
        expires_at,
        jkt,
        resource_id,
    })
}

/// Reads a token body front to back.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Option<[u8; N]> {
        let (head, tail) = self.0.split_first_chunk::<N>()?;
        self.0 = tail;
        Some(*head)
    }

    fn int(&mut self) -> Option<i64> {
        self.take::<8>().map(i64::from_be_bytes)
    }

    /// `Some(None)` when absent, `None` when present but cut short.
    fn int_if(&mut self, present: bool) -> Option<Option<i64>> {
        match present {
            true => self.int().map(Some),
            false => Some(None),
        }
    }
}

/// A fresh access-token id: random, so that ids say nothing and need no
/// counter shared between processes.
pub fn new_token_id() -> i64 {
    i64::from_be_bytes(random::bytes::<8>()) & i64::MAX
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

    fn claims(site_id: i64) -> AccessClaims {
        AccessClaims {
            token_id: new_token_id(),
            site_id,
            client_pk: 12,
            user_id: Some(34),
            grant_id: Some(56),
            scopes: ScopeSet::parse("openid profile").unwrap_or_else(|_| unreachable!()),
            issued_at: 1_000,
            expires_at: 2_000,
            jkt: Some([7; 32]),
            resource_id: Some(78),
        }
    }

    #[test]
    fn access_tokens_verify_only_on_their_site_before_expiry() {
        let master = MasterKey::generate();
        let (a, b) = (site(1, &master), site(2, &master));
        let claims = claims(1);
        let token = mint_access_token(&a, &claims);
        assert!(token.expose().len() <= MAX_LEN, "{}", token.expose().len());
        assert!(token.expose().starts_with(ACCESS_PREFIX));
        assert_eq!(verify_access_token(&a, token.expose(), 1_000), Some(claims));
        assert!(verify_access_token(&a, token.expose(), 2_000).is_none());
        assert!(verify_access_token(&b, token.expose(), 1_000).is_none());
    }

    #[test]
    fn access_tokens_carry_optional_claims_or_none() {
        let master = MasterKey::generate();
        let a = site(1, &master);
        let bare = AccessClaims {
            user_id: None,
            grant_id: None,
            jkt: None,
            resource_id: None,
            ..claims(1)
        };
        let token = mint_access_token(&a, &bare);
        assert_eq!(verify_access_token(&a, token.expose(), 1_000), Some(bare));
    }

    #[test]
    fn a_changed_or_cut_access_token_is_refused() {
        let master = MasterKey::generate();
        let a = site(1, &master);
        let token = mint_access_token(&a, &claims(1));
        let value = token.expose();
        // Every character changed in turn, and every shorter prefix.
        for i in ACCESS_PREFIX.len()..value.len() {
            let mut bytes = value.as_bytes().to_vec();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap_or_default();
            assert!(verify_access_token(&a, &changed, 1_000).is_none(), "{i}");
            assert!(verify_access_token(&a, &value[..i], 1_000).is_none(), "{i}");
        }
        let padded = format!("{value}AA");
        assert!(verify_access_token(&a, &padded, 1_000).is_none());
    }

    #[test]
    fn an_access_token_longer_lived_than_the_cap_is_refused() {
        let master = MasterKey::generate();
        let a = site(1, &master);
        let long = AccessClaims {
            expires_at: 1_000 + MAX_ACCESS_TTL_SECS + 1,
            ..claims(1)
        };
        let token = mint_access_token(&a, &long);
        assert!(verify_access_token(&a, token.expose(), 1_500).is_none());
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
