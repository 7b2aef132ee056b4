//! `tessera idp add | list | remove`.

use serde_json::Value;

use super::support::{AUDIENCE, Key, exchange, jwks};
use crate::helpers::spawn_app;

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[tokio::test]
async fn idp_add_list_and_remove_manage_a_sites_providers() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let key = Key::ec("inline-1");
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, jwks(&[&key])).unwrap();
    let issuer = "https://login.example.com/tenant-1";

    let added = app.cli(
        &[
            "idp",
            "add",
            "--site",
            "default",
            "--issuer",
            issuer,
            "--audience",
            AUDIENCE,
            "--jwks-file",
            file.to_str().unwrap(),
            "--algorithms",
            "ES256,EdDSA",
            "--json",
        ],
        None,
    );
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    let provider: Value = serde_json::from_str(&stdout(&added)).unwrap();
    assert_eq!(provider["issuer"], issuer);
    assert_eq!(provider["audience"], AUDIENCE);
    assert_eq!(provider["inline_keys"], 1);
    assert_eq!(
        provider["algorithms"],
        serde_json::json!(["ES256", "EdDSA"])
    );
    assert!(
        !stdout(&added).contains(key.jwk["x"].as_str().unwrap()),
        "keys are not echoed"
    );

    // The inline keys work at once in the running server.
    let now = tessera::clock::Clock::now(&app.clock);
    let claims = serde_json::json!({
        "iss": issuer, "aud": AUDIENCE, "sub": "grace",
        "given_name": "Grace", "family_name": "Hopper", "exp": now + 300,
    });
    assert_eq!(
        exchange(&app, &key.sign(&claims)).await.status().as_u16(),
        200
    );

    let again = app.cli(
        &[
            "idp",
            "add",
            "--site",
            "default",
            "--issuer",
            issuer,
            "--audience",
            "x",
            "--jwks-uri",
            "https://login.example.com/keys",
        ],
        None,
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already trusts"),
        "{}",
        stderr(&again)
    );

    let listed = app.cli(&["idp", "list", "--site", "default", "--json"], None);
    assert_eq!(listed.status.code(), Some(0), "{}", stderr(&listed));
    let providers: Vec<Value> = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(providers.len(), 1);
    assert_eq!(providers[0]["issuer"], issuer);
    let table = app.cli(&["idp", "list", "--site", "default"], None);
    assert!(
        stdout(&table).contains("inline (1 keys)"),
        "{}",
        stdout(&table)
    );

    let removed = app.cli(&["idp", "remove", "--site", "default", issuer], None);
    assert_eq!(removed.status.code(), Some(0), "{}", stderr(&removed));
    let listed = app.cli(&["idp", "list", "--site", "default", "--json"], None);
    assert_eq!(stdout(&listed).trim(), "[]");
    let removed_again = app.cli(&["idp", "remove", "--site", "default", issuer], None);
    assert_eq!(removed_again.status.code(), Some(1));
}

#[tokio::test]
async fn idp_add_refuses_none_and_hmac_algorithms_with_exit_2() {
    let app = spawn_app().await;
    for algorithms in ["none", "HS256", "RS256,HS512", "hs384", "RS999"] {
        let output = app.cli(
            &[
                "idp",
                "add",
                "--site",
                "default",
                "--issuer",
                "https://idp.example.com",
                "--audience",
                AUDIENCE,
                "--jwks-uri",
                "https://idp.example.com/jwks",
                "--algorithms",
                algorithms,
            ],
            None,
        );
        assert_eq!(
            output.status.code(),
            Some(2),
            "{algorithms}: {}",
            stderr(&output)
        );
    }
    let listed = app.cli(&["idp", "list", "--site", "default", "--json"], None);
    assert_eq!(stdout(&listed).trim(), "[]", "nothing was registered");
}

#[tokio::test]
async fn idp_add_refuses_unsafe_key_sources_with_exit_2() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.json");
    std::fs::write(&empty, r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#).unwrap();
    let base = [
        "idp",
        "add",
        "--site",
        "default",
        "--issuer",
        "https://idp.example.com",
        "--audience",
        AUDIENCE,
    ];
    let cases: [&[&str]; 4] = [
        // Keys fetched in the clear from a remote host could be swapped.
        &["--jwks-uri", "http://idp.example.com/jwks"],
        // A JWKS with no usable public signing key.
        &["--jwks-file", empty.to_str().unwrap()],
        // Both sources, or neither.
        &[
            "--jwks-uri",
            "https://idp.example.com/jwks",
            "--jwks-file",
            empty.to_str().unwrap(),
        ],
        &[],
    ];
    for extra in cases {
        let args: Vec<&str> = base.iter().chain(extra.iter()).copied().collect();
        let output = app.cli(&args, None);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{extra:?}: {}",
            stderr(&output)
        );
    }
}
