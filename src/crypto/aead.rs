//! Small secrets sealed at rest: XChaCha20-Poly1305 under a key derived from
//! the master key for one site, with the site and the master key's id bound
//! in as associated data.
//!
//! Sealed form: `v2.{key id}.` + base64url(nonce ‖ ciphertext ‖ tag), no
//! padding. The key id ([`MasterKey::key_id`]) says which master key sealed
//! the value, so a value sealed under another key is named as such instead
//! of failing as "tampered", and `tessera keys rotate-master` can re-seal
//! everything under a new key. Being in the associated data, the id cannot
//! be swapped. The 24-byte nonce is random, which is safe for XChaCha's
//! nonce size without any counter to keep.
//!
//! Values sealed before key ids (`v1.` + base64url, the site alone as
//! associated data) still open; the next rotation re-seals them as `v2`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

use super::{KeyPurpose, MasterKey, random};

/// The current form's prefix: `v2.{key id}.{base64url}`.
pub const PREFIX: &str = "v2.";
/// The form without a key id, still opened.
pub const PREFIX_V1: &str = "v1.";
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
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
    /// Sealed under another master key, whose id is given.
    #[error("sealed value belongs to master key {0}, not the configured one")]
    OtherMasterKey(String),
}

/// Seals `plaintext` for `site_id`. Each call uses a fresh random nonce, so
/// sealing the same secret twice gives different strings.
pub fn seal(master: &MasterKey, site_id: i64, plaintext: &[u8]) -> Result<String, AeadError> {
    let nonce_bytes = random::bytes::<NONCE_LEN>();
    let nonce = XNonce::from(nonce_bytes);
    let key_id = master.key_id();
    let aad = associated_data(site_id, Some(&key_id));
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
    Ok(format!("{PREFIX}{key_id}.{}", URL_SAFE_NO_PAD.encode(raw)))
}

/// The id of the master key a value was sealed under; `None` for the `v1`
/// form, which does not say.
pub fn sealed_key_id(sealed: &str) -> Option<&str> {
    sealed
        .strip_prefix(PREFIX)?
        .split_once('.')
        .map(|(id, _)| id)
}

/// Opens a value sealed by [`seal`] for the same site under the same master key.
pub fn open(master: &MasterKey, site_id: i64, sealed: &str) -> Result<Vec<u8>, AeadError> {
    let (key_id, encoded) = if let Some(rest) = sealed.strip_prefix(PREFIX) {
        let (key_id, encoded) = rest.split_once('.').ok_or(AeadError::Malformed)?;
        if key_id != master.key_id() {
            if key_id.len() != KEY_ID_LEN || !key_id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(AeadError::Malformed);
            }
            return Err(AeadError::OtherMasterKey(key_id.to_owned()));
        }
        (Some(key_id), encoded)
    } else {
        let encoded = sealed.strip_prefix(PREFIX_V1).ok_or(AeadError::Malformed)?;
        (None, encoded)
    };
    let raw = URL_SAFE_NO_PAD
        .decode(encoded)
        .map_err(|_| AeadError::Malformed)?;
    if raw.len() < NONCE_LEN + TAG_LEN {
        return Err(AeadError::Malformed);
    }
    let (nonce_bytes, ciphertext) = raw.split_at(NONCE_LEN);
    let nonce_array: [u8; NONCE_LEN] = nonce_bytes.try_into().map_err(|_| AeadError::Malformed)?;
    let aad = associated_data(site_id, key_id);
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

/// The key id's length in hex characters (see `MasterKey::key_id`).
const KEY_ID_LEN: usize = 16;

fn associated_data(site_id: i64, key_id: Option<&str>) -> Vec<u8> {
    match key_id {
        Some(key_id) => format!("tessera/aead/v2/site/{site_id}/key/{key_id}").into_bytes(),
        None => format!("tessera/aead/v1/site/{site_id}").into_bytes(),
    }
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

    /// The form sealed before key ids, made the way `seal` once made it.
    fn seal_v1(master: &MasterKey, site_id: i64, plaintext: &[u8]) -> String {
        let nonce_bytes = random::bytes::<NONCE_LEN>();
        let aad = associated_data(site_id, None);
        let ciphertext = cipher(master, site_id)
            .encrypt(
                &XNonce::from(nonce_bytes),
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .unwrap();
        let raw = [&nonce_bytes[..], &ciphertext[..]].concat();
        format!("{PREFIX_V1}{}", URL_SAFE_NO_PAD.encode(raw))
    }

    /// The key id prefix of a value sealed under `master`.
    fn id_prefix(master: &MasterKey) -> String {
        format!("{PREFIX}{}.", master.key_id())
    }

    #[test]
    fn sealed_values_name_their_master_key() {
        let master = MasterKey::generate();
        let sealed = seal(&master, 7, b"secret").unwrap();
        assert!(sealed.starts_with(&id_prefix(&master)));
        assert_eq!(sealed_key_id(&sealed), Some(master.key_id().as_str()));
        let other = MasterKey::generate();
        assert_eq!(
            open(&other, 7, &sealed),
            Err(AeadError::OtherMasterKey(master.key_id()))
        );
    }

    #[test]
    fn values_sealed_before_key_ids_still_open() {
        let master = MasterKey::generate();
        let old = seal_v1(&master, 4, b"legacy secret");
        assert_eq!(sealed_key_id(&old), None);
        assert_eq!(open(&master, 4, &old).unwrap(), b"legacy secret");
        assert_eq!(open(&master, 5, &old), Err(AeadError::Unauthentic));
        // A v1 body relabelled as v2 under the right key id fails: the id is
        // in the associated data.
        let relabelled = old.replacen(PREFIX_V1, &id_prefix(&master), 1);
        assert_eq!(open(&master, 4, &relabelled), Err(AeadError::Unauthentic));
    }

    #[test]
    fn the_key_id_cannot_be_swapped() {
        let a = MasterKey::generate();
        let b = MasterKey::generate();
        let sealed = seal(&a, 1, b"secret").unwrap();
        let swapped = sealed.replacen(&a.key_id(), &b.key_id(), 1);
        assert_eq!(open(&b, 1, &swapped), Err(AeadError::Unauthentic));
    }

    #[test]
    fn every_flipped_byte_fails_authentication() {
        let master = MasterKey::generate();
        let sealed = seal(&master, 3, b"secret").unwrap();
        let prefix = id_prefix(&master);
        let raw = URL_SAFE_NO_PAD.decode(&sealed[prefix.len()..]).unwrap();
        for i in 0..raw.len() {
            let mut tampered = raw.clone();
            tampered[i] ^= 0x01;
            let text = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(&tampered));
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
        let sealer = MasterKey::generate();
        let sealed = seal(&sealer, 1, b"secret").unwrap();
        assert_eq!(
            open(&MasterKey::generate(), 1, &sealed),
            Err(AeadError::OtherMasterKey(sealer.key_id()))
        );
        // Without the key id to tell, the tag refuses it (the v1 form).
        let v1 = seal_v1(&sealer, 1, b"secret");
        assert_eq!(
            open(&MasterKey::generate(), 1, &v1),
            Err(AeadError::Unauthentic)
        );
    }

    #[test]
    fn malformed_values_are_refused_before_decryption() {
        let master = MasterKey::generate();
        let own = format!("{}AAAA", id_prefix(&master));
        for bad in [
            "",
            "v1.",
            "v2.AAAA",
            "v1.!!!",
            "v1.AAAA",
            "secret",
            "v3.AAAA",
            &own,
            "v2.zz.AAAA",
        ] {
            assert_eq!(open(&master, 1, bad), Err(AeadError::Malformed), "{bad}");
        }
        let truncated = seal(&master, 1, b"x").unwrap();
        let cut = &truncated[..id_prefix(&master).len() + 20];
        assert_eq!(open(&master, 1, cut), Err(AeadError::Malformed));
    }
}
