//! Passkeys (issue 13, item 1): registration and sign-in in a real browser
//! with Chromium's virtual authenticator, and the refusals over HTTP with a
//! software authenticator.

mod browser;
mod limits;
mod refusals;
mod second_factor;
pub mod soft;

use serde_json::{Value, json};

use crate::helpers::TestApp;
use soft::SoftAuthenticator;

/// Posts a JSON step of a ceremony; the status and the JSON answer.
pub async fn step(client: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let response = client
        .post(url)
        .json(&body)
        .send()
        .await
        .expect("POST a passkey step");
    let status = response.status().as_u16();
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    (status, response.json().await.expect("a JSON answer"))
}

/// Registers the soft authenticator's passkey for the user signed in with
/// `client` on the site at `base` (RP id `rp_id`).
pub async fn register(
    client: &reqwest::Client,
    base: &str,
    rp_id: &str,
    authenticator: &mut SoftAuthenticator,
) {
    let page = client
        .get(format!("{base}/account"))
        .send()
        .await
        .expect("GET /account")
        .text()
        .await
        .expect("page");
    let csrf = crate::helpers::hidden_input(&page, "csrf_token").expect("a csrf token");
    let (status, began) = step(
        client,
        format!("{base}/passkeys/register/begin"),
        json!({ "csrf_token": csrf }),
    )
    .await;
    assert_eq!(status, 200, "{began}");
    assert_eq!(
        began["options"]["publicKey"]["authenticatorSelection"]["residentKey"],
        "required"
    );
    let credential = authenticator.create(&began["options"], base, rp_id);
    let (status, done) = step(
        client,
        format!("{base}/passkeys/register/finish"),
        json!({
            "csrf_token": csrf,
            "ceremony": began["ceremony"],
            "name": "Soft key",
            "credential": credential,
        }),
    )
    .await;
    assert_eq!(status, 200, "{done}");
}

/// The CSRF token a page hands its passkey script (`data-csrf`).
pub fn passkey_csrf(page: &str) -> Option<String> {
    let start = page.find("data-csrf=\"")? + "data-csrf=\"".len();
    let len = page[start..].find('"')?;
    Some(page[start..start + len].to_string())
}

/// Proves `authenticator`'s passkey on the second-factor page with
/// `client` (a pending sign-in or a signed-in session): the status and
/// answer of the finish step.
pub async fn second_factor_step(
    app: &TestApp,
    client: &reqwest::Client,
    authenticator: &mut SoftAuthenticator,
    next: &str,
) -> (u16, Value) {
    let page = client
        .get(app.url("/login/second-factor"))
        .send()
        .await
        .expect("GET the second-factor page")
        .text()
        .await
        .expect("page");
    let csrf = passkey_csrf(&page).expect("the passkey button");
    let (status, began) = step(
        client,
        app.url("/login/second-factor/passkey/begin"),
        json!({ "csrf_token": csrf }),
    )
    .await;
    assert_eq!(status, 200, "{began}");
    let credential = authenticator.get(&began["options"], &app.address, "localhost");
    step(
        client,
        app.url("/login/second-factor/passkey/finish"),
        json!({
            "csrf_token": csrf,
            "ceremony": began["ceremony"],
            "credential": credential,
            "next": next,
        }),
    )
    .await
}

/// Begins a passkey sign-in on the site at `base` with a fresh browser-like
/// client: the client, its CSRF token, and the server's answer.
async fn begin_sign_in(app: &TestApp, base: &str) -> (reqwest::Client, String, Value) {
    let client = crate::helpers::new_client(app.port);
    let csrf = app.login_csrf(&client, base).await;
    let (status, began) = step(
        &client,
        format!("{base}/passkeys/sign-in/begin"),
        json!({ "csrf_token": csrf }),
    )
    .await;
    assert_eq!(status, 200, "{began}");
    (client, csrf, began)
}

async fn finish_sign_in(
    client: &reqwest::Client,
    base: &str,
    csrf: &str,
    ceremony: &Value,
    credential: Value,
) -> (u16, Value) {
    step(
        client,
        format!("{base}/passkeys/sign-in/finish"),
        json!({ "csrf_token": csrf, "ceremony": ceremony, "credential": credential }),
    )
    .await
}
