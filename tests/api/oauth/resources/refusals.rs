//! Each refusal of a `resource`, on its own.

use serde_json::Value;

use super::flow::{code_for, redeem};
use super::{MCP, REPORTS, client, register_resource};
use crate::helpers::{TestApp, new_client, spawn_app};
use crate::oauth::support::{
    App, authorize_path, error_of, get, location, params, pkce, signed_in_browser, token,
};

async fn client_credentials(app: &TestApp, client: &App, extra: &[(&str, &str)]) -> (u16, String) {
    let mut form = vec![("grant_type", "client_credentials")];
    form.extend_from_slice(extra);
    let response = token(app, client, &form).await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    error_of(response).await
}

/// The error an authorization request is redirected back with.
async fn authorize_error(app: &TestApp, client: &App, extra: &[(&str, &str)]) -> String {
    let browser = signed_in_browser(app).await;
    let (_, challenge) = pkce();
    let path = authorize_path(client, Some("profile"), &challenge, extra);
    let response = get(&browser, app, &path).await;
    assert_eq!(response.status(), 303);
    let back = params(&location(&response));
    assert_eq!(back.get("state").map(String::as_str), Some("xyz-state"));
    back.get("error").cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_resource_not_registered_is_invalid_target() {
    let app = spawn_app().await;
    let client = client(&app).await;
    let refused = client_credentials(&app, &client, &[("resource", MCP)]).await;
    assert_eq!(refused, (400, "invalid_target".into()));
}

#[tokio::test]
async fn a_resource_not_registered_is_redirected_back_from_authorize_as_invalid_target() {
    let app = spawn_app().await;
    let client = client(&app).await;
    let error = authorize_error(&app, &client, &[("resource", MCP)]).await;
    assert_eq!(error, "invalid_target");
}

#[tokio::test]
async fn two_resources_at_the_token_endpoint_are_invalid_target() {
    let app = spawn_app().await;
    register_resource(&app, MCP, "profile", "opaque").await;
    register_resource(&app, REPORTS, "profile", "opaque").await;
    let client = client(&app).await;
    let refused =
        client_credentials(&app, &client, &[("resource", MCP), ("resource", REPORTS)]).await;
    assert_eq!(refused, (400, "invalid_target".into()));
}

#[tokio::test]
async fn two_resources_at_authorize_are_redirected_back_as_invalid_target() {
    let app = spawn_app().await;
    register_resource(&app, MCP, "profile", "opaque").await;
    register_resource(&app, REPORTS, "profile", "opaque").await;
    let client = client(&app).await;
    let error = authorize_error(&app, &client, &[("resource", MCP), ("resource", REPORTS)]).await;
    assert_eq!(error, "invalid_target");
}

#[tokio::test]
async fn a_resource_with_a_fragment_is_invalid_target() {
    let app = spawn_app().await;
    register_resource(&app, MCP, "profile", "opaque").await;
    let client = client(&app).await;
    let with_fragment = format!("{MCP}#part");
    let refused = client_credentials(&app, &client, &[("resource", &with_fragment)]).await;
    assert_eq!(refused, (400, "invalid_target".into()));
    let relative = client_credentials(&app, &client, &[("resource", "/mcp")]).await;
    assert_eq!(relative, (400, "invalid_target".into()));
}

#[tokio::test]
async fn scopes_outside_the_resources_allowed_scopes_are_invalid_scope() {
    let app = spawn_app().await;
    register_resource(&app, MCP, "content:read", "opaque").await;
    let client = client(&app).await;
    let refused = client_credentials(
        &app,
        &client,
        &[("resource", MCP), ("scope", "content:read content:write")],
    )
    .await;
    assert_eq!(refused, (400, "invalid_scope".into()));
    let error = authorize_error(&app, &client, &[("resource", MCP)]).await;
    assert_eq!(error, "invalid_scope", "profile is not the resource's");
}

#[tokio::test]
async fn a_token_request_naming_another_resource_than_authorized_is_invalid_target() {
    let app = spawn_app().await;
    register_resource(&app, MCP, "profile", "opaque").await;
    register_resource(&app, REPORTS, "profile", "opaque").await;
    let client = client(&app).await;
    let browser = signed_in_browser(&app).await;
    let (code, verifier) = code_for(&app, &browser, &client, "profile", &[("resource", MCP)]).await;
    let refused = redeem(&app, &client, &code, &verifier, Some(REPORTS)).await;
    assert_eq!(error_of(refused).await, (400, "invalid_target".into()));
    // The failed attempt spent the code, as any mismatch does.
    let again = redeem(&app, &client, &code, &verifier, Some(MCP)).await;
    assert_eq!(error_of(again).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn a_code_for_the_sites_own_api_cannot_be_redeemed_for_a_resource() {
    let app = spawn_app().await;
    register_resource(&app, MCP, "profile", "opaque").await;
    let client = client(&app).await;
    let browser = signed_in_browser(&app).await;
    let (code, verifier) = code_for(&app, &browser, &client, "profile", &[]).await;
    let refused = redeem(&app, &client, &code, &verifier, Some(MCP)).await;
    assert_eq!(error_of(refused).await, (400, "invalid_target".into()));
}

#[tokio::test]
async fn refresh_cannot_widen_to_another_resource() {
    let app = spawn_app().await;
    register_resource(&app, MCP, "profile", "opaque").await;
    register_resource(&app, REPORTS, "profile", "opaque").await;
    let client = client(&app).await;
    let browser = signed_in_browser(&app).await;
    let (code, verifier) = code_for(&app, &browser, &client, "profile", &[("resource", MCP)]).await;
    let tokens: Value = redeem(&app, &client, &code, &verifier, None)
        .await
        .json()
        .await
        .unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    for other in [REPORTS, app.address.as_str()] {
        let refused = token(
            &app,
            &client,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("resource", other),
            ],
        )
        .await;
        assert_eq!(
            error_of(refused).await,
            (400, "invalid_target".into()),
            "{other}"
        );
    }
    // Refused before rotation: the refresh token still works.
    let still = token(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(still.status(), 200);
}

#[tokio::test]
async fn a_pushed_request_for_an_unregistered_resource_is_invalid_target() {
    let app = spawn_app().await;
    let client = client(&app).await;
    let (_, challenge) = pkce();
    let response = new_client(app.port)
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
    assert_eq!(error_of(response).await, (400, "invalid_target".into()));
}
