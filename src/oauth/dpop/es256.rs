//! ES256 proof signatures, checked faster for keys that keep signing.
//!
//! A DPoP client signs every token request (and every API call with a
//! bound token) with the same key. Once a key has signed
//! [`TABLE_AFTER`] valid proofs on this process, it gets a precomputed
//! table (`crypto::p256`, 60 KiB) and its later checks cost about 19 µs
//! instead of 48 (one thread on the 2-core build machine,
//! `cargo bench --bench signing`). Until then, and for every key while the cache is full,
//! aws-lc-rs checks the signature. Both give the same answer: the tables
//! are only a faster route to the same equation (and tested against
//! aws-lc-rs on valid, altered and out-of-range signatures).
//!
//! The cache holds at most [`MAX_TABLES`] tables (15 MiB) and counts uses
//! of at most [`MAX_COUNTED`] other keys; when either fills up it starts
//! over, which costs speed, never correctness.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};
use dashmap::DashMap;

use crate::crypto::p256::{self, KeyTable};

/// Valid proofs a key signs before it gets a table. A table costs about as
/// much as six checks (295 µs); waiting for 16 proofs keeps one-off keys
/// from ever paying for one, and keeps a caller who mints key after key
/// from making the server build tables faster than it checks proofs.
pub const TABLE_AFTER: u32 = 16;
pub const MAX_TABLES: usize = 256;
pub const MAX_COUNTED: usize = 16_384;

enum Slot {
    Counting(u32),
    Ready(Arc<KeyTable>),
}

/// Keys by their coordinates `x || y`.
pub struct Es256Keys {
    slots: DashMap<[u8; 64], Slot>,
    tables: AtomicUsize,
}

/// One per process: tables are a pure function of the key, so every site
/// and every `Dpop` may share them.
pub static KEYS: LazyLock<Es256Keys> = LazyLock::new(Es256Keys::new);

impl Es256Keys {
    pub fn new() -> Self {
        Self {
            slots: DashMap::new(),
            tables: AtomicUsize::new(0),
        }
    }

    /// Whether `signature` over `message` verifies with `point`, the SEC1
    /// uncompressed public key (`04 || x || y`).
    pub fn verify(&self, point: &[u8], message: &[u8], signature: &[u8]) -> bool {
        let Some(coordinates) = coordinates(point) else {
            return false;
        };
        if let Some(table) = self.table(&coordinates) {
            return table.verify(message, signature);
        }
        let valid = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
            .verify(message, signature)
            .is_ok();
        if valid && p256::supported() {
            self.count_use(coordinates, point);
        }
        valid
    }

    fn table(&self, coordinates: &[u8; 64]) -> Option<Arc<KeyTable>> {
        match self.slots.get(coordinates).as_deref() {
            Some(Slot::Ready(table)) => Some(table.clone()),
            _ => None,
        }
    }

    /// Counts a valid proof by a key aws-lc-rs accepted (so the point is on
    /// the curve), and builds its table on the [`TABLE_AFTER`]th.
    fn count_use(&self, coordinates: [u8; 64], point: &[u8]) {
        let uses = {
            let mut slot = self.slots.entry(coordinates).or_insert(Slot::Counting(0));
            match &mut *slot {
                Slot::Counting(n) => {
                    *n += 1;
                    *n
                }
                Slot::Ready(_) => return,
            }
        };
        if uses >= TABLE_AFTER {
            // Built outside any lock: two threads may both build one for
            // the same key, once.
            if let Some(table) = KeyTable::new(point) {
                if self.tables.fetch_add(1, Ordering::Relaxed) >= MAX_TABLES {
                    self.start_over();
                }
                self.slots.insert(coordinates, Slot::Ready(Arc::new(table)));
            }
        } else if self.slots.len() > MAX_TABLES + MAX_COUNTED {
            self.slots.retain(|_, slot| matches!(slot, Slot::Ready(_)));
        }
    }

    fn start_over(&self) {
        self.slots.clear();
        self.tables.store(1, Ordering::Relaxed);
    }

    #[cfg(test)]
    fn has_table(&self, point: &[u8]) -> bool {
        coordinates(point).is_some_and(|c| self.table(&c).is_some())
    }
}

impl Default for Es256Keys {
    fn default() -> Self {
        Self::new()
    }
}

fn coordinates(point: &[u8]) -> Option<[u8; 64]> {
    if point.len() != p256::UNCOMPRESSED_LEN || point[0] != 0x04 {
        return None;
    }
    point[1..].try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};

    #[test]
    fn a_key_gets_its_table_after_a_few_valid_proofs_and_answers_alike() {
        let keys = Es256Keys::new();
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("a key");
        let point = key.public_key().as_ref().to_vec();
        let rng = SystemRandom::new();
        let mut invalid = 0;
        for i in 0..(TABLE_AFTER + 3) {
            let message = format!("proof {i}");
            let signature = key.sign(&rng, message.as_bytes()).expect("signed");
            let mut altered = signature.as_ref().to_vec();
            altered[5] ^= 0x10;
            // Invalid proofs never count towards a table.
            assert!(!keys.verify(&point, message.as_bytes(), &altered));
            invalid += 1;
            assert_eq!(
                keys.has_table(&point),
                p256::supported() && i >= TABLE_AFTER
            );
            assert!(keys.verify(&point, message.as_bytes(), signature.as_ref()));
            assert!(!keys.verify(&point, b"another message", signature.as_ref()));
        }
        assert!(invalid > TABLE_AFTER);
        assert_eq!(keys.has_table(&point), p256::supported());
    }

    #[test]
    fn malformed_points_are_refused() {
        let keys = Es256Keys::new();
        assert!(!keys.verify(&[4u8; 64], b"m", &[1u8; 64]));
        assert!(!keys.verify(&[2u8; 65], b"m", &[1u8; 64]));
    }
}
