//! The content API with the authtoken and anonymous callers. (Each other
//! token kind's tests show it working here too.)

use serde_json::json;
use tessera::users::Role;

use crate::helpers::{TestApp, spawn_app};

async fn put(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
    body: serde_json::Value,
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .put(app.url(&format!("/api/pages/{path}")))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn get(app: &TestApp, token: Option<&str>, path: &str) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(app.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn writer(app: &TestApp) -> String {
    app.create_user("writer", "writer-password-1", Role::Pro)
        .await;
    app.signed_in_client("writer", "writer-password-1").await.1
}

#[tokio::test]
async fn a_pro_user_creates_replaces_and_deletes_a_page() {
    let app = spawn_app().await;
    let token = writer(&app).await;

    let created = put(
        &app,
        Some(&token),
        "guides/intro",
        json!({"title": "Intro", "body": "Hello", "public": true}),
    )
    .await;
    assert_eq!(created.status().as_u16(), 201);
    let replaced = put(
        &app,
        Some(&token),
        "guides/intro",
        json!({"title": "Intro 2", "body": "Hi"}),
    )
    .await;
    assert_eq!(replaced.status().as_u16(), 200);
    let page: serde_json::Value = get(&app, Some(&token), "/api/pages/guides/intro")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["title"], "Intro 2");
    assert_eq!(page["public"], false);

    let deleted = reqwest::Client::new()
        .delete(app.url("/api/pages/guides/intro"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    assert_eq!(
        get(&app, Some(&token), "/api/pages/guides/intro")
            .await
            .status()
            .as_u16(),
        404
    );
}

#[tokio::test]
async fn anyone_reads_public_pages_but_private_ones_need_content_read() {
    let app = spawn_app().await;
    let token = writer(&app).await;
    put(
        &app,
        Some(&token),
        "open",
        json!({"title": "Open", "body": "for all", "public": true}),
    )
    .await;
    put(
        &app,
        Some(&token),
        "secret",
        json!({"title": "Secret", "body": "for pros", "public": false}),
    )
    .await;
    app.create_user("reader", "reader-password-1", Role::Community)
        .await;
    let (_, community) = app.signed_in_client("reader", "reader-password-1").await;

    assert_eq!(
        get(&app, None, "/api/pages/open").await.status().as_u16(),
        200
    );
    let anonymous = get(&app, None, "/api/pages/secret").await;
    assert_eq!(anonymous.status().as_u16(), 401);
    let body: serde_json::Value = anonymous.json().await.unwrap();
    assert_eq!(body["error"], "unauthorized");
    assert_eq!(
        get(&app, Some(&community), "/api/pages/secret")
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(
        get(&app, Some(&token), "/api/pages/secret")
            .await
            .status()
            .as_u16(),
        200
    );

    let listed: serde_json::Value = get(&app, None, "/api/pages").await.json().await.unwrap();
    assert_eq!(listed["pages"].as_array().unwrap().len(), 1);
    let listed: serde_json::Value = get(&app, Some(&token), "/api/pages")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["pages"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn writing_needs_content_write() {
    let app = spawn_app().await;
    app.create_user("reader", "reader-password-1", Role::Community)
        .await;
    let (_, community) = app.signed_in_client("reader", "reader-password-1").await;

    let response = put(
        &app,
        Some(&community),
        "x",
        json!({"title": "X", "body": ""}),
    )
    .await;
    assert_eq!(response.status().as_u16(), 403);
    let anonymous = put(&app, None, "x", json!({"title": "X", "body": ""})).await;
    assert_eq!(anonymous.status().as_u16(), 401);
}

#[tokio::test]
async fn bad_paths_titles_and_bodies_get_specific_errors() {
    let app = spawn_app().await;
    let token = writer(&app).await;

    let bad_path = put(
        &app,
        Some(&token),
        "has%20space",
        json!({"title": "X", "body": ""}),
    )
    .await;
    assert_eq!(bad_path.status().as_u16(), 400);
    let body: serde_json::Value = bad_path.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert!(body["message"].as_str().unwrap().contains("page path"));

    let no_title = put(&app, Some(&token), "ok", json!({"title": "", "body": ""})).await;
    assert_eq!(no_title.status().as_u16(), 400);
    let unknown_field = put(
        &app,
        Some(&token),
        "ok",
        json!({"title": "T", "body": "", "owner": 1}),
    )
    .await;
    assert_eq!(unknown_field.status().as_u16(), 400);

    let huge = put(
        &app,
        Some(&token),
        "big",
        json!({"title": "Big", "body": "x".repeat(1024 * 1024 + 1)}),
    )
    .await;
    assert_eq!(huge.status().as_u16(), 413);
    let body: serde_json::Value = huge.json().await.unwrap();
    assert_eq!(body["error"], "payload_too_large");
    let way_too_big = put(
        &app,
        Some(&token),
        "big",
        json!({"title": "Big", "body": "x".repeat(3 * 1024 * 1024)}),
    )
    .await;
    assert_eq!(way_too_big.status().as_u16(), 413);
}

#[tokio::test]
async fn pages_of_one_site_are_invisible_on_another() {
    let app = spawn_app().await;
    let token = writer(&app).await;
    put(
        &app,
        Some(&token),
        "home",
        json!({"title": "Home", "body": "A", "public": true}),
    )
    .await;
    app.create_site("b", "http://site-b.localhost", "site-b.localhost")
        .await;

    let on_b = crate::helpers::new_client(app.port)
        .get(app.url_on("site-b.localhost", "/api/pages/home"))
        .send()
        .await
        .unwrap();
    assert_eq!(on_b.status().as_u16(), 404);
}
