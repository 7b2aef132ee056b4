//! What a passkey sign-in refuses: a challenge answered twice, an answer
//! made for another site's origin and RP id, an expired challenge.

use tessera::users::Role;

use super::soft::SoftAuthenticator;
use super::{begin_sign_in, finish_sign_in, register};
use crate::helpers::{cookie_value, spawn_app};

#[tokio::test]
async fn a_passkey_challenge_answered_twice_is_refused_the_second_time() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (client, _) = app.signed_in_client("alice", "alice-password-1").await;
    let mut key = SoftAuthenticator::new();
    register(&client, &app.address, "localhost", &mut key).await;

    let (browser, csrf, began) = begin_sign_in(&app, &app.address).await;
    let credential = key.get(&began["options"], &app.address, "localhost");
    let response = browser
        .post(app.url("/passkeys/sign-in/finish"))
        .json(&serde_json::json!({
            "csrf_token": csrf,
            "ceremony": began["ceremony"],
            "credential": credential,
            "next": "/account",
        }))
        .send()
        .await
        .expect("finish");
    assert_eq!(response.status().as_u16(), 200);
    assert!(cookie_value(response.headers(), "authtoken").is_some());
    let me = app.current_user_with(&browser).await;
    assert_eq!(me["username"], "alice");

    // The same answer again, from whoever captured it: the challenge is gone.
    let replayer = crate::helpers::new_client(app.port);
    let csrf = app.login_csrf(&replayer, &app.address).await;
    let (status, refused) = finish_sign_in(
        &replayer,
        &app.address,
        &csrf,
        &began["ceremony"],
        credential,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(refused["error"], "passkey_refused");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("used already")
    );
}

#[tokio::test]
async fn a_passkey_answer_for_another_sites_origin_is_refused() {
    let app = spawn_app().await;
    let site_b_base = format!("http://site-b.localhost:{}", app.port);
    let site_b = app
        .create_site("site-b", &site_b_base, "site-b.localhost")
        .await;
    app.create_user_on(site_b, "bob", "bob-password-123", Role::Pro)
        .await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;

    // Bob's passkey is made for site B.
    let client = crate::helpers::new_client(app.port);
    let response = app
        .post_login_on(&client, &site_b_base, "bob", "bob-password-123", None)
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let mut bob_key = SoftAuthenticator::new();
    register(&client, &site_b_base, "site-b.localhost", &mut bob_key).await;

    // Site B's challenge, answered as if site A (another origin and RP id)
    // had asked: refused.
    let (browser, csrf, began) = begin_sign_in(&app, &site_b_base).await;
    let credential = bob_key.get(&began["options"], &app.address, "localhost");
    let (status, refused) = finish_sign_in(
        &browser,
        &site_b_base,
        &csrf,
        &began["ceremony"],
        credential,
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"], "passkey_refused");

    // Site A does not know site B's passkey, even answered for site A.
    let (browser, csrf, began) = begin_sign_in(&app, &app.address).await;
    let credential = bob_key.get(&began["options"], &app.address, "localhost");
    let (status, _) = finish_sign_in(
        &browser,
        &app.address,
        &csrf,
        &began["ceremony"],
        credential,
    )
    .await;
    assert_eq!(status, 400);

    // Answered for site B as site B asked, the same passkey signs Bob in.
    let (browser, csrf, began) = begin_sign_in(&app, &site_b_base).await;
    let credential = bob_key.get(&began["options"], &site_b_base, "site-b.localhost");
    let (status, done) = finish_sign_in(
        &browser,
        &site_b_base,
        &csrf,
        &began["ceremony"],
        credential,
    )
    .await;
    assert_eq!(status, 200, "{done}");
}

#[tokio::test]
async fn an_expired_passkey_challenge_is_refused() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (client, _) = app.signed_in_client("alice", "alice-password-1").await;
    let mut key = SoftAuthenticator::new();
    register(&client, &app.address, "localhost", &mut key).await;

    let (browser, csrf, began) = begin_sign_in(&app, &app.address).await;
    let credential = key.get(&began["options"], &app.address, "localhost");
    app.clock.advance(tessera::passkeys::CEREMONY_SECS + 1);
    let (status, refused) = finish_sign_in(
        &browser,
        &app.address,
        &csrf,
        &began["ceremony"],
        credential,
    )
    .await;
    assert_eq!(status, 400);
    assert!(refused["message"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn a_registration_challenge_belongs_to_the_session_that_began_it() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (first, _) = app.signed_in_client("alice", "alice-password-1").await;
    let (second, _) = app.signed_in_client("alice", "alice-password-1").await;
    let csrf = app.account_csrf(&first).await;
    let (status, began) = super::step(
        &first,
        app.url("/passkeys/register/begin"),
        serde_json::json!({ "csrf_token": csrf }),
    )
    .await;
    assert_eq!(status, 200);
    let mut key = SoftAuthenticator::new();
    let credential = key.create(&began["options"], &app.address, "localhost");

    // Another session of the same user cannot finish it.
    let other_csrf = app.account_csrf(&second).await;
    let (status, refused) = super::step(
        &second,
        app.url("/passkeys/register/finish"),
        serde_json::json!({
            "csrf_token": other_csrf,
            "ceremony": began["ceremony"],
            "name": "Stolen",
            "credential": credential,
        }),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    let site = app.default_site_id();
    let user = app
        .state
        .store
        .find_user_by_username(site, "alice")
        .await
        .unwrap()
        .unwrap();
    let stored = app.state.store.list_passkeys(site, user.id).await.unwrap();
    assert!(stored.is_empty());

    // A malformed answer gets this endpoint's JSON error.
    let response = first
        .post(app.url("/passkeys/register/finish"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}
