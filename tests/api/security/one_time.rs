//! Item 6 and 8: single-use sign-in links, explicit unrestricted server keys, and the smaller holes.
//! Attacks from the security review (issue 10), one module per hole: each
//! test failed on the code before the fix.

mod master_key;
mod smaller;

use tessera::tokens::legacy::{ImpersonatedUser, SiteApiKey, impersonation_token};
use tessera::tokens::server::{self, ServerTokenSecret, Window};
use tessera::users::Role;

use crate::helpers::{TestApp, cookie_value, new_client, spawn_app, spawn_app_on};
use crate::token_kinds::{sign, stderr, stdout};

async fn open_link(app: &TestApp, param: &str, token: &str) -> reqwest::Response {
    new_client(app.port)
        .get(app.url("/api/users/authenticate"))
        .query(&[(param, token), ("redirect", "/account")])
        .send()
        .await
        .unwrap()
}

/// The link opened at `other` (a second server on the same database),
/// for the first app's site: the same `Host`, another process.
async fn open_link_at(app: &TestApp, other: &TestApp, token: &str) -> reqwest::Response {
    new_client(other.port)
        .get(other.url("/api/users/authenticate"))
        .header("host", format!("localhost:{}", app.port))
        .query(&[("x-deki-token", token)])
        .send()
        .await
        .unwrap()
}

async fn error_code(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_string(),
    )
}

fn signed_in(response: &reqwest::Response) -> bool {
    response.status().as_u16() == 303 && cookie_value(response.headers(), "authtoken").is_some()
}

#[tokio::test]
async fn a_server_token_sign_in_link_works_once_on_every_instance() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (key, secret) = app
        .server_token(app.default_site_id(), Some(alice), false)
        .await;
    let link = sign(&key, &secret, app.now(), "=alice");

    let first = open_link(&app, "x-deki-token", &link).await;
    assert!(signed_in(&first), "{}", first.status());

    let again = open_link(&app, "x-deki-token", &link).await;
    assert!(again.headers().get("set-cookie").is_none());
    assert_eq!(error_code(again).await, (401, "already_used".into()));

    // The same signature in upper-case hex is the same link.
    let (body, sig) = link.rsplit_once('_').unwrap();
    let shouted = format!("{body}_{}", sig.to_ascii_uppercase());
    let shouted = open_link(&app, "x-deki-token", &shouted).await;
    assert_eq!(error_code(shouted).await, (401, "already_used".into()));

    // A second server on the same database refuses it too.
    let dir = tempfile::tempdir().unwrap();
    let other = spawn_app_on(app.database_url.clone(), app.master_key.clone(), dir).await;
    let elsewhere = open_link_at(&app, &other, &link).await;
    assert_eq!(error_code(elsewhere).await, (401, "already_used".into()));
    // ...while a fresh link works there once.
    let fresh = sign(&key, &secret, other.now() + 1, "=alice");
    assert!(signed_in(&open_link_at(&app, &other, &fresh).await));
    let fresh_again = open_link(&app, "x-deki-token", &fresh).await;
    assert_eq!(error_code(fresh_again).await, (401, "already_used".into()));

    // The same token on plain API requests is not single-use (see
    // docs/token-kinds.md): servers send many requests per epoch.
    for _ in 0..3 {
        assert_eq!(app.current_with_token(&link).await.0, 200);
    }
}

#[tokio::test]
async fn a_refused_link_is_not_spent_and_a_used_one_is_forgotten_after_its_window() {
    let app = spawn_app().await;
    let (key, secret) = app.server_token(app.default_site_id(), None, false).await;
    // Nobody called alice yet: refused, and not recorded.
    let link = sign(&key, &secret, app.now(), "=alice");
    assert_eq!(
        error_code(open_link(&app, "x-deki-token", &link).await).await,
        (401, "unknown_user".into())
    );
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    assert!(signed_in(&open_link(&app, "x-deki-token", &link).await));

    // The ledger holds a hash of the signature until the window ends.
    let used_at = app.now();
    let verified = server::parse(&link)
        .unwrap()
        .verify(
            Some(&ServerTokenSecret::new(secret.clone())),
            used_at,
            Window::default(),
        )
        .unwrap();
    let entry = verified.single_use_key(app.default_site_id());
    let until = verified.valid_until(Window::default());
    let store = &app.state.store;
    assert!(!store.use_once(&entry, until, used_at).await.unwrap());

    // Past its window the link is stale; the janitor then drops its entry
    // (so, seen from the old time, the entry is new again).
    app.clock.advance(301);
    assert_eq!(
        error_code(open_link(&app, "x-deki-token", &link).await).await,
        (401, "stale".into())
    );
    tessera::janitor::sweep(store, app.now()).await.unwrap();
    assert!(store.use_once(&entry, until, used_at).await.unwrap());
    assert!(
        store
            .use_once("probe", app.now() + 10, app.now())
            .await
            .unwrap()
    );
    assert!(
        !store
            .use_once("probe", app.now() + 10, app.now())
            .await
            .unwrap()
    );
    // An entry whose time is over is taken over by the next use.
    assert!(
        store
            .use_once("probe", app.now() + 20, app.now() + 11)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn an_impersonation_link_works_once() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let key = SiteApiKey::new(app.enable_legacy(app.default_site_id()).await);
    let link = impersonation_token(&key, app.now(), &ImpersonatedUser::Username("alice".into()));
    assert!(signed_in(&open_link(&app, "authtoken", &link).await));
    let again = open_link(&app, "authtoken", &link).await;
    assert_eq!(error_code(again).await, (401, "already_used".into()));
    let upper = link.replace(
        link.split('_').nth(2).unwrap(),
        &link.split('_').nth(2).unwrap().to_ascii_uppercase(),
    );
    assert_ne!(upper, link);
    let upper = open_link(&app, "authtoken", &upper).await;
    assert_eq!(error_code(upper).await, (401, "already_used".into()));
}

#[tokio::test]
async fn an_impersonation_link_for_a_digit_username_cannot_become_a_user_id() {
    let app = spawn_app().await;
    // The bootstrap admin is user 1; someone registers the username `1`.
    let admin = app
        .state
        .store
        .find_user_by_username(app.default_site_id(), &app.admin_username)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(admin.id, 1);
    app.create_user("1", "digit-password-1", Role::Community)
        .await;
    let key = SiteApiKey::new(app.enable_legacy(app.default_site_id()).await);
    let for_name = impersonation_token(&key, app.now(), &ImpersonatedUser::Username("1".into()));
    // The MD5 covers the bare `1`: the same hash reads as user id 1.
    let as_admin = for_name.replace("_=1", "_1");
    assert_ne!(as_admin, for_name);
    let response = open_link(&app, "authtoken", &as_admin).await;
    assert!(response.headers().get("set-cookie").is_none());
    assert_eq!(error_code(response).await, (401, "ambiguous_user".into()));
    let response = open_link(&app, "authtoken", &for_name).await;
    assert_eq!(error_code(response).await, (401, "ambiguous_user".into()));

    // Without a colliding id, an all-digit username signs in as that user,
    // and its id spelling names nobody.
    app.create_user("987654", "digit-password-2", Role::Community)
        .await;
    app.clock.advance(1);
    let for_name = impersonation_token(
        &key,
        app.now(),
        &ImpersonatedUser::Username("987654".into()),
    );
    let client = new_client(app.port);
    let response = client
        .get(app.url("/api/users/authenticate"))
        .query(&[("authtoken", for_name.as_str())])
        .send()
        .await
        .unwrap();
    assert!(signed_in(&response));
    assert_eq!(app.current_user_with(&client).await["username"], "987654");
    let as_id = for_name.replace("_=987654", "_987654");
    assert_eq!(
        error_code(open_link(&app, "authtoken", &as_id).await).await,
        (401, "unknown_user".into())
    );
    // A non-canonical id (`_01`) is malformed, not user 1.
    let padded = impersonation_token(&key, app.now(), &ImpersonatedUser::Username("01".into()))
        .replace("_=01", "_01");
    assert_eq!(
        error_code(open_link(&app, "authtoken", &padded).await).await,
        (401, "malformed".into())
    );
}

#[tokio::test]
async fn server_token_create_needs_an_explicit_user_or_any_user() {
    let app = spawn_app().await;
    app.create_user("bot", "bot-password-12", Role::Pro).await;
    let base = ["server-token", "create", "--site", "default", "--json"];

    let neither = app.cli(&base, None);
    assert_eq!(neither.status.code(), Some(2), "{}", stderr(&neither));
    assert!(stderr(&neither).contains("--user"), "{}", stderr(&neither));
    assert!(
        stderr(&neither).contains("--any-user"),
        "{}",
        stderr(&neither)
    );

    let both = app.cli(
        &[&base[..], &["--user", "bot", "--any-user"]].concat(),
        None,
    );
    assert_eq!(both.status.code(), Some(2), "{}", stderr(&both));
    assert!(
        app.state
            .store
            .list_server_tokens(app.default_site_id())
            .await
            .unwrap()
            .is_empty()
    );

    let one = app.cli(&[&base[..], &["--user", "bot"]].concat(), None);
    assert_eq!(one.status.code(), Some(0), "{}", stderr(&one));
    let one: serde_json::Value = serde_json::from_str(&stdout(&one)).unwrap();
    assert_eq!(one["any_user"], false);

    let any = app.cli(&[&base[..], &["--any-user"]].concat(), None);
    assert_eq!(any.status.code(), Some(0), "{}", stderr(&any));
    let any: serde_json::Value = serde_json::from_str(&stdout(&any)).unwrap();
    assert_eq!(any["any_user"], true);
    assert_eq!(any["user_id"], serde_json::Value::Null);

    let listed = app.cli(&["server-token", "list", "--site", "default"], None);
    assert!(
        stdout(&listed).contains("ANY USER (admins included)"),
        "{}",
        stdout(&listed)
    );
}
