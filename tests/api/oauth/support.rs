//! Helpers for the OAuth tests: registering clients, PKCE, and walking the
//! authorization flow over HTTP the way a browser and an app would.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::LOCATION;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tessera::oauth::ClientSettings;
use tessera::users::{Permission, Permissions, Role};

use crate::helpers::{TestApp, hidden_input, new_client};

pub const REDIRECT: &str = "https://app.example.com/callback";
pub const PASSWORD: &str = "correct horse battery";

/// A registered client as its developer knows it.
#[derive(Debug, Clone)]
pub struct App {
    pub client_id: String,
    pub secret: Option<String>,
    pub redirect_uri: String,
}

pub struct Registration<'a> {
    pub confidential: bool,
    pub redirect_uris: Vec<&'a str>,
    pub scopes: Option<&'a str>,
    pub grant_types: Option<Vec<&'a str>>,
}

impl Default for Registration<'_> {
    fn default() -> Self {
        Registration {
            confidential: true,
            redirect_uris: vec![REDIRECT],
            scopes: Some("profile content:read content:write"),
            grant_types: None,
        }
    }
}

pub async fn register_on(app: &TestApp, site_id: i64, registration: Registration<'_>) -> App {
    let site = app.state.sites.by_id(site_id).expect("the site");
    let registered = app
        .state
        .oauth
        .clients
        .register(
            &site,
            ClientSettings {
                name: "Photo Printer".into(),
                homepage_url: Some("https://app.example.com/".into()),
                redirect_uris: registration
                    .redirect_uris
                    .iter()
                    .map(|u| u.to_string())
                    .collect(),
                scopes: registration.scopes.map(str::to_string),
                grant_types: registration
                    .grant_types
                    .map(|g| g.iter().map(|s| s.to_string()).collect()),
            },
            registration.confidential,
            None,
            &tessera::audit::Actor::Cli,
        )
        .await
        .expect("register a client");
    App {
        client_id: registered.client.client_id.clone(),
        secret: registered.secret.map(|s| s.into_inner()),
        redirect_uri: registration
            .redirect_uris
            .first()
            .unwrap_or(&"")
            .to_string(),
    }
}

/// What an admin grants a client without owner (`tessera client grant-permissions`).
pub async fn grant_permissions(app: &TestApp, client: &App, permissions: &[Permission]) {
    let site = app
        .state
        .sites
        .by_id(app.default_site_id())
        .expect("the site");
    app.state
        .oauth
        .clients
        .grant_permissions(
            &site,
            &client.client_id,
            Permissions::of(permissions),
            &tessera::audit::Actor::Cli,
        )
        .await
        .expect("grant permissions");
}

pub async fn register(app: &TestApp, registration: Registration<'_>) -> App {
    register_on(app, app.default_site_id(), registration).await
}

/// A PKCE verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The authorization request URL (path and query) for `client`.
pub fn authorize_path(
    client: &App,
    scope: Option<&str>,
    challenge: &str,
    extra: &[(&str, &str)],
) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", &client.client_id)
        .append_pair("redirect_uri", &client.redirect_uri)
        .append_pair("state", "xyz-state")
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256");
    if let Some(scope) = scope {
        query.append_pair("scope", scope);
    }
    for (k, v) in extra {
        query.append_pair(k, v);
    }
    format!("/oauth/authorize?{}", query.finish())
}

/// A browser signed in as a new `pro` user called `alice`.
pub async fn signed_in_browser(app: &TestApp) -> reqwest::Client {
    app.create_user("alice", PASSWORD, Role::Pro).await;
    let (browser, _) = app.signed_in_client("alice", PASSWORD).await;
    browser
}

pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// The query parameters of a redirect.
pub fn params(location: &str) -> HashMap<String, String> {
    url::Url::parse(location)
        .map(|u| {
            u.query_pairs()
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default()
}

pub async fn get(browser: &reqwest::Client, app: &TestApp, path: &str) -> reqwest::Response {
    browser.get(app.url(path)).send().await.expect("GET")
}

/// Submits the consent page's form with `decision`, as the browser would.
pub async fn submit_consent(
    browser: &reqwest::Client,
    app: &TestApp,
    page: &str,
    decision: &str,
) -> reqwest::Response {
    assert!(
        page.contains(r#"<form method="post" action="/oauth/authorize">"#),
        "a consent form"
    );
    let csrf = hidden_input(page, "csrf_token").expect("csrf_token");
    let consent = hidden_input(page, "consent_token").expect("consent_token");
    browser
        .post(app.url("/oauth/authorize"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("consent_token", consent.as_str()),
            ("decision", decision),
        ])
        .send()
        .await
        .expect("POST /oauth/authorize")
}

/// Runs authorize -> consent (Allow) and returns the code and its verifier.
pub async fn authorize_code(
    app: &TestApp,
    browser: &reqwest::Client,
    client: &App,
    scope: Option<&str>,
) -> (String, String) {
    let (verifier, challenge) = pkce();
    let response = get(
        browser,
        app,
        &authorize_path(client, scope, &challenge, &[]),
    )
    .await;
    let response = if response.status() == 200 {
        let page = response.text().await.expect("consent page");
        submit_consent(browser, app, &page, "allow").await
    } else {
        response
    };
    assert_eq!(response.status(), 303, "a redirect back to the client");
    let back = params(&location(&response));
    assert_eq!(back.get("state").map(String::as_str), Some("xyz-state"));
    assert_eq!(back.get("iss"), Some(&app.address));
    (back.get("code").cloned().expect("a code"), verifier)
}

/// Posts to the token endpoint with HTTP Basic client authentication when
/// the client has a secret, otherwise with `client_id` in the body.
pub async fn token(app: &TestApp, client: &App, form: &[(&str, &str)]) -> reqwest::Response {
    token_at(app, &app.address, client, form).await
}

pub async fn token_at(
    app: &TestApp,
    base: &str,
    client: &App,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let request = new_client(app.port).post(format!("{base}/oauth/token"));
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
    request.send().await.expect("POST /oauth/token")
}

pub async fn exchange(
    app: &TestApp,
    client: &App,
    code: &str,
    verifier: &str,
) -> reqwest::Response {
    token(
        app,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &client.redirect_uri),
            ("code_verifier", verifier),
        ],
    )
    .await
}

/// The whole flow: returns the token response JSON.
pub async fn tokens_for(
    app: &TestApp,
    browser: &reqwest::Client,
    client: &App,
    scope: Option<&str>,
) -> Value {
    let (code, verifier) = authorize_code(app, browser, client, scope).await;
    let response = exchange(app, client, &code, &verifier).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("token JSON")
}

pub async fn introspect(app: &TestApp, client: &App, token: &str) -> Value {
    new_client(app.port)
        .post(app.url("/oauth/introspect"))
        .basic_auth(&client.client_id, client.secret.as_ref())
        .form(&[("token", token)])
        .send()
        .await
        .expect("POST /oauth/introspect")
        .json()
        .await
        .expect("introspection JSON")
}

pub async fn api_as(app: &TestApp, access_token: &str, path: &str) -> reqwest::Response {
    new_client(app.port)
        .get(app.url(path))
        .bearer_auth(access_token)
        .send()
        .await
        .expect("API call")
}

pub async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("error JSON");
    (
        status,
        body["error"].as_str().unwrap_or_default().to_string(),
    )
}
