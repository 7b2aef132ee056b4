//! Documents that are refused, and URLs never fetched. The authorization
//! endpoint shows an error page (the redirect URI is not trusted), the
//! token endpoint answers `invalid_client`; neither ever a 5xx.

use serde_json::json;
use tessera::clock::Clock;

use super::{DocumentServer, app_with_document, resolve_documents, spawn_document_app};
use crate::helpers::{TestApp, spawn_app};
use crate::oauth::support::{
    App, authorize_path, error_of, get, location, params, pkce, signed_in_browser, token, token_at,
};

/// An error page for the user, never a redirect to the client.
async fn assert_error_page(response: reqwest::Response, code: &str) {
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    let page = response.text().await.unwrap();
    assert!(page.contains(&format!(r#"data-error="{code}""#)), "{page}");
}

async fn authorize(app: &TestApp, client: &App) -> reqwest::Response {
    let browser = signed_in_browser(app).await;
    let (_, challenge) = pkce();
    get(
        &browser,
        app,
        &authorize_path(client, None, &challenge, &[]),
    )
    .await
}

/// A token request of the client: refused as an unknown client.
async fn assert_token_refused(app: &TestApp, client: &App) {
    let response = token(
        app,
        client,
        &[
            ("grant_type", "authorization_code"),
            ("code", "made-up"),
            ("redirect_uri", &client.redirect_uri),
            ("code_verifier", &"v".repeat(43)),
        ],
    )
    .await;
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
    assert_eq!(error_of(response).await, (401, "invalid_client".into()));
}

#[tokio::test]
async fn a_document_naming_another_client_id_is_refused() {
    let (app, server) = app_with_document().await;
    let mut document = server.document();
    document["client_id"] = json!("https://notes.example/oauth/client.json");
    server.serve(&document);
    assert_error_page(authorize(&app, &server.client()).await, "unknown_client").await;
    assert_token_refused(&app, &server.client()).await;
}

#[tokio::test]
async fn a_document_larger_than_5_kib_is_refused() {
    let (app, server) = app_with_document().await;
    let mut document = server.document();
    document["padding"] = json!("x".repeat(6 * 1024));
    server.serve(&document);
    assert_error_page(authorize(&app, &server.client()).await, "unknown_client").await;
}

#[tokio::test]
async fn a_document_that_is_not_json_is_refused() {
    let (app, server) = app_with_document().await;
    server.serve_text("<html>not a document</html>".into());
    assert_error_page(authorize(&app, &server.client()).await, "unknown_client").await;
}

#[tokio::test]
async fn a_document_with_a_client_secret_is_refused() {
    let (app, server) = app_with_document().await;
    let mut document = server.document();
    document["client_secret"] = json!("shared-secret");
    server.serve(&document);
    assert_token_refused(&app, &server.client()).await;
}

#[tokio::test]
async fn a_document_asking_for_client_secret_authentication_is_refused() {
    let (app, server) = app_with_document().await;
    let mut document = server.document();
    document["token_endpoint_auth_method"] = json!("client_secret_basic");
    server.serve(&document);
    assert_error_page(authorize(&app, &server.client()).await, "unknown_client").await;
}

#[tokio::test]
async fn a_redirect_uri_not_in_the_document_gets_an_error_page() {
    let (app, server) = app_with_document().await;
    let mut client = server.client();
    client.redirect_uri = "https://evil.example/callback".into();
    assert_error_page(authorize(&app, &client).await, "invalid_redirect_uri").await;
}

#[tokio::test]
async fn a_url_on_a_private_address_is_never_fetched_under_the_normal_policy() {
    let app = spawn_app().await;
    resolve_documents(&app).await;
    let server = DocumentServer::start().await;
    let url = format!("https://127.0.0.1:{}/oauth/client.json", server.port);
    server.serve(&json!({"client_id": url, "redirect_uris": [super::DOCUMENT_REDIRECT]}));
    let client = App {
        client_id: url,
        secret: None,
        redirect_uri: super::DOCUMENT_REDIRECT.into(),
    };
    assert_error_page(authorize(&app, &client).await, "unknown_client").await;
    assert_token_refused(&app, &client).await;
    assert_eq!(server.requests(), 0, "the listener saw no request");
}

#[tokio::test]
async fn with_the_setting_off_a_url_client_id_is_an_unknown_client() {
    let app = spawn_document_app().await;
    let server = DocumentServer::start().await;
    server.serve(&server.document());
    assert_error_page(authorize(&app, &server.client()).await, "unknown_client").await;
    assert_token_refused(&app, &server.client()).await;
    assert_eq!(server.requests(), 0, "nothing was fetched");
}

#[tokio::test]
async fn a_client_resolved_before_the_setting_was_turned_off_is_unknown_after() {
    let (app, server) = app_with_document().await;
    let browser = signed_in_browser(&app).await;
    let (_, challenge) = pkce();
    let path = authorize_path(&server.client(), None, &challenge, &[]);
    assert_eq!(get(&browser, &app, &path).await.status(), 200);
    app.state
        .store
        .set_site_client_id_metadata_documents(app.default_site_id(), false, app.clock.now())
        .await
        .unwrap();
    app.state.sites.reload().await.unwrap();
    assert_error_page(get(&browser, &app, &path).await, "unknown_client").await;
}

/// A document cannot give its client more than the site lets clients
/// nobody vetted hold (`tessera site set-registrable-scopes`).
#[tokio::test]
async fn a_document_client_gets_no_scope_beyond_the_sites_registrable_scopes() {
    let (app, server) = app_with_document().await;
    let mut document = server.document();
    document["scope"] = json!("profile content:write admin");
    server.serve(&document);
    let browser = signed_in_browser(&app).await;
    let (_, challenge) = pkce();
    let client = server.client();
    for scope in ["admin", "content:write"] {
        let path = authorize_path(&client, Some(scope), &challenge, &[]);
        let response = get(&browser, &app, &path).await;
        assert_eq!(response.status(), 303, "{scope}");
        let back = params(&location(&response));
        assert_eq!(back.get("error").map(String::as_str), Some("invalid_scope"));
    }
    let path = authorize_path(&client, Some("profile"), &challenge, &[]);
    assert_eq!(get(&browser, &app, &path).await.status(), 200);
}

/// Client ids are unique in the deployment: the URL belongs to the first
/// site that resolved it, and another site refuses it.
#[tokio::test]
async fn a_document_client_of_one_site_is_unknown_on_another() {
    let (app, server) = app_with_document().await;
    let client = server.client();
    assert_eq!(authorize(&app, &client).await.status(), 200);

    let base_b = app.url_on("site-b.localhost", "");
    let site_b = app.create_site("site-b", &base_b, "site-b.localhost").await;
    app.state
        .store
        .set_site_client_id_metadata_documents(site_b, true, app.clock.now())
        .await
        .unwrap();
    app.state.sites.reload().await.unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "made-up"),
        ("redirect_uri", client.redirect_uri.as_str()),
        ("code_verifier", &"v".repeat(43)),
    ];
    let response = token_at(&app, &base_b, &client, &form).await;
    assert_eq!(error_of(response).await, (401, "invalid_client".into()));
    assert_eq!(
        server.requests(),
        2,
        "site B fetched the document, then refused it"
    );
}
