//! OpenID Connect asking for a fresh or stronger sign-in: `prompt`,
//! `max_age`, `acr_values`; and what the ID token says about it (`amr`,
//! `acr`, an honest `auth_time`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use tessera::clock::Clock;
use tessera::users::Role;

use super::{PASSWORD, code_step, enrol};
use crate::helpers::{TestApp, cookie_value, hidden_input, new_client, spawn_app};
use crate::oauth::support::{
    App, REDIRECT, Registration, authorize_path, exchange, get, location, params, pkce, register,
    submit_consent,
};
use crate::passkeys::soft::SoftAuthenticator;

const MFA: &str = "urn:tessera:acr:mfa";
const PASSWORD_ACR: &str = "urn:tessera:acr:password";
const PASSKEY_ACR: &str = "urn:tessera:acr:passkey";

async fn oidc_client(app: &TestApp) -> App {
    register(
        app,
        Registration {
            scopes: Some("openid profile"),
            ..Registration::default()
        },
    )
    .await
}

/// The claims of an ID token (its signature is checked in `oidc.rs`).
fn claims_of(id_token: &str) -> Value {
    let payload = id_token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// Follows a response of the authorization endpoint to the client: the
/// consent screen is allowed; returns the ID token's claims.
async fn to_id_token(
    app: &TestApp,
    browser: &reqwest::Client,
    client: &App,
    verifier: &str,
    response: reqwest::Response,
) -> Value {
    let response = if response.status() == 200 {
        let page = response.text().await.unwrap();
        submit_consent(browser, app, &page, "allow").await
    } else {
        response
    };
    assert_eq!(response.status(), 303);
    let back = location(&response);
    assert!(back.starts_with(REDIRECT), "{back}");
    let code = params(&back)["code"].clone();
    let response = exchange(app, client, &code, verifier).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    claims_of(tokens["id_token"].as_str().expect("an ID token"))
}

/// Starts an authorization request with `extra` parameters.
async fn authorize(
    app: &TestApp,
    browser: &reqwest::Client,
    client: &App,
    extra: &[(&str, &str)],
) -> (String, reqwest::Response) {
    let (verifier, challenge) = pkce();
    let path = authorize_path(client, Some("openid profile"), &challenge, extra);
    (verifier, get(browser, app, &path).await)
}

/// Signs in on the page a redirect names (its form, its `next`).
async fn sign_in_at(app: &TestApp, browser: &reqwest::Client, login: &str) -> reqwest::Response {
    let page = get(browser, app, login).await.text().await.unwrap();
    let csrf = hidden_input(&page, "csrf_token").unwrap();
    let next = super::hidden(&page, "next").unwrap();
    browser
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", PASSWORD),
            ("csrf_token", csrf.as_str()),
            ("next", next.as_str()),
        ])
        .send()
        .await
        .unwrap()
}

async fn alice(app: &TestApp) -> reqwest::Client {
    app.create_user("alice", PASSWORD, Role::Pro).await;
    app.signed_in_client("alice", PASSWORD).await.0
}

#[tokio::test]
async fn the_id_token_says_how_and_when_the_user_signed_in() {
    let app = spawn_app().await;
    let signed_in_at = app.clock.now();
    let browser = alice(&app).await;
    let client = oidc_client(&app).await;
    app.clock.advance(120);
    let (verifier, response) = authorize(&app, &browser, &client, &[]).await;
    let claims = to_id_token(&app, &browser, &client, &verifier, response).await;
    assert_eq!(
        claims["auth_time"], signed_in_at,
        "when the user signed in, not now"
    );
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    assert_eq!(claims["acr"], PASSWORD_ACR);

    let discovery: Value = reqwest::get(app.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        discovery["acr_values_supported"],
        serde_json::json!([PASSWORD_ACR, MFA, PASSKEY_ACR])
    );
    let claims = discovery["claims_supported"].as_array().unwrap();
    assert!(claims.contains(&"amr".into()) && claims.contains(&"acr".into()));
}

#[tokio::test]
async fn prompt_login_asks_for_the_password_again_and_moves_auth_time() {
    let app = spawn_app().await;
    let browser = alice(&app).await;
    let client = oidc_client(&app).await;
    app.clock.advance(300);
    let (verifier, response) = authorize(&app, &browser, &client, &[("prompt", "login")]).await;
    assert_eq!(response.status(), 303);
    let login = location(&response);
    assert!(
        login.starts_with("/login?next=") && login.contains("mode=again"),
        "{login}"
    );
    let page = get(&browser, &app, &login).await.text().await.unwrap();
    assert!(
        page.contains(r#"value="alice""#),
        "the user's name is filled in"
    );

    let reauthenticated_at = app.clock.now();
    let response = sign_in_at(&app, &browser, &login).await;
    assert_eq!(response.status(), 303);
    assert!(
        cookie_value(response.headers(), "authtoken").is_none(),
        "the session was re-authenticated in place"
    );
    let back = location(&response);
    assert!(back.starts_with("/oauth/authorize?"), "{back}");
    // Back at the request: no second trip to the sign-in page.
    let response = get(&browser, &app, &back).await;
    let claims = to_id_token(&app, &browser, &client, &verifier, response).await;
    assert_eq!(claims["auth_time"], reauthenticated_at);
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));

    // Coming back with the marker but without signing in is not enough.
    app.clock.advance(5);
    let (_, response) = authorize(&app, &browser, &client, &[("prompt", "login")]).await;
    let again = location(&response);
    let back = url::form_urlencoded::parse(again.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "next")
        .unwrap()
        .1
        .into_owned();
    let response = get(&browser, &app, &back).await;
    assert_eq!(response.status(), 303);
    assert!(
        location(&response).starts_with("/login?"),
        "sent to sign in again"
    );
}

#[tokio::test]
async fn max_age_zero_asks_for_a_fresh_sign_in_and_a_long_one_does_not() {
    let app = spawn_app().await;
    let browser = alice(&app).await;
    let client = oidc_client(&app).await;
    app.clock.advance(60);
    let (verifier, response) = authorize(&app, &browser, &client, &[("max_age", "3600")]).await;
    assert_eq!(response.status(), 200, "recent enough: the consent screen");
    to_id_token(&app, &browser, &client, &verifier, response).await;

    let (verifier, response) = authorize(&app, &browser, &client, &[("max_age", "0")]).await;
    assert_eq!(response.status(), 303);
    let login = location(&response);
    assert!(login.contains("mode=again"), "{login}");
    let reauthenticated_at = app.clock.now();
    let response = sign_in_at(&app, &browser, &login).await;
    let response = get(&browser, &app, &location(&response)).await;
    let claims = to_id_token(&app, &browser, &client, &verifier, response).await;
    assert_eq!(claims["auth_time"], reauthenticated_at);

    let (_, response) = authorize(&app, &browser, &client, &[("max_age", "soon")]).await;
    assert_eq!(params(&location(&response))["error"], "invalid_request");
}

#[tokio::test]
async fn prompt_none_answers_without_pages() {
    let app = spawn_app().await;
    let client = oidc_client(&app).await;
    let anonymous = new_client(app.port);
    let (_, response) = authorize(&app, &anonymous, &client, &[("prompt", "none")]).await;
    assert_eq!(params(&location(&response))["error"], "login_required");

    let browser = alice(&app).await;
    let (_, response) = authorize(&app, &browser, &client, &[("prompt", "none")]).await;
    assert_eq!(params(&location(&response))["error"], "consent_required");

    app.clock.advance(10);
    let extra = [("prompt", "none"), ("max_age", "0")];
    let (_, response) = authorize(&app, &browser, &client, &extra).await;
    assert_eq!(params(&location(&response))["error"], "login_required");

    // A password-only session of a user who has a second factor.
    enrol(&app, &browser).await;
    let extra = [("prompt", "none"), ("acr_values", MFA)];
    let (_, response) = authorize(&app, &browser, &client, &extra).await;
    assert_eq!(
        params(&location(&response))["error"],
        "interaction_required"
    );

    let extra = [("prompt", "none login")];
    let (_, response) = authorize(&app, &browser, &client, &extra).await;
    assert_eq!(params(&location(&response))["error"], "invalid_request");
}

#[tokio::test]
async fn acr_values_for_a_second_factor_sends_the_user_through_the_totp_step() {
    let app = spawn_app().await;
    let browser = alice(&app).await;
    let client = oidc_client(&app).await;
    // Signed in with the password; TOTP set up afterwards.
    let (authenticator, _) = enrol(&app, &browser).await;

    let (verifier, response) = authorize(&app, &browser, &client, &[("acr_values", MFA)]).await;
    assert_eq!(response.status(), 303);
    let step = location(&response);
    assert!(step.starts_with("/login/second-factor?next="), "{step}");
    let stepped_up_at = app.clock.now();
    let response = code_step(&app, &browser, &step, &authenticator.code(&app)).await;
    assert_eq!(response.status(), 303);
    let response = get(&browser, &app, &location(&response)).await;
    let claims = to_id_token(&app, &browser, &client, &verifier, response).await;
    assert_eq!(claims["acr"], MFA);
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    assert_eq!(claims["auth_time"], stepped_up_at);

    // A user without a second factor is signed in with what they have.
    app.create_user("carol", PASSWORD, Role::Pro).await;
    let (carol, _) = app.signed_in_client("carol", PASSWORD).await;
    let (verifier, response) = authorize(&app, &carol, &client, &[("acr_values", MFA)]).await;
    let claims = to_id_token(&app, &carol, &client, &verifier, response).await;
    assert_eq!(claims["acr"], PASSWORD_ACR);
}

#[tokio::test]
async fn select_account_shows_who_is_signed_in_and_offers_another() {
    let app = spawn_app().await;
    let browser = alice(&app).await;
    let client = oidc_client(&app).await;
    let (verifier, response) =
        authorize(&app, &browser, &client, &[("prompt", "select_account")]).await;
    assert_eq!(response.status(), 303);
    let choose = location(&response);
    assert!(choose.contains("mode=choose"), "{choose}");
    let page = get(&browser, &app, &choose).await.text().await.unwrap();
    assert!(page.contains(r#"id="signed-in-as">alice<"#));
    assert!(page.contains("Not you? Sign in as someone else"));
    assert!(page.contains("mode=switch"));
    // "Continue as alice" goes back to the request, which goes on.
    let start =
        page.find(r#"id="continue-as" href=""#).unwrap() + r#"id="continue-as" href=""#.len();
    let href = super::unescape(&page[start..start + page[start..].find('"').unwrap()]);
    let response = get(&browser, &app, &href).await;
    let status = response.status();
    if status != 200 {
        panic!("{href}: {}", response.text().await.unwrap());
    }
    to_id_token(&app, &browser, &client, &verifier, response).await;
}

#[tokio::test]
async fn acr_values_for_a_passkey_sends_the_user_through_the_passkey_step() {
    let app = spawn_app().await;
    let browser = alice(&app).await;
    let client = oidc_client(&app).await;
    let mut key = SoftAuthenticator::new();
    crate::passkeys::register(&browser, &app.address, "localhost", &mut key).await;

    let (verifier, response) =
        authorize(&app, &browser, &client, &[("acr_values", PASSKEY_ACR)]).await;
    assert_eq!(response.status(), 303);
    let step = location(&response);
    assert!(step.starts_with("/login/second-factor?next="), "{step}");
    let step_url = url::Url::parse(&app.url(&step)).unwrap();
    let next = step_url
        .query_pairs()
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let stepped_up_at = app.clock.now();
    let (status, done) = crate::passkeys::second_factor_step(&app, &browser, &mut key, &next).await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["redirect"], next.as_str());

    let response = get(&browser, &app, &next).await;
    let claims = to_id_token(&app, &browser, &client, &verifier, response).await;
    assert_eq!(claims["acr"], PASSKEY_ACR);
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "hwk", "mfa"]));
    assert_eq!(claims["auth_time"], stepped_up_at);

    // A passkey sign-in alone reaches the class at once.
    let fresh = new_client(app.port);
    let (status, _) = sign_in_with_passkey(&app, &fresh, &mut key).await;
    assert_eq!(status, 200);
    let (verifier, response) =
        authorize(&app, &fresh, &client, &[("acr_values", PASSKEY_ACR)]).await;
    let claims = to_id_token(&app, &fresh, &client, &verifier, response).await;
    assert_eq!(claims["acr"], PASSKEY_ACR);
    assert_eq!(claims["amr"], serde_json::json!(["hwk", "mfa"]));
}

/// Signs `client` in with the passkey alone (discoverable).
async fn sign_in_with_passkey(
    app: &TestApp,
    client: &reqwest::Client,
    key: &mut SoftAuthenticator,
) -> (u16, Value) {
    let csrf = app.login_csrf(client, &app.address).await;
    let (status, began) = crate::passkeys::step(
        client,
        app.url("/passkeys/sign-in/begin"),
        serde_json::json!({ "csrf_token": csrf }),
    )
    .await;
    assert_eq!(status, 200, "{began}");
    let credential = key.get(&began["options"], &app.address, "localhost");
    crate::passkeys::step(
        client,
        app.url("/passkeys/sign-in/finish"),
        serde_json::json!({ "csrf_token": csrf, "ceremony": began["ceremony"], "credential": credential }),
    )
    .await
}
