//! One table of admin operations, each run through the `tessera` CLI on one
//! object and through the admin API on a twin: both must end in the same
//! state, read back through the admin API, and both are audited (as `cli`
//! and as the acting admin).

use reqwest::Method;
use serde_json::{Value, json};

use super::{admin_token, call};
use crate::helpers::{TestApp, spawn_app};
use crate::oauth::support::PASSWORD;

/// One operation: the CLI arguments and the HTTP request that should do the
/// same to the object named `{name}`, and where to read the outcome.
struct Operation {
    what: &'static str,
    cli: &'static [&'static str],
    method: Method,
    path: &'static str,
    body: Option<&'static str>,
    /// GET path whose JSON shows the outcome, and the fields compared.
    check: &'static str,
    fields: &'static [&'static str],
}

fn fill(template: &str, name: &str) -> String {
    template.replace("{name}", name)
}

fn pick(value: &Value, fields: &[&str]) -> Vec<Value> {
    fields.iter().map(|f| value[*f].clone()).collect()
}

async fn run_both(app: &TestApp, token: &str, op: &Operation, cli_name: &str, api_name: &str) {
    let args: Vec<String> = op.cli.iter().map(|a| fill(a, cli_name)).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = app.cli(&args, Some(PASSWORD));
    assert!(
        output.status.success(),
        "{}: tessera {args:?}: {}",
        op.what,
        String::from_utf8_lossy(&output.stderr)
    );
    let body = op
        .body
        .map(|b| serde_json::from_str::<Value>(&fill(b, api_name)).unwrap());
    let (status, answer) = call(
        app,
        token,
        op.method.clone(),
        &fill(op.path, api_name),
        body,
    )
    .await;
    assert!(
        (200..300).contains(&status),
        "{}: {status} {answer}",
        op.what
    );
    // The CLI writes to the store; the server learns of it from the change
    // feed, which a loaded machine reads late: compare until a deadline.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, by_cli) = call(app, token, Method::GET, &fill(op.check, cli_name), None).await;
        let (_, by_api) = call(app, token, Method::GET, &fill(op.check, api_name), None).await;
        let (by_cli, by_api) = (pick(&by_cli, op.fields), pick(&by_api, op.fields));
        if by_cli == by_api {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{}: CLI and API disagree: {by_cli:?} against {by_api:?}",
            op.what
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

const USER_OPS: &[Operation] = &[
    Operation {
        what: "create a pro user",
        cli: &[
            "user",
            "create",
            "--site",
            "default",
            "{name}",
            "--role",
            "pro",
            "--password-stdin",
        ],
        method: Method::POST,
        path: "/api/admin/users",
        body: Some(r#"{"username": "{name}", "role": "pro", "password": "correct horse battery"}"#),
        check: "/api/admin/users/{name}",
        fields: &["role", "disabled"],
    },
    Operation {
        what: "make them an admin",
        cli: &["user", "set-role", "--site", "default", "{name}", "admin"],
        method: Method::PATCH,
        path: "/api/admin/users/{name}",
        body: Some(r#"{"role": "admin"}"#),
        check: "/api/admin/users/{name}",
        fields: &["role", "disabled"],
    },
    Operation {
        what: "disable them",
        cli: &["user", "disable", "--site", "default", "{name}"],
        method: Method::PATCH,
        path: "/api/admin/users/{name}",
        body: Some(r#"{"disabled": true}"#),
        check: "/api/admin/users/{name}",
        fields: &["role", "disabled"],
    },
];

#[tokio::test]
async fn user_operations_end_the_same_through_the_cli_and_the_api() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    for op in USER_OPS {
        run_both(&app, &token, op, "cli-user", "api-user").await;
    }
    let (_, cli_user) = call(&app, &token, Method::GET, "/api/admin/users/cli-user", None).await;
    assert_eq!(
        (cli_user["role"].as_str(), cli_user["disabled"].as_bool()),
        (Some("admin"), Some(true))
    );
    // Both ways are audited, each with who acted.
    let (_, page) = call(
        &app,
        &token,
        Method::GET,
        "/api/admin/audit?kind=user.changed",
        None,
    )
    .await;
    let actors: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(actors.iter().filter(|a| **a == "cli").count(), 2);
    assert_eq!(actors.iter().filter(|a| **a == "user").count(), 2);
}

#[tokio::test]
async fn client_operations_end_the_same_through_the_cli_and_the_api() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let create = |name: &str| {
        json!({"name": name, "redirect_uris": ["https://app.example.com/cb"],
               "scopes": "content:read", "grant_types": ["client_credentials"]})
    };
    let output = app.cli(
        &[
            "client",
            "create",
            "--site",
            "default",
            "--name",
            "twin",
            "--redirect-uri",
            "https://app.example.com/cb",
            "--scopes",
            "content:read",
            "--grant-types",
            "client_credentials",
            "--json",
        ],
        None,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let by_cli: Value = serde_json::from_slice(&output.stdout).unwrap();
    let (status, by_api) = call(
        &app,
        &token,
        Method::POST,
        "/api/admin/clients",
        Some(create("twin")),
    )
    .await;
    assert_eq!(status, 201);
    let fields = [
        "name",
        "type",
        "scopes",
        "grant_types",
        "redirect_uris",
        "granted_permissions",
    ];
    assert_eq!(pick(&by_cli, &fields), pick(&by_api, &fields));
    assert!(by_cli["client_secret"].is_string() && by_api["client_secret"].is_string());

    let cli_id = by_cli["client_id"].as_str().unwrap().to_string();
    let api_id = by_api["client_id"].as_str().unwrap().to_string();
    let ops = [
        Operation {
            what: "grant permissions",
            cli: &[
                "client",
                "grant-permissions",
                "--site",
                "default",
                "{name}",
                "--permissions",
                "content:read",
            ],
            method: Method::PATCH,
            path: "/api/admin/clients/{name}",
            body: Some(r#"{"permissions": "content:read"}"#),
            check: "/api/admin/clients/{name}",
            fields: &[
                "granted_permissions",
                "introspect",
                "dpop_bound_access_tokens",
            ],
        },
        Operation {
            what: "allow introspection",
            cli: &[
                "client",
                "set-introspect",
                "--site",
                "default",
                "{name}",
                "true",
            ],
            method: Method::PATCH,
            path: "/api/admin/clients/{name}",
            body: Some(r#"{"introspect": true}"#),
            check: "/api/admin/clients/{name}",
            fields: &[
                "granted_permissions",
                "introspect",
                "dpop_bound_access_tokens",
            ],
        },
        Operation {
            what: "require DPoP",
            cli: &[
                "client",
                "set-dpop-required",
                "--site",
                "default",
                "{name}",
                "true",
            ],
            method: Method::PATCH,
            path: "/api/admin/clients/{name}",
            body: Some(r#"{"dpop_required": true}"#),
            check: "/api/admin/clients/{name}",
            fields: &[
                "granted_permissions",
                "introspect",
                "dpop_bound_access_tokens",
            ],
        },
        Operation {
            what: "require signed request objects",
            cli: &[
                "client",
                "set-signed-request-required",
                "--site",
                "default",
                "{name}",
                "true",
            ],
            method: Method::PATCH,
            path: "/api/admin/clients/{name}",
            body: Some(r#"{"require_signed_request_object": true}"#),
            check: "/api/admin/clients/{name}",
            fields: &["require_signed_request_object", "dpop_bound_access_tokens"],
        },
    ];
    for op in &ops {
        run_both(&app, &token, op, &cli_id, &api_id).await;
    }
    let (_, shown) = call(
        &app,
        &token,
        Method::GET,
        &format!("/api/admin/clients/{api_id}"),
        None,
    )
    .await;
    assert_eq!(shown["introspect"], true);

    // Rotating and deleting: the same events either way.
    let output = app.cli(
        &["client", "rotate-secret", "--site", "default", &cli_id],
        None,
    );
    assert!(output.status.success());
    let (status, rotated) = call(
        &app,
        &token,
        Method::POST,
        &format!("/api/admin/clients/{api_id}/secret"),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert!(rotated["client_secret"].is_string());
    assert!(
        app.cli(&["client", "delete", "--site", "default", &cli_id], None)
            .status
            .success()
    );
    assert_eq!(
        call(
            &app,
            &token,
            Method::DELETE,
            &format!("/api/admin/clients/{api_id}"),
            None
        )
        .await
        .0,
        204
    );
    for id in [&cli_id, &api_id] {
        assert_eq!(
            call(
                &app,
                &token,
                Method::GET,
                &format!("/api/admin/clients/{id}"),
                None
            )
            .await
            .0,
            404
        );
        let (_, page) = call(
            &app,
            &token,
            Method::GET,
            &format!("/api/admin/audit?client={id}"),
            None,
        )
        .await;
        let kinds: Vec<&str> = page["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        assert_eq!(kinds.first(), Some(&"client.deleted"));
        assert!(kinds.contains(&"client.secret_rotated") && kinds.contains(&"client.created"));
    }
}

#[tokio::test]
async fn site_key_and_legacy_operations_end_the_same_through_the_cli_and_the_api() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;

    // Registration policy: CLI, then API back, each visible through the API.
    assert!(
        app.cli(
            &["site", "set-registration", "--site", "default", "open"],
            None
        )
        .status
        .success()
    );
    let (_, site) = call(&app, &token, Method::GET, "/api/admin/site", None).await;
    assert_eq!(site["registration_policy"], "open");
    let (status, site) = call(
        &app,
        &token,
        Method::PATCH,
        "/api/admin/site",
        Some(json!({"registration_policy": "token"})),
    )
    .await;
    assert_eq!(
        (status, site["registration_policy"].as_str()),
        (200, Some("token"))
    );
    let output = app.cli(&["site", "show", "--site", "default", "--json"], None);
    let shown: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(shown["registration_policy"], "token");

    // Signing keys: each rotation promotes the next key, either way.
    let (_, before) = call(&app, &token, Method::GET, "/api/admin/keys", None).await;
    let current = |keys: &Value| {
        keys.as_array()
            .unwrap()
            .iter()
            .find(|k| k["state"] == "current")
            .unwrap()["kid"]
            .clone()
    };
    let next = |keys: &Value| {
        keys.as_array()
            .unwrap()
            .iter()
            .find(|k| k["state"] == "next")
            .unwrap()["kid"]
            .clone()
    };
    assert!(
        app.cli(&["keys", "rotate", "--site", "default"], None)
            .status
            .success()
    );
    let (_, middle) = call(&app, &token, Method::GET, "/api/admin/keys", None).await;
    assert_eq!(current(&middle), next(&before));
    let (status, rotated) = call(&app, &token, Method::POST, "/api/admin/keys/rotate", None).await;
    assert_eq!(status, 200);
    assert_eq!(rotated["retired"], current(&middle));
    assert_eq!(rotated["current"], next(&middle));

    // Legacy keys: enabled by the CLI, disabled and enabled by the API.
    assert!(
        app.cli(&["legacy", "enable", "--site", "default"], None)
            .status
            .success()
    );
    let (_, legacy) = call(&app, &token, Method::GET, "/api/admin/legacy", None).await;
    assert_eq!(legacy["state"], "enabled");
    let (_, legacy) = call(
        &app,
        &token,
        Method::PUT,
        "/api/admin/legacy",
        Some(json!({"enabled": false})),
    )
    .await;
    assert_eq!(legacy["state"], "disabled");
    let output = app.cli(&["legacy", "report", "--site", "default", "--json"], None);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["state"], "disabled");
    let (_, rotated) = call(&app, &token, Method::POST, "/api/admin/legacy/rotate", None).await;
    assert!(rotated["api_key"].is_string());

    let (_, page) = call(
        &app,
        &token,
        Method::GET,
        "/api/admin/audit?kind=key.rotated",
        None,
    )
    .await;
    let actors: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["actor"].as_str().unwrap())
        .collect();
    assert_eq!(actors, ["user", "cli"]);
}

#[tokio::test]
async fn sessions_and_grants_are_listed_and_revoked_through_the_cli_and_the_api() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    app.create_user("sam", PASSWORD, tessera::users::Role::Community)
        .await;
    let (first, _) = app.signed_in_client("sam", PASSWORD).await;
    let (second, _) = app.signed_in_client("sam", PASSWORD).await;
    let (_, sessions) = call(
        &app,
        &token,
        Method::GET,
        "/api/admin/users/sam/sessions",
        None,
    )
    .await;
    let ids: Vec<i64> = sessions
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    let output = app.cli(
        &[
            "user",
            "revoke-session",
            "--site",
            "default",
            "sam",
            &ids[0].to_string(),
        ],
        None,
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let (status, _) = call(
        &app,
        &token,
        Method::DELETE,
        &format!("/api/admin/users/sam/sessions/{}", ids[1]),
        None,
    )
    .await;
    assert_eq!(status, 204);
    for browser in [&first, &second] {
        let me = app.current_user_with(browser).await;
        assert_ne!(me["username"], "sam");
    }
    let output = app.cli(
        &["user", "sessions", "--site", "default", "sam", "--json"],
        None,
    );
    let listed: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(listed, json!([]));
    let (status, _) = call(
        &app,
        &token,
        Method::DELETE,
        "/api/admin/users/sam/grants/cl_none",
        None,
    )
    .await;
    assert_eq!(status, 404);
}
