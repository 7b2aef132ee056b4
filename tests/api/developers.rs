//! The developer portal, driven through its HTML forms.

use tessera::users::Role;

use crate::helpers::{TestApp, hidden_input, spawn_app};

/// The text inside `<code … id="{id}">…</code>`.
fn code_by_id(html: &str, id: &str) -> Option<String> {
    let marker = format!(r#"id="{id}">"#);
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('<')?;
    Some(html[start..start + end].to_string())
}

async fn form_csrf(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let page = client
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    hidden_input(&page, "csrf_token").expect("the page has a form")
}

/// Registers an app through the form; returns the response.
async fn register(
    app: &TestApp,
    client: &reqwest::Client,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let csrf = form_csrf(app, client, "/developers/new").await;
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    client
        .post(app.url("/developers/new"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&form).unwrap())
        .send()
        .await
        .unwrap()
}

const GOOD_APP: &[(&str, &str)] = &[
    ("name", "Photo Printer"),
    ("homepage_url", "https://printer.example.com"),
    (
        "redirect_uris",
        "https://printer.example.com/callback\nhttp://127.0.0.1/cb",
    ),
    ("client_type", "confidential"),
    ("scope", "profile"),
    ("scope", "content:read"),
    ("grant_type", "authorization_code"),
    ("grant_type", "refresh_token"),
    ("grant_type", "client_credentials"),
];

async fn client_credentials(app: &TestApp, id: &str, secret: &str) -> u16 {
    reqwest::Client::new()
        .post(app.url("/oauth/token"))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", "content:read"),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_developer_registers_an_app_and_sees_its_secret_once() {
    let app = spawn_app().await;
    app.create_user("dev", "dev-password-123", Role::Community)
        .await;
    let (client, _) = app.signed_in_client("dev", "dev-password-123").await;

    let response = register(&app, &client, GOOD_APP).await;

    assert_eq!(response.status().as_u16(), 201);
    let page = response.text().await.unwrap();
    let client_id = code_by_id(&page, "client-id").unwrap();
    let secret = code_by_id(&page, "client-secret").unwrap();
    assert!(secret.starts_with("tcs_"));
    assert_eq!(client_credentials(&app, &client_id, &secret).await, 200);

    let list = client
        .get(app.url("/developers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("Photo Printer"));
    assert!(list.contains(&client_id));
    let edit = client
        .get(app.url(&format!("/developers/apps/{client_id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!edit.contains(&secret), "the secret is never shown again");
}

#[tokio::test]
async fn a_bad_redirect_uri_is_reported_next_to_its_field() {
    let app = spawn_app().await;
    app.create_user("dev", "dev-password-123", Role::Community)
        .await;
    let (client, _) = app.signed_in_client("dev", "dev-password-123").await;

    let response = register(
        &app,
        &client,
        &[
            ("name", "Bad"),
            ("redirect_uris", "http://evil.example.com/cb#frag"),
            ("scope", "profile"),
            ("grant_type", "authorization_code"),
        ],
    )
    .await;

    assert_eq!(response.status().as_u16(), 400);
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"id="redirect-error""#));
    assert!(page.contains("Bad"), "the form keeps what was typed");
}

#[tokio::test]
async fn registering_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    app.create_user("dev", "dev-password-123", Role::Community)
        .await;
    let (client, _) = app.signed_in_client("dev", "dev-password-123").await;
    let response = client
        .post(app.url("/developers/new"))
        .form(&[("name", "X"), ("redirect_uris", "https://x.example.com/cb")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
}

#[tokio::test]
async fn only_admins_may_register_apps_with_the_admin_scope() {
    let app = spawn_app().await;
    app.create_user("dev", "dev-password-123", Role::Pro).await;
    let (client, _) = app.signed_in_client("dev", "dev-password-123").await;
    let mut fields = GOOD_APP.to_vec();
    fields.push(("scope", "admin"));

    let response = register(&app, &client, &fields).await;

    assert_eq!(response.status().as_u16(), 400);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains(r#"id="scopes-error""#)
    );
}

#[tokio::test]
async fn other_developers_cannot_see_or_change_an_app_but_admins_can() {
    let app = spawn_app().await;
    app.create_user("dev", "dev-password-123", Role::Community)
        .await;
    app.create_user("eve", "eve-password-123", Role::Pro).await;
    let (dev, _) = app.signed_in_client("dev", "dev-password-123").await;
    let page = register(&app, &dev, GOOD_APP).await.text().await.unwrap();
    let client_id = code_by_id(&page, "client-id").unwrap();

    let (eve, _) = app.signed_in_client("eve", "eve-password-123").await;
    let list = eve
        .get(app.url("/developers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!list.contains(&client_id));
    let edit = eve
        .get(app.url(&format!("/developers/apps/{client_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(edit.status().as_u16(), 404);

    let (admin, _) = app
        .signed_in_client(&app.admin_username, &app.admin_password)
        .await;
    let list = admin
        .get(app.url("/developers"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains(&client_id));
}

#[tokio::test]
async fn rotating_the_secret_retires_the_old_one() {
    let app = spawn_app().await;
    app.create_user("dev", "dev-password-123", Role::Community)
        .await;
    let (dev, _) = app.signed_in_client("dev", "dev-password-123").await;
    let page = register(&app, &dev, GOOD_APP).await.text().await.unwrap();
    let client_id = code_by_id(&page, "client-id").unwrap();
    let old_secret = code_by_id(&page, "client-secret").unwrap();
    let csrf = form_csrf(&app, &dev, &format!("/developers/apps/{client_id}")).await;

    let rotated = dev
        .post(app.url(&format!("/developers/apps/{client_id}/rotate-secret")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    let new_secret = code_by_id(&rotated, "client-secret").unwrap();
    assert_ne!(new_secret, old_secret);
    assert_eq!(client_credentials(&app, &client_id, &old_secret).await, 401);
    assert_eq!(client_credentials(&app, &client_id, &new_secret).await, 200);
}

#[tokio::test]
async fn editing_an_app_saves_its_new_settings() {
    let app = spawn_app().await;
    app.create_user("dev", "dev-password-123", Role::Community)
        .await;
    let (dev, _) = app.signed_in_client("dev", "dev-password-123").await;
    let page = register(&app, &dev, GOOD_APP).await.text().await.unwrap();
    let client_id = code_by_id(&page, "client-id").unwrap();
    let csrf = form_csrf(&app, &dev, &format!("/developers/apps/{client_id}")).await;
    let form = [
        ("csrf_token", csrf.as_str()),
        ("name", "Photo Printer 2"),
        ("redirect_uris", "https://printer.example.com/v2/callback"),
        ("scope", "profile"),
        ("grant_type", "authorization_code"),
    ];

    let response = dev
        .post(app.url(&format!("/developers/apps/{client_id}")))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 303);
    let edit = dev
        .get(app.url(&format!("/developers/apps/{client_id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(edit.contains("Photo Printer 2"));
    assert!(edit.contains("https://printer.example.com/v2/callback"));
}

#[tokio::test]
async fn deleting_an_app_revokes_its_tokens() {
    let app = spawn_app().await;
    app.create_user("dev", "dev-password-123", Role::Community)
        .await;
    let (dev, _) = app.signed_in_client("dev", "dev-password-123").await;
    let page = register(&app, &dev, GOOD_APP).await.text().await.unwrap();
    let client_id = code_by_id(&page, "client-id").unwrap();
    let secret = code_by_id(&page, "client-secret").unwrap();
    let token: serde_json::Value = reqwest::Client::new()
        .post(app.url("/oauth/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = token["access_token"].as_str().unwrap().to_string();
    let csrf = form_csrf(&app, &dev, &format!("/developers/apps/{client_id}")).await;

    let response = dev
        .post(app.url(&format!("/developers/apps/{client_id}/delete")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/developers?notice=deleted");
    let api = reqwest::Client::new()
        .get(app.url("/api/users/current"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status().as_u16(), 401);
    assert_eq!(client_credentials(&app, &client_id, &secret).await, 401);
}

#[tokio::test]
async fn the_portal_needs_a_signed_in_user() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/developers")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/login?next=/developers");
}

#[tokio::test]
async fn the_portal_sets_and_clears_dpop_required() {
    let app = spawn_app().await;
    app.create_user("dev", "dev-password-123", Role::Community)
        .await;
    let (dev, _) = app.signed_in_client("dev", "dev-password-123").await;
    let mut fields = GOOD_APP.to_vec();
    fields.push(("dpop_required", "on"));
    let page = register(&app, &dev, &fields).await.text().await.unwrap();
    let client_id = code_by_id(&page, "client-id").unwrap();
    let secret = code_by_id(&page, "client-secret").unwrap();
    // Without a proof, the token endpoint now refuses the app.
    assert_eq!(client_credentials(&app, &client_id, &secret).await, 400);
    let edit_path = format!("/developers/apps/{client_id}");
    let edit = dev
        .get(app.url(&edit_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(edit.contains(r#"name="dpop_required" value="on" checked"#));

    let csrf = form_csrf(&app, &dev, &edit_path).await;
    let mut form: Vec<(&str, &str)> = GOOD_APP
        .iter()
        .filter(|(k, _)| *k != "client_type")
        .copied()
        .collect();
    form.push(("csrf_token", csrf.as_str()));
    let response = dev
        .post(app.url(&edit_path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&form).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(client_credentials(&app, &client_id, &secret).await, 200);
}
