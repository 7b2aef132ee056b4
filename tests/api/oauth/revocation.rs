use serde_json::Value;

use super::support::*;
use crate::helpers::{hidden_input, new_client, spawn_app};

async fn revoke(
    app: &crate::helpers::TestApp,
    client: &App,
    token_value: &str,
) -> reqwest::Response {
    new_client(app.port)
        .post(app.url("/oauth/revoke"))
        .basic_auth(&client.client_id, client.secret.as_ref())
        .form(&[("token", token_value)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_revoked_token_is_inactive_at_introspection_and_refused_by_the_api() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let tokens = tokens_for(&app, &browser, &client, None).await;
    let access = tokens["access_token"].as_str().unwrap();
    let seen = introspect(&app, &client, access).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["username"], "alice");
    assert_eq!(seen["token_type"], "Bearer");
    assert_eq!(seen["scope"], "profile content:read content:write");

    let response = revoke(&app, &client, access).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");

    assert_eq!(
        introspect(&app, &client, access).await,
        serde_json::json!({"active": false})
    );
    let response = api_as(&app, access, "/api/users/current").await;
    assert_eq!(response.status(), 401);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.starts_with(r#"Bearer error="invalid_token""#),
        "{challenge}"
    );
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_family() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let tokens = tokens_for(&app, &browser, &client, None).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(revoke(&app, &client, refresh).await.status(), 200);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        api_as(&app, access, "/api/users/current").await.status(),
        401
    );
    assert_eq!(introspect(&app, &client, refresh).await["active"], false);
}

#[tokio::test]
async fn revoking_an_unknown_token_succeeds_quietly() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    assert_eq!(revoke(&app, &client, "tat_1.2.3.4").await.status(), 200);
    assert_eq!(revoke(&app, &client, "whatever").await.status(), 200);
}

#[tokio::test]
async fn introspection_is_for_authenticated_confidential_clients() {
    let app = spawn_app().await;
    let public = register(
        &app,
        Registration {
            confidential: false,
            ..Registration::default()
        },
    )
    .await;
    let response = new_client(app.port)
        .post(app.url("/oauth/introspect"))
        .form(&[("token", "tat_x"), ("client_id", public.client_id.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response).await, (401, "invalid_client".into()));
    let response = new_client(app.port)
        .post(app.url("/oauth/introspect"))
        .form(&[("token", "tat_x")])
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response).await, (401, "invalid_client".into()));
}

#[tokio::test]
async fn garbage_expired_and_foreign_tokens_are_inactive() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let base_b = app.url_on("site-b.localhost", "");
    let site_b = app.create_site("site-b", &base_b, "site-b.localhost").await;
    let client_b = register_on(&app, site_b, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let tokens = tokens_for(&app, &browser, &client, None).await;
    let access = tokens["access_token"].as_str().unwrap();

    for junk in ["", "tat_", "tat_1.2.3.4", "trt_00", &"x".repeat(300)] {
        assert_eq!(
            introspect(&app, &client, junk).await["active"],
            false,
            "{junk}"
        );
    }
    // Site B does not know site A's token.
    let seen: Value = new_client(app.port)
        .post(format!("{base_b}/oauth/introspect"))
        .basic_auth(&client_b.client_id, client_b.secret.as_ref())
        .form(&[("token", access)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seen, serde_json::json!({"active": false}));
    let response = new_client(app.port)
        .get(format!("{base_b}/api/users/current"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);

    app.clock.advance(3601);
    assert_eq!(introspect(&app, &client, access).await["active"], false);
    assert_eq!(
        api_as(&app, access, "/api/users/current").await.status(),
        401
    );
}

#[tokio::test]
async fn a_token_without_the_needed_scope_gets_insufficient_scope() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let tokens = tokens_for(&app, &browser, &client, Some("content:read")).await;
    let access = tokens["access_token"].as_str().unwrap();
    let response = api_as(&app, access, "/api/users/current/authorizations").await;
    assert_eq!(response.status(), 403);
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.contains(r#"error="insufficient_scope""#),
        "{challenge}"
    );
}

#[tokio::test]
async fn a_user_lists_and_revokes_authorized_apps_through_the_api() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let tokens = tokens_for(&app, &browser, &client, Some("profile")).await;
    let access = tokens["access_token"].as_str().unwrap();

    let apps: Value = browser
        .get(app.url("/api/users/current/authorizations"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(apps[0]["client_id"], client.client_id);
    assert_eq!(apps[0]["client_name"], "Photo Printer");
    assert_eq!(apps[0]["scopes"], serde_json::json!(["profile"]));

    // The app's own profile-scoped token may see the list, too.
    assert_eq!(
        api_as(&app, access, "/api/users/current/authorizations")
            .await
            .status(),
        200
    );

    let response = browser
        .delete(app.url(&format!(
            "/api/users/current/authorizations/{}",
            client.client_id
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(
        api_as(&app, access, "/api/users/current").await.status(),
        401
    );
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let response = token(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(error_of(response).await, (400, "invalid_grant".into()));
    let apps: Value = browser
        .get(app.url("/api/users/current/authorizations"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(apps, serde_json::json!([]));
    // Consent is forgotten: the screen shows again.
    let (_, challenge) = pkce();
    let response = get(
        &browser,
        &app,
        &authorize_path(&client, Some("profile"), &challenge, &[]),
    )
    .await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn the_account_page_lists_authorized_apps_with_a_revoke_button() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let tokens = tokens_for(&app, &browser, &client, Some("profile")).await;
    let page = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Photo Printer"));
    let action = format!("/account/apps/{}/revoke", client.client_id);
    assert!(page.contains(&action));
    let csrf = hidden_input(&page, "csrf_token").unwrap();

    // Without the CSRF token nothing happens.
    let response = browser
        .post(app.url(&action))
        .form(&[("csrf_token", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        api_as(&app, access, "/api/users/current").await.status(),
        200
    );

    let response = browser
        .post(app.url(&action))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        api_as(&app, access, "/api/users/current").await.status(),
        401
    );
    let page = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains(&action));
}

#[tokio::test]
async fn deleting_a_client_revokes_its_tokens() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let tokens = tokens_for(&app, &browser, &client, None).await;
    let access = tokens["access_token"].as_str().unwrap();
    // Its code, its grant and its refresh token are stored.
    assert_eq!(app.oauth_rows().await, (1, 1, 1));
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    app.state
        .oauth
        .clients
        .delete(&site, &client.client_id, &tessera::audit::Actor::Cli)
        .await
        .unwrap();
    assert_eq!(
        api_as(&app, access, "/api/users/current").await.status(),
        401
    );
    // ... and deleted with the client: by foreign keys on SQLite, by
    // triggers on Postgres (migration 0029).
    assert_eq!(app.oauth_rows().await, (0, 0, 0));
}

#[tokio::test]
async fn the_cli_creates_lists_rotates_and_deletes_clients() {
    let app = spawn_app().await;
    let out = app.cli(
        &[
            "client",
            "create",
            "--site",
            "default",
            "--name",
            "Cli App",
            "--redirect-uri",
            REDIRECT,
            "--scopes",
            "profile content:read",
            "--grant-types",
            "authorization_code,refresh_token,client_credentials",
            "--json",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    let client_id = created["client_id"].as_str().unwrap().to_string();
    let secret = created["client_secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("tcs_"));
    let client = App {
        client_id: client_id.clone(),
        secret: Some(secret),
        redirect_uri: REDIRECT.into(),
    };
    assert_eq!(
        token(&app, &client, &[("grant_type", "client_credentials")])
            .await
            .status(),
        200
    );

    let out = app.cli(&["client", "list", "--site", "default"], None);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&client_id));

    let out = app.cli(
        &[
            "client",
            "rotate-secret",
            "--site",
            "default",
            &client_id,
            "--json",
        ],
        None,
    );
    assert!(out.status.success());
    let rotated: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_ne!(rotated["client_secret"].as_str(), client.secret.as_deref());

    let out = app.cli(
        &[
            "client",
            "create",
            "--site",
            "default",
            "--name",
            "Bad",
            "--redirect-uri",
            "http://evil.example/cb",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "bad input exits 2");

    let out = app.cli(&["client", "delete", "--site", "default", &client_id], None);
    assert!(out.status.success());
    let out = app.cli(&["client", "delete", "--site", "default", &client_id], None);
    assert_eq!(out.status.code(), Some(1), "an unknown client is a failure");
}
