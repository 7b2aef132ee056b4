//! The device authorization grant (RFC 8628) over HTTP: the device's
//! requests, the `/device` pages with the code flow's consent screen, and
//! every refusal as its own test.

use serde_json::Value;
use tessera::clock::Clock;
use tessera::users::Role;

use crate::helpers::{TestApp, hidden_input, new_client, spawn_app};
use crate::oauth::support::{
    App, PASSWORD, Registration, api_as, error_of, location, register, token,
};

pub(crate) const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

pub(crate) async fn device_client(app: &TestApp, confidential: bool) -> App {
    register(
        app,
        Registration {
            confidential,
            redirect_uris: vec![],
            scopes: Some("profile content:read"),
            grant_types: Some(vec![DEVICE_GRANT, "refresh_token"]),
        },
    )
    .await
}

/// `POST /oauth/device_authorization` as the device.
pub(crate) async fn start(app: &TestApp, client: &App, scope: Option<&str>) -> reqwest::Response {
    let mut form = vec![];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    let request = new_client(app.port).post(app.url("/oauth/device_authorization"));
    let request = match &client.secret {
        Some(secret) => request.basic_auth(&client.client_id, Some(secret)),
        None => {
            form.push(("client_id", client.client_id.as_str()));
            request
        }
    };
    request
        .form(&form)
        .send()
        .await
        .expect("device authorization")
}

pub(crate) async fn started(app: &TestApp, client: &App) -> Value {
    let response = start(app, client, None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

async fn poll(app: &TestApp, client: &App, device_code: &str) -> reqwest::Response {
    token(
        app,
        client,
        &[("grant_type", DEVICE_GRANT), ("device_code", device_code)],
    )
    .await
}

async fn poll_error(app: &TestApp, client: &App, device_code: &str) -> (u16, String) {
    error_of(poll(app, client, device_code).await).await
}

pub(crate) async fn alice(app: &TestApp) -> reqwest::Client {
    app.create_user("alice", PASSWORD, Role::Pro).await;
    app.signed_in_client("alice", PASSWORD).await.0
}

/// Types `user_code` on `/device`; returns the response to the form.
async fn enter_code(
    app: &TestApp,
    browser: &reqwest::Client,
    user_code: &str,
) -> reqwest::Response {
    let page = browser
        .get(app.url("/device"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_input(&page, "csrf_token").expect("csrf_token");
    browser
        .post(app.url("/device"))
        .form(&[("csrf_token", csrf.as_str()), ("user_code", user_code)])
        .send()
        .await
        .unwrap()
}

/// Enters the code and answers the consent screen with `decision`.
pub(crate) async fn answer(
    app: &TestApp,
    browser: &reqwest::Client,
    user_code: &str,
    decision: &str,
) -> String {
    let response = enter_code(app, browser, user_code).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"<form method="post" action="/device/decide">"#));
    let csrf = hidden_input(&page, "csrf_token").unwrap();
    let consent = hidden_input(&page, "consent_token").unwrap();
    let response = browser
        .post(app.url("/device/decide"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("consent_token", consent.as_str()),
            ("decision", decision),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

fn is_user_code(code: &str) -> bool {
    let alphabet = "BCDFGHJKLMNPQRSTVWXZ";
    code.len() == 9
        && code.chars().nth(4) == Some('-')
        && code
            .chars()
            .enumerate()
            .all(|(i, c)| i == 4 || alphabet.contains(c))
}

#[tokio::test]
async fn a_device_is_approved_on_the_device_page_and_gets_tokens_once() {
    let app = spawn_app().await;
    let client = device_client(&app, false).await;
    let started = started(&app, &client).await;
    let user_code = started["user_code"].as_str().unwrap();
    let device_code = started["device_code"].as_str().unwrap();
    assert!(is_user_code(user_code), "{user_code}");
    assert!(device_code.starts_with("tdc_") && device_code.len() <= 255);
    assert_eq!(
        started["verification_uri"],
        format!("{}/device", app.address)
    );
    assert_eq!(
        started["verification_uri_complete"],
        format!("{}/device?user_code={user_code}", app.address)
    );
    assert_eq!(started["expires_in"], 600);
    assert_eq!(started["interval"], 5);

    assert_eq!(
        poll_error(&app, &client, device_code).await,
        (400, "authorization_pending".into())
    );

    // Someone not signed in is sent to sign in, and back with the code.
    let anonymous = new_client(app.port);
    let response = anonymous
        .get(app.url(&format!("/device?user_code={user_code}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        location(&response),
        format!("/login?next=%2Fdevice%3Fuser_code%3D{user_code}")
    );

    let browser = alice(&app).await;
    let page = browser
        .get(app.url(&format!("/device?user_code={user_code}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(r#"value="{user_code}""#)),
        "filled in"
    );

    // Typed in lower case without the dash: the same code.
    let typed = user_code.replace('-', "").to_lowercase();
    let response = enter_code(&app, &browser, &typed).await;
    let page = response.text().await.unwrap();
    assert!(
        page.contains(r#"id="consent-client-name">Photo Printer<"#),
        "{page}"
    );
    assert!(page.contains("Read pages"));
    let done = answer(&app, &browser, user_code, "allow").await;
    assert!(done.contains(r#"data-outcome="approved""#), "{done}");

    app.clock.advance(5);
    let response = poll(&app, &client, device_code).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], "profile content:read");
    assert!(
        tokens["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with("trt_")
    );
    let me: Value = api_as(
        &app,
        tokens["access_token"].as_str().unwrap(),
        "/api/users/current",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(me["username"], "alice");
    assert_eq!(me["client_id"], client.client_id);

    app.clock.advance(5);
    assert_eq!(
        poll_error(&app, &client, device_code).await,
        (400, "invalid_grant".into())
    );
}

#[tokio::test]
async fn polling_faster_than_the_interval_slows_the_device_down() {
    let app = spawn_app().await;
    let client = device_client(&app, true).await;
    let started = started(&app, &client).await;
    let device_code = started["device_code"].as_str().unwrap();

    assert_eq!(
        poll_error(&app, &client, device_code).await.1,
        "authorization_pending"
    );
    let response = poll(&app, &client, device_code).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "slow_down");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("10 seconds")
    );
    // Five seconds is no longer enough: the interval is ten now, then fifteen.
    app.clock.advance(5);
    let body: Value = poll(&app, &client, device_code).await.json().await.unwrap();
    assert_eq!(body["error"], "slow_down");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("15 seconds")
    );
    app.clock.advance(15);
    assert_eq!(
        poll_error(&app, &client, device_code).await.1,
        "authorization_pending"
    );
}

#[tokio::test]
async fn a_denied_device_request_answers_access_denied() {
    let app = spawn_app().await;
    let client = device_client(&app, false).await;
    let started = started(&app, &client).await;
    let browser = alice(&app).await;
    let done = answer(
        &app,
        &browser,
        started["user_code"].as_str().unwrap(),
        "deny",
    )
    .await;
    assert!(done.contains(r#"data-outcome="denied""#));
    assert_eq!(
        poll_error(&app, &client, started["device_code"].as_str().unwrap()).await,
        (400, "access_denied".into())
    );
}

#[tokio::test]
async fn an_expired_device_code_answers_expired_token_and_its_user_code_is_refused() {
    let app = spawn_app().await;
    let client = device_client(&app, false).await;
    let started = started(&app, &client).await;
    app.clock.advance(601);
    assert_eq!(
        poll_error(&app, &client, started["device_code"].as_str().unwrap()).await,
        (400, "expired_token".into())
    );
    let browser = alice(&app).await;
    let response = enter_code(&app, &browser, started["user_code"].as_str().unwrap()).await;
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("invalid_user_code"));
}

#[tokio::test]
async fn wrong_user_codes_are_throttled_even_before_a_right_one() {
    let app = spawn_app().await;
    let client = device_client(&app, false).await;
    let started = started(&app, &client).await;
    let browser = alice(&app).await;
    for _ in 0..5 {
        let response = enter_code(&app, &browser, "BBBB-BBBB").await;
        assert_eq!(response.status(), 400);
    }
    let response = enter_code(&app, &browser, started["user_code"].as_str().unwrap()).await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    // The lock passes.
    app.clock.advance(61);
    let response = enter_code(&app, &browser, started["user_code"].as_str().unwrap()).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_device_code_of_another_client_or_a_client_without_the_grant_is_refused() {
    let app = spawn_app().await;
    let client = device_client(&app, false).await;
    let other = device_client(&app, false).await;
    let started = started(&app, &client).await;
    assert_eq!(
        poll_error(&app, &other, started["device_code"].as_str().unwrap()).await,
        (400, "invalid_grant".into())
    );
    let web_app = register(&app, Registration::default()).await;
    assert_eq!(
        error_of(start(&app, &web_app, None).await).await,
        (400, "unauthorized_client".into())
    );
    assert_eq!(
        error_of(start(&app, &client, Some("admin")).await).await,
        (400, "invalid_scope".into())
    );
    let mut wrong = device_client(&app, true).await;
    wrong.secret = Some("tcs_wrong".into());
    assert_eq!(
        error_of(start(&app, &wrong, None).await).await,
        (401, "invalid_client".into())
    );
}

#[tokio::test]
async fn the_device_form_needs_its_csrf_token() {
    let app = spawn_app().await;
    let browser = alice(&app).await;
    let response = browser
        .post(app.url("/device"))
        .form(&[("csrf_token", "forged"), ("user_code", "BBBB-BBBB")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn metadata_advertises_the_device_endpoint_and_grant() {
    let app = spawn_app().await;
    let meta: Value = new_client(app.port)
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        meta["device_authorization_endpoint"],
        app.url("/oauth/device_authorization")
    );
    assert!(
        meta["grant_types_supported"]
            .as_array()
            .unwrap()
            .contains(&Value::from(DEVICE_GRANT))
    );
}

#[tokio::test]
async fn the_janitor_removes_expired_device_codes() {
    let app = spawn_app().await;
    let client = device_client(&app, false).await;
    let started = started(&app, &client).await;
    let device_code = started["device_code"].as_str().unwrap();
    app.clock.advance(601 + 24 * 60 * 60);
    tessera::janitor::sweep(&app.state.store, app.clock.now())
        .await
        .unwrap();
    assert_eq!(
        poll_error(&app, &client, device_code).await,
        (400, "invalid_grant".into())
    );
}
