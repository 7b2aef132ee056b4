//! Logout settings on the developer portal's registration form.

use tessera::users::Role;

use crate::helpers::{TestApp, hidden_input, spawn_app};

async fn register(app: &TestApp, extra: &[(&str, &str)]) -> reqwest::Response {
    app.create_user("dev", "dev-password-123", Role::Community)
        .await;
    let (browser, _) = app.signed_in_client("dev", "dev-password-123").await;
    let page = browser
        .get(app.url("/developers/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"name="backchannel_logout_uri""#),
        "the form asks"
    );
    let csrf = hidden_input(&page, "csrf_token").unwrap();
    let mut form = vec![
        ("csrf_token", csrf.as_str()),
        ("name", "Photo Printer"),
        ("redirect_uris", "https://printer.example.com/callback"),
        ("client_type", "confidential"),
        ("scope", "openid"),
        ("grant_type", "authorization_code"),
    ];
    form.extend_from_slice(extra);
    browser
        .post(app.url("/developers/new"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&form).unwrap())
        .send()
        .await
        .unwrap()
}

async fn clients(app: &TestApp) -> Vec<tessera::store::ClientRecord> {
    app.state
        .store
        .list_clients(app.default_site_id(), None)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_developer_registers_an_app_with_its_logout_settings() {
    let app = spawn_app().await;
    let response = register(
        &app,
        &[
            (
                "post_logout_redirect_uris",
                "https://printer.example.com/bye",
            ),
            ("backchannel_logout_uri", "https://printer.example.com/bc"),
            ("backchannel_logout_session_required", "on"),
        ],
    )
    .await;
    assert_eq!(response.status(), 201);
    let record = clients(&app).await.pop().expect("the app");
    assert_eq!(
        record.post_logout_redirect_uris,
        "https://printer.example.com/bye"
    );
    assert_eq!(
        record.backchannel_logout_uri.as_deref(),
        Some("https://printer.example.com/bc")
    );
    assert!(record.backchannel_logout_session_required);
}

#[tokio::test]
async fn a_private_back_channel_logout_uri_is_reported_next_to_its_field() {
    let app = spawn_app().await;
    let before = clients(&app).await.len();
    let response = register(
        &app,
        &[("backchannel_logout_uri", "https://192.168.1.10/bc")],
    )
    .await;
    assert_eq!(response.status(), 400);
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"id="backchannel-error""#));
    assert_eq!(clients(&app).await.len(), before, "no app registered");
}
