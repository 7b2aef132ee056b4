//! Item 1: pages and form POSTs trust only the authtoken cookie; CSRF tokens are bound to the session.
//!
//! The review's exploit: a client holding a user's `profile` access token
//! sent it as `Authorization: Bearer` to the consent screen and the developer
//! portal and was treated as that user signed in, so it could approve itself
//! any scope and, with an admin's token, register an `admin`-scope app.

use reqwest::header::{AUTHORIZATION, LOCATION};

use crate::helpers::{TestApp, hidden_input, new_client, spawn_app};
use crate::oauth::support::{PASSWORD, Registration, authorize_path, pkce, register, tokens_for};

/// An admin's access token with nothing but `profile`, obtained the proper
/// way (the admin approved it in a browser).
async fn admin_profile_token(app: &TestApp) -> (String, crate::oauth::support::App) {
    let client = register(app, Registration::default()).await;
    let (browser, _) = app
        .signed_in_client(&app.admin_username, &app.admin_password)
        .await;
    let tokens = tokens_for(app, &browser, &client, Some("profile")).await;
    let token = tokens["access_token"].as_str().expect("an access token");
    (token.to_string(), client)
}

fn login_redirect(response: &reqwest::Response) -> bool {
    response.status() == 303
        && response
            .headers()
            .get(LOCATION)
            .and_then(|l| l.to_str().ok())
            .is_some_and(|l| l.starts_with("/login"))
}

/// Every way the review presented a credential that is not the cookie.
fn credentials(access_token: &str, authtoken: &str) -> Vec<(&'static str, String)> {
    vec![
        ("bearer access token", format!("Bearer {access_token}")),
        ("DPoP-scheme access token", format!("DPoP {access_token}")),
        ("authtoken as bearer", format!("Bearer {authtoken}")),
    ]
}

#[tokio::test]
async fn no_page_counts_an_api_credential_as_a_signed_in_user() {
    let app = spawn_app().await;
    let (access_token, client) = admin_profile_token(&app).await;
    let (_, authtoken) = app
        .signed_in_client(&app.admin_username, &app.admin_password)
        .await;
    let (_, challenge) = pkce();
    let authorize = authorize_path(&client, Some("profile content:write"), &challenge, &[]);
    let pages = [
        "/account",
        "/developers",
        "/developers/new",
        &format!("/developers/apps/{}", client.client_id),
        "/admin",
        "/device",
        authorize.as_str(),
    ];
    for (how, header) in credentials(&access_token, &authtoken) {
        for page in pages {
            let response = new_client(app.port)
                .get(app.url(page))
                .header(AUTHORIZATION, &header)
                .send()
                .await
                .expect("GET page");
            assert!(
                login_redirect(&response),
                "{how} at GET {page} must send the browser to sign in, got {}",
                response.status()
            );
        }
        // The sign-in page itself is shown, not skipped as if signed in.
        let response = new_client(app.port)
            .get(app.url("/login"))
            .header(AUTHORIZATION, &header)
            .send()
            .await
            .expect("GET /login");
        assert_eq!(response.status(), 200, "{how} at /login");
        let home = new_client(app.port)
            .get(app.url("/"))
            .header(AUTHORIZATION, &header)
            .send()
            .await
            .expect("GET /");
        assert_eq!(home.headers()[LOCATION], "/login", "{how} at /");
    }
}

#[tokio::test]
async fn no_form_post_acts_for_the_holder_of_an_api_credential() {
    let app = spawn_app().await;
    let (access_token, client) = admin_profile_token(&app).await;
    let (_, authtoken) = app
        .signed_in_client(&app.admin_username, &app.admin_password)
        .await;
    let site = app.state.sites.by_id(app.default_site_id()).expect("site");
    let apps_before = app
        .state
        .oauth
        .clients
        .list(&site, None)
        .await
        .expect("list")
        .len();
    let forms: [(&str, &[(&str, &str)]); 14] = [
        (
            "/developers/new",
            &[
                ("name", "Mine"),
                ("redirect_uris", "https://evil.example/cb"),
                ("scopes", "admin"),
                ("scopes", "profile"),
            ],
        ),
        (
            "/oauth/authorize",
            &[("consent_token", "x"), ("decision", "allow")],
        ),
        (
            "/account/password",
            &[
                ("current_password", "x"),
                ("new_password", "a much longer password"),
                ("confirm_password", "a much longer password"),
            ],
        ),
        ("/account/sessions/end-all", &[]),
        ("/account/sessions/1/end", &[]),
        ("/account/apps/someone/revoke", &[]),
        (
            "/admin/browser-tokens",
            &[("origins", "https://evil.example")],
        ),
        ("/admin/server-tokens", &[("name", "evil")]),
        (
            "/admin/identity-providers",
            &[("issuer", "https://evil.example")],
        ),
        ("/admin/legacy/enable", &[]),
        ("/device", &[("user_code", "ABCD-EFGH")]),
        (
            "/device/decide",
            &[("consent_token", "x"), ("decision", "allow")],
        ),
        (
            &*format!("/developers/apps/{}/rotate-secret", client.client_id),
            &[],
        ),
        (
            &*format!("/developers/apps/{}/delete", client.client_id),
            &[],
        ),
    ];
    for (how, header) in credentials(&access_token, &authtoken) {
        for (path, fields) in &forms {
            // The attacker has a cookie jar and a valid pre-session CSRF
            // token of its own, just no session.
            let attacker = new_client(app.port);
            let csrf = app.login_csrf(&attacker, &app.address).await;
            let mut form = fields.to_vec();
            form.push(("csrf_token", csrf.as_str()));
            let response = attacker
                .post(app.url(path))
                .header(AUTHORIZATION, &header)
                .form(&form)
                .send()
                .await
                .expect("POST form");
            let status = response.status().as_u16();
            assert!(
                login_redirect(&response) || status == 400 || status == 403,
                "{how} at POST {path} must not be served as a signed-in user, got {status}"
            );
        }
    }
    // Nothing happened on the admin's behalf.
    let apps_after = app
        .state
        .oauth
        .clients
        .list(&site, None)
        .await
        .expect("list");
    assert_eq!(apps_after.len(), apps_before, "no app was registered");
    assert!(
        apps_after.iter().any(|c| c.client_id == client.client_id),
        "no app was deleted"
    );
    let me = app.current_user_bearer(&access_token).await;
    assert_eq!(
        me["username"],
        app.admin_username.as_str(),
        "the token still works at the API"
    );
}

#[tokio::test]
async fn a_consent_screen_never_approves_for_a_bearer_token() {
    let app = spawn_app().await;
    let (access_token, client) = admin_profile_token(&app).await;
    let (_, challenge) = pkce();
    let attacker = new_client(app.port);
    let response = attacker
        .get(app.url(&authorize_path(
            &client,
            Some("profile content:write"),
            &challenge,
            &[],
        )))
        .bearer_auth(&access_token)
        .send()
        .await
        .expect("GET /oauth/authorize");
    assert!(login_redirect(&response), "no consent screen, no code");
}

#[tokio::test]
async fn a_csrf_token_from_one_session_is_refused_in_another() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, tessera::users::Role::Pro)
        .await;
    let (first, _) = app.signed_in_client("alice", PASSWORD).await;
    let (second, _) = app.signed_in_client("alice", PASSWORD).await;
    let first_token = app.account_csrf(&first).await;
    let second_token = app.account_csrf(&second).await;
    assert_ne!(first_token, second_token, "each session has its own token");

    // The second browser posts "sign out everywhere" with the first one's token.
    let refused = second
        .post(app.url("/account/sessions/end-all"))
        .form(&[("csrf_token", first_token.as_str())])
        .send()
        .await
        .expect("POST end-all");
    assert_eq!(
        refused.headers()[LOCATION],
        "/account",
        "sent back, nothing done"
    );
    assert_eq!(app.current_user_with(&first).await["username"], "alice");
    assert_eq!(app.current_user_with(&second).await["username"], "alice");

    // Its own token works.
    let done = second
        .post(app.url("/account/sessions/end-all"))
        .form(&[("csrf_token", second_token.as_str())])
        .send()
        .await
        .expect("POST end-all");
    assert_eq!(done.status(), 303);
    assert!(app.current_user_with(&first).await["username"].is_null());
}

#[tokio::test]
async fn a_token_issued_before_sign_in_is_refused_after_it() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, tessera::users::Role::Pro)
        .await;
    let browser = new_client(app.port);
    let before = app.login_csrf(&browser, &app.address).await;
    let response = browser
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", before.as_str()),
        ])
        .send()
        .await
        .expect("POST /login");
    assert_eq!(response.status(), 303, "the pre-session token signs in");
    let after = app.account_csrf(&browser).await;
    assert_ne!(before, after, "a signed-in session gets a token of its own");
    let logout = browser
        .post(app.url("/logout"))
        .form(&[("csrf_token", before.as_str())])
        .send()
        .await
        .expect("POST /logout");
    assert_eq!(logout.headers()[LOCATION], "/account", "refused");
    assert_eq!(app.current_user_with(&browser).await["username"], "alice");
    let page = browser
        .get(app.url("/account"))
        .send()
        .await
        .expect("GET /account")
        .text()
        .await
        .expect("body");
    assert_eq!(
        hidden_input(&page, "csrf_token").as_deref(),
        Some(after.as_str())
    );
}
