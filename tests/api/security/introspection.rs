//! Item 4: a client introspects only its own tokens, unless it is a resource server.
//!
//! The review introspected one client's tokens with another client's
//! credentials and learned the user, scopes and expiry. Now such a token is
//! `{"active": false}` unless the asking client is a resource server an
//! admin marked (`tessera client set-introspect`). Revocation (RFC 7009
//! section 2.1) was already limited to the client's own tokens; it is
//! attacked here too.

use serde_json::{Value, json};

use crate::helpers::{TestApp, new_client, spawn_app};
use crate::oauth::support::{
    App, Registration, introspect, register, signed_in_browser, token, tokens_for,
};

fn cli_ok(app: &TestApp, args: &[&str]) -> Value {
    let mut with_json = args.to_vec();
    with_json.push("--json");
    let output = app.cli(&with_json, None);
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A user's access and refresh tokens issued to `client`.
async fn user_tokens(app: &TestApp, client: &App) -> (String, String) {
    let browser = signed_in_browser(app).await;
    let tokens = tokens_for(app, &browser, client, None).await;
    (
        tokens["access_token"].as_str().unwrap().to_string(),
        tokens["refresh_token"].as_str().unwrap().to_string(),
    )
}

async fn service_token(app: &TestApp) -> (App, String) {
    let client = register(
        app,
        Registration {
            scopes: Some("content:read"),
            grant_types: Some(vec!["client_credentials"]),
            redirect_uris: vec![],
            ..Registration::default()
        },
    )
    .await;
    let body: Value = token(app, &client, &[("grant_type", "client_credentials")])
        .await
        .json()
        .await
        .unwrap();
    let access = body["access_token"].as_str().unwrap().to_string();
    (client, access)
}

#[tokio::test]
async fn another_clients_tokens_are_inactive_to_a_client() {
    let app = spawn_app().await;
    let owner = register(&app, Registration::default()).await;
    let other = register(&app, Registration::default()).await;
    let (access, refresh) = user_tokens(&app, &owner).await;
    let (_, service_access) = service_token(&app).await;

    for token in [&access, &refresh, &service_access] {
        let response = new_client(app.port)
            .post(app.url("/oauth/introspect"))
            .basic_auth(&other.client_id, other.secret.as_ref())
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let seen: Value = response.json().await.unwrap();
        assert_eq!(seen, json!({"active": false}));
    }
}

#[tokio::test]
async fn a_client_still_introspects_its_own_tokens() {
    let app = spawn_app().await;
    let owner = register(&app, Registration::default()).await;
    let (access, refresh) = user_tokens(&app, &owner).await;
    let seen = introspect(&app, &owner, &access).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["client_id"], owner.client_id);
    assert_eq!(seen["username"], "alice");
    let seen = introspect(&app, &owner, &refresh).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["token_type"], "refresh_token");

    let (service, access) = service_token(&app).await;
    let seen = introspect(&app, &service, &access).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["sub"], service.client_id);
}

#[tokio::test]
async fn a_resource_server_with_the_introspect_permission_sees_every_token_of_its_site() {
    let app = spawn_app().await;
    let owner = register(&app, Registration::default()).await;
    let resource = register(
        &app,
        Registration {
            scopes: Some("profile"),
            grant_types: Some(vec!["client_credentials"]),
            redirect_uris: vec![],
            ..Registration::default()
        },
    )
    .await;
    let (access, refresh) = user_tokens(&app, &owner).await;

    let set = cli_ok(
        &app,
        &[
            "client",
            "set-introspect",
            "--site",
            "default",
            &resource.client_id,
            "true",
        ],
    );
    assert_eq!(set["introspect"], true);
    let listed = cli_ok(&app, &["client", "list", "--site", "default"]);
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == resource.client_id.as_str())
        .unwrap();
    assert_eq!(row["introspect"], true);
    let human = app.cli(&["client", "list", "--site", "default"], None);
    assert!(String::from_utf8_lossy(&human.stdout).contains("introspect"));

    let seen = introspect(&app, &resource, &access).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["client_id"], owner.client_id);
    assert_eq!(seen["username"], "alice");
    assert_eq!(introspect(&app, &resource, &refresh).await["active"], true);

    // Taken away again, the resource server is an ordinary client.
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    app.state
        .oauth
        .clients
        .set_introspect(
            &site,
            &resource.client_id,
            false,
            &tessera::audit::Actor::Cli,
        )
        .await
        .unwrap();
    assert_eq!(
        introspect(&app, &resource, &access).await,
        json!({"active": false})
    );
}

#[tokio::test]
async fn a_public_client_cannot_be_made_a_resource_server() {
    let app = spawn_app().await;
    let public = register(
        &app,
        Registration {
            confidential: false,
            ..Registration::default()
        },
    )
    .await;
    let output = app.cli(
        &[
            "client",
            "set-introspect",
            "--site",
            "default",
            &public.client_id,
            "true",
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(2));
}

#[tokio::test]
async fn a_client_cannot_revoke_another_clients_tokens() {
    let app = spawn_app().await;
    let owner = register(&app, Registration::default()).await;
    let other = register(&app, Registration::default()).await;
    let (access, refresh) = user_tokens(&app, &owner).await;
    for token in [&access, &refresh] {
        let response = new_client(app.port)
            .post(app.url("/oauth/revoke"))
            .basic_auth(&other.client_id, other.secret.as_ref())
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        // RFC 7009 2.2: the same answer as for a token it could revoke.
        assert_eq!(response.status(), 200);
    }
    assert_eq!(introspect(&app, &owner, &access).await["active"], true);
    assert_eq!(introspect(&app, &owner, &refresh).await["active"], true);
    let refreshed = token(
        &app,
        &owner,
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!(refreshed.status(), 200);
}
