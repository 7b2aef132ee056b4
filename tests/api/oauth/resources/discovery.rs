//! RFC 9728 discovery: from a bare 401 to the authorization server, the
//! way an MCP client walks it, and the metadata documents.

use reqwest::Method;
use serde_json::Value;

use super::{MCP, register_resource};
use crate::admin_api::{admin_token, call};
use crate::helpers::{new_client, spawn_app};

/// The `resource_metadata` URL of a `WWW-Authenticate` challenge.
fn resource_metadata(challenge: &str) -> Option<String> {
    let start = challenge.find(r#"resource_metadata=""#)? + r#"resource_metadata=""#.len();
    let rest = &challenge[start..];
    Some(rest[..rest.find('"')?].to_string())
}

#[tokio::test]
async fn a_bare_401_at_the_api_leads_an_mcp_client_to_the_authorization_server() {
    let app = spawn_app().await;
    let http = new_client(app.port);
    let unauthorized = http
        .get(app.url("/api/users/current/authorizations"))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);
    let challenge = unauthorized.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    let metadata_url = resource_metadata(&challenge).expect("resource_metadata");
    assert_eq!(
        metadata_url,
        app.url("/.well-known/oauth-protected-resource")
    );

    let document: Value = http
        .get(&metadata_url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(document["resource"], app.address.as_str());
    assert_eq!(document["authorization_servers"][0], app.address.as_str());
    assert_eq!(document["bearer_methods_supported"][0], "header");
    assert!(
        document["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&"content:read".into())
    );
    assert!(document["dpop_signing_alg_values_supported"].is_array());
    assert!(document["resource_documentation"].is_string());

    // The authorization server it names publishes its metadata where RFC
    // 8414 says, with the same issuer.
    let issuer = document["authorization_servers"][0].as_str().unwrap();
    let server: Value = http
        .get(format!("{issuer}/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(server["issuer"], issuer);
    assert!(server["token_endpoint"].is_string());
}

#[tokio::test]
async fn a_rejected_token_at_the_api_names_the_resource_metadata_too() {
    let app = spawn_app().await;
    let refused = new_client(app.port)
        .get(app.url("/api/users/current"))
        .bearer_auth("tat_forged")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let challenges: Vec<String> = refused
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    let expected = app.url("/.well-known/oauth-protected-resource");
    assert!(
        challenges
            .iter()
            .any(|c| c.starts_with(r#"Bearer error="invalid_token""#)),
        "{challenges:?}"
    );
    for challenge in &challenges {
        assert_eq!(
            resource_metadata(challenge),
            Some(expected.clone()),
            "{challenge}"
        );
    }
}

#[tokio::test]
async fn server_metadata_lists_the_protected_resources() {
    let app = spawn_app().await;
    register_resource(&app, MCP, "profile", "opaque").await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let document: Value = new_client(app.port)
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            document["protected_resources"],
            serde_json::json!([app.address, MCP]),
            "{path}"
        );
    }
}

#[tokio::test]
async fn admins_register_list_and_remove_resources_through_the_admin_api() {
    let app = spawn_app().await;
    let admin = admin_token(&app).await;
    let body =
        serde_json::json!({"uri": MCP, "scopes": "profile content:read", "token_format": "jwt"});
    let (status, created) = call(
        &app,
        &admin,
        Method::POST,
        "/api/admin/resources",
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["uri"], MCP);
    assert_eq!(created["token_format"], "jwt");
    assert_eq!(
        created["scopes"],
        serde_json::json!(["profile", "content:read"])
    );
    let (status, _) = call(
        &app,
        &admin,
        Method::POST,
        "/api/admin/resources",
        Some(body),
    )
    .await;
    assert_eq!(status, 409);
    let fragment = serde_json::json!({"uri": "https://x.example/#a", "scopes": "profile"});
    let (status, refused) = call(
        &app,
        &admin,
        Method::POST,
        "/api/admin/resources",
        Some(fragment),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(refused["error"], "invalid_request");

    let (status, listed) = call(&app, &admin, Method::GET, "/api/admin/resources", None).await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let (status, events) = call(
        &app,
        &admin,
        Method::GET,
        "/api/admin/audit?kind=resource.added",
        None,
    )
    .await;
    assert_eq!(status, 200, "{events}");
    assert!(events.to_string().contains(MCP), "{events}");

    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("uri", MCP)
        .finish();
    let path = format!("/api/admin/resources?{query}");
    let (status, _) = call(&app, &admin, Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    let (status, _) = call(&app, &admin, Method::DELETE, &path, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn removing_a_resource_ends_the_access_tokens_issued_for_it() {
    let app = spawn_app().await;
    register_resource(&app, MCP, "content:read", "opaque").await;
    let client = super::client(&app).await;
    let response = crate::oauth::support::token(
        &app,
        &client,
        &[("grant_type", "client_credentials"), ("resource", MCP)],
    )
    .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap();
    let facts = crate::oauth::support::introspect(&app, &client, access).await;
    assert_eq!(facts["aud"], MCP);

    let admin = admin_token(&app).await;
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("uri", MCP)
        .finish();
    let path = format!("/api/admin/resources?{query}");
    let (status, _) = call(&app, &admin, Method::DELETE, &path, None).await;
    assert_eq!(status, 204);
    let facts = crate::oauth::support::introspect(&app, &client, access).await;
    assert_eq!(facts, serde_json::json!({"active": false}));
}
