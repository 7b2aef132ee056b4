//! `resource` with the device authorization grant (RFC 8707 with RFC
//! 8628): named at the device authorization request, kept with the device
//! code, honoured when the device polls, refused when not registered.

use serde_json::Value;

use super::{MCP, REPORTS, claims, register_resource};
use crate::device::{DEVICE_GRANT, alice, answer, device_client};
use crate::helpers::{TestApp, new_client, spawn_app};
use crate::oauth::support::{App, api_as, error_of, introspect, token};

/// `POST /oauth/device_authorization` by the confidential `client` with `form`.
async fn start(app: &TestApp, client: &App, form: &[(&str, &str)]) -> reqwest::Response {
    new_client(app.port)
        .post(app.url("/oauth/device_authorization"))
        .basic_auth(&client.client_id, client.secret.as_ref())
        .form(form)
        .send()
        .await
        .unwrap()
}

/// Starts a device authorization for `resource` and has alice approve it;
/// the device code.
async fn approved_for(app: &TestApp, client: &App, resource: &str) -> String {
    let response = start(app, client, &[("resource", resource)]).await;
    assert_eq!(response.status(), 200);
    let started: Value = response.json().await.unwrap();
    let browser = alice(app).await;
    let done = answer(
        app,
        &browser,
        started["user_code"].as_str().unwrap(),
        "allow",
    )
    .await;
    assert!(done.contains(r#"data-outcome="approved""#), "{done}");
    started["device_code"].as_str().unwrap().to_string()
}

async fn poll(
    app: &TestApp,
    client: &App,
    device_code: &str,
    resource: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![("grant_type", DEVICE_GRANT), ("device_code", device_code)];
    form.extend(resource.map(|r| ("resource", r)));
    token(app, client, &form).await
}

#[tokio::test]
async fn a_device_names_a_resource_and_its_tokens_are_for_that_audience_only() {
    let app = spawn_app().await;
    register_resource(&app, MCP, "content:read", "jwt").await;
    let client = device_client(&app, true).await;
    let device_code = approved_for(&app, &client, MCP).await;

    let response = poll(&app, &client, &device_code, None).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    // Without `scope`: what both the client and the resource allow.
    assert_eq!(tokens["scope"], "content:read");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(claims(access)["aud"], MCP, "the resource's JWT form");
    assert_eq!(introspect(&app, &client, access).await["aud"], MCP);
    assert_eq!(
        api_as(&app, access, "/api/users/current").await.status(),
        401,
        "not a token for the site's own API"
    );

    // The refresh token keeps the audience.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let renewed = token(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(renewed.status(), 200);
    let renewed: Value = renewed.json().await.unwrap();
    assert_eq!(
        claims(renewed["access_token"].as_str().unwrap())["aud"],
        MCP
    );
}

#[tokio::test]
async fn the_poll_may_name_the_resource_again_but_not_another() {
    let app = spawn_app().await;
    register_resource(&app, MCP, "profile content:read", "opaque").await;
    register_resource(&app, REPORTS, "profile content:read", "opaque").await;
    let client = device_client(&app, true).await;
    let device_code = approved_for(&app, &client, MCP).await;

    for other in [
        REPORTS,
        app.address.as_str(),
        "https://unknown.example.com/",
    ] {
        assert_eq!(
            error_of(poll(&app, &client, &device_code, Some(other)).await).await,
            (400, "invalid_target".into()),
            "{other}"
        );
    }
    // The refusals spent nothing.
    let response = poll(&app, &client, &device_code, Some(MCP)).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, &client, access).await["aud"], MCP);
}

#[tokio::test]
async fn a_device_authorization_without_a_resource_is_for_the_sites_own_api() {
    let app = spawn_app().await;
    register_resource(&app, MCP, "content:read", "opaque").await;
    let client = device_client(&app, true).await;
    // Naming the issuer is the same as naming none.
    let device_code = approved_for(&app, &client, &app.address.clone()).await;
    let response = poll(&app, &client, &device_code, None).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, &client, access).await["aud"], app.address);
    assert_eq!(
        api_as(&app, access, "/api/users/current").await.status(),
        200
    );
}

#[tokio::test]
async fn an_unregistered_resource_or_two_are_refused_at_device_authorization() {
    let app = spawn_app().await;
    register_resource(&app, MCP, "content:read", "opaque").await;
    register_resource(&app, REPORTS, "content:read", "opaque").await;
    let client = device_client(&app, true).await;
    for form in [
        vec![("resource", "https://unknown.example.com/")],
        vec![("resource", "https://mcp.example.com/#fragment")],
        vec![("resource", "/relative")],
        vec![("resource", MCP), ("resource", REPORTS)],
    ] {
        let response = start(&app, &client, &form).await;
        assert_eq!(response.headers()["cache-control"], "no-store");
        assert_eq!(
            error_of(response).await,
            (400, "invalid_target".into()),
            "{form:?}"
        );
    }
}

#[tokio::test]
async fn scopes_beyond_the_resources_are_refused_at_device_authorization() {
    let app = spawn_app().await;
    register_resource(&app, MCP, "content:read", "opaque").await;
    let client = device_client(&app, true).await;
    let response = start(&app, &client, &[("resource", MCP), ("scope", "profile")]).await;
    assert_eq!(error_of(response).await, (400, "invalid_scope".into()));
}
