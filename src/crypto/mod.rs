//! Keys, randomness, hashing and MACs. Every token, code and secret Tessera
//! generates comes from `random`, which reads the operating system's CSPRNG.

pub mod aead;
mod keys;
pub mod password;
pub mod random;

pub use keys::{KeyPurpose, MasterKey, SubKey};

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

pub(crate) type HmacSha256 = Hmac<Sha256>;

/// Lower-case hex SHA-256: how tokens are stored.
pub fn sha256_hex(value: &[u8]) -> String {
    hex::encode(Sha256::digest(value))
}

pub fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut mac = keyed_hmac(key);
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// An HMAC-SHA256 state keyed with `key`, ready for a message.
pub(crate) fn keyed_hmac(key: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length, so this cannot fail.
    match HmacSha256::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable_hmac(),
    }
}

#[cold]
fn unreachable_hmac() -> HmacSha256 {
    // `new_from_slice` only fails for fixed-size keys; HMAC has none.
    HmacSha256::new(&Default::default())
}

/// Compares two secrets without leaking where they differ (their lengths
/// are not secret), with aws-lc's `CRYPTO_memcmp`. `subtle` put an
/// optimisation barrier behind every byte: on the hot path (authtokens,
/// forward-auth's remembered answers) that was a tenth of a microsecond
/// per request.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}
