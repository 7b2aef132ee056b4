//! Generating signing keys: ES256 (P-256), RS256 (RSA 2048) and EdDSA
//! (Ed25519), with the RustCrypto crates, written as PKCS#8 for jsonwebtoken.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{DecodingKey, EncodingKey};
use rand_core::OsRng;

use crate::crypto::random;

/// The algorithms a site may sign with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SigningAlg {
    Es256,
    Rs256,
    EdDsa,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 3] = [SigningAlg::Es256, SigningAlg::Rs256, SigningAlg::EdDsa];
    pub const DEFAULT: SigningAlg = SigningAlg::Es256;

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::Es256 => "ES256",
            SigningAlg::Rs256 => "RS256",
            SigningAlg::EdDsa => "EdDSA",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        SigningAlg::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    pub fn jwt(self) -> jsonwebtoken::Algorithm {
        match self {
            SigningAlg::Es256 => jsonwebtoken::Algorithm::ES256,
            SigningAlg::Rs256 => jsonwebtoken::Algorithm::RS256,
            SigningAlg::EdDsa => jsonwebtoken::Algorithm::EdDSA,
        }
    }

    /// The private key's DER in the form jsonwebtoken reads for this algorithm.
    pub fn encoding_key(self, der: &[u8]) -> EncodingKey {
        match self {
            SigningAlg::Es256 => EncodingKey::from_ec_der(der),
            SigningAlg::Rs256 => EncodingKey::from_rsa_der(der),
            SigningAlg::EdDsa => EncodingKey::from_ed_der(der),
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyGenError {
    #[error("cannot generate the key: {0}")]
    Generate(String),
    #[error("cannot describe the key as a JWK: {0}")]
    Jwk(#[from] jsonwebtoken::errors::Error),
}

/// A freshly generated key pair. No `Debug` for the private half.
pub struct GeneratedKey {
    pub kid: String,
    pub alg: SigningAlg,
    /// PKCS#8 (PKCS#1 for RSA) DER of the private key.
    pub private_der: Vec<u8>,
    pub public_jwk: Jwk,
}

impl fmt::Debug for GeneratedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

fn private_der(alg: SigningAlg) -> Result<Vec<u8>, KeyGenError> {
    let failed = |e: &dyn fmt::Display| KeyGenError::Generate(e.to_string());
    match alg {
        SigningAlg::Es256 => {
            use p256::pkcs8::EncodePrivateKey;
            let key = p256::ecdsa::SigningKey::random(&mut OsRng);
            Ok(key
                .to_pkcs8_der()
                .map_err(|e| failed(&e))?
                .as_bytes()
                .to_vec())
        }
        SigningAlg::Rs256 => {
            use rsa::pkcs1::EncodeRsaPrivateKey;
            let key = rsa::RsaPrivateKey::new(&mut OsRng, 2048).map_err(|e| failed(&e))?;
            Ok(key
                .to_pkcs1_der()
                .map_err(|e| failed(&e))?
                .as_bytes()
                .to_vec())
        }
        SigningAlg::EdDsa => {
            use ed25519_dalek::pkcs8::EncodePrivateKey;
            // PKCS#8 v1 (no public key inside): the form jsonwebtoken expects.
            let pair = ed25519_dalek::pkcs8::KeypairBytes {
                secret_key: random::bytes::<32>(),
                public_key: None,
            };
            Ok(pair
                .to_pkcs8_der()
                .map_err(|e| failed(&e))?
                .as_bytes()
                .to_vec())
        }
    }
}

/// The public JWK of a private key, with its `kid`, `use` and `alg`.
pub fn public_jwk(alg: SigningAlg, kid: &str, der: &[u8]) -> Result<Jwk, KeyGenError> {
    let mut jwk = Jwk::from_encoding_key(&alg.encoding_key(der), alg.jwt())?;
    jwk.common.key_id = Some(kid.to_string());
    jwk.common.public_key_use = Some(PublicKeyUse::Signature);
    Ok(jwk)
}

pub fn generate(alg: SigningAlg) -> Result<GeneratedKey, KeyGenError> {
    let der = private_der(alg)?;
    let kid = URL_SAFE_NO_PAD.encode(random::bytes::<12>());
    let public_jwk = public_jwk(alg, &kid, &der)?;
    Ok(GeneratedKey {
        kid,
        alg,
        private_der: der,
        public_jwk,
    })
}

/// The verifying key behind a published JWK.
pub fn decoding_key(jwk: &Jwk) -> Result<DecodingKey, KeyGenError> {
    Ok(DecodingKey::from_jwk(jwk)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_signs_and_verifies_with_its_published_jwk() {
        for alg in SigningAlg::ALL {
            let key = generate(alg).unwrap();
            let mut header = jsonwebtoken::Header::new(alg.jwt());
            header.kid = Some(key.kid.clone());
            let claims = serde_json::json!({"sub": "1", "exp": 4_000_000_000i64});
            let token = jsonwebtoken::encode(&header, &claims, &alg.encoding_key(&key.private_der))
                .unwrap();
            let decoding = decoding_key(&key.public_jwk).unwrap();
            let mut validation = jsonwebtoken::Validation::new(alg.jwt());
            validation.required_spec_claims.clear();
            validation.validate_aud = false;
            let data =
                jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation).unwrap();
            assert_eq!(data.claims["sub"], "1");
        }
    }
}
