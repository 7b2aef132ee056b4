use serde_json::Value;

use super::support::*;
use crate::helpers::{new_client, spawn_app};
use tessera::users::Permission;

fn service_registration() -> Registration<'static> {
    Registration {
        scopes: Some("content:read content:write"),
        grant_types: Some(vec!["client_credentials"]),
        redirect_uris: vec![],
        ..Registration::default()
    }
}

#[tokio::test]
async fn client_credentials_issue_a_token_that_acts_as_the_client() {
    let app = spawn_app().await;
    let client = register(&app, service_registration()).await;
    let response = token(
        &app,
        &client,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "content:read"),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let tokens: Value = response.json().await.unwrap();
    assert!(tokens.get("refresh_token").is_none());
    assert_eq!(tokens["scope"], "content:read");
    let access = tokens["access_token"].as_str().unwrap();

    let me: Value = api_as(&app, access, "/api/users/current")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["credential"], "oauth");
    assert_eq!(me["client_id"], client.client_id);
    assert_eq!(me["id"], Value::Null);
    // No owner, nothing granted: the token may do nothing yet.
    assert_eq!(me["permissions"], serde_json::json!([]));

    // What an admin grants counts within the token's scopes.
    grant_permissions(
        &app,
        &client,
        &[Permission::ContentRead, Permission::ContentWrite],
    )
    .await;
    let me: Value = api_as(&app, access, "/api/users/current")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["permissions"], serde_json::json!(["content:read"]));

    let seen = introspect(&app, &client, access).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["client_id"], client.client_id);
    assert_eq!(seen["sub"], client.client_id);
    assert_eq!(seen["iss"], app.address);
}

#[tokio::test]
async fn client_credentials_cannot_exceed_the_clients_scopes() {
    let app = spawn_app().await;
    let client = register(&app, service_registration()).await;
    let response = token(
        &app,
        &client,
        &[("grant_type", "client_credentials"), ("scope", "admin")],
    )
    .await;
    assert_eq!(error_of(response).await, (400, "invalid_scope".into()));
}

#[tokio::test]
async fn a_public_client_cannot_use_client_credentials() {
    let app = spawn_app().await;
    let client = register(
        &app,
        Registration {
            confidential: false,
            ..Registration::default()
        },
    )
    .await;
    let response = token(&app, &client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(
        error_of(response).await,
        (400, "unauthorized_client".into())
    );
}

#[tokio::test]
async fn an_unknown_client_is_invalid_client_with_a_challenge() {
    let app = spawn_app().await;
    let client = App {
        client_id: "tc_nobody".into(),
        secret: Some("tcs_nothing".into()),
        redirect_uri: REDIRECT.into(),
    };
    let response = token(&app, &client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(response.status(), 401);
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic realm=")
    );
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client");
    assert!(body["error_description"].is_string());
}

#[tokio::test]
async fn a_secret_of_one_client_does_not_authenticate_another() {
    let app = spawn_app().await;
    let first = register(&app, service_registration()).await;
    let second = register(&app, service_registration()).await;
    let mixed = App {
        client_id: second.client_id.clone(),
        secret: first.secret.clone(),
        redirect_uri: REDIRECT.into(),
    };
    let response = token(&app, &mixed, &[("grant_type", "client_credentials")]).await;
    assert_eq!(error_of(response).await, (401, "invalid_client".into()));
}

#[tokio::test]
async fn client_secret_post_is_accepted_and_a_missing_secret_is_not() {
    let app = spawn_app().await;
    let client = register(&app, service_registration()).await;
    let secret = client.secret.clone().unwrap();
    let post = |form: Vec<(&'static str, String)>| {
        let http = new_client(app.port);
        let url = app.url("/oauth/token");
        async move { http.post(url).form(&form).send().await.unwrap() }
    };
    let response = post(vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", client.client_id.clone()),
        ("client_secret", secret),
    ])
    .await;
    assert_eq!(response.status(), 200);
    let response = post(vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", client.client_id.clone()),
    ])
    .await;
    assert_eq!(error_of(response).await, (401, "invalid_client".into()));
}

#[tokio::test]
async fn an_unknown_grant_type_is_unsupported() {
    let app = spawn_app().await;
    let client = register(&app, service_registration()).await;
    let response = token(&app, &client, &[("grant_type", "password")]).await;
    assert_eq!(
        error_of(response).await,
        (400, "unsupported_grant_type".into())
    );
}

#[tokio::test]
async fn a_rotated_secret_replaces_the_old_one_at_once() {
    let app = spawn_app().await;
    let mut client = register(&app, service_registration()).await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let fresh = app
        .state
        .oauth
        .clients
        .rotate_secret(&site, &client.client_id, &tessera::audit::Actor::Cli)
        .await
        .unwrap()
        .into_inner();
    let response = token(&app, &client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(error_of(response).await, (401, "invalid_client".into()));
    client.secret = Some(fresh);
    let response = token(&app, &client, &[("grant_type", "client_credentials")]).await;
    assert_eq!(response.status(), 200);
}
