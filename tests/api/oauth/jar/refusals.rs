//! Request objects that are refused, each its own test: the error goes
//! back to the client's registered redirect URI as `invalid_request_object`
//! (or, pushed, as JSON), and no code is issued.

use super::*;
use crate::identity::support::raw_token;
use crate::oauth::support::pkce;

/// Sends `object` for `client` (not signed in: the object is checked first).
async fn send(app: &TestApp, client: &KeyClient, object: &str) -> reqwest::Response {
    new_client(app.port)
        .get(app.url(&signed_path(&client.client_id, object, &[])))
        .send()
        .await
        .unwrap()
}

async fn refused_object(app: &TestApp, client: &KeyClient, object: &str) -> String {
    let response = send(app, client, object).await;
    let back = refused_to_client(&response, "invalid_request_object");
    back["error_description"].clone()
}

fn good_claims(app: &TestApp, client: &KeyClient) -> Value {
    request_claims(app, &client.client_id, &pkce().1)
}

#[tokio::test]
async fn an_unsigned_request_object_is_refused() {
    let app = crate::helpers::spawn_app().await;
    let client = key_client(&app).await;
    let object = raw_token(&json!({"alg": "none"}), &good_claims(&app, &client), b"");
    let why = refused_object(&app, &client, &object).await;
    assert!(why.contains("ES256, RS256, PS256 or EdDSA"), "{why}");
}

#[tokio::test]
async fn a_request_object_signed_with_an_unregistered_key_is_refused() {
    let app = crate::helpers::spawn_app().await;
    let client = key_client(&app).await;
    // Another key under the registered key's kid.
    let stranger = Key::ec("client-key");
    let object = stranger.sign(&good_claims(&app, &client));
    let why = refused_object(&app, &client, &object).await;
    assert!(why.contains("signature"), "{why}");
    let unknown = Key::ec("unknown-kid").sign(&good_claims(&app, &client));
    let why = refused_object(&app, &client, &unknown).await;
    assert!(why.contains("not registered"), "{why}");
}

#[tokio::test]
async fn an_expired_request_object_is_refused() {
    let app = crate::helpers::spawn_app().await;
    let client = key_client(&app).await;
    let object = client.key.sign(&good_claims(&app, &client));
    app.clock.advance(301 + 30);
    let why = refused_object(&app, &client, &object).await;
    assert!(why.contains("expired"), "{why}");
}

#[tokio::test]
async fn a_request_object_for_another_audience_is_refused() {
    let app = crate::helpers::spawn_app().await;
    let client = key_client(&app).await;
    let claims = with(
        good_claims(&app, &client),
        "aud",
        json!("https://other.example.com"),
    );
    let why = refused_object(&app, &client, &client.key.sign(&claims)).await;
    assert!(why.contains("aud"), "{why}");
}

#[tokio::test]
async fn a_request_object_without_exp_or_living_too_long_is_refused() {
    let app = crate::helpers::spawn_app().await;
    let client = key_client(&app).await;
    let mut claims = good_claims(&app, &client);
    claims.as_object_mut().unwrap().remove("exp");
    let why = refused_object(&app, &client, &client.key.sign(&claims)).await;
    assert!(why.contains("no exp"), "{why}");
    let claims = with(good_claims(&app, &client), "exp", json!(now(&app) + 7200));
    let why = refused_object(&app, &client, &client.key.sign(&claims)).await;
    assert!(why.contains("60 minutes"), "{why}");
}

#[tokio::test]
async fn a_request_object_naming_another_client_is_refused() {
    let app = crate::helpers::spawn_app().await;
    let client = key_client(&app).await;
    let claims = with(
        good_claims(&app, &client),
        "client_id",
        json!("tc_someone_else"),
    );
    let why = refused_object(&app, &client, &client.key.sign(&claims)).await;
    assert!(why.contains("client_id"), "{why}");
}

#[tokio::test]
async fn a_request_object_with_a_jti_is_used_once() {
    let app = crate::helpers::spawn_app().await;
    let client = key_client(&app).await;
    let claims = with(good_claims(&app, &client), "jti", json!("one-use"));
    let object = client.key.sign(&claims);
    let browser = crate::oauth::support::signed_in_browser(&app).await;
    let path = signed_path(&client.client_id, &object, &[]);
    let first = crate::oauth::support::get(&browser, &app, &path).await;
    assert_eq!(first.status(), 200, "the consent screen");
    let again = crate::oauth::support::get(&browser, &app, &path).await;
    let back = refused_to_client(&again, "invalid_request_object");
    assert!(back["error_description"].contains("used before"));
}

#[tokio::test]
async fn a_bad_request_object_with_no_trustworthy_redirect_is_shown_to_the_user() {
    let app = crate::helpers::spawn_app().await;
    let client = key_client(&app).await;
    let object = raw_token(&json!({"alg": "none"}), &good_claims(&app, &client), b"");
    let path = signed_path(
        &client.client_id,
        &object,
        &[("redirect_uri", "https://evil.example.com/callback")],
    );
    let response = new_client(app.port)
        .get(app.url(&path))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"data-error="invalid_request_object""#));
}

#[tokio::test]
async fn a_bad_request_object_pushed_is_refused_as_json() {
    let app = crate::helpers::spawn_app().await;
    let client = key_client(&app).await;
    let claims = with(
        good_claims(&app, &client),
        "aud",
        json!("https://other.example.com"),
    );
    let object = client.key.sign(&claims);
    let assertion = assertion(&app, &client, "/oauth/par");
    let response = new_client(app.port)
        .post(app.url("/oauth/par"))
        .form(&[
            ("request", object.as_str()),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &assertion),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request_object");
}

#[tokio::test]
async fn a_request_object_from_a_client_without_keys_is_refused() {
    let app = crate::helpers::spawn_app().await;
    let plain = crate::oauth::support::register(&app, Default::default()).await;
    let key = Key::ec("k");
    let claims = request_claims(&app, &plain.client_id, &pkce().1);
    let path = signed_path(&plain.client_id, &key.sign(&claims), &[]);
    let response = new_client(app.port)
        .get(app.url(&path))
        .send()
        .await
        .unwrap();
    let back = refused_to_client(&response, "invalid_request_object");
    assert!(back["error_description"].contains("no public keys"));
}
