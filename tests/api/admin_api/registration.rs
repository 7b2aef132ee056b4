//! What the admin API does for dynamic registration (RFC 7591) and pushed
//! authorization requests (RFC 9126), the same as `tessera client
//! registration-token` and `tessera client|site set-par-required`.

use reqwest::Method;
use serde_json::{Value, json};
use tessera::users::Role;

use super::{admin_token, call};
use crate::helpers::{TestApp, new_client, spawn_app};
use crate::oauth::support::{PASSWORD, Registration, register};
use crate::par::plain_authorize_is_refused;
use crate::registration::{metadata, post_register};

async fn audit(app: &TestApp, token: &str, kind: &str) -> Vec<Value> {
    let path = format!("/api/admin/audit?kind={kind}");
    let (status, page) = call(app, token, Method::GET, &path, None).await;
    assert_eq!(status, 200, "{page}");
    page["events"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_registration_token_minted_through_the_api_registers_a_client_its_user_owns() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let dora = app.create_user("dora", PASSWORD, Role::Pro).await;
    let policy = json!({"registration_policy": "token"});
    let (status, _) = call(&app, &token, Method::PATCH, "/api/admin/site", Some(policy)).await;
    assert_eq!(status, 200);

    let mint = |body: Value| {
        call(
            &app,
            &token,
            Method::POST,
            "/api/admin/registration-tokens",
            Some(body),
        )
    };
    let (status, minted) = mint(json!({"user": "dora"})).await;
    assert_eq!(status, 201, "{minted}");
    assert_eq!(minted["user_id"], dora);
    assert_eq!(minted["registration_policy"], "token");
    let initial = minted["initial_access_token"].as_str().unwrap();
    assert!(initial.starts_with("tia_"));

    let registered = post_register(&app, Some(initial), &metadata()).await;
    assert_eq!(registered.status(), 201);
    let registered: Value = registered.json().await.unwrap();
    let path = format!(
        "/api/admin/clients/{}",
        registered["client_id"].as_str().unwrap()
    );
    let (_, client) = call(&app, &token, Method::GET, &path, None).await;
    assert_eq!(client["owner_user_id"], dora);

    // Ownerless tokens too; an unknown owner is a 404 and mints nothing.
    let (status, ownerless) = mint(json!({})).await;
    assert_eq!(status, 201);
    assert!(ownerless["user_id"].is_null());
    let (status, body) = mint(json!({"user": "ghost"})).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")));

    let events = audit(&app, &token, "registration_token.issued").await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(
        events
            .iter()
            .all(|e| e["actor_username"] == app.admin_username.as_str())
    );
    assert!(events[0]["subject_user_id"].is_null());
    assert_eq!(events[1]["subject_username"], "dora");
    // The token itself is shown once and recorded nowhere.
    assert!(!serde_json::to_string(&events).unwrap().contains(initial));
}

#[tokio::test]
async fn one_client_or_the_whole_site_is_made_to_push_its_requests_through_the_api() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let client = register(&app, Registration::default()).await;
    let path = format!("/api/admin/clients/{}", client.client_id);
    let (status, shown) = call(&app, &token, Method::GET, &path, None).await;
    assert_eq!(status, 200);
    assert_eq!(shown["require_pushed_authorization_requests"], false);

    let push = json!({"require_pushed_authorization_requests": true});
    let (status, changed) = call(&app, &token, Method::PATCH, &path, Some(push)).await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["require_pushed_authorization_requests"], true);
    plain_authorize_is_refused(&app, &client).await;
    let (_, list) = call(&app, &token, Method::GET, "/api/admin/clients", None).await;
    let listed: Vec<_> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["client_id"].as_str().unwrap(),
                c["require_pushed_authorization_requests"]
                    .as_bool()
                    .unwrap(),
            )
        })
        .collect();
    assert!(
        listed.contains(&(client.client_id.as_str(), true)),
        "{listed:?}"
    );
    assert!(listed.iter().any(|(_, pushes)| !pushes), "only that client");
    let events = audit(&app, &token, "client.changed").await;
    assert_eq!(events[0]["subject_client_id"], client.client_id.as_str());
    assert_eq!(
        events[0]["details"],
        json!({"setting": "require_pushed_authorization_requests", "value": true})
    );

    // The client no longer has to; the site then requires it of everyone.
    let relax = json!({"require_pushed_authorization_requests": false});
    let (_, changed) = call(&app, &token, Method::PATCH, &path, Some(relax)).await;
    assert_eq!(changed["require_pushed_authorization_requests"], false);
    let (_, site) = call(&app, &token, Method::GET, "/api/admin/site", None).await;
    assert_eq!(site["require_pushed_authorization_requests"], false);
    let push = json!({"require_pushed_authorization_requests": true});
    let (status, site) = call(&app, &token, Method::PATCH, "/api/admin/site", Some(push)).await;
    assert_eq!(status, 200);
    assert_eq!(site["require_pushed_authorization_requests"], true);
    assert_eq!(site["dpop_nonce_required"], false);
    let metadata: Value = new_client(app.port)
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["require_pushed_authorization_requests"], true);
}
