//! Item 8: the master key can be rotated; sealed secrets carry its key id.

use tessera::crypto::{MasterKey, aead};
use tessera::users::Role;

use crate::helpers::{TestApp, new_client, spawn_app, spawn_app_on};
use crate::token_kinds::{sign, stderr, stdout};

/// `/api/users/current` at `server`, for the first app's site, with one header.
async fn current_at(
    app: &TestApp,
    server: &TestApp,
    header: &str,
    value: &str,
) -> serde_json::Value {
    let response = new_client(server.port)
        .get(server.url("/api/users/current"))
        .header("host", format!("localhost:{}", app.port))
        .header(header, value)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200, "{header}");
    response.json().await.unwrap()
}

#[tokio::test]
async fn rotating_the_master_key_reseals_every_secret_and_the_server_runs_on_the_new_key() {
    let app = spawn_app().await;
    let site = app.default_site_id();
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let created = app.cli(
        &[
            "server-token",
            "create",
            "--site",
            "default",
            "--user",
            "alice",
            "--json",
        ],
        None,
    );
    let created: serde_json::Value = serde_json::from_str(&stdout(&created)).unwrap();
    let (key, secret) = (
        created["key"].as_str().unwrap().to_string(),
        created["secret"].as_str().unwrap().to_string(),
    );
    let api_key = app.enable_legacy(site).await;
    let kid = app
        .state
        .signing
        .keys(site)
        .await
        .unwrap()
        .current
        .kid
        .clone();
    let old = MasterKey::from_base64(&app.master_key).unwrap();
    let new = MasterKey::generate();
    let before = app.state.store.list_sealed_values().await.unwrap();
    assert!(
        before.len() >= 4,
        "server token, legacy key, current and next signing keys"
    );
    for value in &before {
        assert_eq!(
            aead::sealed_key_id(&value.sealed),
            Some(old.key_id().as_str())
        );
    }

    // The same key again, or no key at all, is a usage error.
    let same = app.cli(&["keys", "rotate-master"], Some(&app.master_key));
    assert_eq!(same.status.code(), Some(2), "{}", stderr(&same));
    let junk = app.cli(&["keys", "rotate-master"], Some("not a key\n"));
    assert_eq!(junk.status.code(), Some(2), "{}", stderr(&junk));

    let rotated = app.cli(
        &["keys", "rotate-master", "--json"],
        Some(&format!("{}\n", new.to_base64())),
    );
    assert_eq!(rotated.status.code(), Some(0), "{}", stderr(&rotated));
    let report: serde_json::Value = serde_json::from_str(&stdout(&rotated)).unwrap();
    assert_eq!(report["resealed"], before.len());
    assert_eq!(report["new_key_id"], new.key_id());
    assert!(!stdout(&rotated).contains(&new.to_base64()));

    let after = app.state.store.list_sealed_values().await.unwrap();
    assert_eq!(after.len(), before.len());
    for value in &after {
        assert_eq!(
            aead::sealed_key_id(&value.sealed),
            Some(new.key_id().as_str())
        );
        assert!(aead::open(&new, value.site_id, &value.sealed).is_ok());
        assert!(aead::open(&old, value.site_id, &value.sealed).is_err());
    }
    // Run again with the old key configured: nothing opens, nothing changes.
    let again = app.cli(
        &["keys", "rotate-master"],
        Some(&MasterKey::generate().to_base64()),
    );
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(stderr(&again).contains(&new.key_id()), "{}", stderr(&again));

    // A server started with the new key opens every secret.
    let dir = tempfile::tempdir().unwrap();
    let restarted = spawn_app_on(app.database_url.clone(), new.to_base64(), dir).await;
    let token = sign(&key, &secret, restarted.now(), "=alice");
    let me = current_at(&app, &restarted, "X-Deki-Token", &token).await;
    assert_eq!(me["username"], "alice");
    let me = current_at(&app, &restarted, "X-Deki-ApiKey", &api_key).await;
    assert_eq!(me["credential"], "legacy");
    let keys = restarted.state.signing.keys(site).await.unwrap();
    assert_eq!(keys.current.kid, kid, "the same signing key, re-sealed");
}
