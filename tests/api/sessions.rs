use std::time::Duration;

use tessera::users::Role;

use crate::helpers::{cookie_value, set_cookies, spawn_app};

#[tokio::test]
async fn a_tampered_authtoken_is_anonymous() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Community)
        .await;
    let (_, token) = app.signed_in_client("alice", "alice-password-1").await;
    let mut tampered = token.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'a' { 'b' } else { 'a' });

    assert_eq!(
        app.current_user_bearer(&token).await["credential"],
        "authtoken"
    );
    let me = app.current_user_bearer(&tampered).await;
    assert_eq!(me["credential"], "anonymous");
    assert_eq!(me["id"], serde_json::Value::Null);
}

#[tokio::test]
async fn an_expired_authtoken_is_anonymous() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Community)
        .await;
    let (_, token) = app.signed_in_client("alice", "alice-password-1").await;

    app.clock.advance(7 * 24 * 3600 + 1);

    assert_eq!(
        app.current_user_bearer(&token).await["credential"],
        "anonymous"
    );
}

#[tokio::test]
async fn the_authtoken_works_as_a_bearer_token() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (_, token) = app.signed_in_client("alice", "alice-password-1").await;

    let me = app.current_user_bearer(&token).await;

    assert_eq!(me["username"], "alice");
    assert_eq!(me["credential"], "authtoken");
    assert_eq!(
        me["permissions"],
        serde_json::json!([
            "content:read",
            "content:write",
            "account:read",
            "account:write"
        ])
    );
}

#[tokio::test]
async fn signing_out_revokes_the_authtoken() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Community)
        .await;
    let (client, token) = app.signed_in_client("alice", "alice-password-1").await;

    let response = app.sign_out(&client).await;

    assert_eq!(response.status().as_u16(), 303);
    let cleared = set_cookies(response.headers(), "authtoken").remove(0);
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    // The old value no longer works even if someone kept a copy.
    assert_eq!(
        app.current_user_bearer(&token).await["credential"],
        "anonymous"
    );
}

#[tokio::test]
async fn signing_out_without_the_csrf_token_does_nothing() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Community)
        .await;
    let (client, token) = app.signed_in_client("alice", "alice-password-1").await;

    client
        .post(app.url("/logout"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();

    assert_eq!(
        app.current_user_bearer(&token).await["credential"],
        "authtoken"
    );
}

#[tokio::test]
async fn signing_out_everywhere_revokes_every_session() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Community)
        .await;
    let (laptop, laptop_token) = app.signed_in_client("alice", "alice-password-1").await;
    let (_, phone_token) = app.signed_in_client("alice", "alice-password-1").await;
    let csrf = app.account_csrf(&laptop).await;

    let response = laptop
        .post(app.url("/account/sessions/end-all"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        app.current_user_bearer(&laptop_token).await["credential"],
        "anonymous"
    );
    assert_eq!(
        app.current_user_bearer(&phone_token).await["credential"],
        "anonymous"
    );
}

#[tokio::test]
async fn one_session_can_be_signed_out_from_the_account_page() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "alice-password-1", Role::Community)
        .await;
    let (laptop, laptop_token) = app.signed_in_client("alice", "alice-password-1").await;
    let (_, phone_token) = app.signed_in_client("alice", "alice-password-1").await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let sessions = app.state.sessions.list_active(&site, alice).await.unwrap();
    assert_eq!(sessions.len(), 2);
    let page = laptop
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("(this browser)"));
    // The newest session is the phone's.
    let phone_session = sessions[0].id;
    let csrf = app.account_csrf(&laptop).await;

    let response = laptop
        .post(app.url(&format!("/account/sessions/{phone_session}/end")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        app.current_user_bearer(&phone_token).await["credential"],
        "anonymous"
    );
    assert_eq!(
        app.current_user_bearer(&laptop_token).await["credential"],
        "authtoken"
    );
}

#[tokio::test]
async fn changing_the_password_revokes_the_other_sessions_only() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Community)
        .await;
    let (laptop, laptop_token) = app.signed_in_client("alice", "alice-password-1").await;
    let (_, phone_token) = app.signed_in_client("alice", "alice-password-1").await;
    let csrf = app.account_csrf(&laptop).await;

    let response = laptop
        .post(app.url("/account/password"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("current_password", "alice-password-1"),
            ("new_password", "alice-password-2"),
            ("confirm_password", "alice-password-2"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(
        response.headers()["location"],
        "/account?notice=password-changed"
    );
    assert_eq!(
        app.current_user_bearer(&laptop_token).await["credential"],
        "authtoken"
    );
    assert_eq!(
        app.current_user_bearer(&phone_token).await["credential"],
        "anonymous"
    );
    let old = app.post_login("alice", "alice-password-1").await;
    assert_eq!(old.status().as_u16(), 401);
    let new = app.post_login("alice", "alice-password-2").await;
    assert_eq!(new.status().as_u16(), 303);
}

#[tokio::test]
async fn a_password_change_with_the_wrong_current_password_shows_the_error_by_the_field() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Community)
        .await;
    let (laptop, token) = app.signed_in_client("alice", "alice-password-1").await;
    let csrf = app.account_csrf(&laptop).await;

    let response = laptop
        .post(app.url("/account/password"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("current_password", "not-the-password"),
            ("new_password", "short"),
            ("confirm_password", "short"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 400);
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"id="current-error""#));
    assert!(page.contains(r#"id="new-error""#));
    assert_eq!(
        app.current_user_bearer(&token).await["credential"],
        "authtoken"
    );
}

#[tokio::test]
async fn disabling_a_user_ends_their_sessions_at_once() {
    let app = spawn_app().await;
    let id = app
        .create_user("alice", "alice-password-1", Role::Community)
        .await;
    let (_, token) = app.signed_in_client("alice", "alice-password-1").await;
    assert_eq!(
        app.current_user_bearer(&token).await["credential"],
        "authtoken"
    );

    app.state
        .users
        .set_disabled(app.default_site_id(), id, true)
        .await
        .unwrap();

    assert_eq!(
        app.current_user_bearer(&token).await["credential"],
        "anonymous"
    );
}

#[tokio::test]
async fn a_user_disabled_from_another_process_loses_their_session_within_the_poll_interval() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Community)
        .await;
    let (_, token) = app.signed_in_client("alice", "alice-password-1").await;
    // Cached now.
    assert_eq!(
        app.current_user_bearer(&token).await["credential"],
        "authtoken"
    );

    let output = app.cli(&["user", "disable", "--site", "default", "alice"], None);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    // The poll interval is 50 ms in tests; allow generous slack for CI.
    let mut seen_anonymous = false;
    for _ in 0..100 {
        if app.current_user_bearer(&token).await["credential"] == "anonymous" {
            seen_anonymous = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        seen_anonymous,
        "the other process's change was never applied"
    );
}

#[tokio::test]
async fn the_account_page_needs_a_signed_in_user() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/account")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/login?next=/account");
}

#[tokio::test]
async fn the_account_page_shows_who_you_are() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (client, _) = app.signed_in_client("alice", "alice-password-1").await;
    let page = client
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<dd id="account-username">alice</dd>"#));
    assert!(page.contains(r#"<dd id="account-role">pro</dd>"#));
    assert!(page.contains("Sign out everywhere"));
}

#[tokio::test]
async fn a_fresh_sign_in_replaces_the_cookie_value() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Community)
        .await;
    let first = app.post_login("alice", "alice-password-1").await;
    let a = cookie_value(first.headers(), "authtoken").unwrap();
    let (_, b) = app.signed_in_client("alice", "alice-password-1").await;
    assert_ne!(a, b);
}
