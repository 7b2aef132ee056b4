//! Keys generated in the tests, the JWKS that publishes them, and a fetcher
//! whose document the test can change (an IdP rotating its keys) or break.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::rngs::OsRng;
use serde_json::{Value, json};

use super::jwks::{JwksFetchError, JwksFetcher};

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub struct TestKey {
    pub kid: String,
    pub alg: Algorithm,
    encoding: EncodingKey,
    /// The public JWK, without `alg` unless the test adds one.
    pub jwk: Value,
}

/// RSA key generation is slow in debug builds, so the tests share two.
fn rsa_key(index: usize) -> &'static rsa::RsaPrivateKey {
    static KEYS: [OnceLock<rsa::RsaPrivateKey>; 2] = [OnceLock::new(), OnceLock::new()];
    KEYS[index].get_or_init(|| rsa::RsaPrivateKey::new(&mut OsRng, 2048).unwrap())
}

impl TestKey {
    /// One of two shared RSA keys (`index` 0 or 1).
    pub fn rsa(kid: &str, index: usize) -> TestKey {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::traits::PublicKeyParts;
        let key = rsa_key(index);
        TestKey {
            kid: kid.into(),
            alg: Algorithm::RS256,
            encoding: EncodingKey::from_rsa_der(key.to_pkcs1_der().unwrap().as_bytes()),
            jwk: json!({
                "kty": "RSA",
                "kid": kid,
                "use": "sig",
                "n": b64(&key.n().to_bytes_be()),
                "e": b64(&key.e().to_bytes_be()),
            }),
        }
    }

    pub fn ec(kid: &str) -> TestKey {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        use p256::pkcs8::EncodePrivateKey;
        let secret = p256::SecretKey::random(&mut OsRng);
        let point = secret.public_key().to_encoded_point(false);
        TestKey {
            kid: kid.into(),
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(secret.to_pkcs8_der().unwrap().as_bytes()),
            jwk: json!({
                "kty": "EC",
                "kid": kid,
                "crv": "P-256",
                "x": b64(point.x().unwrap()),
                "y": b64(point.y().unwrap()),
            }),
        }
    }

    pub fn ed(kid: &str) -> TestKey {
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        let signing = ed25519_dalek::SigningKey::generate(&mut OsRng);
        TestKey {
            kid: kid.into(),
            alg: Algorithm::EdDSA,
            encoding: EncodingKey::from_ed_der(signing.to_pkcs8_der().unwrap().as_bytes()),
            jwk: json!({
                "kty": "OKP",
                "kid": kid,
                "crv": "Ed25519",
                "x": b64(signing.verifying_key().as_bytes()),
            }),
        }
    }

    /// Signs with the key's own algorithm and `kid`.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_as(self.alg, Some(&self.kid), claims)
    }

    pub fn sign_as(&self, alg: Algorithm, kid: Option<&str>, claims: &Value) -> String {
        let mut header = Header::new(alg);
        header.kid = kid.map(str::to_owned);
        self.sign_with_header(&header, claims)
    }

    pub fn sign_with_header(&self, header: &Header, claims: &Value) -> String {
        jsonwebtoken::encode(header, claims, &self.encoding).unwrap()
    }
}

/// A JWKS document publishing these keys.
pub fn jwks(keys: &[&TestKey]) -> String {
    let keys: Vec<&Value> = keys.iter().map(|k| &k.jwk).collect();
    json!({ "keys": keys }).to_string()
}

/// A token with any header at all, signature bytes as given.
pub fn raw_token(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(signature)
    )
}

/// A fake IdP endpoint: serves `document`, counts fetches, can be broken.
pub struct FakeIdp {
    document: Mutex<String>,
    fetches: AtomicUsize,
    down: AtomicBool,
}

impl FakeIdp {
    pub fn new(document: String) -> FakeIdp {
        FakeIdp {
            document: Mutex::new(document),
            fetches: AtomicUsize::new(0),
            down: AtomicBool::new(false),
        }
    }

    pub fn publish(&self, document: String) {
        *self.document.lock().unwrap() = document;
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl JwksFetcher for FakeIdp {
    async fn fetch(&self) -> Result<String, JwksFetchError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        if self.down.load(Ordering::SeqCst) {
            return Err(JwksFetchError("connection refused".into()));
        }
        Ok(self.document.lock().unwrap().clone())
    }
}
