//! Sign-up over HTTP: the site's policy, verification before sign-in,
//! unique usernames and addresses, the password policy, invitations.

use tessera::accounts::SignupPolicy;
use tessera::audit::Actor;
use tessera::users::Role;

use super::support::{
    PASSWORD, app_with_mail, csrf_of, path_of, set_signup, sign_up, token_of, user_with_email,
};
use crate::helpers::{new_client, spawn_app};

fn fields<'a>(username: &'a str, email: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("username", username),
        ("display_name", "Ada L."),
        ("email", email),
        ("password", password),
        ("confirm_password", password),
    ]
}

#[tokio::test]
async fn sign_up_on_a_closed_site_is_refused() {
    let (app, _) = app_with_mail().await;
    let client = new_client(app.port);
    let (status, page, _) = csrf_of(&client, &app.url("/signup")).await;
    assert_eq!(status, 403);
    assert!(page.contains("does not take sign-ups"));
    let (_, login, _) = csrf_of(&client, &app.url("/login")).await;
    assert!(!login.contains("href=\"/signup\""));

    let posted = sign_up(&app, &fields("ada", "ada@example.com", PASSWORD), None).await;
    assert_eq!(posted.status(), 403);
    let site = app.default_site_id();
    let found = app
        .state
        .store
        .find_user_by_username(site, "ada")
        .await
        .unwrap();
    assert!(found.is_none());
}

#[tokio::test]
async fn an_account_made_by_sign_up_signs_in_only_after_its_address_is_verified() {
    let (app, mailbox) = app_with_mail().await;
    set_signup(&app, SignupPolicy::Open).await;
    let (_, login, _) = csrf_of(&new_client(app.port), &app.url("/login")).await;
    assert!(login.contains("href=\"/signup\""));

    let posted = sign_up(&app, &fields("ada", "Ada@Example.com", PASSWORD), None).await;
    assert_eq!(posted.status(), 200);
    assert!(posted.text().await.unwrap().contains("verify-sent"));
    let refused = app.post_login("ada", PASSWORD).await;
    assert_eq!(refused.status(), 403);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Confirm your email address first")
    );

    let mail = mailbox.wait_for("Ada@Example.com", 1).await;
    let link = mail.link("/verify-email");
    // Opening the link only shows a button (mail scanners fetch links).
    let client = new_client(app.port);
    let (status, _, csrf) = csrf_of(&client, &app.url(&path_of(&link))).await;
    assert_eq!(status, 200);
    let confirm = |csrf: String| {
        let client = client.clone();
        let token = token_of(&link);
        let url = app.url("/verify-email");
        async move {
            client
                .post(url)
                .form(&[("csrf_token", csrf.as_str()), ("token", token.as_str())])
                .send()
                .await
                .unwrap()
        }
    };
    let csrf = csrf.expect("a form");
    let confirmed = confirm(csrf.clone()).await;
    assert_eq!(confirmed.status(), 303);
    assert_eq!(app.post_login("ada", PASSWORD).await.status(), 303);
    // The link was used.
    assert_eq!(confirm(csrf).await.status(), 410);
    let user = app
        .state
        .store
        .find_user_by_username(app.default_site_id(), "ada")
        .await
        .unwrap()
        .unwrap();
    assert!(user.email_verified_at.is_some());
    assert_eq!(user.role, "community");
    assert_eq!(user.display_name, "Ada L.");
}

#[tokio::test]
async fn usernames_and_addresses_are_unique_per_site() {
    let (app, _) = app_with_mail().await;
    set_signup(&app, SignupPolicy::Open).await;
    user_with_email(&app, "alice", "alice@example.com").await;

    let same_name = sign_up(&app, &fields("alice", "other@example.com", PASSWORD), None).await;
    assert_eq!(same_name.status(), 400);
    assert!(
        same_name
            .text()
            .await
            .unwrap()
            .contains("That username is taken")
    );

    let same_address = sign_up(&app, &fields("alicia", "ALICE@example.com", PASSWORD), None).await;
    assert_eq!(same_address.status(), 400);
    assert!(
        same_address
            .text()
            .await
            .unwrap()
            .contains("An account already uses that address")
    );

    // Another site has its own users and addresses.
    let site_b = app
        .create_site("b", "http://site-b.localhost", "site-b.localhost")
        .await;
    app.state
        .store
        .set_site_signup_policy(site_b, "open", tessera::clock::Clock::now(&app.clock))
        .await
        .unwrap();
    app.state.sites.reload().await.unwrap();
    let client = new_client(app.port);
    let base = app.url_on("site-b.localhost", "");
    let (_, _, csrf) = csrf_of(&client, &format!("{base}/signup")).await;
    let mut form = fields("alice", "alice@example.com", PASSWORD);
    let csrf = csrf.expect("a form");
    form.push(("csrf_token", csrf.as_str()));
    let elsewhere = client
        .post(format!("{base}/signup"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 200, "verification mail on site b");
}

#[tokio::test]
async fn a_weak_password_is_refused_with_the_rule_it_breaks() {
    let (app, _) = app_with_mail().await;
    set_signup(&app, SignupPolicy::Open).await;
    for (password, message) in [
        ("short", "Use at least 10 characters."),
        ("aaaaabbbbbaaaaa", "Use at least 5 different characters."),
        (
            "ada-lovelace-99",
            "Do not use your username in your password.",
        ),
    ] {
        let refused = sign_up(
            &app,
            &fields("ada-lovelace", "countess@example.com", password),
            None,
        )
        .await;
        assert_eq!(refused.status(), 400, "{password}");
        assert!(
            refused.text().await.unwrap().contains(message),
            "{password}"
        );
    }
    let mismatch = sign_up(
        &app,
        &[
            ("username", "ada"),
            ("email", "ada@example.com"),
            ("password", PASSWORD),
            ("confirm_password", "something else entirely"),
        ],
        None,
    )
    .await;
    assert_eq!(mismatch.status(), 400);
    assert!(
        mismatch
            .text()
            .await
            .unwrap()
            .contains("The two passwords differ.")
    );
}

#[tokio::test]
async fn an_invitation_creates_one_account_with_its_role_and_address() {
    let (app, mailbox) = app_with_mail().await;
    set_signup(&app, SignupPolicy::Invite).await;
    // Without an invitation an invite-only site refuses.
    let uninvited = sign_up(&app, &fields("eve", "eve@example.com", PASSWORD), None).await;
    assert_eq!(uninvited.status(), 403);

    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let sent = app
        .state
        .accounts
        .invite(&site, "grace@example.com", Role::Pro, &Actor::Cli)
        .await
        .unwrap();
    assert_eq!(sent.role, "pro");
    let link = mailbox
        .wait_for("grace@example.com", 1)
        .await
        .link("/signup");
    let token = token_of(&link);

    // The form cannot change the invited address.
    let created = sign_up(
        &app,
        &fields("grace", "mallory@example.com", PASSWORD),
        Some(&token),
    )
    .await;
    assert_eq!(created.status(), 303);
    assert_eq!(
        created.headers()["location"].to_str().unwrap(),
        "/login?notice=signed-up"
    );
    let grace = app
        .state
        .store
        .find_user_by_username(site.id, "grace")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(grace.role, "pro");
    assert_eq!(grace.email.as_deref(), Some("grace@example.com"));
    assert!(grace.email_verified_at.is_some());
    assert_eq!(app.post_login("grace", PASSWORD).await.status(), 303);

    // Used once.
    let reused = sign_up(
        &app,
        &fields("grace2", "grace2@example.com", PASSWORD),
        Some(&token),
    )
    .await;
    assert_eq!(reused.status(), 410);
    assert!(
        reused
            .text()
            .await
            .unwrap()
            .contains("expired or was already used")
    );
    let none = app
        .state
        .store
        .find_user_by_username(site.id, "grace2")
        .await
        .unwrap();
    assert!(none.is_none());
}

#[tokio::test]
async fn without_smtp_open_sign_up_needs_no_verification() {
    let app = spawn_app().await;
    set_signup(&app, SignupPolicy::Open).await;
    let created = sign_up(
        &app,
        &[
            ("username", "ada"),
            ("password", PASSWORD),
            ("confirm_password", PASSWORD),
        ],
        None,
    )
    .await;
    assert_eq!(created.status(), 303);
    assert_eq!(app.post_login("ada", PASSWORD).await.status(), 303);
}
