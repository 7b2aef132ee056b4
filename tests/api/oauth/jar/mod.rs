//! JWT-secured authorization requests (RFC 9101) and JARM, end to end over
//! HTTP. Request objects and client assertions are made here with
//! `jsonwebtoken` and keys generated in the test, and JARM responses are
//! checked against the site's published JWKS, never with Tessera's own
//! signing code. Each refusal is its own test.

mod jarm;
mod refusals;
mod request_objects;

use jsonwebtoken::{DecodingKey, Validation};
use serde_json::{Value, json};
use tessera::oauth::ClientSettings;
use tessera::oauth::client_auth::{ClientAuthMethod, ClientAuthSettings, ClientKeySource};

use crate::helpers::{TestApp, new_client};
use crate::identity::support::{Key, jwks};
use crate::oauth::support::{REDIRECT, location, params};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A private_key_jwt client and the key it signs with.
struct KeyClient {
    client_id: String,
    key: Key,
}

async fn key_client(app: &TestApp) -> KeyClient {
    let key = Key::ec("client-key");
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let registered = app
        .state
        .oauth
        .clients
        .register_with(
            &site,
            ClientSettings {
                name: "Signed Requests".into(),
                homepage_url: None,
                redirect_uris: vec![REDIRECT.into()],
                scopes: Some("profile content:read".into()),
                grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
            },
            &ClientAuthSettings {
                method: ClientAuthMethod::PrivateKeyJwt,
                keys: Some(ClientKeySource::Jwks(jwks(&[&key]))),
                signing_alg: None,
            },
            None,
            &tessera::audit::Actor::Cli,
        )
        .await
        .expect("register the client");
    KeyClient {
        client_id: registered.client.client_id.clone(),
        key,
    }
}

fn now(app: &TestApp) -> i64 {
    tessera::clock::Clock::now(&app.clock)
}

/// Good claims for a request object of `client_id` asking for `profile`.
fn request_claims(app: &TestApp, client_id: &str, challenge: &str) -> Value {
    let now = now(app);
    json!({
        "iss": client_id,
        "aud": app.address,
        "client_id": client_id,
        "iat": now,
        "exp": now + 300,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "profile",
        "state": "signed-state",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    })
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

/// `/oauth/authorize` with `client_id`, `request` and `extra` query parameters.
fn signed_path(client_id: &str, object: &str, extra: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("client_id", client_id)
        .append_pair("request", object);
    for (name, value) in extra {
        query.append_pair(name, value);
    }
    format!("/oauth/authorize?{}", query.finish())
}

/// A client assertion of `client` for the endpoint at `path`.
fn assertion(app: &TestApp, client: &KeyClient, path: &str) -> String {
    let now = now(app);
    client.key.sign(&json!({
        "iss": client.client_id,
        "sub": client.client_id,
        "aud": app.url(path),
        "iat": now,
        "exp": now + 60,
        "jti": uuid::Uuid::new_v4().to_string(),
    }))
}

/// Redeems `code` as the key client, authenticated by an assertion.
async fn redeem(app: &TestApp, client: &KeyClient, code: &str, verifier: &str) -> Value {
    let assertion = assertion(app, client, "/oauth/token");
    let response = new_client(app.port)
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &assertion),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Asserts a redirect back to the client with `error`, and returns its
/// parameters.
fn refused_to_client(
    response: &reqwest::Response,
    error: &str,
) -> std::collections::HashMap<String, String> {
    assert_eq!(response.status(), 303);
    let location = location(response);
    assert!(location.starts_with(REDIRECT), "{location}");
    let back = params(&location);
    assert_eq!(
        back.get("error").map(String::as_str),
        Some(error),
        "{back:?}"
    );
    assert!(!back.contains_key("code"));
    back
}

/// The claims of a JARM response, checked against the site's JWKS as the
/// client would: signature, `iss` and `aud`.
async fn verify_jarm(app: &TestApp, client_id: &str, response: &str) -> Value {
    let header = jsonwebtoken::decode_header(response).unwrap();
    let kid = header.kid.clone().expect("a kid");
    let keys: jsonwebtoken::jwk::JwkSet = new_client(app.port)
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let jwk = keys.find(&kid).expect("the signing key is published");
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[client_id]);
    validation.set_issuer(&[app.address.as_str()]);
    let key = DecodingKey::from_jwk(jwk).unwrap();
    jsonwebtoken::decode::<Value>(response, &key, &validation)
        .expect("a JARM response the client can verify")
        .claims
}
