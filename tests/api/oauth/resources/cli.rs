//! `tessera resource add|list|remove`, and the running server using what
//! the command registered.

use serde_json::Value;

use super::{MCP, client};
use crate::helpers::spawn_app;
use crate::oauth::support::{error_of, introspect, token};

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn resource_add_list_and_remove_manage_a_sites_resources() {
    let app = spawn_app().await;
    let added = app.cli(
        &[
            "resource", "add", "--site", "default", MCP, "--scopes", "profile", "--json",
        ],
        None,
    );
    assert_eq!(added.status.code(), Some(0), "{}", stderr(&added));
    let resource: Value = serde_json::from_str(&stdout(&added)).unwrap();
    assert_eq!(resource["uri"], MCP);
    assert_eq!(resource["token_format"], "opaque");

    let client = client(&app).await;
    let issued = token(
        &app,
        &client,
        &[("grant_type", "client_credentials"), ("resource", MCP)],
    )
    .await;
    assert_eq!(issued.status(), 200);
    let issued: Value = issued.json().await.unwrap();
    let facts = introspect(&app, &client, issued["access_token"].as_str().unwrap()).await;
    assert_eq!(facts["aud"], MCP);

    let listed = app.cli(&["resource", "list", "--site", "default", "--json"], None);
    let listed: Value = serde_json::from_str(&stdout(&listed)).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);

    let fragment = app.cli(
        &[
            "resource",
            "add",
            "--site",
            "default",
            "https://a.example/#x",
            "--scopes",
            "profile",
        ],
        None,
    );
    assert_eq!(fragment.status.code(), Some(2), "a usage error");

    let removed = app.cli(&["resource", "remove", "--site", "default", MCP], None);
    assert_eq!(removed.status.code(), Some(0), "{}", stderr(&removed));
    let refused = token(
        &app,
        &client,
        &[("grant_type", "client_credentials"), ("resource", MCP)],
    )
    .await;
    assert_eq!(error_of(refused).await, (400, "invalid_target".into()));
}
