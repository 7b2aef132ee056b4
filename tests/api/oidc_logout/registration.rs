//! Logout metadata where clients are registered: dynamic registration
//! (with its refusals) and the command line.

use serde_json::{Value, json};
use tessera::oauth::registration::RegistrationPolicy;

use crate::helpers::{TestApp, new_client, spawn_app};
use crate::registration::{metadata, post_register};

async fn open(app: &TestApp) {
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    app.state
        .oauth
        .set_registration_policy(&site, RegistrationPolicy::Open)
        .await
        .unwrap();
}

fn with_logout(backchannel: &str) -> Value {
    let mut body = metadata();
    body["post_logout_redirect_uris"] = json!(["https://tidy.example.com/bye"]);
    body["backchannel_logout_uri"] = json!(backchannel);
    body["backchannel_logout_session_required"] = json!(true);
    body
}

async fn client_count(app: &TestApp) -> usize {
    app.state
        .store
        .list_clients(app.default_site_id(), None)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn dynamic_registration_keeps_the_logout_metadata_and_reads_it_back() {
    let app = spawn_app().await;
    open(&app).await;
    let response = post_register(&app, None, &with_logout("https://tidy.example.com/bc")).await;
    assert_eq!(response.status(), 201);
    let info: Value = response.json().await.unwrap();
    assert_eq!(
        info["post_logout_redirect_uris"],
        json!(["https://tidy.example.com/bye"])
    );
    assert_eq!(
        info["backchannel_logout_uri"],
        "https://tidy.example.com/bc"
    );
    assert_eq!(info["backchannel_logout_session_required"], true);

    let read: Value = new_client(app.port)
        .get(info["registration_client_uri"].as_str().unwrap())
        .bearer_auth(info["registration_access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        read["backchannel_logout_uri"],
        "https://tidy.example.com/bc"
    );
    assert_eq!(
        read["post_logout_redirect_uris"],
        json!(["https://tidy.example.com/bye"])
    );
}

#[tokio::test]
async fn a_back_channel_logout_uri_on_a_private_address_is_refused_at_registration() {
    let app = spawn_app().await;
    open(&app).await;
    let before = client_count(&app).await;
    for uri in [
        "https://10.0.0.7/bc",
        "https://169.254.169.254/latest",
        "http://tidy.example.com/bc",
    ] {
        let response = post_register(&app, None, &with_logout(uri)).await;
        assert_eq!(response.status(), 400, "{uri}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client_metadata", "{uri}");
    }
    assert_eq!(client_count(&app).await, before, "nothing half-registered");
}

#[tokio::test]
async fn an_unsafe_post_logout_redirect_uri_is_refused_at_registration() {
    let app = spawn_app().await;
    open(&app).await;
    let mut body = metadata();
    body["post_logout_redirect_uris"] = json!(["http://tidy.example.com/bye"]);
    let response = post_register(&app, None, &body).await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client_metadata");
}

#[tokio::test]
async fn the_cli_sets_a_clients_logout_settings() {
    let app = spawn_app().await;
    open(&app).await;
    let info: Value = post_register(&app, None, &metadata())
        .await
        .json()
        .await
        .unwrap();
    let client_id = info["client_id"].as_str().unwrap();
    let output = app.cli(
        &[
            "client",
            "set-logout",
            "--site",
            "default",
            client_id,
            "--post-logout-redirect-uri",
            "https://tidy.example.com/bye",
            "--backchannel-logout-uri",
            "https://tidy.example.com/bc",
        ],
        None,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let record = app
        .state
        .store
        .find_client(app.default_site_id(), client_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        record.post_logout_redirect_uris,
        "https://tidy.example.com/bye"
    );
    assert_eq!(
        record.backchannel_logout_uri.as_deref(),
        Some("https://tidy.example.com/bc")
    );
}

#[tokio::test]
async fn an_update_with_a_private_back_channel_logout_uri_changes_nothing() {
    let app = spawn_app().await;
    open(&app).await;
    let info: Value = post_register(&app, None, &metadata())
        .await
        .json()
        .await
        .unwrap();
    let mut update = with_logout("https://10.1.2.3/bc");
    update["client_id"] = info["client_id"].clone();
    update["client_name"] = json!("Renamed");
    let response = new_client(app.port)
        .put(info["registration_client_uri"].as_str().unwrap())
        .bearer_auth(info["registration_access_token"].as_str().unwrap())
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let record = app
        .state
        .store
        .find_client(app.default_site_id(), info["client_id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.name, "Tidy CLI", "the update did not half-apply");
    assert!(record.backchannel_logout_uri.is_none());
}
