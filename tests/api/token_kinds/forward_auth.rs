//! `GET /auth/verify` answers for each of these token kinds too: the server
//! token's user, the browser token's cookie user, the legacy key as admin
//! (read from the original URI), and their refusals.

use tessera::users::Role;

use super::{DEKI_TOKEN, sign};
use crate::helpers::{TestApp, spawn_app};

fn verify(app: &TestApp) -> reqwest::RequestBuilder {
    verify_on(&reqwest::Client::new(), app)
}

/// `verify` through `proxy`, whose kept-alive connection puts every ask on
/// one worker.
fn verify_on(proxy: &reqwest::Client, app: &TestApp) -> reqwest::RequestBuilder {
    proxy
        .get(app.url("/auth/verify"))
        .header("X-Forwarded-Host", format!("localhost:{}", app.port))
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn a_server_token_passes_as_its_user_and_a_stale_one_is_refused() {
    let app = spawn_app().await;
    app.create_user("bot", "bot-password-12", Role::Pro).await;
    let (key, secret) = app.server_token(app.default_site_id(), None, false).await;
    let passed = verify(&app)
        .header(DEKI_TOKEN, sign(&key, &secret, app.now(), "=bot"))
        .send()
        .await
        .unwrap();
    assert_eq!(passed.status().as_u16(), 200);
    assert_eq!(header(&passed, "x-tessera-user"), Some("bot"));
    assert_eq!(header(&passed, "x-tessera-credential"), Some("server"));
    let stale = verify(&app)
        .header(DEKI_TOKEN, sign(&key, &secret, app.now() - 600, "=bot"))
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status().as_u16(), 401);
}

#[tokio::test]
async fn a_browser_token_passes_with_the_cookies_user_only() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (_, authtoken) = app.signed_in_client("alice", "alice-password-1").await;
    let key = app
        .browser_token(app.default_site_id(), "http://app.localhost:5173")
        .await;
    let passed = verify(&app)
        .header(DEKI_TOKEN, &key)
        .header("Origin", "http://app.localhost:5173")
        .header("Cookie", format!("authtoken={authtoken}"))
        .send()
        .await
        .unwrap();
    assert_eq!(passed.status().as_u16(), 200);
    assert_eq!(header(&passed, "x-tessera-user"), Some("alice"));
    assert_eq!(header(&passed, "x-tessera-credential"), Some("browser"));
    // Without a cookie the browser token is nobody.
    let anonymous = verify(&app)
        .header(DEKI_TOKEN, &key)
        .header("Origin", "http://app.localhost:5173")
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
    let untrusted = verify(&app)
        .header(DEKI_TOKEN, &key)
        .header("Origin", "http://evil.localhost:5173")
        .header("Cookie", format!("authtoken={authtoken}"))
        .send()
        .await
        .unwrap();
    assert_eq!(untrusted.status().as_u16(), 403);
}

#[tokio::test]
async fn the_legacy_key_in_the_original_uri_passes_as_admin() {
    let app = spawn_app().await;
    let key = app.enable_legacy(app.default_site_id()).await;
    let passed = verify(&app)
        .header("X-Original-URI", format!("/wiki/page?apikey={key}&x=1"))
        .query(&[("require", "admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(passed.status().as_u16(), 200);
    assert_eq!(header(&passed, "x-tessera-credential"), Some("legacy"));
    let header_key = verify(&app)
        .header("X-Deki-ApiKey", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(header_key.status().as_u16(), 200);
    let wrong = verify(&app)
        .header("X-Forwarded-Uri", "/wiki/page?apikey=wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    // The verify endpoint's own query string is not the original request's.
    let own_query = reqwest::Client::new()
        .get(app.url("/auth/verify"))
        .query(&[("apikey", key.as_str())])
        .header("X-Forwarded-Host", format!("localhost:{}", app.port))
        .send()
        .await
        .unwrap();
    assert_eq!(own_query.status().as_u16(), 401);
}

#[tokio::test]
async fn a_remembered_server_token_answer_ends_with_its_window_and_its_revocation() {
    let app = spawn_app().await;
    app.create_user("bot", "bot-password-12", Role::Pro).await;
    let site = app.default_site_id();
    let (key, secret) = app.server_token(site, None, false).await;
    let signed_at = app.now();
    let token = sign(&key, &secret, signed_at, "=bot");
    // One kept-alive connection: one worker answers every ask.
    let proxy = reqwest::Client::new();
    let ask = || async {
        let response = verify_on(&proxy, &app)
            .header(DEKI_TOKEN, &token)
            .send()
            .await
            .unwrap();
        let code = response.status().as_u16();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        (code, body["error"].as_str().map(str::to_string))
    };
    for _ in 0..3 {
        assert_eq!(ask().await.0, 200);
    }
    assert!(app.state.cache.forward_auth_answers.read().0 >= 1);

    // A remembered answer still records the token's use.
    app.clock.advance(10);
    assert_eq!(ask().await.0, 200);
    app.state.token_kinds.flush_usage().await.unwrap();
    let listed = app
        .state
        .token_kinds
        .list_server_tokens(site)
        .await
        .unwrap();
    assert_eq!(listed[0].last_used_at, Some(signed_at + 10));

    app.clock.set(signed_at + 301);
    assert_eq!(ask().await, (401, Some("stale".to_string())));
    app.clock.set(signed_at - 301);
    assert_eq!(ask().await, (401, Some("from_the_future".to_string())));
    app.clock.set(signed_at);
    assert_eq!(ask().await.0, 200);

    app.state
        .token_kinds
        .revoke_server_token(site, &key)
        .await
        .unwrap();
    assert_eq!(ask().await.0, 401, "revoked");
}
