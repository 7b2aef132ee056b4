use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::hmac_sha256;

/// The instance master key: 32 random bytes. Everything else is derived.
#[derive(Clone)]
pub struct MasterKey([u8; 32]);

#[derive(Debug, thiserror::Error)]
pub enum MasterKeyError {
    #[error("not valid base64")]
    NotBase64,
    #[error("must decode to exactly 32 bytes, got {0}")]
    WrongLength(usize),
}

impl MasterKey {
    pub fn generate() -> Self {
        Self(super::random::bytes::<32>())
    }

    pub fn from_base64(raw: &str) -> Result<Self, MasterKeyError> {
        let bytes = STANDARD
            .decode(raw.trim())
            .map_err(|_| MasterKeyError::NotBase64)?;
        let array: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| MasterKeyError::WrongLength(bytes.len()))?;
        Ok(Self(array))
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// A public name for this key: 16 hex characters of an HMAC under it,
    /// which say nothing about the key. Sealed values carry it.
    pub fn key_id(&self) -> String {
        hex::encode(&hmac_sha256(&self.0, b"tessera/master-key-id/v1")[..8])
    }

    /// A key for one purpose on one site (or instance-wide with site 0).
    /// Keys for different purposes or sites are independent.
    pub fn derive(&self, purpose: KeyPurpose, site_id: i64) -> SubKey {
        let label = format!("tessera/v1/{}/{}", purpose.label(), site_id);
        SubKey::new(hmac_sha256(&self.0, label.as_bytes()))
    }
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

#[derive(Debug, Clone, Copy)]
pub enum KeyPurpose {
    Authtoken,
    Csrf,
    ClientSecret,
    TokenAead,
    OAuthAccessToken,
    OAuthConsent,
    /// Server-provided DPoP nonces (RFC 9449 section 8).
    DpopNonce,
}

impl KeyPurpose {
    fn label(self) -> &'static str {
        match self {
            KeyPurpose::Authtoken => "authtoken",
            KeyPurpose::Csrf => "csrf",
            KeyPurpose::ClientSecret => "client-secret",
            KeyPurpose::TokenAead => "token-aead",
            KeyPurpose::OAuthAccessToken => "oauth-access-token",
            KeyPurpose::OAuthConsent => "oauth-consent",
            KeyPurpose::DpopNonce => "dpop-nonce",
        }
    }
}

/// A derived key, with its HMAC state keyed once (the padded key blocks
/// hashed), so each MAC costs only the message and the finish.
#[derive(Clone)]
pub struct SubKey {
    bytes: [u8; 32],
    keyed: super::HmacSha256,
}

impl SubKey {
    fn new(bytes: [u8; 32]) -> Self {
        Self {
            keyed: super::keyed_hmac(&bytes),
            bytes,
        }
    }

    pub fn mac(&self, message: &[u8]) -> [u8; 32] {
        self.mac_parts(&[message])
    }

    /// The MAC of the parts written one after the other.
    pub fn mac_parts(&self, parts: &[&[u8]]) -> [u8; 32] {
        use hmac::Mac;
        let mut mac = self.keyed.clone();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }
}

impl fmt::Debug for SubKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SubKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_keys_differ_by_site_and_purpose() {
        let master = MasterKey::generate();
        let a = master.derive(KeyPurpose::Authtoken, 1);
        let b = master.derive(KeyPurpose::Authtoken, 2);
        let c = master.derive(KeyPurpose::Csrf, 1);
        assert_ne!(a.bytes(), b.bytes());
        assert_ne!(a.bytes(), c.bytes());
        assert_eq!(a.bytes(), master.derive(KeyPurpose::Authtoken, 1).bytes());
    }

    #[test]
    fn debug_output_hides_the_key() {
        let master = MasterKey::generate();
        assert_eq!(format!("{master:?}"), "MasterKey(<redacted>)");
    }

    #[test]
    fn key_ids_are_stable_distinct_and_short() {
        let master = MasterKey::generate();
        let id = master.key_id();
        assert_eq!(id.len(), 16);
        assert_eq!(id, master.clone().key_id());
        assert_ne!(id, MasterKey::generate().key_id());
        assert!(!master.to_base64().contains(&id));
    }

    #[test]
    fn base64_round_trip() {
        let master = MasterKey::generate();
        let again = MasterKey::from_base64(&master.to_base64()).map(|k| k.0);
        assert_eq!(again.ok(), Some(master.0));
    }
}
