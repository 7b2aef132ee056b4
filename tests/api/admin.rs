//! `/admin`, driven through its forms as a site administrator would.

use tessera::clock::Clock;
use tessera::users::Role;

use crate::helpers::{TestApp, hidden_input, spawn_app};
use crate::token_kinds::sign;

/// The value shown on a secret page for `label`.
fn shown(html: &str, label: &str) -> Option<String> {
    let marker = format!(r#"data-label="{label}">"#);
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('<')?;
    Some(html[start..start + end].to_string())
}

async fn admin(app: &TestApp) -> (reqwest::Client, String) {
    let (client, _) = app
        .signed_in_client(&app.admin_username, &app.admin_password)
        .await;
    let page = client
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden_input(&page, "csrf_token").unwrap();
    (client, csrf)
}

async fn post(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client.post(app.url(path)).form(form).send().await.unwrap()
}

#[tokio::test]
async fn the_admin_page_is_for_admins_only() {
    let app = spawn_app().await;
    let anonymous = app.client.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(anonymous.status().as_u16(), 303);
    assert_eq!(anonymous.headers()["location"], "/login?next=/admin");

    app.create_user("pro", "pro-password-123", Role::Pro).await;
    let (pro, _) = app.signed_in_client("pro", "pro-password-123").await;
    assert_eq!(
        pro.get(app.url("/admin"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    let sneaky = pro
        .post(app.url("/admin/legacy/enable"))
        .form(&[("csrf_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(sneaky.status().as_u16(), 403);
}

#[tokio::test]
async fn an_admin_creates_and_revokes_a_browser_token() {
    let app = spawn_app().await;
    let (client, csrf) = admin(&app).await;

    let created = post(
        &client,
        &app,
        "/admin/browser-tokens",
        &[
            ("csrf_token", &csrf),
            ("name", "Docs widget"),
            ("origins", "https://app.example.com"),
        ],
    )
    .await;
    assert_eq!(created.status().as_u16(), 303);
    let page = client
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Docs widget"));
    assert!(page.contains("https://app.example.com"));
    let listed = app
        .state
        .token_kinds
        .list_browser_tokens(app.default_site_id())
        .await
        .unwrap();
    let key = listed[0].token_key.clone();

    let revoked = post(
        &client,
        &app,
        &format!("/admin/browser-tokens/{key}/revoke"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(revoked.status().as_u16(), 303);
    let listed = app
        .state
        .token_kinds
        .list_browser_tokens(app.default_site_id())
        .await
        .unwrap();
    assert!(listed[0].revoked_at.is_some());
}

#[tokio::test]
async fn malformed_origin_patterns_are_refused() {
    let app = spawn_app().await;
    let (client, csrf) = admin(&app).await;
    let response = post(
        &client,
        &app,
        "/admin/browser-tokens",
        &[("csrf_token", &csrf), ("origins", "https://")],
    )
    .await;
    assert_eq!(response.status().as_u16(), 400);
}

#[tokio::test]
async fn a_server_token_made_on_the_admin_page_signs_requests() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (client, csrf) = admin(&app).await;

    let response = post(
        &client,
        &app,
        "/admin/server-tokens",
        &[("csrf_token", &csrf), ("name", "CI"), ("any_user", "on")],
    )
    .await;

    assert_eq!(response.status().as_u16(), 201);
    let page = response.text().await.unwrap();
    let key = shown(&page, "Key").unwrap();
    let secret = shown(&page, "Secret").unwrap();
    let token = sign(&key, &secret, app.clock.now(), "=alice");
    let me: serde_json::Value = reqwest::Client::new()
        .get(app.url("/api/users/current"))
        .header("X-Deki-Token", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["username"], "alice");
    let listing = client
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(listing.contains(&key));
    assert!(!listing.contains(&secret), "the secret is shown only once");
    // An unrestricted key is an explicit choice, and the list says so.
    assert!(listing.contains("any user, including admins"));
}

#[tokio::test]
async fn the_admin_page_makes_an_unrestricted_server_key_an_explicit_choice() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let (client, csrf) = admin(&app).await;
    for form in [
        vec![("csrf_token", csrf.as_str()), ("name", "CI")],
        vec![
            ("csrf_token", csrf.as_str()),
            ("username", "alice"),
            ("any_user", "on"),
        ],
    ] {
        let response = post(&client, &app, "/admin/server-tokens", &form).await;
        assert_eq!(response.status().as_u16(), 400);
    }
    let restricted = post(
        &client,
        &app,
        "/admin/server-tokens",
        &[("csrf_token", &csrf), ("username", "alice")],
    )
    .await;
    assert_eq!(restricted.status().as_u16(), 201);
    let listing = client
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!listing.contains("any user, including admins"));
    assert!(listing.contains("alice"));
}

#[tokio::test]
async fn a_form_post_without_the_csrf_token_changes_nothing() {
    let app = spawn_app().await;
    let (client, _) = admin(&app).await;
    let response = post(
        &client,
        &app,
        "/admin/legacy/enable",
        &[("csrf_token", "forged")],
    )
    .await;
    assert_eq!(response.status().as_u16(), 303);
    assert!(
        app.state
            .token_kinds
            .current_legacy_key(app.default_site_id())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn legacy_keys_are_enabled_rotated_and_disabled_from_the_admin_page() {
    let app = spawn_app().await;
    let (client, csrf) = admin(&app).await;

    let enabled = post(
        &client,
        &app,
        "/admin/legacy/enable",
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(enabled.status().as_u16(), 201);
    let key = shown(&enabled.text().await.unwrap(), "Site API key").unwrap();
    let with_key = |key: String| {
        let app = &app;
        async move {
            reqwest::Client::new()
                .get(app.url("/api/users/current"))
                .header("X-Deki-ApiKey", key)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(with_key(key.clone()).await, 200);

    let rotated = post(
        &client,
        &app,
        "/admin/legacy/rotate",
        &[("csrf_token", &csrf)],
    )
    .await;
    let new_key = shown(&rotated.text().await.unwrap(), "Site API key").unwrap();
    assert_ne!(new_key, key);
    assert_eq!(with_key(key).await, 401);
    assert_eq!(with_key(new_key.clone()).await, 200);

    let disabled = post(
        &client,
        &app,
        "/admin/legacy/disable",
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(disabled.status().as_u16(), 303);
    assert_eq!(with_key(new_key).await, 401);
    let page = client
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<strong id="legacy-state">disabled</strong>"#));
}

/// The public key of RFC 8037's Ed25519 example, as a JWKS document.
const JWKS: &str = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k1","use":"sig"}]}"#;

#[tokio::test]
async fn identity_providers_are_trusted_and_dropped_from_the_admin_page() {
    let app = spawn_app().await;
    let (client, csrf) = admin(&app).await;
    let issuer = "https://login.example.com";

    let added = post(
        &client,
        &app,
        "/admin/identity-providers",
        &[
            ("csrf_token", &csrf),
            ("issuer", issuer),
            ("audience", "tessera"),
            ("jwks_json", JWKS),
        ],
    )
    .await;
    assert_eq!(added.status().as_u16(), 303);
    let page = client
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("<code>{issuer}</code>")), "{page}");
    assert!(page.contains("1 inline key(s)"));

    let hmac = post(
        &client,
        &app,
        "/admin/identity-providers",
        &[
            ("csrf_token", &csrf),
            ("issuer", "https://other.example.com"),
            ("audience", "tessera"),
            ("jwks_json", JWKS),
            ("algorithms", "HS256"),
        ],
    )
    .await;
    assert_eq!(hmac.status().as_u16(), 400);
    let no_keys = post(
        &client,
        &app,
        "/admin/identity-providers",
        &[
            ("csrf_token", &csrf),
            ("issuer", "https://x.example.com"),
            ("audience", "t"),
        ],
    )
    .await;
    assert_eq!(no_keys.status().as_u16(), 400);

    let removed = post(
        &client,
        &app,
        "/admin/identity-providers/remove",
        &[("csrf_token", &csrf), ("issuer", issuer)],
    )
    .await;
    assert_eq!(removed.status().as_u16(), 303);
    let page = client
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains(&format!("<code>{issuer}</code>")));
}
