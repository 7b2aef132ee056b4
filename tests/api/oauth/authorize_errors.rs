use super::support::*;
use crate::helpers::{hidden_input, spawn_app};

/// An error page for the user, never a redirect to the client.
async fn assert_error_page(response: reqwest::Response, code: &str) {
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    let page = response.text().await.unwrap();
    assert!(page.contains(&format!(r#"data-error="{code}""#)), "{page}");
}

async fn authorize_with_redirect(redirect_uri: &str) -> reqwest::Response {
    let app = spawn_app().await;
    let mut client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    client.redirect_uri = redirect_uri.to_string();
    let (_, challenge) = pkce();
    get(
        &browser,
        &app,
        &authorize_path(&client, None, &challenge, &[]),
    )
    .await
}

#[tokio::test]
async fn an_unknown_client_gets_an_error_page() {
    let app = spawn_app().await;
    let browser = signed_in_browser(&app).await;
    let client = App {
        client_id: "tc_000000000000000000000000".into(),
        secret: None,
        redirect_uri: REDIRECT.into(),
    };
    let (_, challenge) = pkce();
    let response = get(
        &browser,
        &app,
        &authorize_path(&client, None, &challenge, &[]),
    )
    .await;
    assert_error_page(response, "unknown_client").await;
}

#[tokio::test]
async fn an_unregistered_redirect_uri_gets_an_error_page() {
    let response = authorize_with_redirect("https://evil.example.com/callback").await;
    assert_error_page(response, "invalid_redirect_uri").await;
}

#[tokio::test]
async fn a_longer_redirect_uri_gets_an_error_page() {
    let response = authorize_with_redirect("https://app.example.com/callback/more").await;
    assert_error_page(response, "invalid_redirect_uri").await;
}

#[tokio::test]
async fn a_differently_cased_redirect_uri_gets_an_error_page() {
    let response = authorize_with_redirect("https://app.example.com/Callback").await;
    assert_error_page(response, "invalid_redirect_uri").await;
}

#[tokio::test]
async fn a_redirect_uri_with_a_fragment_gets_an_error_page() {
    let response = authorize_with_redirect("https://app.example.com/callback#x").await;
    assert_error_page(response, "invalid_redirect_uri").await;
}

/// Redirected errors carry `error`, `state` and `iss`.
async fn redirected_error(app: &crate::helpers::TestApp, response: reqwest::Response) -> String {
    assert_eq!(response.status(), 303);
    let target = location(&response);
    assert!(target.starts_with(REDIRECT), "{target}");
    let back = params(&target);
    assert_eq!(back["state"], "xyz-state");
    assert_eq!(back["iss"], app.address);
    assert!(!back.contains_key("code"));
    back["error"].clone()
}

#[tokio::test]
async fn a_request_without_pkce_is_refused() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let path = authorize_path(&client, None, "x", &[])
        .replace("&code_challenge=x&code_challenge_method=S256", "");
    assert!(!path.contains("code_challenge"));
    let response = get(&browser, &app, &path).await;
    assert_eq!(redirected_error(&app, response).await, "invalid_request");
}

#[tokio::test]
async fn plain_pkce_is_refused() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let (verifier, _) = pkce();
    let path = authorize_path(&client, None, &verifier, &[]).replace("method=S256", "method=plain");
    let response = get(&browser, &app, &path).await;
    assert_eq!(redirected_error(&app, response).await, "invalid_request");
}

#[tokio::test]
async fn a_scope_beyond_the_clients_is_refused() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let (_, challenge) = pkce();
    let response = get(
        &browser,
        &app,
        &authorize_path(&client, Some("admin"), &challenge, &[]),
    )
    .await;
    assert_eq!(redirected_error(&app, response).await, "invalid_scope");
}

#[tokio::test]
async fn only_the_code_response_type_is_supported() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let (_, challenge) = pkce();
    let path = authorize_path(&client, None, &challenge, &[])
        .replace("response_type=code", "response_type=token");
    let response = get(&browser, &app, &path).await;
    assert_eq!(
        redirected_error(&app, response).await,
        "unsupported_response_type"
    );
}

#[tokio::test]
async fn deny_sends_access_denied_to_the_client() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let (_, challenge) = pkce();
    let page = get(
        &browser,
        &app,
        &authorize_path(&client, None, &challenge, &[]),
    )
    .await
    .text()
    .await
    .unwrap();
    let response = submit_consent(&browser, &app, &page, "deny").await;
    assert_eq!(redirected_error(&app, response).await, "access_denied");
}

#[tokio::test]
async fn prompt_none_without_a_session_answers_login_required() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let (_, challenge) = pkce();
    let path = authorize_path(&client, None, &challenge, &[("prompt", "none")]);
    let response = get(&app.client, &app, &path).await;
    assert_eq!(redirected_error(&app, response).await, "login_required");
}

#[tokio::test]
async fn prompt_none_without_consent_answers_consent_required() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let (_, challenge) = pkce();
    let path = authorize_path(&client, None, &challenge, &[("prompt", "none")]);
    let response = get(&browser, &app, &path).await;
    assert_eq!(redirected_error(&app, response).await, "consent_required");
}

#[tokio::test]
async fn a_consent_post_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let (_, challenge) = pkce();
    let page = get(
        &browser,
        &app,
        &authorize_path(&client, None, &challenge, &[]),
    )
    .await
    .text()
    .await
    .unwrap();
    let consent = hidden_input(&page, "consent_token").unwrap();
    let response = browser
        .post(app.url("/oauth/authorize"))
        .form(&[("consent_token", consent.as_str()), ("decision", "allow")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(response.headers().get("location").is_none());
    // Nothing was remembered: the next request still asks.
    let response = get(
        &browser,
        &app,
        &authorize_path(&client, None, &challenge, &[]),
    )
    .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn a_tampered_consent_token_is_refused() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let (_, challenge) = pkce();
    let page = get(
        &browser,
        &app,
        &authorize_path(&client, Some("profile"), &challenge, &[]),
    )
    .await
    .text()
    .await
    .unwrap();
    let consent = hidden_input(&page, "consent_token").unwrap();
    let tampered = format!("A{}", &consent[1..]);
    let tampered_page = page.replace(&consent, &tampered);
    let response = submit_consent(&browser, &app, &tampered_page, "allow").await;
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
}
