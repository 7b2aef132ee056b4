//! Pushed authorization requests (RFC 9126) over HTTP: the push, the
//! one-use, 60-second `request_uri`, and the "PAR required" settings.

use serde_json::Value;

use crate::helpers::{TestApp, new_client, spawn_app};
use crate::oauth::support::{
    App, REDIRECT, Registration, error_of, exchange, get, location, params, pkce, register,
    signed_in_browser, submit_consent,
};

async fn push(app: &TestApp, client: &App, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("state", "xyz-state"),
        ("code_challenge_method", "S256"),
        ("scope", "profile"),
    ];
    // An extra parameter replaces the default: a parameter sent twice is
    // refused (RFC 6749 3.1).
    form.retain(|(name, _)| extra.iter().all(|(extra_name, _)| extra_name != name));
    form.extend_from_slice(extra);
    let request = new_client(app.port).post(app.url("/oauth/par"));
    let request = match &client.secret {
        Some(secret) => request.basic_auth(&client.client_id, Some(secret)),
        None => {
            form.push(("client_id", client.client_id.as_str()));
            request
        }
    };
    request.form(&form).send().await.expect("POST /oauth/par")
}

/// Pushes a valid request; returns its request_uri and PKCE verifier.
async fn pushed(app: &TestApp, client: &App) -> (String, String) {
    let (verifier, challenge) = pkce();
    let response = push(app, client, &[("code_challenge", &challenge)]).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["expires_in"], 60);
    let request_uri = body["request_uri"].as_str().unwrap().to_string();
    assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    (request_uri, verifier)
}

fn authorize_path(client: &App, request_uri: &str) -> String {
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &client.client_id)
        .append_pair("request_uri", request_uri)
        .finish();
    format!("/oauth/authorize?{query}")
}

async fn error_page_code(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let page = response.text().await.unwrap();
    let code = page
        .split(r#"data-error=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_string();
    (status, code)
}

#[tokio::test]
async fn a_pushed_request_is_authorized_through_its_request_uri() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let (request_uri, verifier) = pushed(&app, &client).await;

    // Not signed in: off to sign in, and the request_uri is not spent.
    let anonymous = new_client(app.port);
    let response = anonymous
        .get(app.url(&authorize_path(&client, &request_uri)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert!(location(&response).starts_with("/login?next="));

    let browser = signed_in_browser(&app).await;
    let response = get(&browser, &app, &authorize_path(&client, &request_uri)).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    let response = submit_consent(&browser, &app, &page, "allow").await;
    let back = params(&location(&response));
    assert_eq!(back["state"], "xyz-state");
    let response = exchange(&app, &client, &back["code"], &verifier).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["scope"], "profile");
}

#[tokio::test]
async fn a_request_uri_is_used_once() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let (request_uri, _) = pushed(&app, &client).await;
    let browser = signed_in_browser(&app).await;
    let first = get(&browser, &app, &authorize_path(&client, &request_uri)).await;
    assert_eq!(first.status(), 200);
    let again = get(&browser, &app, &authorize_path(&client, &request_uri)).await;
    assert_eq!(
        error_page_code(again).await,
        (400, "invalid_request".into())
    );
}

#[tokio::test]
async fn a_request_uri_expires_after_sixty_seconds() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let (request_uri, _) = pushed(&app, &client).await;
    let browser = signed_in_browser(&app).await;
    app.clock.advance(61);
    let response = get(&browser, &app, &authorize_path(&client, &request_uri)).await;
    assert_eq!(
        error_page_code(response).await,
        (400, "invalid_request".into())
    );
}

#[tokio::test]
async fn a_request_uri_belongs_to_the_client_that_pushed_it() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let other = register(&app, Registration::default()).await;
    let (request_uri, _) = pushed(&app, &client).await;
    let browser = signed_in_browser(&app).await;
    let response = get(&browser, &app, &authorize_path(&other, &request_uri)).await;
    assert_eq!(
        error_page_code(response).await,
        (400, "invalid_request".into())
    );
}

#[tokio::test]
async fn the_push_is_validated_like_an_authorization_request() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let (_, challenge) = pkce();
    let bad_redirect = push(
        &app,
        &client,
        &[
            ("code_challenge", &challenge),
            ("redirect_uri", "https://evil.example.com/"),
        ],
    )
    .await;
    assert_eq!(
        error_of(bad_redirect).await,
        (400, "invalid_request".into())
    );
    let no_pkce = push(&app, &client, &[]).await;
    assert_eq!(error_of(no_pkce).await, (400, "invalid_request".into()));
    let bad_scope = push(
        &app,
        &client,
        &[("code_challenge", &challenge), ("scope", "admin")],
    )
    .await;
    assert_eq!(error_of(bad_scope).await, (400, "invalid_scope".into()));
    let mut wrong = client.clone();
    wrong.secret = Some("tcs_wrong".into());
    let response = push(&app, &wrong, &[("code_challenge", &challenge)]).await;
    assert_eq!(error_of(response).await, (401, "invalid_client".into()));
}

pub async fn plain_authorize_is_refused(app: &TestApp, client: &App) {
    let browser = signed_in_browser(app).await;
    let (_, challenge) = pkce();
    let path = crate::oauth::support::authorize_path(client, None, &challenge, &[]);
    let response = get(&browser, app, &path).await;
    assert_eq!(response.status(), 303);
    let back = params(&location(&response));
    assert_eq!(back["error"], "invalid_request");
    // A pushed request still goes through.
    let (request_uri, _) = pushed(app, client).await;
    let response = get(&browser, app, &authorize_path(client, &request_uri)).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_site_that_requires_par_refuses_plain_authorization_requests() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    app.state
        .store
        .set_site_par_required(app.default_site_id(), true, app.now())
        .await
        .unwrap();
    // What the admin API does after a change: the sites are cached.
    app.state.sites.reload().await.unwrap();
    plain_authorize_is_refused(&app, &client).await;
    let meta: Value = new_client(app.port)
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["pushed_authorization_request_endpoint"],
        app.url("/oauth/par")
    );
    assert_eq!(meta["require_pushed_authorization_requests"], true);
    // OpenID discovery says the same as the RFC 8414 document.
    let discovery: Value = new_client(app.port)
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["require_pushed_authorization_requests"], true);
    assert_eq!(
        discovery["pushed_authorization_request_endpoint"],
        app.url("/oauth/par")
    );
}

#[tokio::test]
async fn a_client_that_requires_par_refuses_plain_authorization_requests() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let found = app
        .state
        .oauth
        .clients
        .find(&site, &client.client_id)
        .await
        .unwrap()
        .unwrap();
    app.state
        .store
        .set_client_par_required(site.id, found.pk, true, app.now())
        .await
        .unwrap();
    // What the admin API does after a change: the client is cached.
    app.state.cache.oauth.evict_client(found.pk);
    plain_authorize_is_refused(&app, &client).await;
}
