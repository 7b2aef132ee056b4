//! A fake identity provider for the exchange tests: keys generated here
//! (RSA, EC P-256, Ed25519), a JWKS served over real HTTP by a small server
//! on 127.0.0.1, and ID tokens signed with those keys.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::rngs::OsRng;
use serde_json::{Value, json};
use tessera::identity::registration::{KeySource, ProviderSettings, register_provider};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::helpers::{TestApp, spawn_app_with};

pub const AUDIENCE: &str = "tessera-test-audience";
pub const ID_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:id_token";
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const AUTHTOKEN_TYPE: &str = "urn:tessera:params:oauth:token-type:authtoken";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub struct Key {
    pub kid: String,
    pub alg: Algorithm,
    encoding: EncodingKey,
    pub jwk: Value,
}

/// RSA keys are slow to make in a debug build: the tests share one.
pub fn shared_rsa() -> &'static rsa::RsaPrivateKey {
    static KEY: OnceLock<rsa::RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| rsa::RsaPrivateKey::new(&mut OsRng, 2048).unwrap())
}

impl Key {
    pub fn rsa(kid: &str) -> Key {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::traits::PublicKeyParts;
        let key = shared_rsa();
        Key {
            kid: kid.into(),
            alg: Algorithm::RS256,
            encoding: EncodingKey::from_rsa_der(key.to_pkcs1_der().unwrap().as_bytes()),
            jwk: json!({
                "kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
                "n": b64(&key.n().to_bytes_be()),
                "e": b64(&key.e().to_bytes_be()),
            }),
        }
    }

    pub fn ec(kid: &str) -> Key {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        use p256::pkcs8::EncodePrivateKey;
        let secret = p256::SecretKey::random(&mut OsRng);
        let point = secret.public_key().to_encoded_point(false);
        Key {
            kid: kid.into(),
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(secret.to_pkcs8_der().unwrap().as_bytes()),
            jwk: json!({
                "kty": "EC", "kid": kid, "use": "sig", "crv": "P-256",
                "x": b64(point.x().unwrap()),
                "y": b64(point.y().unwrap()),
            }),
        }
    }

    pub fn ed(kid: &str) -> Key {
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        let signing = ed25519_dalek::SigningKey::generate(&mut OsRng);
        Key {
            kid: kid.into(),
            alg: Algorithm::EdDSA,
            encoding: EncodingKey::from_ed_der(signing.to_pkcs8_der().unwrap().as_bytes()),
            jwk: json!({
                "kty": "OKP", "kid": kid, "use": "sig", "crv": "Ed25519",
                "x": b64(signing.verifying_key().as_bytes()),
            }),
        }
    }

    pub fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).unwrap()
    }
}

pub fn jwks(keys: &[&Key]) -> String {
    let keys: Vec<&Value> = keys.iter().map(|k| &k.jwk).collect();
    json!({ "keys": keys }).to_string()
}

/// A token with any header, payload and signature bytes at all.
pub fn raw_token(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(signature)
    )
}

/// An IdP publishing a JWKS at `http://127.0.0.1:<port>/jwks` (reachable
/// only by an app from [`spawn_idp_app`]).
pub struct Idp {
    pub issuer: String,
    pub jwks_uri: String,
    document: Arc<Mutex<String>>,
    fetches: Arc<AtomicUsize>,
}

impl Idp {
    pub async fn start(keys: &[&Key]) -> Idp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let document = Arc::new(Mutex::new(jwks(keys)));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (document.clone(), fetches.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let body = served.lock().unwrap().clone();
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    // The request itself does not matter: read its head.
                    let mut request = Vec::new();
                    let mut buffer = [0u8; 1024];
                    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => request.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Idp {
            issuer: format!("https://idp-{port}.example.com"),
            jwks_uri: format!("http://127.0.0.1:{port}/jwks"),
            document,
            fetches,
        }
    }

    /// The IdP rotates its keys: from now on it publishes these.
    pub fn publish(&self, keys: &[&Key]) {
        *self.document.lock().unwrap() = jwks(keys);
    }

    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Good claims for `sub`, issued now by the app's clock.
    pub fn claims(&self, app: &TestApp, sub: &str) -> Value {
        let now = tessera::clock::Clock::now(&app.clock);
        json!({
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": sub,
            "given_name": "Ada",
            "family_name": "Lovelace",
            "email": "ada@example.com",
            "iat": now,
            "exp": now + 300,
        })
    }

    /// Registers this IdP (keys by URI) as a provider of the site.
    pub async fn trust_on(&self, app: &TestApp, site_id: i64) {
        register_provider(
            &app.state.store,
            site_id,
            ProviderSettings {
                issuer: self.issuer.clone(),
                audience: AUDIENCE.into(),
                keys: KeySource::Uri(self.jwks_uri.clone()),
                algorithms: None,
            },
            app.state.outbound.policy(),
            tessera::clock::Clock::now(&app.clock),
        )
        .await
        .unwrap();
    }
}

/// Claims with some changed (`null` removes one).
pub fn with(mut claims: Value, changes: Value) -> Value {
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

/// `POST /oauth/token` with the token-exchange grant, at `base`.
pub async fn exchange_at(client: &reqwest::Client, base: &str, token: &str) -> reqwest::Response {
    client
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", TOKEN_EXCHANGE),
            ("subject_token", token),
            ("subject_token_type", ID_TOKEN_TYPE),
        ])
        .send()
        .await
        .unwrap()
}

pub async fn exchange(app: &TestApp, token: &str) -> reqwest::Response {
    exchange_at(&reqwest::Client::new(), &app.address, token).await
}

/// Asserts an RFC 6749 5.2 error and returns its description.
pub async fn assert_refused(response: reqwest::Response, status: u16, error: &str) -> String {
    assert_eq!(response.status().as_u16(), status);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(
        crate::helpers::set_cookies(response.headers(), "authtoken").is_empty(),
        "a refusal sets no cookie"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    body["error_description"].as_str().unwrap().to_string()
}

/// An app that may fetch from the test IdPs: they serve plain http on
/// 127.0.0.1, which only the development setting allows.
pub async fn spawn_idp_app() -> TestApp {
    spawn_app_with(&[("TESSERA_OUTBOUND_ALLOW_PRIVATE", "true")]).await
}

/// An app with one IdP trusted on its default site.
pub async fn app_trusting(key: &Key) -> (TestApp, Idp) {
    let app = spawn_idp_app().await;
    let idp = Idp::start(&[key]).await;
    idp.trust_on(&app, app.default_site_id()).await;
    (app, idp)
}
