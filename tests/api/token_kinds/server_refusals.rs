//! Every way a server token is refused, each a 401 whose `error` says why.

use tessera::users::Role;

use super::{DEKI_TOKEN, sign};
use crate::helpers::{TestApp, spawn_app};

/// An app with a pro user `alice` and a server token: (app, key, secret).
async fn setup() -> (TestApp, String, String) {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (key, secret) = app.server_token(app.default_site_id(), None, false).await;
    (app, key, secret)
}

async fn refused_with(app: &TestApp, token: &str, code: &str) {
    let (status, body) = app.current_with_token(token).await;
    assert_eq!(status, 401, "{token}: {body}");
    assert_eq!(body["error"], code, "{token}: {body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test]
async fn a_stale_signature_is_refused_as_stale() {
    let (app, key, secret) = setup().await;
    refused_with(
        &app,
        &sign(&key, &secret, app.now() - 301, "=alice"),
        "stale",
    )
    .await;
    // The edge of the window still passes.
    let edge = sign(&key, &secret, app.now() - 300, "=alice");
    assert_eq!(app.current_with_token(&edge).await.0, 200);
}

#[tokio::test]
async fn a_future_signature_is_refused_as_from_the_future() {
    let (app, key, secret) = setup().await;
    let token = sign(&key, &secret, app.now() + 301, "=alice");
    refused_with(&app, &token, "from_the_future").await;
}

#[tokio::test]
async fn a_token_replayed_after_the_window_is_stale() {
    let (app, key, secret) = setup().await;
    let token = sign(&key, &secret, app.now(), "=alice");
    assert_eq!(app.current_with_token(&token).await.0, 200);
    app.clock.advance(301);
    refused_with(&app, &token, "stale").await;
}

#[tokio::test]
async fn tampering_with_any_field_is_a_bad_signature() {
    let (app, key, secret) = setup().await;
    app.create_user("bob", "bob-password-12", Role::Admin).await;
    let now = app.now();
    let good = sign(&key, &secret, now, "=alice");
    let sig = good.rsplit_once('_').unwrap().1;
    let flipped_sig = {
        let mut s = sig.to_string();
        let last = s.pop().unwrap();
        s.push(if last == '0' { '1' } else { '0' });
        s
    };
    for tampered in [
        format!("tkn_{key}_{}_=alice_{sig}", now - 1),
        format!("tkn_{key}_{now}_=bob_{sig}"),
        format!("tkn_{key}_{now}_=alicf_{sig}"),
        format!("tkn_{key}_{now}_=alice_{flipped_sig}"),
        // Signed with another secret.
        sign(&key, "not-the-secret", now, "=alice"),
    ] {
        refused_with(&app, &tampered, "bad_signature").await;
    }
}

#[tokio::test]
async fn an_unknown_key_is_refused_as_unknown_key() {
    let (app, key, secret) = setup().await;
    refused_with(
        &app,
        &sign("0000000000", &secret, app.now(), "=alice"),
        "unknown_key",
    )
    .await;
    // Changing the key field of a real token names a key that does not exist.
    let good = sign(&key, &secret, app.now(), "=alice");
    refused_with(
        &app,
        &good.replacen(&key, "ffffffffffffffff", 1),
        "unknown_key",
    )
    .await;
}

#[tokio::test]
async fn a_revoked_key_is_refused_at_once() {
    let (app, key, secret) = setup().await;
    assert_eq!(
        app.current_with_token(&sign(&key, &secret, app.now(), "=alice"))
            .await
            .0,
        200
    );
    let site = app.default_site_id();
    assert!(
        app.state
            .token_kinds
            .revoke_server_token(site, &key)
            .await
            .unwrap()
    );
    refused_with(
        &app,
        &sign(&key, &secret, app.now(), "=alice"),
        "unknown_key",
    )
    .await;
}

#[tokio::test]
async fn an_unknown_user_is_refused_without_jit() {
    let (app, key, secret) = setup().await;
    refused_with(
        &app,
        &sign(&key, &secret, app.now(), "=nobody"),
        "unknown_user",
    )
    .await;
    refused_with(
        &app,
        &sign(&key, &secret, app.now(), "999999"),
        "unknown_user",
    )
    .await;
    assert!(
        app.state
            .store
            .find_user_by_username(app.default_site_id(), "nobody")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn a_disabled_user_is_refused_as_unknown_user() {
    let (app, key, secret) = setup().await;
    let alice = app
        .state
        .store
        .find_user_by_username(app.default_site_id(), "alice")
        .await
        .unwrap()
        .unwrap();
    app.state
        .users
        .set_disabled(app.default_site_id(), alice.id, true)
        .await
        .unwrap();
    refused_with(
        &app,
        &sign(&key, &secret, app.now(), "=alice"),
        "unknown_user",
    )
    .await;
}

#[tokio::test]
async fn a_restricted_token_refuses_other_users() {
    let (app, _, _) = setup().await;
    let bot = app.create_user("bot", "bot-password-12", Role::Pro).await;
    let (key, secret) = app
        .server_token(app.default_site_id(), Some(bot), false)
        .await;
    refused_with(
        &app,
        &sign(&key, &secret, app.now(), "=alice"),
        "user_not_allowed",
    )
    .await;
}

#[tokio::test]
async fn malformed_tokens_are_refused_as_malformed() {
    let (app, key, secret) = setup().await;
    let good = sign(&key, &secret, app.now(), "=alice");
    for junk in [
        "tkn_".to_string(),
        "tkn_a_b_c_d".to_string(),
        good.replacen("_=alice_", "_=_", 1),
        format!("{good}00"),
        good.replacen(&format!("_{}_", app.now()), "_-5_", 1),
    ] {
        refused_with(&app, &junk, "malformed").await;
    }
}

#[tokio::test]
async fn a_token_of_site_a_is_refused_on_site_b() {
    let (app, key, secret) = setup().await;
    let site_b = app
        .create_site("b", "http://site-b.localhost", "site-b.localhost")
        .await;
    app.create_user_on(site_b, "alice", "alice-password-1", Role::Pro)
        .await;
    let token = sign(&key, &secret, app.now(), "=alice");
    let (status, body) = app
        .current_with_header(
            &reqwest::Client::builder()
                .resolve(
                    "site-b.localhost",
                    std::net::SocketAddr::from(([127, 0, 0, 1], app.port)),
                )
                .build()
                .unwrap(),
            &app.url_on("site-b.localhost", "/api/users/current"),
            DEKI_TOKEN,
            &token,
        )
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "unknown_key");
    // The sign-in link refuses it too.
    let link = crate::helpers::new_client(app.port)
        .get(app.url_on("site-b.localhost", "/api/users/authenticate"))
        .query(&[("x-deki-token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(link.status().as_u16(), 401);
}

#[tokio::test]
async fn the_sign_in_link_refuses_a_stale_token() {
    let (app, key, secret) = setup().await;
    let response = crate::helpers::new_client(app.port)
        .get(app.url("/api/users/authenticate"))
        .query(&[
            (
                "x-deki-token",
                sign(&key, &secret, app.now() - 1000, "=alice").as_str(),
            ),
            ("redirect", "/account"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert!(response.headers().get("set-cookie").is_none());
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "stale");
}
