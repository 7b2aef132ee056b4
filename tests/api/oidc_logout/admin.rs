//! Logout settings through the admin API: set at creation, changed, cleared.

use reqwest::Method;
use serde_json::json;

use crate::admin_api::{admin_token, call};
use crate::helpers::spawn_app;

#[tokio::test]
async fn the_admin_api_sets_changes_and_clears_a_clients_logout_settings() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let (status, created) = call(
        &app,
        &token,
        Method::POST,
        "/api/admin/clients",
        Some(json!({
            "name": "Ledger",
            "redirect_uris": ["https://ledger.example.com/cb"],
            "post_logout_redirect_uris": ["https://ledger.example.com/bye"],
            "backchannel_logout_uri": "https://ledger.example.com/bc",
            "backchannel_logout_session_required": true,
        })),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["post_logout_redirect_uris"],
        json!(["https://ledger.example.com/bye"])
    );
    assert_eq!(
        created["backchannel_logout_uri"],
        "https://ledger.example.com/bc"
    );
    assert_eq!(created["backchannel_logout_session_required"], true);
    let path = format!(
        "/api/admin/clients/{}",
        created["client_id"].as_str().unwrap()
    );

    let (status, refused) = call(
        &app,
        &token,
        Method::PATCH,
        &path,
        Some(json!({ "backchannel_logout_uri": "https://127.0.0.1/bc" })),
    )
    .await;
    assert_eq!(status, 400, "{refused}");

    let (status, changed) = call(
        &app,
        &token,
        Method::PATCH,
        &path,
        Some(json!({ "backchannel_logout_uri": "", "post_logout_redirect_uris": [] })),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert!(changed.get("backchannel_logout_uri").is_none());
    assert_eq!(changed["post_logout_redirect_uris"], json!([]));
    assert_eq!(changed["backchannel_logout_session_required"], true, "kept");
}
