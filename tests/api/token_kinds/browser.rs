//! Browser API tokens over HTTP: the origin check, the cookie's user, the
//! content API, refusals and the admin commands.

use serde_json::json;
use tessera::users::Role;

use super::{DEKI_TOKEN, stderr, stdout};
use crate::helpers::{TestApp, new_client, spawn_app};

const APP_ORIGIN: &str = "http://app.localhost:5173";

async fn with_origin(
    app: &TestApp,
    client: &reqwest::Client,
    key: &str,
    origin: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut request = client
        .get(app.url("/api/users/current"))
        .header(DEKI_TOKEN, key);
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn a_trusted_origin_is_anonymous_without_a_cookie() {
    let app = spawn_app().await;
    let key = app.browser_token(app.default_site_id(), APP_ORIGIN).await;
    let (status, me) = with_origin(&app, &reqwest::Client::new(), &key, Some(APP_ORIGIN)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["credential"], "browser");
    assert_eq!(me["role"], "anonymous");
    assert_eq!(me["permissions"], json!([]));
}

#[tokio::test]
async fn the_caller_is_the_cookies_user() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (client, _) = app.signed_in_client("alice", "alice-password-1").await;
    let key = app
        .browser_token(app.default_site_id(), "http://*.localhost:5173")
        .await;
    let (status, me) = with_origin(&app, &client, &key, Some(APP_ORIGIN)).await;
    assert_eq!(status, 200);
    assert_eq!(me["credential"], "browser");
    assert_eq!(me["username"], "alice");
    assert_eq!(me["role"], "pro");
}

#[tokio::test]
async fn a_browser_token_carries_no_permissions_of_its_own_on_the_content_api() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let key = app.browser_token(app.default_site_id(), APP_ORIGIN).await;
    let page = json!({"title": "From the app", "body": "hi", "public": true});

    let anonymous = reqwest::Client::new()
        .put(app.url("/api/pages/app/note"))
        .header(DEKI_TOKEN, &key)
        .header("Origin", APP_ORIGIN)
        .json(&page)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);

    let (client, _) = app.signed_in_client("alice", "alice-password-1").await;
    let written = client
        .put(app.url("/api/pages/app/note"))
        .header(DEKI_TOKEN, &key)
        .header("Origin", APP_ORIGIN)
        .json(&page)
        .send()
        .await
        .unwrap();
    assert_eq!(written.status().as_u16(), 201);
    assert_eq!(written.headers()["access-control-allow-origin"], APP_ORIGIN);
    let read = reqwest::Client::new()
        .get(app.url("/api/pages/app/note"))
        .header(DEKI_TOKEN, &key)
        .header("Origin", APP_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(read.status().as_u16(), 200);
}

#[tokio::test]
async fn an_untrusted_origin_is_a_403_saying_so() {
    let app = spawn_app().await;
    let key = app.browser_token(app.default_site_id(), APP_ORIGIN).await;
    for origin in [
        "http://evil.localhost:5173",
        "https://app.localhost:5173",
        "http://app.localhost:5174",
        "null",
    ] {
        let (status, body) = with_origin(&app, &reqwest::Client::new(), &key, Some(origin)).await;
        assert_eq!(status, 403, "{origin}");
        assert_eq!(body["error"], "origin_not_trusted", "{origin}");
    }
}

#[tokio::test]
async fn an_origin_trusted_by_another_token_is_refused_for_this_one() {
    let app = spawn_app().await;
    let site = app.default_site_id();
    let mine = app.browser_token(site, "https://mine.example.com").await;
    app.browser_token(site, APP_ORIGIN).await;
    let (status, body) = with_origin(&app, &reqwest::Client::new(), &mine, Some(APP_ORIGIN)).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"], "origin_not_trusted");
}

#[tokio::test]
async fn same_origin_and_non_browser_requests_are_accepted() {
    let app = spawn_app().await;
    let key = app
        .browser_token(app.default_site_id(), "https://elsewhere.example.com")
        .await;
    let (status, _) = with_origin(&app, &reqwest::Client::new(), &key, Some(&app.address)).await;
    assert_eq!(status, 200);
    let (status, me) = with_origin(&app, &reqwest::Client::new(), &key, None).await;
    assert_eq!(status, 200);
    assert_eq!(me["credential"], "browser");
}

#[tokio::test]
async fn an_unknown_browser_key_is_refused() {
    let app = spawn_app().await;
    app.browser_token(app.default_site_id(), APP_ORIGIN).await;
    let unknown = "0123456789abcdef0123456789abcdef";
    for origin in [Some(APP_ORIGIN), None] {
        let (status, body) = with_origin(&app, &reqwest::Client::new(), unknown, origin).await;
        assert_eq!(status, 401, "{origin:?}");
        assert_eq!(body["error"], "unknown_browser_token");
    }
}

#[tokio::test]
async fn a_revoked_browser_token_is_refused_at_once() {
    let app = spawn_app().await;
    let site = app.default_site_id();
    let key = app.browser_token(site, APP_ORIGIN).await;
    assert_eq!(
        with_origin(&app, &reqwest::Client::new(), &key, Some(APP_ORIGIN))
            .await
            .0,
        200
    );
    assert!(
        app.state
            .token_kinds
            .revoke_browser_token(site, &key)
            .await
            .unwrap()
    );
    let (status, body) = with_origin(&app, &reqwest::Client::new(), &key, None).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "unknown_browser_token");
    // With no active token trusting it, the origin itself is refused.
    let (status, body) = with_origin(&app, &reqwest::Client::new(), &key, Some(APP_ORIGIN)).await;
    assert_eq!(status, 403);
    assert_eq!(body["error"], "origin_not_trusted");
}

#[tokio::test]
async fn a_token_of_site_a_is_refused_on_site_b() {
    let app = spawn_app().await;
    app.create_site("b", "http://site-b.localhost", "site-b.localhost")
        .await;
    let key = app.browser_token(app.default_site_id(), APP_ORIGIN).await;
    let response = new_client(app.port)
        .get(app.url_on("site-b.localhost", "/api/users/current"))
        .header(DEKI_TOKEN, &key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let from_the_app = new_client(app.port)
        .get(app.url_on("site-b.localhost", "/api/users/current"))
        .header(DEKI_TOKEN, &key)
        .header("Origin", APP_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(from_the_app.status().as_u16(), 403);
    // Nor does site B answer a preflight for site A's origins.
    let preflight = new_client(app.port)
        .request(
            reqwest::Method::OPTIONS,
            app.url_on("site-b.localhost", "/api/users/current"),
        )
        .header("Origin", APP_ORIGIN)
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "x-deki-token")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status().as_u16(), 403);
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn browser_token_commands_create_list_and_revoke() {
    let app = spawn_app().await;
    let created = app.cli(
        &[
            "browser-token",
            "create",
            "--site",
            "default",
            "--origins",
            "https://app.example.com, *.example.org",
            "--name",
            "widget",
            "--json",
        ],
        None,
    );
    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    let token: serde_json::Value = serde_json::from_str(&stdout(&created)).unwrap();
    let key = token["key"].as_str().unwrap().to_string();
    assert_eq!(
        token["origins"],
        "https://app.example.com, https://*.example.org"
    );
    assert_eq!(token["name"], "widget");

    let listed = app.cli(&["browser-token", "list", "--site", "default"], None);
    assert!(stdout(&listed).contains(&key));
    assert!(stdout(&listed).contains("active"));

    // The running server learns of the new token through the change feed.
    let mut status = 0;
    for _ in 0..100 {
        status = with_origin(
            &app,
            &reqwest::Client::new(),
            &key,
            Some("https://x.example.org"),
        )
        .await
        .0;
        if status == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, 200);

    let revoked = app.cli(
        &["browser-token", "revoke", "--site", "default", &key],
        None,
    );
    assert_eq!(revoked.status.code(), Some(0), "{}", stderr(&revoked));
    for _ in 0..100 {
        status = with_origin(&app, &reqwest::Client::new(), &key, None)
            .await
            .0;
        if status == 401 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, 401);
    let again = app.cli(
        &["browser-token", "revoke", "--site", "default", &key],
        None,
    );
    assert_eq!(again.status.code(), Some(1));
}

#[tokio::test]
async fn malformed_origin_patterns_are_a_usage_error() {
    let app = spawn_app().await;
    for bad in [
        "",
        "ftp://x.example.com",
        "https://x.example.com/path",
        "*.com",
        "a.*.example.com",
    ] {
        let output = app.cli(
            &[
                "browser-token",
                "create",
                "--site",
                "default",
                "--origins",
                bad,
            ],
            None,
        );
        assert_eq!(output.status.code(), Some(2), "{bad}: {}", stderr(&output));
        assert!(stderr(&output).starts_with("error: "));
    }
    assert!(
        app.state
            .token_kinds
            .list_browser_tokens(app.default_site_id())
            .await
            .unwrap()
            .is_empty()
    );
}
