//! Dynamic client registration (RFC 7591) and management (RFC 7592) over
//! HTTP, under each site policy, with every refusal its own test.

use serde_json::{Value, json};
use tessera::oauth::registration::RegistrationPolicy;
use tessera::users::Role;

use crate::helpers::{TestApp, new_client, spawn_app};

async fn set_policy(app: &TestApp, policy: RegistrationPolicy) {
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    app.state
        .oauth
        .set_registration_policy(&site, policy)
        .await
        .unwrap();
}

async fn mint_token(app: &TestApp, user: Option<i64>) -> String {
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    app.state
        .oauth
        .mint_initial_access_token(&site, user)
        .await
        .unwrap()
        .into_inner()
}

pub async fn post_register(app: &TestApp, token: Option<&str>, body: &Value) -> reqwest::Response {
    let request = new_client(app.port)
        .post(app.url("/oauth/register"))
        .json(body);
    let request = match token {
        Some(token) => request.bearer_auth(token),
        None => request,
    };
    request.send().await.unwrap()
}

pub fn metadata() -> Value {
    json!({
        "client_name": "Tidy CLI",
        "client_uri": "https://tidy.example.com/",
        "redirect_uris": ["https://tidy.example.com/callback", "http://127.0.0.1/cb"],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        // The scopes an open site lets anyone register (its default).
        "scope": "openid profile",
        "logo_uri": "https://tidy.example.com/logo.png",
        "software_statement_unknown_extension": {"a": 1}
    })
}

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_string(),
    )
}

async fn server_metadata(app: &TestApp) -> Value {
    new_client(app.port)
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn registration_is_closed_by_default_and_not_advertised() {
    let app = spawn_app().await;
    let response = post_register(&app, None, &metadata()).await;
    assert_eq!(error_of(response).await, (403, "access_denied".into()));
    assert!(
        server_metadata(&app)
            .await
            .get("registration_endpoint")
            .is_none()
    );
}

#[tokio::test]
async fn an_open_site_registers_a_client_that_ignores_unknown_fields() {
    let app = spawn_app().await;
    set_policy(&app, RegistrationPolicy::Open).await;
    assert_eq!(
        server_metadata(&app).await["registration_endpoint"],
        app.url("/oauth/register")
    );
    let response = post_register(&app, None, &metadata()).await;
    assert_eq!(response.status(), 201);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let info: Value = response.json().await.unwrap();
    let client_id = info["client_id"].as_str().unwrap();
    assert!(info["client_secret"].as_str().unwrap().starts_with("tcs_"));
    assert_eq!(info["client_secret_expires_at"], 0);
    assert!(
        info["registration_access_token"]
            .as_str()
            .unwrap()
            .starts_with("trg_")
    );
    assert_eq!(
        info["registration_client_uri"],
        app.url(&format!("/oauth/register/{client_id}"))
    );
    assert_eq!(info["client_name"], "Tidy CLI");
    assert_eq!(info["token_endpoint_auth_method"], "client_secret_basic");
    assert_eq!(info["scope"], "profile openid");
    assert_eq!(
        info["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );

    // The secret works at the token endpoint (a wrong grant, but a known client).
    let response = new_client(app.port)
        .post(app.url("/oauth/token"))
        .basic_auth(client_id, info["client_secret"].as_str())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(response).await,
        (400, "unauthorized_client".into())
    );

    // A public client gets no secret.
    let mut public = metadata();
    public["token_endpoint_auth_method"] = json!("none");
    let info: Value = post_register(&app, None, &public)
        .await
        .json()
        .await
        .unwrap();
    assert!(info.get("client_secret").is_none());
    assert_eq!(info["token_endpoint_auth_method"], "none");
}

#[tokio::test]
async fn a_bad_redirect_uri_is_refused_as_invalid_redirect_uri() {
    let app = spawn_app().await;
    set_policy(&app, RegistrationPolicy::Open).await;
    for uri in [
        "http://tidy.example.com/callback",
        "not a url",
        "https://tidy.example.com/cb#fragment",
    ] {
        let mut body = metadata();
        body["redirect_uris"] = json!([uri]);
        let response = post_register(&app, None, &body).await;
        assert_eq!(
            error_of(response).await,
            (400, "invalid_redirect_uri".into()),
            "{uri}"
        );
    }
    let mut body = metadata();
    body["redirect_uris"] = json!([]);
    let response = post_register(&app, None, &body).await;
    assert_eq!(
        error_of(response).await,
        (400, "invalid_redirect_uri".into())
    );
}

#[tokio::test]
async fn bad_metadata_is_refused_as_invalid_client_metadata() {
    let app = spawn_app().await;
    set_policy(&app, RegistrationPolicy::Open).await;
    let cases = [
        ("token_endpoint_auth_method", json!("private_key_jwt")),
        ("grant_types", json!(["password"])),
        ("response_types", json!(["token"])),
        ("scope", json!("profile admin")),
        ("redirect_uris", json!("https://not-a-list.example.com/")),
    ];
    for (field, value) in cases {
        let mut body = metadata();
        body[field] = value;
        let response = post_register(&app, None, &body).await;
        assert_eq!(
            error_of(response).await,
            (400, "invalid_client_metadata".into()),
            "{field}"
        );
    }
}

#[tokio::test]
async fn a_token_site_needs_a_valid_initial_access_token() {
    let app = spawn_app().await;
    set_policy(&app, RegistrationPolicy::Token).await;
    let missing = post_register(&app, None, &metadata()).await;
    assert_eq!(
        missing.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    assert_eq!(error_of(missing).await, (401, "invalid_token".into()));
    let wrong = post_register(&app, Some("tia_0123456789abcdef"), &metadata()).await;
    assert_eq!(error_of(wrong).await, (401, "invalid_token".into()));

    let token = mint_token(&app, None).await;
    let response = post_register(&app, Some(&token), &metadata()).await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn a_client_registered_with_a_users_token_is_on_their_portal() {
    let app = spawn_app().await;
    set_policy(&app, RegistrationPolicy::Token).await;
    let dev = app
        .create_user("dana", "correct horse battery", Role::Pro)
        .await;
    let token = mint_token(&app, Some(dev)).await;
    let info: Value = post_register(&app, Some(&token), &metadata())
        .await
        .json()
        .await
        .unwrap();
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let mine = app
        .state
        .oauth
        .clients
        .list(&site, Some(dev))
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].client_id, info["client_id"].as_str().unwrap());
}

async fn registered(app: &TestApp) -> (String, String) {
    set_policy(app, RegistrationPolicy::Open).await;
    let info: Value = post_register(app, None, &metadata())
        .await
        .json()
        .await
        .unwrap();
    (
        info["client_id"].as_str().unwrap().to_string(),
        info["registration_access_token"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

#[tokio::test]
async fn the_registration_token_reads_and_updates_the_client() {
    let app = spawn_app().await;
    let (client_id, token) = registered(&app).await;
    let path = app.url(&format!("/oauth/register/{client_id}"));
    let info: Value = new_client(app.port)
        .get(&path)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["client_name"], "Tidy CLI");
    assert!(info.get("client_secret").is_none());

    let mut body = metadata();
    body["client_id"] = json!(client_id);
    body["client_name"] = json!("Tidy CLI 2");
    let response = new_client(app.port)
        .put(&path)
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["client_name"], "Tidy CLI 2");
}

#[tokio::test]
async fn an_update_with_a_wrong_registration_token_is_refused() {
    let app = spawn_app().await;
    let (client_id, _) = registered(&app).await;
    let (_, other_token) = registered(&app).await;
    let path = app.url(&format!("/oauth/register/{client_id}"));
    let mut body = metadata();
    body["client_name"] = json!("Hijacked");
    for token in ["trg_wrong", other_token.as_str()] {
        let response = new_client(app.port)
            .put(&path)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(response).await, (401, "invalid_token".into()));
    }
    let response = new_client(app.port).get(&path).send().await.unwrap();
    assert_eq!(error_of(response).await, (401, "invalid_token".into()));
}

#[tokio::test]
async fn deleting_a_registration_removes_the_client() {
    let app = spawn_app().await;
    let (client_id, token) = registered(&app).await;
    let path = app.url(&format!("/oauth/register/{client_id}"));
    let wrong = new_client(app.port)
        .delete(&path)
        .bearer_auth("trg_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let response = new_client(app.port)
        .delete(&path)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    assert!(
        app.state
            .oauth
            .clients
            .find(&site, &client_id)
            .await
            .unwrap()
            .is_none()
    );
    let again = new_client(app.port)
        .get(&path)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 401);
}

#[tokio::test]
async fn the_cli_sets_the_policy_and_mints_initial_access_tokens() {
    let app = spawn_app().await;
    let output = app.cli(
        &["site", "set-registration", "--site", "default", "token"],
        None,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let missing = post_register(&app, None, &metadata()).await;
    assert_eq!(missing.status(), 401);
    let output = app.cli(
        &[
            "client",
            "registration-token",
            "--site",
            "default",
            "--json",
        ],
        None,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let token = printed["initial_access_token"].as_str().unwrap();
    assert!(token.starts_with("tia_"));
    let response = post_register(&app, Some(token), &metadata()).await;
    assert_eq!(response.status(), 201);

    let output = app.cli(
        &["site", "set-par-required", "--site", "default", "true"],
        None,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        server_metadata(&app).await["require_pushed_authorization_requests"],
        true
    );
}

#[tokio::test]
async fn the_cli_makes_one_client_require_pushed_requests() {
    let app = spawn_app().await;
    let (client_id, _) = registered(&app).await;
    let output = app.cli(
        &[
            "client",
            "set-par-required",
            "--site",
            "default",
            &client_id,
            "true",
        ],
        None,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let client = app
        .state
        .oauth
        .clients
        .find(&site, &client_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        app.state
            .store
            .par_required(site.id, client.pk)
            .await
            .unwrap(),
        (false, true)
    );
}
