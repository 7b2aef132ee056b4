//! Legacy credentials: off by default; the site API key with admin rights
//! and impersonation; impersonation sign-in links; rotation; the report.

use serde_json::json;
use tessera::crypto::{MasterKey, aead};
use tessera::users::Role;

use super::{stderr, stdout};
use crate::helpers::{TestApp, cookie_value, new_client, spawn_app};

const API_KEY: &str = "X-Deki-ApiKey";

async fn with_key_header(app: &TestApp, key: &str) -> (u16, serde_json::Value) {
    app.current_with_header(
        &reqwest::Client::new(),
        &app.url("/api/users/current"),
        API_KEY,
        key,
    )
    .await
}

async fn with_key_query(app: &TestApp, query: &[(&str, &str)]) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .get(app.url("/api/users/current"))
        .query(query)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn legacy_keys_are_refused_until_enabled() {
    let app = spawn_app().await;
    let (status, body) = with_key_header(&app, "anything").await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "legacy_disabled");
    let (status, _) = with_key_query(&app, &[("apikey", "anything")]).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn the_site_api_key_has_admin_rights_as_header_or_query_parameter() {
    let app = spawn_app().await;
    let key = app.enable_legacy(app.default_site_id()).await;
    let (status, me) = with_key_header(&app, &key).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["credential"], "legacy");
    assert_eq!(me["role"], "admin");
    assert!(
        me["permissions"]
            .as_array()
            .unwrap()
            .contains(&json!("content:write"))
    );
    let (status, me) = with_key_query(&app, &[("apikey", &key)]).await;
    assert_eq!(status, 200);
    assert_eq!(me["credential"], "legacy");

    let written = reqwest::Client::new()
        .put(app.url("/api/pages/legacy/import"))
        .query(&[("apikey", &key)])
        .json(&json!({"title": "Imported", "body": "old", "public": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(written.status().as_u16(), 201);
    let read = reqwest::Client::new()
        .get(app.url("/api/pages/legacy/import"))
        .header(API_KEY, &key)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status().as_u16(), 200);
}

#[tokio::test]
async fn impersonateuserid_acts_as_that_user() {
    let app = spawn_app().await;
    let reader = app
        .create_user("reader", "reader-password-1", Role::Community)
        .await;
    let key = app.enable_legacy(app.default_site_id()).await;
    let id = reader.to_string();
    let (status, me) = with_key_query(&app, &[("apikey", &key), ("impersonateuserid", &id)]).await;
    assert_eq!(status, 200);
    assert_eq!(me["username"], "reader");
    assert_eq!(me["role"], "community");
    let refused = reqwest::Client::new()
        .put(app.url("/api/pages/nope"))
        .query(&[("apikey", key.as_str()), ("impersonateuserid", id.as_str())])
        .json(&json!({"title": "No", "body": "no"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    let (status, body) =
        with_key_query(&app, &[("apikey", &key), ("impersonateuserid", "99999")]).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "unknown_user");
}

#[tokio::test]
async fn a_wrong_key_is_refused() {
    let app = spawn_app().await;
    let key = app.enable_legacy(app.default_site_id()).await;
    let (status, body) = with_key_header(&app, &format!("{key}x")).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "invalid_api_key");
}

#[tokio::test]
async fn the_header_wins_over_the_cookie() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Community)
        .await;
    let (client, _) = app.signed_in_client("alice", "alice-password-1").await;
    let key = app.enable_legacy(app.default_site_id()).await;
    let (status, me) = app
        .current_with_header(&client, &app.url("/api/users/current"), API_KEY, &key)
        .await;
    assert_eq!(status, 200);
    assert_eq!(me["credential"], "legacy");
    assert_eq!(me["role"], "admin");
}

#[tokio::test]
async fn a_disabled_site_refuses_the_key_and_rotation_replaces_it() {
    let app = spawn_app().await;
    let site = app.default_site_id();
    let key = app.enable_legacy(site).await;
    assert!(app.state.token_kinds.disable_legacy(site).await.unwrap());
    let (status, body) = with_key_header(&app, &key).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "legacy_disabled");

    // Re-enabling keeps the key; rotating replaces it.
    let (_, fresh) = app.state.token_kinds.enable_legacy(site).await.unwrap();
    assert!(fresh.is_none());
    assert_eq!(with_key_header(&app, &key).await.0, 200);
    let (_, rotated) = app.state.token_kinds.rotate_legacy(site).await.unwrap();
    assert_eq!(with_key_header(&app, &key).await.0, 401);
    assert_eq!(with_key_header(&app, rotated.expose()).await.0, 200);
}

#[tokio::test]
async fn a_key_of_site_a_is_refused_on_site_b() {
    let app = spawn_app().await;
    let site_b = app
        .create_site("b", "http://site-b.localhost", "site-b.localhost")
        .await;
    let key = app.enable_legacy(app.default_site_id()).await;
    app.enable_legacy(site_b).await;
    let response = new_client(app.port)
        .get(app.url_on("site-b.localhost", "/api/users/current"))
        .header(API_KEY, &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_api_key");
}

/// Stores the spec's site API key `legacy-api-key-123` for the default site.
async fn spec_key(app: &TestApp) {
    let master = MasterKey::from_base64(&app.master_key).unwrap();
    let site = app.default_site_id();
    let sealed = aead::seal(&master, site, b"legacy-api-key-123").unwrap();
    app.state
        .store
        .enable_legacy(site, &sealed, app.now())
        .await
        .unwrap();
    app.state.cache.token_kinds.evict_legacy_key(site);
}

const ALICE_VECTOR: &str = "imp_1700000000_91db6f442ecaa415150984c3a1ceaabe_=alice";

async fn impersonate(app: &TestApp, client: &reqwest::Client, token: &str) -> reqwest::Response {
    client
        .get(app.url("/api/users/authenticate"))
        .query(&[("authtoken", token), ("redirect", "/account")])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_impersonation_token_signs_in_within_sixty_seconds() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    spec_key(&app).await;
    app.clock.set(1_700_000_030);
    let client = new_client(app.port);
    let response = impersonate(&app, &client, ALICE_VECTOR).await;
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/account");
    assert!(cookie_value(response.headers(), "authtoken").is_some());
    let me = app.current_user_with(&client).await;
    assert_eq!(me["username"], "alice");
    assert_eq!(me["credential"], "authtoken");
}

#[tokio::test]
async fn an_expired_impersonation_token_is_refused() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    spec_key(&app).await;
    app.clock.set(1_700_000_061);
    let response = impersonate(&app, &new_client(app.port), ALICE_VECTOR).await;
    assert_eq!(response.status().as_u16(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "stale");
}

#[tokio::test]
async fn a_tampered_impersonation_token_is_refused() {
    let app = spawn_app().await;
    app.create_user("bob", "bob-password-12", Role::Admin).await;
    spec_key(&app).await;
    app.clock.set(1_700_000_000);
    let tampered = ALICE_VECTOR.replace("=alice", "=bob");
    let response = impersonate(&app, &new_client(app.port), &tampered).await;
    assert_eq!(response.status().as_u16(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "bad_signature");
}

#[tokio::test]
async fn impersonation_tokens_are_refused_when_legacy_is_disabled() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    spec_key(&app).await;
    app.state
        .token_kinds
        .disable_legacy(app.default_site_id())
        .await
        .unwrap();
    app.clock.set(1_700_000_000);
    let response = impersonate(&app, &new_client(app.port), ALICE_VECTOR).await;
    assert_eq!(response.status().as_u16(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "legacy_disabled");
}

#[tokio::test]
async fn impersonation_tokens_are_not_accepted_as_api_credentials() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    spec_key(&app).await;
    app.clock.set(1_700_000_000);
    assert_eq!(
        app.current_user_bearer(ALICE_VECTOR).await["credential"],
        "anonymous"
    );
}

#[tokio::test]
async fn legacy_commands_enable_disable_rotate_and_report_uses() {
    let app = spawn_app().await;
    let enabled = app.cli(&["legacy", "enable", "--site", "default", "--json"], None);
    assert_eq!(enabled.status.code(), Some(0), "{}", stderr(&enabled));
    let value: serde_json::Value = serde_json::from_str(&stdout(&enabled)).unwrap();
    let key = value["api_key"].as_str().unwrap().to_string();

    // The running server sees the enable through the change feed.
    let mut status = 0;
    for _ in 0..100 {
        status = with_key_header(&app, &key).await.0;
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, 200);
    with_key_query(&app, &[("apikey", &key)]).await;
    app.state.token_kinds.flush_usage().await.unwrap();

    let report = app.cli(&["legacy", "report", "--site", "default", "--json"], None);
    assert_eq!(report.status.code(), Some(0), "{}", stderr(&report));
    let value: serde_json::Value = serde_json::from_str(&stdout(&report)).unwrap();
    assert_eq!(value["state"], "enabled");
    let usage = value["usage"].as_array().unwrap();
    assert_eq!(usage.len(), 1, "{value}");
    assert_eq!(usage[0]["kind"], "apikey");
    assert_eq!(usage[0]["client_ip"], "127.0.0.1");
    assert!(usage[0]["count"].as_i64().unwrap() >= 2);
    assert_eq!(usage[0]["current"], true);
    let human = app.cli(&["legacy", "report", "--site", "default"], None);
    assert!(stdout(&human).contains("127.0.0.1"));

    let rotated = app.cli(&["legacy", "rotate", "--site", "default", "--json"], None);
    assert_eq!(rotated.status.code(), Some(0), "{}", stderr(&rotated));
    let new_key: serde_json::Value = serde_json::from_str(&stdout(&rotated)).unwrap();
    assert_ne!(new_key["api_key"], key.as_str());

    let disabled = app.cli(&["legacy", "disable", "--site", "default"], None);
    assert_eq!(disabled.status.code(), Some(0), "{}", stderr(&disabled));
    for _ in 0..100 {
        status = with_key_header(&app, new_key["api_key"].as_str().unwrap())
            .await
            .0;
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, 401);

    let unknown = app.cli(&["legacy", "rotate", "--site", "nope"], None);
    assert_eq!(unknown.status.code(), Some(1));
    let site_b = app.cli(
        &[
            "site",
            "create",
            "other",
            "--base-url",
            "http://other.localhost",
        ],
        None,
    );
    assert_eq!(site_b.status.code(), Some(0), "{}", stderr(&site_b));
    let never = app.cli(&["legacy", "disable", "--site", "other"], None);
    assert_eq!(never.status.code(), Some(1));
}
