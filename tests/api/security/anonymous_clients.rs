//! Item 2: anonymously registered clients get only registrable scopes and no write power.
//!
//! The review registered a client on an open site with `content:write` and
//! `client_credentials`, and wrote pages with its token. Now such a client
//! holds only the scopes an admin marked registrable, gets client_credentials
//! only where the site allows it, and a client without owner acts with no
//! permission an admin did not grant.

use std::time::Duration;

use serde_json::{Value, json};
use tessera::oauth::registration::RegistrationPolicy;

use crate::helpers::{TestApp, new_client, spawn_app};

async fn open_registration(app: &TestApp) {
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    app.state
        .oauth
        .set_registration_policy(&site, RegistrationPolicy::Open)
        .await
        .unwrap();
}

fn cli_ok(app: &TestApp, args: &[&str]) -> Value {
    let mut with_json = args.to_vec();
    with_json.push("--json");
    let output = app.cli(&with_json, None);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

async fn register(app: &TestApp, body: Value) -> reqwest::Response {
    new_client(app.port)
        .post(app.url("/oauth/register"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

fn service(scope: &str) -> Value {
    json!({
        "client_name": "Robot",
        "grant_types": ["client_credentials"],
        "scope": scope,
    })
}

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (status, body["error"].as_str().unwrap_or_default().into())
}

async fn client_credentials(app: &TestApp, id: &str, secret: &str) -> reqwest::Response {
    new_client(app.port)
        .post(app.url("/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

async fn put_page(app: &TestApp, token: &str) -> u16 {
    new_client(app.port)
        .put(app.url("/api/pages/robots/notes"))
        .bearer_auth(token)
        .json(&json!({"title": "Robot notes", "body": "written by a client"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Retries while another process's change reaches this server (the change
/// feed is polled), up to a few seconds.
async fn eventually_put_page(app: &TestApp, token: &str, expected: u16) -> u16 {
    let mut status = put_page(app, token).await;
    for _ in 0..50 {
        if status == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = put_page(app, token).await;
    }
    status
}

#[tokio::test]
async fn an_anonymous_registration_asking_for_content_write_is_refused() {
    let app = spawn_app().await;
    open_registration(&app).await;
    let body = json!({
        "client_name": "Eager",
        "redirect_uris": ["https://eager.example.com/cb"],
        "scope": "profile content:write",
    });
    let response = register(&app, body).await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let (status, error) = error_of(response).await;
    assert_eq!((status, error.as_str()), (400, "invalid_client_metadata"));
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    assert!(
        app.state
            .oauth
            .clients
            .list(&site, None)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn an_anonymous_registration_gets_the_registrable_scopes_and_no_more() {
    let app = spawn_app().await;
    open_registration(&app).await;
    let within = json!({
        "redirect_uris": ["https://ok.example.com/cb"],
        "scope": "openid email",
    });
    let response = register(&app, within).await;
    assert_eq!(response.status(), 201);
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["scope"], "openid email");

    // Without a scope, the registrable ones are the default (not the
    // portal's `profile content:read content:write`).
    let info: Value = register(
        &app,
        json!({"redirect_uris": ["https://ok.example.com/cb"]}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(info["scope"], "profile openid email");

    // An admin may open more; `admin` never.
    cli_ok(
        &app,
        &[
            "site",
            "set-registrable-scopes",
            "--site",
            "default",
            "openid profile content:read",
        ],
    );
    let reader = json!({
        "redirect_uris": ["https://ok.example.com/cb"],
        "scope": "content:read",
    });
    assert_eq!(register(&app, reader).await.status(), 201);
    let refused = app.cli(
        &[
            "site",
            "set-registrable-scopes",
            "--site",
            "default",
            "openid admin",
        ],
        None,
    );
    assert_eq!(refused.status.code(), Some(2));
}

#[tokio::test]
async fn an_anonymous_client_cannot_widen_its_scopes_through_rfc_7592() {
    let app = spawn_app().await;
    open_registration(&app).await;
    let body = json!({
        "redirect_uris": ["https://ok.example.com/cb"],
        "scope": "openid profile",
    });
    let info: Value = register(&app, body.clone()).await.json().await.unwrap();
    let client_id = info["client_id"].as_str().unwrap();
    let mut wider = body;
    wider["client_id"] = json!(client_id);
    wider["scope"] = json!("profile content:read content:write");
    let response = new_client(app.port)
        .put(app.url(&format!("/oauth/register/{client_id}")))
        .bearer_auth(info["registration_access_token"].as_str().unwrap())
        .json(&wider)
        .send()
        .await
        .unwrap();
    let (status, error) = error_of(response).await;
    assert_eq!((status, error.as_str()), (400, "invalid_client_metadata"));
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let client = app
        .state
        .oauth
        .clients
        .find(&site, client_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(client.scopes.to_string(), "profile openid");
}

#[tokio::test]
async fn client_credentials_is_refused_to_anonymous_clients_unless_the_site_allows_it() {
    let app = spawn_app().await;
    open_registration(&app).await;
    let (status, error) = error_of(register(&app, service("profile")).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_client_metadata"));

    cli_ok(
        &app,
        &[
            "site",
            "set-anonymous-client-credentials",
            "--site",
            "default",
            "true",
        ],
    );
    let info: Value = register(&app, service("profile"))
        .await
        .json()
        .await
        .unwrap();
    let id = info["client_id"].as_str().unwrap();
    let secret = info["client_secret"].as_str().unwrap();
    assert_eq!(client_credentials(&app, id, secret).await.status(), 200);

    // The site changes its mind: the registered client loses the grant.
    cli_ok(
        &app,
        &[
            "site",
            "set-anonymous-client-credentials",
            "--site",
            "default",
            "false",
        ],
    );
    let (status, error) = error_of(client_credentials(&app, id, secret).await).await;
    assert_eq!((status, error.as_str()), (400, "unauthorized_client"));
}

#[tokio::test]
async fn an_ownerless_clients_token_writes_nothing_until_an_admin_grants_it() {
    let app = spawn_app().await;
    open_registration(&app).await;
    // The most an admin can open to anonymous clients.
    cli_ok(
        &app,
        &[
            "site",
            "set-registrable-scopes",
            "--site",
            "default",
            "content:read content:write",
        ],
    );
    cli_ok(
        &app,
        &[
            "site",
            "set-anonymous-client-credentials",
            "--site",
            "default",
            "true",
        ],
    );
    let info: Value = register(&app, service("content:read content:write"))
        .await
        .json()
        .await
        .unwrap();
    let id = info["client_id"].as_str().unwrap();
    let response = client_credentials(&app, id, info["client_secret"].as_str().unwrap()).await;
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["scope"], "content:read content:write");
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(put_page(&app, token).await, 403);

    let granted = cli_ok(
        &app,
        &[
            "client",
            "grant-permissions",
            "--site",
            "default",
            id,
            "--permissions",
            "content:read content:write",
        ],
    );
    assert_eq!(
        granted["effective_permissions"],
        json!(["content:read", "content:write"])
    );
    assert_eq!(eventually_put_page(&app, token, 201).await, 201);
}

#[tokio::test]
async fn a_client_an_admin_creates_without_owner_needs_granted_permissions_too() {
    let app = spawn_app().await;
    let create = |permissions: Option<&str>| {
        let mut args = vec![
            "client",
            "create",
            "--site",
            "default",
            "--name",
            "Importer",
            "--scopes",
            "content:read content:write",
            "--grant-types",
            "client_credentials",
        ];
        if let Some(p) = permissions {
            args.extend(["--permissions", p]);
        }
        cli_ok(&app, &args)
    };
    let plain = create(None);
    let token = client_credentials(
        &app,
        plain["client_id"].as_str().unwrap(),
        plain["client_secret"].as_str().unwrap(),
    )
    .await
    .json::<Value>()
    .await
    .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(put_page(&app, &token).await, 403);

    let writer = create(Some("content:write"));
    assert_eq!(writer["granted_permissions"], json!(["content:write"]));
    let token = client_credentials(
        &app,
        writer["client_id"].as_str().unwrap(),
        writer["client_secret"].as_str().unwrap(),
    )
    .await
    .json::<Value>()
    .await
    .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(put_page(&app, &token).await, 201);
}

#[tokio::test]
async fn an_initial_access_token_on_an_open_site_vouches_for_the_client() {
    let app = spawn_app().await;
    open_registration(&app).await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let token = app
        .state
        .oauth
        .mint_initial_access_token(&site, None)
        .await
        .unwrap()
        .into_inner();
    let body = json!({
        "redirect_uris": ["https://vouched.example.com/cb"],
        "scope": "profile content:write",
    });
    let response = new_client(app.port)
        .post(app.url("/oauth/register"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    // A wrong one is an error, not a fall-back to anonymous registration.
    let response = new_client(app.port)
        .post(app.url("/oauth/register"))
        .bearer_auth("tia_not-a-real-token")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response).await, (401, "invalid_token".into()));
}
