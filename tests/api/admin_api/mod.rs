//! The admin REST API: who may call it, its errors, (parity.rs) the same
//! operations through the CLI and over HTTP with the same outcome,
//! (documented.rs) its answers against its description in `/openapi.json`,
//! and (registration.rs) registration tokens and pushed requests.

mod documented;
mod parity;
mod registration;

use reqwest::Method;
use serde_json::Value;
use tessera::users::Role;

use crate::helpers::{TestApp, new_client, spawn_app};
use crate::oauth::support::{PASSWORD, Registration, register, tokens_for};
use crate::token_kinds::sign;

/// An access token of the bootstrap admin with the `admin` scope.
pub async fn admin_token(app: &TestApp) -> String {
    let client = register(
        app,
        Registration {
            scopes: Some("profile admin"),
            ..Registration::default()
        },
    )
    .await;
    let (browser, _) = app
        .signed_in_client(&app.admin_username, &app.admin_password)
        .await;
    let tokens = tokens_for(app, &browser, &client, Some("profile admin")).await;
    tokens["access_token"].as_str().unwrap().to_string()
}

/// Calls the admin API with a bearer token; returns status and JSON body.
pub async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = new_client(app.port)
        .request(method, app.url(path))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn only_an_admin_token_with_the_admin_scope_or_an_admins_server_token_gets_in() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let (status, users) = call(&app, &token, Method::GET, "/api/admin/users", None).await;
    assert_eq!(status, 200);
    assert!(!users["items"].as_array().unwrap().is_empty());

    // Anonymous, the admin's own browser session, and a token without the scope.
    let anonymous = new_client(app.port)
        .get(app.url("/api/admin/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 403);
    let body: Value = anonymous.json().await.unwrap();
    assert_eq!(body["error"], "forbidden");
    let (browser, authtoken) = app
        .signed_in_client(&app.admin_username, &app.admin_password)
        .await;
    let cookie = browser
        .get(app.url("/api/admin/users"))
        .send()
        .await
        .unwrap();
    assert_eq!(cookie.status(), 403);
    let (status, _) = call(&app, &authtoken, Method::GET, "/api/admin/users", None).await;
    assert_eq!(status, 403);
    let client = register(&app, Registration::default()).await;
    let narrow = tokens_for(&app, &browser, &client, Some("profile")).await;
    let narrow = narrow["access_token"].as_str().unwrap();
    let (status, _) = call(&app, narrow, Method::GET, "/api/admin/users", None).await;
    assert_eq!(status, 403);

    // A server token acting as an admin gets in; acting as a pro user it does not.
    let site_id = app.default_site_id();
    let pro = app.create_user("pat", PASSWORD, Role::Pro).await;
    let (key, secret) = app.server_token(site_id, None, false).await;
    let as_user = |user: &str| {
        let header = sign(&key, &secret, app.now(), user);
        new_client(app.port)
            .get(app.url("/api/admin/clients"))
            .header("X-Deki-Token", header)
    };
    let admin_name = format!("={}", app.admin_username);
    assert_eq!(as_user(&admin_name).send().await.unwrap().status(), 200);
    assert_eq!(
        as_user(&pro.to_string()).send().await.unwrap().status(),
        403
    );
}

#[tokio::test]
async fn bad_input_is_a_400_unknown_objects_a_404_and_duplicates_a_409() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let (status, body) = call(
        &app,
        &token,
        Method::POST,
        "/api/admin/users",
        Some(serde_json::json!({"username": "dora", "role": "emperor"})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let (status, body) = call(
        &app,
        &token,
        Method::POST,
        "/api/admin/users",
        Some(serde_json::json!({"nope": 1})),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let (status, _) = call(&app, &token, Method::GET, "/api/admin/users?limit=0", None).await;
    assert_eq!(status, 400);
    let (status, _) = call(
        &app,
        &token,
        Method::GET,
        "/api/admin/users?limit=501",
        None,
    )
    .await;
    assert_eq!(status, 400);
    let (status, body) = call(
        &app,
        &token,
        Method::GET,
        "/api/admin/clients/cl_missing",
        None,
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));
    let (status, _) = call(
        &app,
        &token,
        Method::PATCH,
        "/api/admin/users/ghost",
        Some(serde_json::json!({"disabled": true})),
    )
    .await;
    assert_eq!(status, 404);
    let new = serde_json::json!({"username": "dora"});
    let (status, created) = call(
        &app,
        &token,
        Method::POST,
        "/api/admin/users",
        Some(new.clone()),
    )
    .await;
    assert_eq!(status, 201);
    assert!(created["password"].as_str().is_some_and(|p| p.len() >= 12));
    let (status, body) = call(&app, &token, Method::POST, "/api/admin/users", Some(new)).await;
    assert_eq!((status, body["error"].as_str()), (409, Some("conflict")));
    let (status, _) = call(
        &app,
        &token,
        Method::GET,
        "/api/admin/audit?kind=nothing",
        None,
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn lists_are_paged_and_audit_events_name_the_acting_admin() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    for name in ["u1", "u2", "u3"] {
        let body = serde_json::json!({"username": name, "password": PASSWORD});
        assert_eq!(
            call(&app, &token, Method::POST, "/api/admin/users", Some(body))
                .await
                .0,
            201
        );
    }
    let (_, first) = call(&app, &token, Method::GET, "/api/admin/users?limit=2", None).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let next = first["next_offset"].as_u64().unwrap();
    let (_, rest) = call(
        &app,
        &token,
        Method::GET,
        &format!("/api/admin/users?limit=2&offset={next}"),
        None,
    )
    .await;
    assert_eq!(rest["total"], first["total"]);
    assert!(rest["next_offset"].is_null());

    let (status, page) = call(
        &app,
        &token,
        Method::GET,
        "/api/admin/audit?kind=user.created&limit=2",
        None,
    )
    .await;
    assert_eq!(status, 200);
    let events = page["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["actor_username"], app.admin_username.as_str());
    assert_eq!(events[0]["ip"], "127.0.0.1");
    let before = page["next_before_id"].as_i64().unwrap();
    let (_, older) = call(
        &app,
        &token,
        Method::GET,
        &format!("/api/admin/audit?kind=user.created&before_id={before}"),
        None,
    )
    .await;
    assert_eq!(older["events"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn only_admins_of_the_first_site_manage_sites() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let base_url = format!("http://site-b.localhost:{}", app.port);
    let body = serde_json::json!({"slug": "docs", "base_url": base_url});
    let (status, site) = call(&app, &token, Method::POST, "/api/admin/sites", Some(body)).await;
    assert_eq!(status, 201, "{site}");
    let (_, sites) = call(&app, &token, Method::GET, "/api/admin/sites", None).await;
    assert_eq!(sites["total"], 2);

    // An admin of the new site manages that site, not the instance.
    let site_id = site["id"].as_i64().unwrap();
    app.create_user_on(site_id, "boss", PASSWORD, Role::Admin)
        .await;
    let (key, secret) = app.server_token(site_id, None, false).await;
    let header = sign(&key, &secret, app.now(), "=boss");
    let response = new_client(app.port)
        .get(app.url_on("site-b.localhost", "/api/admin/sites"))
        .header("X-Deki-Token", &header)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let response = new_client(app.port)
        .get(app.url_on("site-b.localhost", "/api/admin/site"))
        .header("X-Deki-Token", &header)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let shown: Value = response.json().await.unwrap();
    assert_eq!(shown["slug"], "docs");
}
