//! The FAPI 2.0 Security Profile mode (`security_profile = fapi2`), end to
//! end over HTTP: a FAPI 2.0 client walked through PAR, authorization,
//! token, API call and refresh; each refusal its own test; the setting
//! through the CLI and the admin API. Assertions, request objects and DPoP
//! proofs are made here with `jsonwebtoken` and keys generated in the
//! test, never with Tessera's own signing code.

mod dpop_algorithms;
mod flow;
mod refusals;
mod settings;

use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use tessera::clock::Clock;
use tessera::oauth::ClientSettings;
use tessera::oauth::client_auth::{ClientAuthMethod, ClientAuthSettings, ClientKeySource};

use crate::dpop::support::Proofer;
use crate::helpers::{TestApp, new_client, spawn_app};
use crate::identity::support::{Key, jwks};
use crate::oauth::support::{REDIRECT, get, location, params, pkce, submit_consent};

pub(super) const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The app with its default site in FAPI 2.0 mode.
async fn fapi_app() -> TestApp {
    let app = spawn_app().await;
    set_profile(&app, "fapi2").await;
    app
}

async fn set_profile(app: &TestApp, profile: &str) {
    app.state
        .store
        .set_site_security_profile(app.default_site_id(), profile, app.clock.now())
        .await
        .unwrap();
    app.state.sites.reload().await.unwrap();
}

/// A private_key_jwt client and the key it signs its assertions with.
struct FapiClient {
    client_id: String,
    key: Key,
}

/// Registers a private_key_jwt client holding `key`.
async fn key_client(app: &TestApp, key: Key) -> FapiClient {
    let client_id = register_keys(app, &[&key]).await;
    FapiClient { client_id, key }
}

/// Registers a private_key_jwt client with `keys`; its client id.
async fn register_keys(app: &TestApp, keys: &[&Key]) -> String {
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let registered = app
        .state
        .oauth
        .clients
        .register_with(
            &site,
            ClientSettings {
                name: "FAPI Client".into(),
                homepage_url: None,
                redirect_uris: vec![REDIRECT.into()],
                scopes: Some("profile content:read".into()),
                grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
            },
            &ClientAuthSettings {
                method: ClientAuthMethod::PrivateKeyJwt,
                keys: Some(ClientKeySource::Jwks(jwks(keys))),
                signing_alg: None,
            },
            None,
            &tessera::audit::Actor::Cli,
        )
        .await
        .expect("register the client");
    registered.client.client_id.clone()
}

async fn es256_client(app: &TestApp) -> FapiClient {
    key_client(app, Key::ec("fapi-key")).await
}

/// A client assertion of `client`, as FAPI 2.0 5.3.2.1 wants it: `aud` is
/// the issuer identifier, as a string, whichever endpoint it is sent to.
fn assertion(app: &TestApp, client: &FapiClient) -> String {
    assertion_for(app, client, json!(app.address))
}

/// A client assertion of `client` naming `aud`.
fn assertion_for(app: &TestApp, client: &FapiClient, aud: Value) -> String {
    let now = app.clock.now();
    client.key.sign(&json!({
        "iss": client.client_id,
        "sub": client.client_id,
        "aud": aud,
        "iat": now,
        "exp": now + 60,
        "jti": uuid::Uuid::new_v4().to_string(),
    }))
}

/// `POST path` with the form, authenticated by an assertion of `client`,
/// and a DPoP proof when given.
async fn post_as(
    app: &TestApp,
    client: &FapiClient,
    path: &str,
    proof: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let assertion = assertion(app, client);
    let mut form = form.to_vec();
    form.push(("client_assertion_type", ASSERTION_TYPE));
    form.push(("client_assertion", &assertion));
    let mut request = new_client(app.port).post(app.url(path));
    if let Some(proof) = proof {
        request = request.header("DPoP", proof);
    }
    request.form(&form).send().await.unwrap()
}

/// The authorization request's parameters, as a FAPI client pushes them.
fn request_parameters<'a>(client: &'a FapiClient, challenge: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("response_type", "code"),
        ("client_id", client.client_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("scope", "profile content:read"),
        ("state", "fapi-state"),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
    ]
}

/// Pushes a good request with a proof by `proofer`; its request_uri and
/// PKCE verifier.
async fn pushed(app: &TestApp, client: &FapiClient, proofer: &Proofer) -> (String, String) {
    let (verifier, challenge) = pkce();
    let proof = proofer.proof(app, "POST", "/oauth/par", None);
    let form = request_parameters(client, &challenge);
    let response = post_as(app, client, "/oauth/par", Some(&proof), &form).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    (body["request_uri"].as_str().unwrap().to_string(), verifier)
}

fn request_uri_path(client: &FapiClient, request_uri: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &client.client_id)
        .append_pair("request_uri", request_uri)
        .finish();
    format!("/oauth/authorize?{query}")
}

/// Authorizes a pushed request in a signed-in browser (consent: allow);
/// the parameters of the redirect back.
async fn authorize_pushed(
    app: &TestApp,
    browser: &reqwest::Client,
    client: &FapiClient,
    request_uri: &str,
) -> std::collections::HashMap<String, String> {
    let response = get(browser, app, &request_uri_path(client, request_uri)).await;
    assert_eq!(response.status(), 200, "the consent page");
    let page = response.text().await.unwrap();
    let response = submit_consent(browser, app, &page, "allow").await;
    assert_eq!(response.status(), 303);
    params(&location(&response))
}

/// A token request for `code` with the assertion and optional proof.
async fn redeem(
    app: &TestApp,
    client: &FapiClient,
    proof: Option<&str>,
    code: &str,
    verifier: &str,
) -> reqwest::Response {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
    ];
    post_as(app, client, "/oauth/token", proof, &form).await
}

/// An RSA key that says it signs with `alg`.
fn rsa_key(alg: Algorithm) -> Key {
    let mut key = Key::rsa("rsa-key");
    key.alg = alg;
    key.jwk["alg"] = json!(format!("{alg:?}"));
    key
}

/// The status, `error` and `error_description` of a JSON error answer
/// (which must not be cached).
async fn refusal(response: reqwest::Response) -> (u16, String, String) {
    assert_eq!(response.headers()["cache-control"], "no-store");
    crate::dpop::support::refusal(response).await
}
