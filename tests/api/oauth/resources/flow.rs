//! Tokens for a resource, through each grant that takes `resource`.

use serde_json::Value;

use super::{MCP, REPORTS, claims, client, register_resource};
use crate::helpers::{TestApp, spawn_app};
use crate::oauth::support::{
    App, api_as, authorize_path, get, introspect, location, params, pkce, signed_in_browser,
    submit_consent, token,
};

/// Authorize (with consent) for `client` with the extra parameters; the
/// code and its verifier.
pub async fn code_for(
    app: &TestApp,
    browser: &reqwest::Client,
    client: &App,
    scope: &str,
    extra: &[(&str, &str)],
) -> (String, String) {
    let (verifier, challenge) = pkce();
    let response = get(
        browser,
        app,
        &authorize_path(client, Some(scope), &challenge, extra),
    )
    .await;
    let response = if response.status() == 200 {
        let page = response.text().await.unwrap();
        submit_consent(browser, app, &page, "allow").await
    } else {
        response
    };
    assert_eq!(response.status(), 303);
    let back = params(&location(&response));
    let code = back.get("code").cloned();
    (
        code.unwrap_or_else(|| panic!("a code, not {back:?}")),
        verifier,
    )
}

pub async fn redeem(
    app: &TestApp,
    client: &App,
    code: &str,
    verifier: &str,
    resource: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("code_verifier", verifier),
    ];
    form.extend(resource.map(|r| ("resource", r)));
    token(app, client, &form).await
}

#[tokio::test]
async fn a_code_flow_with_a_resource_gives_a_token_for_that_audience_only() {
    let app = spawn_app().await;
    register_resource(&app, MCP, "profile content:read", "opaque").await;
    let client = client(&app).await;
    let browser = signed_in_browser(&app).await;
    let (code, verifier) = code_for(
        &app,
        &browser,
        &client,
        "content:read",
        &[("resource", MCP)],
    )
    .await;

    let response = redeem(&app, &client, &code, &verifier, Some(MCP)).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    assert!(access.starts_with("tat_"), "the resource's opaque form");
    let facts = introspect(&app, &client, access).await;
    assert_eq!(facts["active"], true);
    assert_eq!(facts["aud"], MCP);
    assert_eq!(facts["scope"], "content:read");

    // One audience: the site's own API does not take it.
    let refused = api_as(&app, access, "/api/users/current").await;
    assert_eq!(refused.status(), 401);

    // The refresh token keeps the audience, named or not.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let renewed = token(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(renewed.status(), 200);
    let renewed: Value = renewed.json().await.unwrap();
    let facts = introspect(&app, &client, renewed["access_token"].as_str().unwrap()).await;
    assert_eq!(facts["aud"], MCP);
    let refresh = renewed["refresh_token"].as_str().unwrap();
    assert_eq!(introspect(&app, &client, refresh).await["aud"], MCP);
    let named = token(
        &app,
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("resource", MCP),
        ],
    )
    .await;
    assert_eq!(named.status(), 200);
}

#[tokio::test]
async fn a_jwt_resource_gets_jwt_access_tokens_whose_aud_is_the_resource() {
    let app = spawn_app().await;
    register_resource(&app, REPORTS, "content:read", "jwt").await;
    let client = client(&app).await;
    let browser = signed_in_browser(&app).await;
    let (code, verifier) = code_for(
        &app,
        &browser,
        &client,
        "content:read",
        &[("resource", REPORTS)],
    )
    .await;

    // The token request need not repeat the resource: the code has it.
    let response = redeem(&app, &client, &code, &verifier, None).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let jwt = claims(access);
    assert_eq!(jwt["aud"], REPORTS);
    assert_eq!(jwt["iss"], app.address.as_str());
    assert_eq!(jwt["scope"], "content:read");
    let facts = introspect(&app, &client, access).await;
    assert_eq!(facts["active"], true);
    assert_eq!(facts["aud"], REPORTS);
}

#[tokio::test]
async fn client_credentials_with_a_resource_gets_a_token_for_it() {
    let app = spawn_app().await;
    register_resource(&app, MCP, "content:read", "opaque").await;
    let client = client(&app).await;

    // Without `scope`: what both the client and the resource allow.
    let response = token(
        &app,
        &client,
        &[("grant_type", "client_credentials"), ("resource", MCP)],
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["scope"], "content:read");
    let facts = introspect(&app, &client, body["access_token"].as_str().unwrap()).await;
    assert_eq!(facts["aud"], MCP);
    assert_eq!(facts["sub"], client.client_id.as_str());
}

#[tokio::test]
async fn a_token_without_resource_or_for_the_issuer_is_for_the_sites_own_api() {
    let app = spawn_app().await;
    let client = client(&app).await;
    for resource in [None, Some(app.address.as_str())] {
        let mut form = vec![("grant_type", "client_credentials"), ("scope", "profile")];
        form.extend(resource.map(|r| ("resource", r)));
        let response = token(&app, &client, &form).await;
        assert_eq!(response.status(), 200, "resource {resource:?}");
        let body: Value = response.json().await.unwrap();
        let facts = introspect(&app, &client, body["access_token"].as_str().unwrap()).await;
        assert_eq!(facts["aud"], app.address.as_str());
    }
}

#[tokio::test]
async fn a_pushed_request_carries_its_resource_to_the_token() {
    let app = spawn_app().await;
    register_resource(&app, MCP, "profile", "opaque").await;
    let client = client(&app).await;
    let (verifier, challenge) = pkce();
    let pushed = crate::helpers::new_client(app.port)
        .post(app.url("/oauth/par"))
        .basic_auth(&client.client_id, client.secret.as_ref())
        .form(&[
            ("response_type", "code"),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
            ("scope", "profile"),
            ("resource", MCP),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(pushed.status(), 201);
    let pushed: Value = pushed.json().await.unwrap();
    let request_uri = pushed["request_uri"].as_str().unwrap();
    let browser = signed_in_browser(&app).await;
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &client.client_id)
        .append_pair("request_uri", request_uri)
        .finish();
    let response = get(&browser, &app, &format!("/oauth/authorize?{query}")).await;
    let page = response.text().await.unwrap();
    let response = submit_consent(&browser, &app, &page, "allow").await;
    let code = params(&location(&response))["code"].clone();
    let response = redeem(&app, &client, &code, &verifier, None).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let facts = introspect(&app, &client, body["access_token"].as_str().unwrap()).await;
    assert_eq!(facts["aud"], MCP);
}
