//! ES256 proofs at the edges, checked by the stock backend (aws-lc-rs's
//! `ParsedPublicKey` through `ProofKeys`): out-of-range signature scalars,
//! over-long signatures, and keys that are not points of P-256.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use p256::elliptic_curve::Curve;
use p256::elliptic_curve::bigint::{ArrayEncoding, Limb, U256};
use serde_json::{Value, json};

use super::*;

struct Signer {
    key: EcdsaKeyPair,
    x: Vec<u8>,
    y: Vec<u8>,
}

impl Signer {
    fn new() -> Signer {
        let key = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).expect("a key");
        let point = key.public_key().as_ref().to_vec();
        assert_eq!((point.len(), point[0]), (65, 0x04));
        Signer {
            x: point[1..33].to_vec(),
            y: point[33..].to_vec(),
            key,
        }
    }

    fn jwk(&self) -> Value {
        json!({"kty": "EC", "crv": "P-256", "x": URL_SAFE_NO_PAD.encode(&self.x), "y": URL_SAFE_NO_PAD.encode(&self.y)})
    }

    /// `header.payload` with `jwk` in the header, and its signature `r || s`.
    fn signed(&self, jwk: &Value) -> (String, Vec<u8>) {
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk});
        let claims = json!({"jti": "j", "htm": "POST", "htu": "https://x.example/t", "iat": 1});
        let signed = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .key
            .sign(&SystemRandom::new(), signed.as_bytes())
            .expect("signed");
        (signed, signature.as_ref().to_vec())
    }
}

fn proof(signed: &str, signature: &[u8]) -> String {
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(signature))
}

/// The order n of P-256's group, big-endian.
fn order() -> [u8; 32] {
    p256::NistP256::ORDER.to_be_byte_array().into()
}

#[test]
fn out_of_range_and_over_long_signatures_are_refused() {
    let signer = Signer::new();
    let keys = ProofKeys::new();
    let (signed, good) = signer.signed(&signer.jwk());
    assert!(keys.verify(&proof(&signed, &good)).is_ok());
    let (r, s) = (&good[..32], &good[32..]);
    let (zero, n) = ([0u8; 32], order());
    for (case, signature) in [
        ("r = 0", [&zero[..], s].concat()),
        ("s = 0", [r, &zero[..]].concat()),
        ("r = n", [&n[..], s].concat()),
        ("s = n", [r, &n[..]].concat()),
        ("r = s = 0", [zero, zero].concat()),
        ("short", good[..63].to_vec()),
        ("a byte more", [&good[..], &[0]].concat()),
    ] {
        assert_eq!(
            keys.verify(&proof(&signed, &signature)).err(),
            Some(ProofError::BadSignature),
            "{case}"
        );
    }
    // s + n: the same residue mod n, so only the range check refuses it.
    let (sum, carry) = U256::from_be_slice(s).adc(&p256::NistP256::ORDER, Limb::ZERO);
    let sum: [u8; 32] = sum.to_be_byte_array().into();
    let over_long = [r, &[carry.0 as u8], &sum[..]].concat();
    assert_eq!(
        keys.verify(&proof(&signed, &over_long)).err(),
        Some(ProofError::BadSignature),
        "s + n in 33 bytes"
    );
    if carry == Limb::ZERO {
        assert_eq!(
            keys.verify(&proof(&signed, &[r, &sum[..]].concat())).err(),
            Some(ProofError::BadSignature),
            "s + n in 32 bytes"
        );
    }
    // r + n likewise.
    let (r_sum, r_carry) = U256::from_be_slice(r).adc(&p256::NistP256::ORDER, Limb::ZERO);
    if r_carry == Limb::ZERO {
        let r_sum: [u8; 32] = r_sum.to_be_byte_array().into();
        assert_eq!(
            keys.verify(&proof(&signed, &[&r_sum[..], s].concat()))
                .err(),
            Some(ProofError::BadSignature),
            "r + n"
        );
    }
    // The good proof still verifies after all that.
    assert!(keys.verify(&proof(&signed, &good)).is_ok());
}

#[test]
fn keys_off_the_curve_or_out_of_range_are_refused() {
    let signer = Signer::new();
    let keys = ProofKeys::new();
    let mut off_curve = signer.y.clone();
    off_curve[31] ^= 1;
    let p_or_more = [0xffu8; 32];
    for (case, x, y) in [
        ("y off the curve", signer.x.clone(), off_curve),
        ("x >= p", p_or_more.to_vec(), signer.y.clone()),
        ("the point at infinity", vec![0; 32], vec![0; 32]),
    ] {
        let jwk = json!({"kty": "EC", "crv": "P-256", "x": URL_SAFE_NO_PAD.encode(&x), "y": URL_SAFE_NO_PAD.encode(&y)});
        let (signed, signature) = signer.signed(&jwk);
        assert!(
            matches!(
                keys.verify(&proof(&signed, &signature)),
                Err(ProofError::BadKey(_))
            ),
            "{case}"
        );
    }
    assert_eq!(keys.remembered(), (0, 0));
}

#[test]
fn short_long_and_compressed_coordinates_are_refused() {
    let signer = Signer::new();
    let keys = ProofKeys::new();
    let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
    let padded = [&[0u8][..], &signer.y[..]].concat();
    let cases = [
        (
            "short x",
            json!({"kty": "EC", "crv": "P-256", "x": b64(&signer.x[1..]), "y": b64(&signer.y)}),
        ),
        (
            "33-byte y",
            json!({"kty": "EC", "crv": "P-256", "x": b64(&signer.x), "y": b64(&padded)}),
        ),
        // A compressed point has no y; SEC1 bytes in x are no JWK.
        (
            "no y",
            json!({"kty": "EC", "crv": "P-256", "x": b64(&signer.x)}),
        ),
        (
            "empty y",
            json!({"kty": "EC", "crv": "P-256", "x": b64(&signer.x), "y": ""}),
        ),
        (
            "compressed point in x",
            json!({"kty": "EC", "crv": "P-256", "x": b64(&[&[0x02], &signer.x[..]].concat()), "y": ""}),
        ),
    ];
    for (case, jwk) in cases {
        let (signed, signature) = signer.signed(&jwk);
        assert!(
            matches!(
                keys.verify(&proof(&signed, &signature)),
                Err(ProofError::BadKey(_) | ProofError::BadKeyMember(_))
            ),
            "{case}"
        );
    }
}
