//! A client known only by its metadata document goes through the code
//! flow with PKCE, is shown with its host, and its document is cached.

use serde_json::json;

use super::app_with_document;
use crate::helpers::new_client;
use crate::identity::support::{Key, jwks};
use crate::oauth::support::{
    authorize_code, authorize_path, error_of, exchange, get, location, params, pkce,
    signed_in_browser, submit_consent, token,
};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

#[tokio::test]
async fn a_url_client_id_completes_the_code_flow_with_pkce() {
    let (app, server) = app_with_document().await;
    let client = server.client();
    let browser = signed_in_browser(&app).await;
    let (verifier, challenge) = pkce();
    let path = authorize_path(&client, Some("profile"), &challenge, &[]);
    let consent = get(&browser, &app, &path).await;
    assert_eq!(consent.status(), 200);
    let page = consent.text().await.unwrap();
    let back = submit_consent(&browser, &app, &page, "allow").await;
    assert_eq!(back.status(), 303);
    let redirect = location(&back);
    assert!(redirect.starts_with(super::DOCUMENT_REDIRECT), "{redirect}");
    let code = params(&redirect)["code"].clone();

    let response = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(response.status(), 200);
    let tokens: serde_json::Value = response.json().await.unwrap();
    assert_eq!(tokens["scope"], "profile");
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");

    let refreshed = token(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(refreshed.status(), 200);
    let me = crate::oauth::support::api_as(
        &app,
        refreshed.json::<serde_json::Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap(),
        "/api/users/current",
    )
    .await;
    assert_eq!(me.status(), 200);
}

#[tokio::test]
async fn the_consent_page_names_the_client_and_the_host_of_its_document() {
    let (app, server) = app_with_document().await;
    let browser = signed_in_browser(&app).await;
    let (_, challenge) = pkce();
    let path = authorize_path(&server.client(), None, &challenge, &[]);
    let page = get(&browser, &app, &path).await.text().await.unwrap();
    assert!(
        page.contains(r#"<span id="consent-client-name">Notes</span>"#),
        "{page}"
    );
    let host = page
        .split(r#"id="consent-document-host">"#)
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .expect("the document's host");
    assert!(host.contains("From <strong>127.0.0.1</strong>"), "{host}");
}

#[tokio::test]
async fn a_document_is_fetched_again_only_when_its_max_age_has_passed() {
    let (app, server) = app_with_document().await;
    server.with_headers("Cache-Control: public, max-age=600\r\n");
    let browser = signed_in_browser(&app).await;
    let (_, challenge) = pkce();
    let path = authorize_path(&server.client(), None, &challenge, &[]);
    assert_eq!(get(&browser, &app, &path).await.status(), 200);
    assert_eq!(get(&browser, &app, &path).await.status(), 200);
    assert_eq!(server.requests(), 1, "the second request used the cache");

    app.clock.advance(601);
    assert_eq!(get(&browser, &app, &path).await.status(), 200);
    assert_eq!(server.requests(), 2, "fetched again after max-age");
}

#[tokio::test]
async fn a_document_client_without_pkce_is_refused() {
    let (app, server) = app_with_document().await;
    let browser = signed_in_browser(&app).await;
    let client = server.client();
    let path = format!(
        "/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&state=s",
        urlencode(&client.client_id),
        urlencode(&client.redirect_uri)
    );
    let response = get(&browser, &app, &path).await;
    assert_eq!(response.status(), 303);
    let back = params(&location(&response));
    assert_eq!(
        back.get("error").map(String::as_str),
        Some("invalid_request")
    );
    assert!(!back.contains_key("code"));
}

fn urlencode(raw: &str) -> String {
    url::form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

/// A document that publishes keys for private_key_jwt makes a client that
/// must authenticate with an assertion signed by one of them.
#[tokio::test]
async fn a_document_with_keys_makes_a_private_key_jwt_client() {
    let (app, server) = app_with_document().await;
    let key = Key::ec("doc-key");
    let mut document = server.document();
    document["token_endpoint_auth_method"] = json!("private_key_jwt");
    document["jwks"] = serde_json::from_str(&jwks(&[&key])).unwrap();
    server.serve(&document);
    let client = server.client();
    let browser = signed_in_browser(&app).await;
    let (code, verifier) = authorize_code(&app, &browser, &client, None).await;
    let form = |assertion: Option<&str>| {
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.clone()),
            ("redirect_uri", client.redirect_uri.clone()),
            ("code_verifier", verifier.clone()),
            ("client_id", client.client_id.clone()),
        ];
        if let Some(assertion) = assertion {
            form.push(("client_assertion_type", ASSERTION_TYPE.into()));
            form.push(("client_assertion", assertion.into()));
        }
        form
    };
    let post = |form: Vec<(&'static str, String)>| {
        new_client(app.port)
            .post(app.url("/oauth/token"))
            .form(&form)
            .send()
    };

    let bare = post(form(None)).await.unwrap();
    assert_eq!(error_of(bare).await, (401, "invalid_client".into()));

    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let now = tessera::clock::Clock::now(&app.clock);
    let assertion = key.sign(&json!({
        "iss": client.client_id,
        "sub": client.client_id,
        "aud": site.url("/oauth/token"),
        "iat": now,
        "exp": now + 60,
        "jti": uuid::Uuid::new_v4().to_string(),
    }));
    let signed = post(form(Some(&assertion))).await.unwrap();
    assert_eq!(signed.status(), 200);
}

#[tokio::test]
async fn a_document_client_pushes_its_request_and_is_authorized_through_the_request_uri() {
    let (app, server) = app_with_document().await;
    let client = server.client();
    let (verifier, challenge) = pkce();
    let pushed = new_client(app.port)
        .post(app.url("/oauth/par"))
        .form(&[
            ("response_type", "code"),
            ("client_id", client.client_id.as_str()),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("state", "xyz-state"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("scope", "profile"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), 201);
    let body: serde_json::Value = pushed.json().await.unwrap();
    let request_uri = body["request_uri"].as_str().unwrap();
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &client.client_id)
        .append_pair("request_uri", request_uri)
        .finish();

    let browser = signed_in_browser(&app).await;
    let page = get(&browser, &app, &format!("/oauth/authorize?{query}")).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    let back = params(&location(
        &submit_consent(&browser, &app, &page, "allow").await,
    ));
    assert_eq!(back["state"], "xyz-state");
    let response = exchange(&app, &client, &back["code"], &verifier).await;
    assert_eq!(response.status(), 200);
}
