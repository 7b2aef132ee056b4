//! The `security_profile` setting: through the CLI and the admin API
//! (audited), learnt by the running server from the change feed, and what
//! the metadata then says.

use reqwest::Method;
use serde_json::{Value, json};
use tessera::oauth::fapi::SecurityProfile;

use super::{fapi_app, set_profile};
use crate::admin_api::{admin_token, call};
use crate::helpers::{TestApp, new_client, spawn_app};

async fn metadata(app: &TestApp, path: &str) -> Value {
    new_client(app.port)
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Waits (by a deadline: a loaded machine reads the feed late) until the
/// running server's copy of the site has `profile`.
async fn server_learns(app: &TestApp, profile: SecurityProfile) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let site_id = app.default_site_id();
    while app.state.sites.by_id(site_id).unwrap().oauth.profile != profile {
        assert!(
            std::time::Instant::now() < deadline,
            "the server never learnt the site's profile"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn fapi2_metadata_lists_only_what_the_profile_accepts() {
    let app = fapi_app().await;
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let meta = metadata(&app, path).await;
        assert_eq!(meta["require_pushed_authorization_requests"], true);
        assert_eq!(
            meta["token_endpoint_auth_methods_supported"],
            json!(["private_key_jwt"])
        );
        assert_eq!(
            meta["revocation_endpoint_auth_methods_supported"],
            json!(["private_key_jwt"])
        );
        assert_eq!(
            meta["introspection_endpoint_auth_methods_supported"],
            json!(["private_key_jwt"])
        );
        let allowed = json!(["ES256", "PS256", "EdDSA"]);
        for list in [
            "token_endpoint_auth_signing_alg_values_supported",
            "revocation_endpoint_auth_signing_alg_values_supported",
            "introspection_endpoint_auth_signing_alg_values_supported",
            "request_object_signing_alg_values_supported",
        ] {
            assert_eq!(meta[list], allowed, "{list}");
        }
        assert_eq!(
            meta["dpop_signing_alg_values_supported"],
            json!(["ES256", "EdDSA", "PS256"])
        );
        assert_eq!(meta["response_types_supported"], json!(["code"]));
        assert_eq!(meta["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(meta["authorization_response_iss_parameter_supported"], true);
    }
}

#[tokio::test]
async fn default_metadata_is_unchanged_and_returns_when_the_mode_is_turned_off() {
    let app = fapi_app().await;
    set_profile(&app, "default").await;
    let meta = metadata(&app, "/.well-known/oauth-authorization-server").await;
    assert_eq!(meta["require_pushed_authorization_requests"], false);
    assert_eq!(
        meta["token_endpoint_auth_methods_supported"],
        json!([
            "client_secret_basic",
            "client_secret_post",
            "client_secret_jwt",
            "private_key_jwt",
            "none"
        ])
    );
    let algs = meta["token_endpoint_auth_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(algs.contains(&json!("RS256")) && algs.contains(&json!("HS256")));
}

#[tokio::test]
async fn the_cli_sets_and_shows_the_profile_and_the_server_learns_it() {
    let app = spawn_app().await;
    // The CLI blocks this test's one thread: let the server's change
    // watcher start (it takes what is in the feed at start-up as seen).
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let set = app.cli(&["site", "set-profile", "--site", "default", "fapi2"], None);
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    server_learns(&app, SecurityProfile::Fapi2).await;
    let meta = metadata(&app, "/.well-known/oauth-authorization-server").await;
    assert_eq!(
        meta["token_endpoint_auth_methods_supported"],
        json!(["private_key_jwt"])
    );

    let show = app.cli(&["site", "show", "--site", "default", "--json"], None);
    assert!(
        show.status.success(),
        "{}",
        String::from_utf8_lossy(&show.stderr)
    );
    let shown: Value = serde_json::from_slice(&show.stdout).unwrap();
    assert_eq!(shown["security_profile"], "fapi2");

    let unknown = app.cli(&["site", "set-profile", "--site", "default", "fapi1"], None);
    assert!(!unknown.status.success());

    let back = app.cli(
        &["site", "set-profile", "--site", "default", "default"],
        None,
    );
    assert!(
        back.status.success(),
        "{}",
        String::from_utf8_lossy(&back.stderr)
    );
    server_learns(&app, SecurityProfile::Default).await;
}

#[tokio::test]
async fn the_admin_api_sets_the_profile_audits_it_and_refuses_unknown_names() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let (status, site) = call(&app, &token, Method::GET, "/api/admin/site", None).await;
    assert_eq!(status, 200);
    assert_eq!(site["security_profile"], "default");

    let fapi = json!({"security_profile": "fapi2"});
    let (status, site) = call(&app, &token, Method::PATCH, "/api/admin/site", Some(fapi)).await;
    assert_eq!(status, 200, "{site}");
    assert_eq!(site["security_profile"], "fapi2");
    server_learns(&app, SecurityProfile::Fapi2).await;

    let (status, page) = call(
        &app,
        &token,
        Method::GET,
        "/api/admin/audit?kind=site.changed",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        page["events"][0]["details"],
        json!({"setting": "security_profile", "value": "fapi2"})
    );

    let bad = json!({"security_profile": "fapi1"});
    let (status, _) = call(&app, &token, Method::PATCH, "/api/admin/site", Some(bad)).await;
    assert_eq!(status, 400);
}
