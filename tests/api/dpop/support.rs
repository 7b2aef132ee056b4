//! A client's DPoP key and the proofs it signs, made the way a client
//! library would: jsonwebtoken with a P-256 or Ed25519 key, the public JWK
//! in the header.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey};
use rand::rngs::OsRng;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, new_client};
use crate::oauth::support::{App, Registration, authorize_code, register, signed_in_browser};

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A DPoP key pair held by a client.
pub struct Proofer {
    alg: Algorithm,
    encoding: EncodingKey,
    jwk: Value,
}

impl Proofer {
    pub fn es256() -> Proofer {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        use p256::pkcs8::EncodePrivateKey;
        let secret = p256::SecretKey::random(&mut OsRng);
        let point = secret.public_key().to_encoded_point(false);
        Proofer {
            alg: Algorithm::ES256,
            encoding: EncodingKey::from_ec_der(secret.to_pkcs8_der().unwrap().as_bytes()),
            jwk: json!({
                "kty": "EC", "crv": "P-256",
                "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap()),
            }),
        }
    }

    pub fn ed25519() -> Proofer {
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        let signing = ed25519_dalek::SigningKey::generate(&mut OsRng);
        Proofer {
            alg: Algorithm::EdDSA,
            encoding: EncodingKey::from_ed_der(signing.to_pkcs8_der().unwrap().as_bytes()),
            jwk: json!({"kty": "OKP", "crv": "Ed25519", "x": b64(signing.verifying_key().as_bytes())}),
        }
    }

    /// An RS256 key (the test binary's shared RSA key).
    pub fn rs256() -> Proofer {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        use rsa::traits::PublicKeyParts;
        let key = crate::identity::support::shared_rsa();
        Proofer {
            alg: Algorithm::RS256,
            encoding: EncodingKey::from_rsa_der(key.to_pkcs1_der().unwrap().as_bytes()),
            jwk: json!({
                "kty": "RSA",
                "n": b64(&key.n().to_bytes_be()),
                "e": b64(&key.e().to_bytes_be()),
            }),
        }
    }

    /// The RFC 7638 thumbprint, computed by jsonwebtoken (not by Tessera).
    pub fn jkt(&self) -> String {
        let jwk: Jwk = serde_json::from_value(self.jwk.clone()).unwrap();
        jwk.thumbprint(ThumbprintHash::SHA256).unwrap()
    }

    /// Signs `claims` as a DPoP proof with `jwk` as the header's key, the
    /// header written as given (jsonwebtoken's typed `Jwk` would drop
    /// members it does not know, such as a private `d`).
    pub fn sign_with_jwk(&self, claims: &Value, jwk: &Value) -> String {
        let header = json!({"typ": "dpop+jwt", "alg": format!("{:?}", self.alg), "jwk": jwk});
        let signed = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let signature =
            jsonwebtoken::crypto::sign(signed.as_bytes(), &self.encoding, self.alg).unwrap();
        format!("{signed}.{signature}")
    }

    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_jwk(claims, &self.jwk)
    }

    pub fn public_jwk(&self) -> &Value {
        &self.jwk
    }

    /// The claims of a good proof for `method` and `url` at the app's time.
    pub fn claims(app: &TestApp, method: &str, url: &str) -> Value {
        json!({
            "jti": uuid::Uuid::new_v4().to_string(),
            "htm": method,
            "htu": url,
            "iat": tessera::clock::Clock::now(&app.clock),
        })
    }

    /// A good proof for `method` on `path`, with `ath` when a token is given.
    pub fn proof(&self, app: &TestApp, method: &str, path: &str, token: Option<&str>) -> String {
        let mut claims = Proofer::claims(app, method, &app.url(path));
        if let Some(token) = token {
            claims["ath"] = json!(ath(token));
        }
        self.sign(&claims)
    }

    /// A proof for the token endpoint.
    pub fn for_token(&self, app: &TestApp) -> String {
        self.proof(app, "POST", "/oauth/token", None)
    }
}

/// `ath`: base64url(SHA-256(access token)).
pub fn ath(token: &str) -> String {
    b64(&Sha256::digest(token.as_bytes()))
}

/// A token request with an optional `DPoP` header; the client
/// authenticates like `oauth::support::token`.
pub async fn token_with(
    app: &TestApp,
    client: &App,
    proof: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = new_client(app.port).post(app.url("/oauth/token"));
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    let request = match &client.secret {
        Some(secret) => request
            .basic_auth(&client.client_id, Some(secret))
            .form(form),
        None => {
            let mut form = form.to_vec();
            form.push(("client_id", &client.client_id));
            request.form(&form)
        }
    };
    request.send().await.unwrap()
}

pub async fn client_credentials(
    app: &TestApp,
    client: &App,
    proof: Option<&str>,
) -> reqwest::Response {
    token_with(app, client, proof, &[("grant_type", "client_credentials")]).await
}

/// A confidential client allowed client credentials.
pub async fn service_client(app: &TestApp) -> App {
    register(
        app,
        Registration {
            grant_types: Some(vec!["client_credentials"]),
            ..Registration::default()
        },
    )
    .await
}

/// A user's tokens from the code flow, the code redeemed with a proof by
/// `proofer`. Returns the token response.
pub async fn bound_user_tokens(app: &TestApp, client: &App, proofer: &Proofer) -> Value {
    let browser = signed_in_browser(app).await;
    let (code, verifier) = authorize_code(app, &browser, client, None).await;
    let response = token_with(
        app,
        client,
        Some(&proofer.for_token(app)),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &client.redirect_uri),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// `GET path` with `Authorization: <scheme> <token>` and optional proof.
pub async fn call(
    app: &TestApp,
    path: &str,
    scheme: &str,
    token: &str,
    proof: Option<&str>,
) -> reqwest::Response {
    let mut request = new_client(app.port)
        .get(app.url(path))
        .header("Authorization", format!("{scheme} {token}"));
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    request.send().await.unwrap()
}

/// The status, `error` and `error_description` of a JSON error answer.
pub async fn refusal(response: reqwest::Response) -> (u16, String, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_string(),
        body["error_description"]
            .as_str()
            .or(body["message"].as_str())
            .unwrap_or_default()
            .to_string(),
    )
}
