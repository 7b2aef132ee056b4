//! The `authtoken`: `tas_{site}.{expires}.{secret}.{mac}`.
//!
//! `secret` is 128 random bits (hex) whose SHA-256 names the session row;
//! `mac` is HMAC-SHA256 under the site's authtoken key over everything before
//! it. A tampered or foreign token fails the MAC (or the site check) before
//! any lookup, and an expired one fails on its own expiry field.

use sha2::{Digest, Sha256};

use crate::crypto::{constant_time_eq, random, sha256_hex};
use crate::sites::Site;

pub const PREFIX: &str = "tas_";
/// Well under the 255-character limit of the token model (about 120).
pub const MAX_LEN: usize = 255;

/// A freshly minted authtoken: the value for the cookie and the hash to store.
pub struct MintedAuthtoken {
    pub value: String,
    pub secret_hash: String,
}

impl std::fmt::Debug for MintedAuthtoken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MintedAuthtoken(<redacted>)")
    }
}

pub fn mint(site: &Site, expires_at: i64) -> MintedAuthtoken {
    let secret = random::hex_128();
    let body = format!("{PREFIX}{}.{expires_at}.{secret}", site.id);
    let mac = hex::encode(site.authtoken_key.mac(body.as_bytes()));
    MintedAuthtoken {
        secret_hash: sha256_hex(secret.as_bytes()),
        value: format!("{body}.{mac}"),
    }
}

/// A token whose signature checked out for this site and has not expired.
#[derive(Debug)]
pub struct VerifiedAuthtoken {
    /// The SHA-256 of the secret, as the session row stores it (hex).
    pub secret_hash: [u8; 32],
    pub expires_at: i64,
}

impl VerifiedAuthtoken {
    /// The stored form of [`Self::secret_hash`], for a lookup in the store.
    pub fn secret_hash_hex(&self) -> String {
        hex::encode(self.secret_hash)
    }
}

/// Checks the signature, site and expiry. No database work and no
/// allocation happen here.
pub fn verify(site: &Site, value: &str, now: i64) -> Option<VerifiedAuthtoken> {
    if value.len() > MAX_LEN {
        return None;
    }
    let rest = value.strip_prefix(PREFIX)?;
    let (body_rest, mac_hex) = rest.rsplit_once('.')?;
    let mut parts = body_rest.split('.');
    let site_id: i64 = parts.next()?.parse().ok()?;
    let expires_at: i64 = parts.next()?.parse().ok()?;
    let secret = parts.next()?;
    if parts.next().is_some() || site_id != site.id || secret.len() != 32 {
        return None;
    }
    let mut mac = [0u8; 32];
    hex::decode_to_slice(mac_hex, &mut mac).ok()?;
    let body = &value[..value.len() - mac_hex.len() - 1];
    let expected = site.authtoken_key.mac(body.as_bytes());
    if !constant_time_eq(&mac, &expected) || expires_at <= now {
        return None;
    }
    Some(VerifiedAuthtoken {
        secret_hash: Sha256::digest(secret.as_bytes()).into(),
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::MasterKey;
    use crate::oauth::tokens::tests::site;

    #[test]
    fn a_minted_token_verifies_and_fits_the_limit() {
        let master = MasterKey::generate();
        let site = site(1, &master);
        let minted = mint(&site, 2_000);
        assert!(minted.value.len() <= MAX_LEN);
        let verified = verify(&site, &minted.value, 1_000).map(|v| v.secret_hash_hex());
        assert_eq!(verified, Some(minted.secret_hash));
    }

    #[test]
    fn expired_tampered_and_foreign_tokens_fail() {
        let master = MasterKey::generate();
        let site_a = site(1, &master);
        let site_b = site(2, &master);
        let minted = mint(&site_a, 2_000);
        assert!(verify(&site_a, &minted.value, 2_000).is_none(), "expired");
        assert!(
            verify(&site_b, &minted.value, 1_000).is_none(),
            "other site"
        );
        let tampered = minted.value.replacen(".2000.", ".9999.", 1);
        assert!(
            verify(&site_a, &tampered, 1_000).is_none(),
            "tampered expiry"
        );
        let mut flipped = minted.value.clone();
        let last = flipped.pop().unwrap_or('0');
        flipped.push(if last == '0' { '1' } else { '0' });
        assert!(verify(&site_a, &flipped, 1_000).is_none(), "tampered mac");
    }
}
