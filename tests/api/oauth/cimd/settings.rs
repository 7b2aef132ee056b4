//! The per-site setting: off by default, turned on by the CLI or the
//! admin API (audited), and advertised in the metadata only when on.

use reqwest::Method;
use serde_json::{Value, json};

use super::{app_with_document, spawn_document_app};
use crate::admin_api::{admin_token, call};
use crate::helpers::{TestApp, new_client};

async fn advertised(app: &TestApp) -> Value {
    let metadata: Value = new_client(app.port)
        .get(app.url("/.well-known/oauth-authorization-server"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    metadata["client_id_metadata_document_supported"].clone()
}

#[tokio::test]
async fn metadata_advertises_documents_only_on_a_site_that_resolves_them() {
    let app = spawn_document_app().await;
    assert_eq!(advertised(&app).await, json!(false));
    let (app, _server) = app_with_document().await;
    assert_eq!(advertised(&app).await, json!(true));
    let discovery: Value = new_client(app.port)
        .get(app.url("/.well-known/openid-configuration"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["client_id_metadata_document_supported"], true);
}

#[tokio::test]
async fn the_admin_api_turns_documents_on_and_the_change_is_audited() {
    let app = spawn_document_app().await;
    let token = admin_token(&app).await;
    let (_, site) = call(&app, &token, Method::GET, "/api/admin/site", None).await;
    assert_eq!(site["client_id_metadata_documents"], false);
    let on = json!({"client_id_metadata_documents": true});
    let (status, site) = call(&app, &token, Method::PATCH, "/api/admin/site", Some(on)).await;
    assert_eq!(status, 200);
    assert_eq!(site["client_id_metadata_documents"], true);
    let (_, page) = call(
        &app,
        &token,
        Method::GET,
        "/api/admin/audit?kind=site.changed",
        None,
    )
    .await;
    assert_eq!(
        page["events"][0]["details"],
        json!({"setting": "client_id_metadata_documents", "value": true})
    );
    app.state.sites.reload().await.unwrap();
    assert_eq!(advertised(&app).await, json!(true));
}

#[tokio::test]
async fn the_cli_turns_documents_on_and_off() {
    let app = spawn_document_app().await;
    let args = |value| {
        [
            "site",
            "set-client-id-metadata-documents",
            "--site",
            "default",
            value,
        ]
    };
    let output = app.cli(&args("true"), None);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    app.state.sites.reload().await.unwrap();
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    assert!(site.oauth.client_id_metadata_documents);
    let shown = app.cli(&["site", "show", "--site", "default"], None);
    assert!(String::from_utf8_lossy(&shown.stdout).contains("client ID metadata documents: true"));

    let output = app.cli(&args("false"), None);
    assert!(output.status.success());
    app.state.sites.reload().await.unwrap();
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    assert!(!site.oauth.client_id_metadata_documents);
}
