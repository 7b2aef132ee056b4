//! `tessera upstream add|list|remove` and the admin API's view of the same
//! providers: the client secret goes in once, sealed, and never comes out.

use reqwest::Method;
use serde_json::Value;

use crate::admin_api::{admin_token, call};
use crate::helpers::spawn_app;

const SECRET: &str = "s3cret-from-the-provider-0123";

#[tokio::test]
async fn an_admin_adds_lists_and_removes_a_provider_whose_secret_stays_sealed() {
    let app = spawn_app().await;
    let added = app.cli(
        &[
            "upstream",
            "add",
            "--site",
            "default",
            "--name",
            "corp",
            "--display-name",
            "Corp SSO",
            "--issuer",
            "https://sso.example.com/",
            "--client-id",
            "tessera",
            "--link-by-email",
            "--json",
        ],
        Some(&format!("{SECRET}\n")),
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let view: Value = serde_json::from_slice(&added.stdout).unwrap();
    assert_eq!(view["issuer"], "https://sso.example.com");
    assert_eq!(
        view["redirect_uri"],
        format!("{}/login/upstream/corp/callback", app.address)
    );
    assert_eq!(view["link_by_email"], true);
    assert_eq!(view["create_accounts"], true);
    assert!(!String::from_utf8_lossy(&added.stdout).contains(SECRET));

    let stored = app
        .state
        .store
        .find_upstream_provider(app.default_site_id(), "corp")
        .await
        .unwrap()
        .unwrap();
    assert!(stored.sealed_client_secret.starts_with("v2."));
    assert!(!stored.sealed_client_secret.contains(SECRET));

    let token = admin_token(&app).await;
    let (status, listed) = call(
        &app,
        &token,
        Method::GET,
        "/api/admin/upstream-providers",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(listed[0]["name"], "corp");
    assert_eq!(listed[0]["display_name"], "Corp SSO");
    assert!(!listed.to_string().contains(SECRET));

    // The login page shows its button.
    let page = app
        .client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("/login/upstream/corp") && page.contains("Corp SSO"));

    let same_name = app.cli(
        &[
            "upstream",
            "add",
            "--site",
            "default",
            "--name",
            "corp",
            "--issuer",
            "https://other.example.com",
            "--client-id",
            "x",
        ],
        Some("another-secret-0123\n"),
    );
    assert!(!same_name.status.success());
    assert!(String::from_utf8_lossy(&same_name.stderr).contains("already"));

    let removed = app.cli(&["upstream", "remove", "--site", "default", "corp"], None);
    assert!(
        removed.status.success(),
        "{}",
        String::from_utf8_lossy(&removed.stderr)
    );
    let (_, listed) = call(
        &app,
        &token,
        Method::GET,
        "/api/admin/upstream-providers",
        None,
    )
    .await;
    assert_eq!(listed, serde_json::json!([]));
}

#[tokio::test]
async fn a_provider_with_a_private_or_plain_http_issuer_is_refused() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    for issuer in [
        "http://sso.example.com",
        "https://127.0.0.1",
        "https://10.0.0.8/sso",
        "not a url",
    ] {
        let body = serde_json::json!({
            "name": "corp", "issuer": issuer, "client_id": "tessera", "client_secret": SECRET,
        });
        let (status, answer) = call(
            &app,
            &token,
            Method::POST,
            "/api/admin/upstream-providers",
            Some(body),
        )
        .await;
        assert_eq!(status, 400, "{issuer}: {answer}");
        assert_eq!(answer["error"], "invalid_request", "{issuer}");
    }
    let body = serde_json::json!({
        "name": "Not A Name", "issuer": "https://sso.example.com", "client_id": "t", "client_secret": SECRET,
    });
    let (status, _) = call(
        &app,
        &token,
        Method::POST,
        "/api/admin/upstream-providers",
        Some(body),
    )
    .await;
    assert_eq!(status, 400);
}
