//! Small secrets sealed at rest: XChaCha20-Poly1305 under a key derived from
//! the master key for one site, with the site bound in as associated data.
//!
//! Sealed form: `v1.` + base64url(nonce ‖ ciphertext ‖ tag), no padding. The
//! 24-byte nonce is random, which is safe for XChaCha's nonce size without
//! any counter to keep. The version prefix lets a later scheme coexist.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use super::{KeyPurpose, MasterKey, random};

pub const PREFIX: &str = "v1.";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AeadError {
    /// Not something `seal` produced: wrong prefix, not base64url, too short.
    #[error("sealed value is malformed")]
    Malformed,
    /// The tag did not verify: tampered, or sealed under another key or site.
    #[error("sealed value failed authentication")]
    Unauthentic,
    /// The cipher refused the input (only for absurdly long plaintexts).
    #[error("could not seal the value")]
    SealFailed,
}

/// Seals `plaintext` for `site_id`. Each call uses a fresh random nonce, so
/// sealing the same secret twice gives different strings.
pub fn seal(master: &MasterKey, site_id: i64, plaintext: &[u8]) -> Result<String, AeadError> {
    let nonce_bytes = random::bytes::<NONCE_LEN>();
    let nonce = XNonce::from(nonce_bytes);
    let aad = associated_data(site_id);
    let ciphertext = cipher(master, site_id)
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| AeadError::SealFailed)?;
    let mut raw = Vec::with_capacity(NONCE_LEN + ciphertext.len());
    raw.extend_from_slice(&nonce_bytes);
    raw.extend_from_slice(&ciphertext);
    Ok(format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(raw)))
}

/// Opens a value sealed by [`seal`] for the same site under the same master key.
pub fn open(master: &MasterKey, site_id: i64, sealed: &str) -> Result<Vec<u8>, AeadError> {
    let encoded = sealed.strip_prefix(PREFIX).ok_or(AeadError::Malformed)?;
    let raw = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| AeadError::Malformed)?;
    if raw.len() < NONCE_LEN + TAG_LEN {
        return Err(AeadError::Malformed);
    }
    let (nonce_bytes, ciphertext) = raw.split_at(NONCE_LEN);
    let nonce_array: [u8; NONCE_LEN] = nonce_bytes.try_into().map_err(|_| AeadError::Malformed)?;
    let aad = associated_data(site_id);
    cipher(master, site_id)
        .decrypt(
            &XNonce::from(nonce_array),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| AeadError::Unauthentic)
}

/// Opens a sealed value that must be UTF-8 text (server-token secrets are).
pub fn open_string(master: &MasterKey, site_id: i64, sealed: &str) -> Result<String, AeadError> {
    String::from_utf8(open(master, site_id, sealed)?).map_err(|_| AeadError::Malformed)
}

fn cipher(master: &MasterKey, site_id: i64) -> XChaCha20Poly1305 {
    let sub = master.derive(KeyPurpose::TokenAead, site_id);
    XChaCha20Poly1305::new(&Key::from(*sub.bytes()))
}

fn associated_data(site_id: i64) -> Vec<u8> {
    format!("tessera/aead/v1/site/{site_id}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_to_the_same_bytes() {
        let master = MasterKey::generate();
        let sealed = seal(&master, 7, b"s3cr3t-0123456789abcdef").unwrap();
        assert!(sealed.starts_with(PREFIX));
        assert!(!sealed.contains("s3cr3t"));
        assert_eq!(
            open(&master, 7, &sealed).unwrap(),
            b"s3cr3t-0123456789abcdef"
        );
        assert_eq!(
            open_string(&master, 7, &sealed).unwrap(),
            "s3cr3t-0123456789abcdef"
        );
    }

    #[test]
    fn an_empty_secret_round_trips() {
        let master = MasterKey::generate();
        let sealed = seal(&master, 1, b"").unwrap();
        assert_eq!(open(&master, 1, &sealed).unwrap(), b"");
    }

    #[test]
    fn sealing_twice_uses_different_nonces() {
        let master = MasterKey::generate();
        let a = seal(&master, 1, b"same").unwrap();
        let b = seal(&master, 1, b"same").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn every_flipped_byte_fails_authentication() {
        let master = MasterKey::generate();
        let sealed = seal(&master, 3, b"secret").unwrap();
        let raw = URL_SAFE_NO_PAD.decode(&sealed[PREFIX.len()..]).unwrap();
        for i in 0..raw.len() {
            let mut tampered = raw.clone();
            tampered[i] ^= 0x01;
            let text = format!("{PREFIX}{}", URL_SAFE_NO_PAD.encode(&tampered));
            assert_eq!(
                open(&master, 3, &text),
                Err(AeadError::Unauthentic),
                "byte {i}"
            );
        }
    }

    #[test]
    fn another_sites_key_cannot_open_it() {
        let master = MasterKey::generate();
        let sealed = seal(&master, 1, b"secret").unwrap();
        assert_eq!(open(&master, 2, &sealed), Err(AeadError::Unauthentic));
    }

    #[test]
    fn another_master_key_cannot_open_it() {
        let sealed = seal(&MasterKey::generate(), 1, b"secret").unwrap();
        assert_eq!(
            open(&MasterKey::generate(), 1, &sealed),
            Err(AeadError::Unauthentic)
        );
    }

    #[test]
    fn malformed_values_are_refused_before_decryption() {
        let master = MasterKey::generate();
        for bad in ["", "v1.", "v2.AAAA", "v1.!!!", "v1.AAAA", "secret"] {
            assert_eq!(open(&master, 1, bad), Err(AeadError::Malformed), "{bad}");
        }
        let truncated = seal(&master, 1, b"x").unwrap();
        let cut = &truncated[..PREFIX.len() + 20];
        assert_eq!(open(&master, 1, cut), Err(AeadError::Malformed));
    }
}
