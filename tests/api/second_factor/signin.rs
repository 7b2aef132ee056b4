//! Signing in with a second factor over HTTP, and its refusals.

use reqwest::Method;
use serde_json::{Value, json};
use tessera::users::Role;

use super::{PASSWORD, code_step, enrol, password_step, recovery_codes};
use crate::admin_api::{admin_token, call};
use crate::helpers::{TestApp, cookie_value, hidden_input, new_client, spawn_app};
use crate::oauth::support::location;

/// `alice` with TOTP set up; returns her authenticator and recovery codes.
async fn alice_with_totp(app: &TestApp) -> (super::Authenticator, Vec<String>) {
    app.create_user("alice", PASSWORD, Role::Pro).await;
    let (browser, _) = app.signed_in_client("alice", PASSWORD).await;
    enrol(app, &browser).await
}

async fn username_of(app: &TestApp, browser: &reqwest::Client) -> Value {
    app.current_user_with(browser).await["username"].clone()
}

#[tokio::test]
async fn a_user_with_totp_is_asked_for_a_code_after_the_password() {
    let app = spawn_app().await;
    let (authenticator, _) = alice_with_totp(&app).await;

    let browser = new_client(app.port);
    let response = password_step(&app, &browser, "alice", Some("/account")).await;
    assert_eq!(response.status(), 303);
    let second = location(&response);
    assert!(second.starts_with("/login/second-factor?next="), "{second}");
    assert!(
        cookie_value(response.headers(), "authtoken").is_none(),
        "no session before the second factor"
    );
    assert!(cookie_value(response.headers(), "tessera_signin").is_some());
    assert_eq!(username_of(&app, &browser).await, Value::Null);

    let response = code_step(&app, &browser, &second, &authenticator.code(&app)).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/account");
    assert!(cookie_value(response.headers(), "authtoken").is_some());
    assert_eq!(username_of(&app, &browser).await, "alice");
    let account = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        account.contains("password + second factor"),
        "the session says how"
    );

    // The pending sign-in was used up: it cannot complete a second time.
    let again = browser
        .get(app.url("/login/second-factor?next=/account"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200, "a step-up page for the signed-in user");
}

#[tokio::test]
async fn a_totp_code_is_not_accepted_twice_in_its_step() {
    let app = spawn_app().await;
    let (authenticator, _) = alice_with_totp(&app).await;
    let code = authenticator.code(&app);

    let first = new_client(app.port);
    let response = password_step(&app, &first, "alice", None).await;
    let response = code_step(&app, &first, &location(&response), &code).await;
    assert_eq!(response.status(), 303, "the first use signs in");

    let second = new_client(app.port);
    let response = password_step(&app, &second, "alice", None).await;
    let step = location(&response);
    let response = code_step(&app, &second, &step, &code).await;
    assert_eq!(response.status(), 401);
    assert!(response.text().await.unwrap().contains("used already"));
    assert_eq!(username_of(&app, &second).await, Value::Null);

    // The code of the next step is good.
    app.clock.advance(30);
    let response = code_step(&app, &second, &step, &authenticator.code(&app)).await;
    assert_eq!(response.status(), 303);
    assert_eq!(username_of(&app, &second).await, "alice");
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_passwords() {
    let app = spawn_app().await;
    let (authenticator, _) = alice_with_totp(&app).await;
    let browser = new_client(app.port);
    let response = password_step(&app, &browser, "alice", None).await;
    let step = location(&response);
    let right = authenticator.code(&app);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let response = code_step(&app, &browser, &step, wrong).await;
        statuses.push(response.status().as_u16());
    }
    assert_eq!(&statuses[..5], &[401; 5], "{statuses:?}");
    assert_eq!(statuses[6], 429, "{statuses:?}");
    // Locked: even the right code is not checked now.
    let response = code_step(&app, &browser, &step, &right).await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    assert_eq!(username_of(&app, &browser).await, Value::Null);
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let app = spawn_app().await;
    let (_, codes) = alice_with_totp(&app).await;
    let browser = new_client(app.port);
    let response = password_step(&app, &browser, "alice", None).await;
    let response = code_step(
        &app,
        &browser,
        &location(&response),
        &codes[3].to_uppercase(),
    )
    .await;
    assert_eq!(response.status(), 303, "any case is fine");

    let other = new_client(app.port);
    let response = password_step(&app, &other, "alice", None).await;
    let response = code_step(&app, &other, &location(&response), &codes[3]).await;
    assert_eq!(response.status(), 401, "used up");
    assert_eq!(username_of(&app, &other).await, Value::Null);
}

#[tokio::test]
async fn a_site_that_requires_a_second_factor_has_a_user_set_one_up_after_the_password() {
    let app = spawn_app().await;
    app.create_user("bob", PASSWORD, Role::Community).await;
    super::set_policy(&app, "everyone").await;

    let browser = new_client(app.port);
    let response = password_step(&app, &browser, "bob", Some("/account")).await;
    let step = location(&response);
    assert!(step.starts_with("/login/enrol?next="), "{step}");
    let page = browser
        .get(app.url(&step))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("requires a second factor"));
    let authenticator = super::Authenticator::from_page(&page);
    let response = code_step(&app, &browser, &step, &authenticator.code(&app)).await;
    assert_eq!(response.status(), 200);
    assert!(cookie_value(response.headers(), "authtoken").is_some());
    let page = response.text().await.unwrap();
    assert_eq!(recovery_codes(&page).len(), 10);
    assert_eq!(username_of(&app, &browser).await, "bob");

    // Required: it cannot be turned off.
    let manage = browser
        .get(app.url("/account/second-factor"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_input(&manage, "csrf_token").unwrap();
    let response = browser
        .post(app.url("/account/second-factor/disable"))
        .form(&[("csrf_token", csrf.as_str()), ("proof", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn turning_the_second_factor_off_needs_the_password_or_a_code() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, Role::Pro).await;
    let (browser, _) = app.signed_in_client("alice", PASSWORD).await;
    enrol(&app, &browser).await;
    let manage = browser
        .get(app.url("/account/second-factor"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(manage.contains(r#"id="recovery-codes-left">10<"#));
    let csrf = hidden_input(&manage, "csrf_token").unwrap();
    let disable = |proof: &'static str| {
        browser
            .post(app.url("/account/second-factor/disable"))
            .form(&[("csrf_token", csrf.clone()), ("proof", proof.to_string())])
            .send()
    };
    assert_eq!(
        disable("not my password at all").await.unwrap().status(),
        401
    );
    let response = disable(PASSWORD).await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/account?notice=second-factor-off");
    let (_, authtoken) = app.signed_in_client("alice", PASSWORD).await;
    assert!(!authtoken.is_empty(), "the password alone signs in again");
}

#[tokio::test]
async fn an_admin_resets_a_lost_second_factor_and_it_is_audited() {
    let app = spawn_app().await;
    alice_with_totp(&app).await;
    let token = admin_token(&app).await;
    let (status, _) = call(
        &app,
        &token,
        Method::DELETE,
        "/api/admin/users/alice/second-factor",
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, body) = call(
        &app,
        &token,
        Method::DELETE,
        "/api/admin/users/alice/second-factor",
        None,
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    let (_, authtoken) = app.signed_in_client("alice", PASSWORD).await;
    assert!(!authtoken.is_empty(), "the password alone signs in again");

    let (status, events) = call(
        &app,
        &token,
        Method::GET,
        "/api/admin/audit?kind=second_factor.reset",
        None,
    )
    .await;
    assert_eq!(status, 200, "{events}");
    assert_eq!(
        events["events"].as_array().map(Vec::len),
        Some(1),
        "{events}"
    );

    // The policy is an admin API setting too.
    let (status, site) = call(
        &app,
        &token,
        Method::PATCH,
        "/api/admin/site",
        Some(json!({"second_factor_policy": "admins"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(site["second_factor_policy"], "admins");
    let (status, body) = call(
        &app,
        &token,
        Method::PATCH,
        "/api/admin/site",
        Some(json!({"second_factor_policy": "sometimes"})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}
