//! Request objects that are accepted: at the authorization endpoint and
//! pushed, parameters outside the object ignored, and clients that must
//! sign their requests.

use super::*;
use crate::oauth::support::{get, pkce, signed_in_browser, submit_consent};

/// Walks the consent screen and returns the parameters of the redirect.
async fn consented(
    app: &TestApp,
    browser: &reqwest::Client,
    path: &str,
) -> std::collections::HashMap<String, String> {
    let response = get(browser, app, path).await;
    assert_eq!(response.status(), 200, "the consent screen");
    let page = response.text().await.unwrap();
    let response = submit_consent(browser, app, &page, "allow").await;
    assert_eq!(response.status(), 303);
    let location = location(&response);
    assert!(location.starts_with(REDIRECT), "{location}");
    params(&location)
}

async fn push(app: &TestApp, client: &KeyClient, form: &[(&str, &str)]) -> reqwest::Response {
    let assertion = assertion(app, client, "/oauth/par");
    let mut form = form.to_vec();
    form.push(("client_assertion_type", ASSERTION_TYPE));
    form.push(("client_assertion", &assertion));
    new_client(app.port)
        .post(app.url("/oauth/par"))
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_signed_request_object_is_authorized_and_its_code_redeemed() {
    let app = crate::helpers::spawn_app().await;
    let client = key_client(&app).await;
    let browser = signed_in_browser(&app).await;
    let (verifier, challenge) = pkce();
    let object = client
        .key
        .sign(&request_claims(&app, &client.client_id, &challenge));
    let back = consented(
        &app,
        &browser,
        &signed_path(&client.client_id, &object, &[]),
    )
    .await;
    assert_eq!(back["state"], "signed-state");
    assert_eq!(back["iss"], app.address);
    let tokens = redeem(&app, &client, &back["code"], &verifier).await;
    assert_eq!(tokens["scope"], "profile");
}

#[tokio::test]
async fn a_signed_request_object_can_be_pushed() {
    let app = crate::helpers::spawn_app().await;
    let client = key_client(&app).await;
    let (verifier, challenge) = pkce();
    let object = client
        .key
        .sign(&request_claims(&app, &client.client_id, &challenge));
    let response = push(&app, &client, &[("request", &object)]).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let request_uri = body["request_uri"].as_str().unwrap();
    let browser = signed_in_browser(&app).await;
    let path: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &client.client_id)
        .append_pair("request_uri", request_uri)
        .finish();
    let back = consented(&app, &browser, &format!("/oauth/authorize?{path}")).await;
    assert_eq!(back["state"], "signed-state");
    let tokens = redeem(&app, &client, &back["code"], &verifier).await;
    assert_eq!(tokens["scope"], "profile");
}

#[tokio::test]
async fn parameters_outside_the_request_object_are_ignored() {
    let app = crate::helpers::spawn_app().await;
    let client = key_client(&app).await;
    let browser = signed_in_browser(&app).await;
    let (verifier, challenge) = pkce();
    let (_, other_challenge) = pkce();
    let object = client
        .key
        .sign(&request_claims(&app, &client.client_id, &challenge));
    let smuggled = [
        ("scope", "profile content:read"),
        ("redirect_uri", "https://evil.example.com/callback"),
        ("state", "smuggled-state"),
        ("code_challenge", other_challenge.as_str()),
        ("response_mode", "form_post"),
    ];
    let back = consented(
        &app,
        &browser,
        &signed_path(&client.client_id, &object, &smuggled),
    )
    .await;
    assert_eq!(back["state"], "signed-state");
    // The object's challenge, scope and redirect URI are the ones bound.
    let tokens = redeem(&app, &client, &back["code"], &verifier).await;
    assert_eq!(tokens["scope"], "profile");
}

#[tokio::test]
async fn a_client_that_must_sign_its_requests_is_refused_a_plain_one() {
    let app = crate::helpers::spawn_app().await;
    let client = key_client(&app).await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    app.state
        .oauth
        .clients
        .set_signed_request_required(&site, &client.client_id, true, &tessera::audit::Actor::Cli)
        .await
        .unwrap();
    let (_, challenge) = pkce();
    let plain = crate::oauth::support::App {
        client_id: client.client_id.clone(),
        secret: None,
        redirect_uri: REDIRECT.into(),
    };
    let path = crate::oauth::support::authorize_path(&plain, Some("profile"), &challenge, &[]);
    let response = new_client(app.port)
        .get(app.url(&path))
        .send()
        .await
        .unwrap();
    let back = refused_to_client(&response, "invalid_request");
    assert!(back["error_description"].contains("signed request objects"));

    // Pushing a plain request is refused as well ...
    let response = push(
        &app,
        &client,
        &[
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");

    // ... and a signed one goes through.
    let object = client
        .key
        .sign(&request_claims(&app, &client.client_id, &challenge));
    let browser = signed_in_browser(&app).await;
    let response = get(
        &browser,
        &app,
        &signed_path(&client.client_id, &object, &[]),
    )
    .await;
    assert_eq!(response.status(), 200, "the consent screen");
}

#[tokio::test]
async fn dynamic_registration_can_require_signed_request_objects() {
    let app = crate::helpers::spawn_app().await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    app.state
        .oauth
        .set_registration_policy(
            &site,
            tessera::oauth::registration::RegistrationPolicy::Token,
        )
        .await
        .unwrap();
    let token = app
        .state
        .oauth
        .mint_initial_access_token(&site, None)
        .await
        .unwrap()
        .into_inner();
    let key = Key::ec("dyn");
    let jwks: Value = serde_json::from_str(&jwks(&[&key])).unwrap();
    let response = new_client(app.port)
        .post(app.url("/oauth/register"))
        .bearer_auth(&token)
        .json(&json!({
            "client_name": "Signed Only",
            "redirect_uris": [REDIRECT],
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks": jwks,
            "require_signed_request_object": true,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["require_signed_request_object"], true);
    let client_id = body["client_id"].as_str().unwrap();
    let (_, challenge) = pkce();
    let plain = crate::oauth::support::App {
        client_id: client_id.into(),
        secret: None,
        redirect_uri: REDIRECT.into(),
    };
    let path = crate::oauth::support::authorize_path(&plain, None, &challenge, &[]);
    let response = new_client(app.port)
        .get(app.url(&path))
        .send()
        .await
        .unwrap();
    refused_to_client(&response, "invalid_request");
}
