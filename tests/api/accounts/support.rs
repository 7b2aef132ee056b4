//! Helpers of the account tests: an app with the in-test SMTP receiver as
//! its relay, users with email addresses, and the forms of the pages.

use tessera::accounts::SignupPolicy;
use tessera::clock::Clock;
use tessera::users::{NewAccount, Role};

use super::smtp::{Mailbox, SmtpReceiver};
use crate::helpers::{TestApp, hidden_input, new_client, spawn_app_with};

pub const PASSWORD: &str = "correct horse battery";
pub const NEW_PASSWORD: &str = "purple monkey dishwasher";

/// An app whose SMTP relay is a receiver in this process.
pub async fn app_with_mail() -> (TestApp, Mailbox) {
    let receiver = SmtpReceiver::start().await;
    let url = receiver.url();
    let app = spawn_app_with(&[
        ("TESSERA_SMTP_URL", url.as_str()),
        (
            "TESSERA_SMTP_FROM",
            "Tessera Tests <no-reply@tests.example.com>",
        ),
    ])
    .await;
    (app, receiver.mailbox)
}

/// A user of the default site with an email address.
pub async fn user_with_email(app: &TestApp, username: &str, email: &str) -> i64 {
    app.state
        .users
        .create(
            app.default_site_id(),
            NewAccount {
                username: username.to_string(),
                display_name: None,
                email: Some(email.to_string()),
                role: Role::Pro,
                password: PASSWORD.to_string(),
            },
        )
        .await
        .expect("create a user")
        .id
}

pub async fn set_signup(app: &TestApp, policy: SignupPolicy) {
    let site = app.default_site_id();
    app.state
        .store
        .set_site_signup_policy(site, policy.as_str(), app.clock.now())
        .await
        .expect("set the policy");
    app.state.sites.reload().await.expect("reload sites");
}

/// The CSRF token of a page.
pub async fn csrf_of(client: &reqwest::Client, url: &str) -> (u16, String, Option<String>) {
    let response = client.get(url).send().await.expect("GET");
    let status = response.status().as_u16();
    let page = response.text().await.expect("page");
    let csrf = hidden_input(&page, "csrf_token");
    (status, page, csrf)
}

/// Asks for a reset link for `email` with a fresh browser.
pub async fn ask_for_reset(app: &TestApp, email: &str) -> reqwest::Response {
    let client = new_client(app.port);
    let (_, _, csrf) = csrf_of(&client, &app.url("/login/forgot")).await;
    client
        .post(app.url("/login/forgot"))
        .form(&[
            ("csrf_token", csrf.expect("a form").as_str()),
            ("email", email),
        ])
        .send()
        .await
        .expect("POST /login/forgot")
}

/// The path and query of a link from a mail (`http://localhost:port/x?y`).
pub fn path_of(link: &str) -> String {
    let url = url::Url::parse(link).expect("a URL");
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

/// The `token=` of a link.
pub fn token_of(link: &str) -> String {
    let url = url::Url::parse(link).expect("a URL");
    url.query_pairs()
        .find(|(k, _)| k == "token" || k == "invite")
        .map(|(_, v)| v.into_owned())
        .expect("a token")
}

/// Opens the reset link and posts a new password, in a fresh browser.
pub async fn use_reset_link(app: &TestApp, link: &str, password: &str) -> reqwest::Response {
    let client = new_client(app.port);
    let (status, _, csrf) = csrf_of(&client, &app.url(&path_of(link))).await;
    let csrf = match csrf {
        Some(csrf) => csrf,
        // The link is gone: post anyway with the pre-session token of
        // another page, as a stale tab would.
        None => {
            assert_eq!(status, 410);
            let (_, _, csrf) = csrf_of(&client, &app.url("/login")).await;
            csrf.expect("the login form")
        }
    };
    client
        .post(app.url("/password-reset"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("token", token_of(link).as_str()),
            ("new_password", password),
            ("confirm_password", password),
        ])
        .send()
        .await
        .expect("POST /password-reset")
}

/// Posts the sign-up form in a fresh browser.
pub async fn sign_up(
    app: &TestApp,
    fields: &[(&str, &str)],
    invite: Option<&str>,
) -> reqwest::Response {
    let client = new_client(app.port);
    let page = match invite {
        Some(token) => app.url(&format!("/signup?invite={token}")),
        None => app.url("/signup"),
    };
    let (_, _, csrf) = csrf_of(&client, &page).await;
    let csrf = match csrf {
        Some(csrf) => csrf,
        None => csrf_of(&client, &app.url("/login"))
            .await
            .2
            .expect("the login form"),
    };
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    if let Some(token) = invite {
        form.push(("invite", token));
    }
    client
        .post(app.url("/signup"))
        .form(&form)
        .send()
        .await
        .expect("POST /signup")
}
