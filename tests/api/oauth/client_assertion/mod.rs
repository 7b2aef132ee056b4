//! Client authentication with keys, end to end over HTTP: private_key_jwt
//! (RFC 7523 2.2) with keys given inline or served from a `jwks_uri`, and
//! client_secret_jwt. Assertions are made here with `jsonwebtoken` and keys
//! generated in the test, never with Tessera's own signing code. Each
//! refusal is its own test.

mod accepted;
mod refusals;
mod registration;
mod tools;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tessera::oauth::ClientSettings;
use tessera::oauth::client_auth::{ClientAuthMethod, ClientAuthSettings, ClientKeySource};
use tessera::oauth::registration::RegistrationPolicy;

use crate::helpers::{TestApp, new_client, spawn_app};
use crate::identity::support::{Idp, Key, jwks, raw_token, spawn_idp_app};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const REDIRECT: &str = "https://app.example.com/callback";

/// A client as its developer knows it: the id, and the secret of a
/// client_secret_jwt client.
struct Registered {
    client_id: String,
    secret: Option<String>,
}

async fn register_as(app: &TestApp, auth: ClientAuthSettings) -> Registered {
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let registered = app
        .state
        .oauth
        .clients
        .register_with(
            &site,
            ClientSettings {
                name: "Key Holder".into(),
                homepage_url: None,
                redirect_uris: vec![REDIRECT.into()],
                scopes: Some("content:read".into()),
                grant_types: Some(vec![
                    "authorization_code".into(),
                    "client_credentials".into(),
                    "urn:ietf:params:oauth:grant-type:device_code".into(),
                ]),
            },
            &auth,
            None,
            &tessera::audit::Actor::Cli,
        )
        .await
        .expect("register the client");
    Registered {
        client_id: registered.client.client_id.clone(),
        secret: registered.secret.map(|s| s.into_inner()),
    }
}

async fn register_key_client(app: &TestApp, keys: ClientKeySource, alg: Option<&str>) -> String {
    let auth = ClientAuthSettings {
        method: ClientAuthMethod::PrivateKeyJwt,
        keys: Some(keys),
        signing_alg: alg.map(str::to_string),
    };
    register_as(app, auth).await.client_id
}

async fn inline_client(app: &TestApp, key: &Key) -> String {
    register_key_client(app, ClientKeySource::Jwks(jwks(&[key])), None).await
}

fn now(app: &TestApp) -> i64 {
    tessera::clock::Clock::now(&app.clock)
}

fn token_endpoint(app: &TestApp) -> String {
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    site.url("/oauth/token")
}

/// Good claims for an assertion of `client_id` to the token endpoint.
fn claims(app: &TestApp, client_id: &str) -> Value {
    let now = now(app);
    json!({
        "iss": client_id,
        "sub": client_id,
        "aud": token_endpoint(app),
        "iat": now,
        "exp": now + 60,
        "jti": uuid::Uuid::new_v4().to_string(),
    })
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    new_client(app.port)
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The client_credentials grant, authenticated by `assertion` alone.
async fn token_with(app: &TestApp, assertion: &str) -> reqwest::Response {
    post_form(
        app,
        "/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion),
        ],
    )
    .await
}

/// Asserts `invalid_client` as RFC 6749 5.2 says, and returns the description.
async fn refused(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(response.headers().contains_key("www-authenticate"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client", "{body}");
    body["error_description"].as_str().unwrap().to_string()
}

async fn issued(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["access_token"].is_string(), "{body}");
    body
}
