//! Two Tessera processes on one database (issue 11, item 6). What one
//! process changes, the other honours within one change-feed poll
//! (`TESSERA_CHANGE_POLL_MILLIS`, 50 ms in the tests; on Postgres a NOTIFY
//! wakes the poller at once). DPoP proof replay and sign-in link replay
//! across processes are in `security/dpop_replay.rs` and
//! `security/one_time.rs`; shared throttles in `security/throttling.rs`.

use std::time::{Duration, Instant};

use tessera::users::Role;

use super::{active_on, on, request_token, service_client};
use crate::helpers::{TestApp, cookie_value, spawn_app, spawn_app_on};
use crate::oauth::support::{App, Registration, register, signed_in_browser, tokens_for};

/// The tests' poll interval (see `helpers.rs`).
const POLL: Duration = Duration::from_millis(50);
/// What the bound allows beyond one poll: the feed read itself and a busy
/// machine shared with other test processes.
const SLACK: Duration = Duration::from_millis(1500);

async fn second_node(app: &TestApp) -> TestApp {
    spawn_app_on(
        app.database_url.clone(),
        app.master_key.clone(),
        tempfile::tempdir().unwrap(),
    )
    .await
}

/// Asks `check` until it says yes; returns how long that took, failing
/// beyond one poll plus [`SLACK`].
async fn within_the_bound<F, Fut>(what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            let took = started.elapsed();
            eprintln!("{what}: {took:?}");
            return took;
        }
        assert!(
            started.elapsed() < POLL + SLACK,
            "{what}: not within {:?}",
            POLL + SLACK
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_token_revoked_on_one_node_is_refused_on_the_other_within_one_poll() {
    let a = spawn_app().await;
    let b = second_node(&a).await;
    let client = service_client(&a).await;
    let issued: serde_json::Value = request_token(&a, &a, &client)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = issued["access_token"].as_str().unwrap();
    // B knows the token (and keeps it in its cache).
    assert!(active_on(&b, &a, &client, token).await);

    let revoked = on(&a, &a, reqwest::Method::POST, "/oauth/revoke")
        .basic_auth(&client.client_id, client.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    within_the_bound("revocation seen by the other node", || async {
        !active_on(&b, &a, &client, token).await
    })
    .await;
}

#[tokio::test]
async fn a_user_disabled_on_one_node_is_refused_on_the_other_within_one_poll() {
    let a = spawn_app().await;
    let b = second_node(&a).await;
    let dave = a.create_user("dave", "dave-password-1", Role::Pro).await;
    let signed_in = a.post_login("dave", "dave-password-1").await;
    let authtoken = cookie_value(signed_in.headers(), "authtoken").expect("a session");
    // Who B says the caller is (anonymous once the session is refused).
    let current = || async {
        let me: serde_json::Value = on(&b, &a, reqwest::Method::GET, "/api/users/current")
            .header("Cookie", format!("authtoken={authtoken}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        me["username"].as_str().map(str::to_string)
    };
    assert_eq!(
        current().await.as_deref(),
        Some("dave"),
        "B knows dave's session"
    );

    a.state
        .users
        .set_disabled(a.default_site_id(), dave, true)
        .await
        .unwrap();
    within_the_bound("disabled user refused by the other node", || async {
        current().await.is_none()
    })
    .await;
}

#[tokio::test]
async fn a_key_rotated_on_one_node_is_published_by_both() {
    let a = spawn_app().await;
    let b = second_node(&a).await;
    let jwks = |node: &TestApp| on(node, &a, reqwest::Method::GET, "/.well-known/jwks.json").send();
    let kids = |set: serde_json::Value| -> Vec<String> {
        let mut kids: Vec<String> = set["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_string())
            .collect();
        kids.sort();
        kids
    };
    let before = kids(jwks(&b).await.unwrap().json().await.unwrap());
    let site = a.state.sites.by_id(a.default_site_id()).unwrap();
    let rotated = a.state.signing.rotate(&site).await.unwrap();
    let on_a = kids(jwks(&a).await.unwrap().json().await.unwrap());
    assert_ne!(before, on_a);
    assert!(on_a.contains(&rotated.next_kid));
    within_the_bound("rotation published by the other node", || async {
        kids(jwks(&b).await.unwrap().json().await.unwrap()) == on_a
    })
    .await;
    // Once: B did not rotate again on its own.
    let keys_a = a.state.signing.keys(site.id).await.unwrap();
    let keys_b = b.state.signing.keys(site.id).await.unwrap();
    assert_eq!(keys_a.current.kid, keys_b.current.kid);
    assert_eq!(keys_a.current.kid, rotated.current_kid);
}

/// Whether `node` says a user's `token` is active, asked by its client.
async fn user_token_active_on(
    node: &TestApp,
    site_app: &TestApp,
    client: &App,
    token: &str,
) -> bool {
    let body: serde_json::Value = on(node, site_app, reqwest::Method::POST, "/oauth/introspect")
        .basic_auth(&client.client_id, client.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["active"] == true
}

#[tokio::test]
async fn an_access_token_is_not_stored_and_works_on_every_node() {
    let a = spawn_app().await;
    let b = second_node(&a).await;
    let client = service_client(&a).await;
    let issued: serde_json::Value = request_token(&a, &a, &client)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = issued["access_token"].as_str().unwrap();
    assert!(token.len() <= 255, "{}", token.len());
    // Nothing was written for it, and B checks it without the store's help.
    let hash = tessera::oauth::tokens::hash_token(token);
    let stored = a.state.store.find_token(a.default_site_id(), &hash).await;
    assert!(stored.unwrap().is_none(), "access tokens are not stored");
    assert!(active_on(&b, &a, &client, token).await);
}

#[tokio::test]
async fn a_grant_revoked_on_one_node_ends_its_access_tokens_on_the_other_within_one_poll() {
    let a = spawn_app().await;
    let b = second_node(&a).await;
    let client = register(&a, Registration::default()).await;
    let browser = signed_in_browser(&a).await;
    let tokens = tokens_for(&a, &browser, &client, None).await;
    let access = tokens["access_token"].as_str().unwrap().to_string();
    assert!(user_token_active_on(&b, &a, &client, &access).await);

    // Alice takes back the app's authorization on A.
    let taken_back = browser
        .delete(a.url(&format!(
            "/api/users/current/authorizations/{}",
            client.client_id
        )))
        .send()
        .await
        .unwrap();
    assert!(taken_back.status().is_success(), "{}", taken_back.status());
    assert!(
        !user_token_active_on(&a, &a, &client, &access).await,
        "exact on A"
    );
    within_the_bound("grant revocation seen by the other node", || async {
        !user_token_active_on(&b, &a, &client, &access).await
    })
    .await;
}

#[tokio::test]
async fn a_node_started_after_a_revocation_knows_it() {
    let a = spawn_app().await;
    let client = service_client(&a).await;
    let issued: serde_json::Value = request_token(&a, &a, &client)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = issued["access_token"].as_str().unwrap();
    let revoked = on(&a, &a, reqwest::Method::POST, "/oauth/revoke")
        .basic_auth(&client.client_id, client.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    // Long after the change feed's window: C learns it from the store at start.
    let c = second_node(&a).await;
    assert!(!active_on(&c, &a, &client, token).await);
}

#[tokio::test]
async fn a_session_ended_on_one_node_ends_forward_auth_on_the_other_within_one_poll() {
    let a = spawn_app().await;
    let b = second_node(&a).await;
    a.create_user("erin", "erin-password-1", Role::Pro).await;
    let (browser, authtoken) = a.signed_in_client("erin", "erin-password-1").await;
    // The proxy in front of B: one kept-alive connection, one worker.
    let proxy = reqwest::Client::new();
    let ask_b = || async {
        proxy
            .get(format!("http://127.0.0.1:{}/auth/verify", b.port))
            .header("X-Forwarded-Host", format!("localhost:{}", a.port))
            .header("Cookie", format!("authtoken={authtoken}"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    for _ in 0..3 {
        assert_eq!(ask_b().await, 200);
    }
    assert!(
        b.state.cache.forward_auth_answers.read().0 >= 1,
        "B answers from memory"
    );

    assert_eq!(a.sign_out(&browser).await.status().as_u16(), 303);
    within_the_bound("sign-out seen by the other node's forward-auth", || async {
        ask_b().await == 401
    })
    .await;
}
