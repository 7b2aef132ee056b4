//! The passkey steps' limits: a rate limit per address on every step (each
//! begun ceremony is a row in the shared store), and refused sign-in
//! answers counted toward the same failure throttle as wrong passwords.

use serde_json::json;
use tessera::users::Role;

use super::soft::SoftAuthenticator;
use super::{begin_sign_in, finish_sign_in, register, step};
use crate::helpers::{new_client, spawn_app_with};

#[tokio::test]
async fn passkey_steps_over_the_address_rate_limit_get_429_with_retry_after() {
    let app = spawn_app_with(&[("TESSERA_RATE_LIMITS", "passkey.per_ip=3/min")]).await;
    let client = new_client(app.port);
    let csrf = app.login_csrf(&client, &app.address).await;
    let begin = |client: reqwest::Client, csrf: String| {
        let url = app.url("/passkeys/sign-in/begin");
        async move {
            let response = client
                .post(url)
                .json(&json!({ "csrf_token": csrf }))
                .send()
                .await
                .expect("POST begin");
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<i64>().unwrap());
            let body: serde_json::Value = response.json().await.expect("JSON");
            (status, retry_after, body)
        }
    };
    for _ in 0..3 {
        let (status, _, body) = begin(client.clone(), csrf.clone()).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["ceremony"].is_string());
    }

    let (status, retry_after, body) = begin(client.clone(), csrf.clone()).await;
    assert_eq!(status, 429);
    assert_eq!(body["error"], "rate_limited");
    let retry_after = retry_after.expect("Retry-After");
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");

    // The limit is on the address, not the endpoint: the finish step of a
    // ceremony begun earlier is refused too, and nothing was stored for
    // the refused begin.
    let (status, body) = step(
        &client,
        app.url("/passkeys/sign-in/finish"),
        json!({ "csrf_token": csrf, "ceremony": "x", "credential": {} }),
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"], "rate_limited");
}

#[tokio::test]
async fn refused_passkey_answers_count_toward_the_sign_in_throttle_with_passwords() {
    // One failure per account, so four per address (`IP_FACTOR`).
    let app = spawn_app_with(&[("TESSERA_LOGIN_FAILURES_BEFORE_THROTTLE", "1")]).await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (client, _) = app.signed_in_client("alice", "alice-password-1").await;
    let mut key = SoftAuthenticator::new();
    register(&client, &app.address, "localhost", &mut key).await;

    // Answers by a passkey this site never registered.
    let mut stranger = SoftAuthenticator::new();
    for _ in 0..4 {
        let (browser, csrf, began) = begin_sign_in(&app, &app.address).await;
        let credential = stranger.get(&began["options"], &app.address, "localhost");
        let (status, refused) = finish_sign_in(
            &browser,
            &app.address,
            &csrf,
            &began["ceremony"],
            credential,
        )
        .await;
        assert_eq!(status, 400, "{refused}");
        assert_eq!(refused["error"], "passkey_refused");
    }

    // Now even the right passkey is not checked from this address …
    let (browser, csrf, began) = begin_sign_in(&app, &app.address).await;
    let credential = key.get(&began["options"], &app.address, "localhost");
    let (status, refused) = finish_sign_in(
        &browser,
        &app.address,
        &csrf,
        &began["ceremony"],
        credential,
    )
    .await;
    assert_eq!(status, 429, "{refused}");
    assert_eq!(refused["error"], "throttled");

    // … nor the right password: both count under one key.
    let response = app.post_login("alice", "alice-password-1").await;
    assert_eq!(response.status().as_u16(), 429);

    // Once the lock has passed, the passkey signs in and gives its attempt
    // back.
    app.clock.advance(3600);
    let (browser, csrf, began) = begin_sign_in(&app, &app.address).await;
    let credential = key.get(&began["options"], &app.address, "localhost");
    let (status, done) = finish_sign_in(
        &browser,
        &app.address,
        &csrf,
        &began["ceremony"],
        credential,
    )
    .await;
    assert_eq!(status, 200, "{done}");
    let me = app.current_user_with(&browser).await;
    assert_eq!(me["username"], "alice");
}
