//! Password reset over HTTP: the mail, the link used once, expiry, what a
//! reset revokes, and what asking reveals.

use tessera::users::Role;

use super::support::{
    NEW_PASSWORD, PASSWORD, app_with_mail, ask_for_reset, csrf_of, path_of, use_reset_link,
    user_with_email,
};
use crate::helpers::{new_client, spawn_app};
use crate::oauth::support::{Registration, register, token, tokens_for};

#[tokio::test]
async fn a_reset_link_sets_a_new_password_and_signs_out_everywhere() {
    let (app, mailbox) = app_with_mail().await;
    user_with_email(&app, "alice", "alice@example.com").await;
    let (browser, authtoken) = app.signed_in_client("alice", PASSWORD).await;
    let client = register(&app, Registration::default()).await;
    let tokens = tokens_for(&app, &browser, &client, Some("profile")).await;
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");

    let asked = ask_for_reset(&app, "ALICE@example.com").await;
    assert_eq!(asked.status(), 200);
    let mail = mailbox.wait_for("alice@example.com", 1).await;
    assert!(mail.subject().contains("Reset your password"));
    assert_eq!(mail.header_from(), "no-reply@tests.example.com");
    let link = mail.link("/password-reset");
    assert!(
        link.starts_with(&app.address),
        "links use the site's base URL"
    );
    assert!(mail.html().contains(&link.replace('&', "&amp;")));

    let done = use_reset_link(&app, &link, NEW_PASSWORD).await;
    assert_eq!(done.status(), 303);
    assert_eq!(
        done.headers()["location"].to_str().unwrap(),
        "/login?notice=password-reset"
    );

    // The session of before is gone, cookie and bearer alike.
    assert_eq!(
        app.current_user_with(&browser).await["credential"],
        "anonymous"
    );
    assert_eq!(
        app.current_user_bearer(&authtoken).await["credential"],
        "anonymous"
    );
    // So is the app's grant: its refresh token no longer works.
    let refreshed = token(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(refreshed.status(), 400);
    let body: serde_json::Value = refreshed.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
    // The old password is refused; the new one signs in.
    assert_eq!(app.post_login("alice", PASSWORD).await.status(), 401);
    assert_eq!(app.post_login("alice", NEW_PASSWORD).await.status(), 303);
    // And the owner is told.
    let notice = mailbox.wait_for("alice@example.com", 2).await;
    assert!(notice.subject().contains("password"));
    assert!(notice.text().contains("was just changed"));
}

#[tokio::test]
async fn a_reset_link_works_once() {
    let (app, mailbox) = app_with_mail().await;
    user_with_email(&app, "alice", "alice@example.com").await;
    ask_for_reset(&app, "alice@example.com").await;
    let link = mailbox
        .wait_for("alice@example.com", 1)
        .await
        .link("/password-reset");
    assert_eq!(
        use_reset_link(&app, &link, NEW_PASSWORD).await.status(),
        303
    );

    let again = use_reset_link(&app, &link, "another long password").await;
    assert_eq!(again.status(), 410);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("expired or was already used")
    );
    assert_eq!(
        app.post_login("alice", "another long password")
            .await
            .status(),
        401
    );
    assert_eq!(app.post_login("alice", NEW_PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn a_reset_link_expires_after_thirty_minutes() {
    let (app, mailbox) = app_with_mail().await;
    user_with_email(&app, "alice", "alice@example.com").await;
    ask_for_reset(&app, "alice@example.com").await;
    let link = mailbox
        .wait_for("alice@example.com", 1)
        .await
        .link("/password-reset");
    app.clock.advance(30 * 60 + 1);

    let page = new_client(app.port)
        .get(app.url(&path_of(&link)))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 410);
    assert_eq!(
        use_reset_link(&app, &link, NEW_PASSWORD).await.status(),
        410
    );
    assert_eq!(app.post_login("alice", PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn asking_for_a_reset_does_not_say_whether_an_account_has_the_address() {
    let (app, mailbox) = app_with_mail().await;
    user_with_email(&app, "alice", "alice@example.com").await;
    let known = ask_for_reset(&app, "alice@example.com").await;
    let unknown = ask_for_reset(&app, "nobody@example.com").await;
    assert_eq!(known.status(), unknown.status());
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());
    mailbox.wait_for("alice@example.com", 1).await;
    assert!(mailbox.to("nobody@example.com").is_empty());
}

#[tokio::test]
async fn reset_requests_are_throttled_per_address() {
    let (app, mailbox) = app_with_mail().await;
    user_with_email(&app, "alice", "alice@example.com").await;
    for _ in 0..3 {
        assert_eq!(ask_for_reset(&app, "alice@example.com").await.status(), 200);
    }
    let fourth = ask_for_reset(&app, "Alice@Example.com").await;
    assert_eq!(fourth.status(), 429);
    assert!(fourth.headers().contains_key("retry-after"));
    mailbox.wait_for("alice@example.com", 3).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(mailbox.to("alice@example.com").len(), 3);
}

#[tokio::test]
async fn a_disabled_account_gets_no_reset_link() {
    let (app, mailbox) = app_with_mail().await;
    user_with_email(&app, "bob", "bob@example.com").await;
    let alice = user_with_email(&app, "alice", "alice@example.com").await;
    app.state
        .users
        .set_disabled(app.default_site_id(), alice, true)
        .await
        .unwrap();
    ask_for_reset(&app, "alice@example.com").await;
    ask_for_reset(&app, "bob@example.com").await;
    mailbox.wait_for("bob@example.com", 1).await;
    assert!(mailbox.to("alice@example.com").is_empty());
}

#[tokio::test]
async fn without_smtp_the_pages_do_not_offer_password_reset() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, Role::Pro).await;
    let client = new_client(app.port);
    let (_, login, _) = csrf_of(&client, &app.url("/login")).await;
    assert!(!login.contains("/login/forgot"));
    let (status, page, _) = csrf_of(&client, &app.url("/login/forgot")).await;
    assert_eq!(status, 404);
    assert!(page.contains("cannot send email"));
}

#[tokio::test]
async fn a_weak_new_password_is_refused_and_the_link_stays_usable() {
    let (app, mailbox) = app_with_mail().await;
    user_with_email(&app, "alice", "alice@example.com").await;
    ask_for_reset(&app, "alice@example.com").await;
    let link = mailbox
        .wait_for("alice@example.com", 1)
        .await
        .link("/password-reset");
    let weak = use_reset_link(&app, &link, "alice-alice-alice").await;
    assert_eq!(weak.status(), 400);
    assert!(
        weak.text()
            .await
            .unwrap()
            .contains("Do not use your username in your password.")
    );
    assert_eq!(
        use_reset_link(&app, &link, NEW_PASSWORD).await.status(),
        303
    );
}
