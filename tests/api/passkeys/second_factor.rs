//! A passkey as the second factor: after the password under a policy that
//! requires one, and what it refuses.

use serde_json::json;
use tessera::store::AuditQuery;
use tessera::users::Role;

use super::soft::SoftAuthenticator;
use super::{passkey_csrf, register, second_factor_step, step};
use crate::helpers::{TestApp, new_client, spawn_app};
use crate::oauth::support::location;

const PASSWORD: &str = "alice-password-1";

/// A site that requires a second factor of everyone, and `names` with a
/// passkey each (registered before the policy).
async fn site_with_passkeys(names: &[&str]) -> (TestApp, Vec<SoftAuthenticator>) {
    let app = spawn_app().await;
    let mut keys = Vec::new();
    for name in names {
        app.create_user(name, PASSWORD, Role::Pro).await;
        let (client, _) = app.signed_in_client(name, PASSWORD).await;
        let mut key = SoftAuthenticator::new();
        register(&client, &app.address, "localhost", &mut key).await;
        keys.push(key);
    }
    crate::second_factor::set_policy(&app, "everyone").await;
    (app, keys)
}

/// The CSRF token the second-factor page gives its passkey button.
async fn page_csrf(app: &TestApp, browser: &reqwest::Client) -> String {
    let page = browser
        .get(app.url("/login/second-factor"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    passkey_csrf(&page).expect("the passkey button")
}

/// Types the password with a fresh browser: it is sent to the second step.
async fn after_password(app: &TestApp, username: &str) -> reqwest::Client {
    let browser = new_client(app.port);
    let response = app
        .post_login_on(&browser, &app.address, username, PASSWORD, Some("/account"))
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let step = location(&response);
    assert!(step.starts_with("/login/second-factor?next="), "{step}");
    browser
}

#[tokio::test]
async fn under_a_policy_that_requires_a_second_factor_a_passkey_completes_the_password_sign_in() {
    let (app, mut keys) = site_with_passkeys(&["alice"]).await;
    let browser = after_password(&app, "alice").await;

    // No TOTP: the page offers the passkey and no code form.
    let page = browser
        .get(app.url("/login/second-factor"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-passkey-second-factor"));
    assert!(!page.contains("name=\"code\""));
    assert_eq!(
        app.current_user_with(&browser).await["credential"],
        "anonymous"
    );

    let (status, done) = second_factor_step(&app, &browser, &mut keys[0], "/account").await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["redirect"], "/account");
    assert_eq!(app.current_user_with(&browser).await["username"], "alice");
    let events = app
        .state
        .store
        .query_audit_events(&AuditQuery {
            site_id: app.default_site_id(),
            user_id: None,
            client_id: None,
            kind: Some("signin.succeeded".into()),
            since: None,
            until: None,
            before_id: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.details.contains("password+passkey")),
        "{events:?}"
    );
}

#[tokio::test]
async fn a_second_factor_answer_by_another_users_passkey_is_refused() {
    let (app, mut keys) = site_with_passkeys(&["alice", "bob"]).await;
    let browser = after_password(&app, "alice").await;
    let csrf = page_csrf(&app, &browser).await;
    let (status, began) = step(
        &browser,
        app.url("/login/second-factor/passkey/begin"),
        json!({ "csrf_token": csrf }),
    )
    .await;
    assert_eq!(status, 200, "{began}");
    // The options name alice's passkey only.
    let allowed = began["options"]["publicKey"]["allowCredentials"]
        .as_array()
        .unwrap();
    assert_eq!(allowed.len(), 1);

    let bobs = keys[1].get(&began["options"], &app.address, "localhost");
    let (status, refused) = step(
        &browser,
        app.url("/login/second-factor/passkey/finish"),
        json!({ "csrf_token": csrf, "ceremony": began["ceremony"], "credential": bobs }),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["error"], "passkey_refused");
    assert_eq!(
        app.current_user_with(&browser).await["credential"],
        "anonymous"
    );
}

#[tokio::test]
async fn a_second_factor_challenge_belongs_to_the_sign_in_that_began_it() {
    let (app, mut keys) = site_with_passkeys(&["alice"]).await;
    let first = after_password(&app, "alice").await;
    let csrf = page_csrf(&app, &first).await;
    let (_, began) = step(
        &first,
        app.url("/login/second-factor/passkey/begin"),
        json!({ "csrf_token": csrf }),
    )
    .await;
    let answer = keys[0].get(&began["options"], &app.address, "localhost");

    // Another browser, past the same password, cannot use that challenge.
    let second = after_password(&app, "alice").await;
    let other_csrf = page_csrf(&app, &second).await;
    let (status, refused) = step(
        &second,
        app.url("/login/second-factor/passkey/finish"),
        json!({ "csrf_token": other_csrf, "ceremony": began["ceremony"], "credential": answer }),
    )
    .await;
    assert_eq!(status, 400, "{refused}");
    assert!(refused["message"].as_str().unwrap().contains("unknown"));

    // Nobody past the password and nobody signed in: no ceremony at all.
    let stranger = new_client(app.port);
    let csrf = app.login_csrf(&stranger, &app.address).await;
    let (status, refused) = step(
        &stranger,
        app.url("/login/second-factor/passkey/begin"),
        json!({ "csrf_token": csrf }),
    )
    .await;
    assert_eq!(status, 401, "{refused}");
    assert_eq!(refused["error"], "sign_in_required");
}
