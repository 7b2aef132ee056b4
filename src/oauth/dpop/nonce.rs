//! Server-provided DPoP nonces (RFC 9449 section 8), without state: a nonce
//! is a time slot and an HMAC of it under the site's DPoP nonce key, so every
//! process of the deployment accepts the nonces of every other, and nothing
//! is stored. A nonce is good in the slot it was made in and the next one,
//! i.e. for between one and two slots.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::crypto::{SubKey, constant_time_eq};

/// How long one nonce slot lasts.
pub const NONCE_SLOT_SECS: i64 = 300;
/// The MAC is cut to 128 bits: unforgeable in practice, and a short header.
const MAC_BYTES: usize = 16;

fn slot_mac(key: &SubKey, slot: i64) -> [u8; 32] {
    key.mac(format!("dpop-nonce/{slot}").as_bytes())
}

/// The nonce to hand out now.
pub fn mint(key: &SubKey, now: i64) -> String {
    let slot = now.div_euclid(NONCE_SLOT_SECS);
    let mac = slot_mac(key, slot);
    format!("{slot}.{}", URL_SAFE_NO_PAD.encode(&mac[..MAC_BYTES]))
}

/// Whether `nonce` was minted with `key` in the current or the previous slot.
pub fn is_fresh(key: &SubKey, nonce: &str, now: i64) -> bool {
    let Some((slot, mac)) = nonce.split_once('.') else {
        return false;
    };
    let Ok(slot) = slot.parse::<i64>() else {
        return false;
    };
    let current = now.div_euclid(NONCE_SLOT_SECS);
    if slot != current && slot != current - 1 {
        return false;
    }
    let Ok(mac) = URL_SAFE_NO_PAD.decode(mac) else {
        return false;
    };
    constant_time_eq(&mac, &slot_mac(key, slot)[..MAC_BYTES])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::{KeyPurpose, MasterKey};

    #[test]
    fn nonces_live_for_the_current_and_the_next_slot_only() {
        let master = MasterKey::generate();
        let key = master.derive(KeyPurpose::DpopNonce, 1);
        let now = 1_700_000_000 - 1_700_000_000 % NONCE_SLOT_SECS;
        let nonce = mint(&key, now);
        assert!(is_fresh(&key, &nonce, now));
        assert!(is_fresh(&key, &nonce, now + NONCE_SLOT_SECS + 1));
        assert!(!is_fresh(&key, &nonce, now + 2 * NONCE_SLOT_SECS));
        assert!(!is_fresh(&key, &nonce, now - 1), "not before its slot");
    }

    #[test]
    fn nonces_of_another_site_or_tampered_ones_are_refused() {
        let master = MasterKey::generate();
        let (a, b) = (
            master.derive(KeyPurpose::DpopNonce, 1),
            master.derive(KeyPurpose::DpopNonce, 2),
        );
        let now = 1_700_000_000;
        let nonce = mint(&a, now);
        assert!(!is_fresh(&b, &nonce, now));
        let slot = now.div_euclid(NONCE_SLOT_SECS);
        let moved = nonce.replacen(&slot.to_string(), &(slot + 1).to_string(), 1);
        assert!(!is_fresh(&a, &moved, now + NONCE_SLOT_SECS));
        assert!(!is_fresh(&a, "", now));
        assert!(!is_fresh(&a, "garbage", now));
    }
}
