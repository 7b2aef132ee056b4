//! Audit events: what is recorded, how it is queried (CLI, page), kept and
//! delivered to a webhook.

mod webhook;

use serde_json::Value;
use tessera::audit::query::{AuditFilter, AuditPage, query_events};
use tessera::store::NewAuditEvent;
use tessera::users::Role;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::oauth::support::{
    PASSWORD, Registration, register, signed_in_browser, token, tokens_for,
};

/// The default site's events matching `kind`, newest first.
pub async fn events_of(app: &TestApp, kind: &str) -> AuditPage {
    let filter = AuditFilter {
        kind: Some(kind.to_string()),
        ..AuditFilter::default()
    };
    let query = filter
        .resolve(&app.state.store, app.default_site_id(), app.now())
        .await
        .unwrap();
    query_events(&app.state.store, &query).await.unwrap()
}

fn cli_json(app: &TestApp, args: &[&str]) -> Value {
    let output = app.cli(args, None);
    assert!(
        output.status.success(),
        "tessera {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn sign_ins_are_audited_with_outcome_and_address_and_the_cli_filters_them() {
    let app = spawn_app().await;
    let bob = app.create_user("bob", PASSWORD, Role::Community).await;
    assert_eq!(app.post_login("bob", "wrong password").await.status(), 401);
    assert_eq!(app.post_login("nobody", "whatever").await.status(), 401);
    assert_eq!(app.post_login("bob", PASSWORD).await.status(), 303);

    let failed = events_of(&app, "signin.failed").await.events;
    assert_eq!(failed.len(), 2);
    // Newest first; the unknown name is not stored anywhere.
    assert_eq!(failed[0].details["reason"], "unknown_user");
    assert_eq!(failed[0].subject_user_id, None);
    assert_eq!(failed[1].details["reason"], "wrong_password");
    assert_eq!(failed[1].subject_user_id, Some(bob));
    assert_eq!(failed[1].ip.as_deref(), Some("127.0.0.1"));
    let ok = events_of(&app, "signin.succeeded").await.events;
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].actor_username.as_deref(), Some("bob"));
    assert_eq!(ok[0].details["method"], "password");

    let page = cli_json(
        &app,
        &["audit", "--site", "default", "--user", "bob", "--json"],
    );
    let kinds: Vec<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["signin.succeeded", "signin.failed"]);
    let page = cli_json(
        &app,
        &[
            "audit",
            "--site",
            "default",
            "--kind",
            "signin.failed",
            "--since",
            "1h",
            "--limit",
            "1",
            "--json",
        ],
    );
    assert_eq!(page["events"].as_array().unwrap().len(), 1);
    let before = page["next_before_id"].as_i64().expect("a next page");
    let older = cli_json(
        &app,
        &[
            "audit",
            "--site",
            "default",
            "--kind",
            "signin.failed",
            "--before",
            &before.to_string(),
            "--json",
        ],
    );
    assert_eq!(older["events"][0]["details"]["reason"], "wrong_password");
}

#[tokio::test]
async fn the_audit_command_refuses_unknown_kinds_and_times() {
    let app = spawn_app().await;
    let output = app.cli(&["audit", "--site", "default", "--kind", "signin"], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown event kind"));
    let output = app.cli(
        &["audit", "--site", "default", "--since", "last week"],
        None,
    );
    assert_eq!(output.status.code(), Some(2));
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_its_family_and_says_so() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let first = tokens_for(&app, &browser, &client, Some("profile")).await;
    let refresh = first["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    assert_eq!(token(&app, &client, &form).await.status(), 200);
    assert_eq!(token(&app, &client, &form).await.status(), 400);

    let consent = events_of(&app, "consent.granted").await.events;
    assert_eq!(consent.len(), 1);
    assert_eq!(
        consent[0].subject_client_id.as_deref(),
        Some(client.client_id.as_str())
    );
    assert_eq!(consent[0].details["scopes"], "profile");
    let revoked = events_of(&app, "token.family_revoked").await.events;
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0].actor, "system");
    assert_eq!(revoked[0].details["reuse"], "refresh_token");
    assert_eq!(revoked[0].subject_username.as_deref(), Some("alice"));
}

#[tokio::test]
async fn client_changes_from_the_cli_are_audited_as_the_cli() {
    let app = spawn_app().await;
    let created = cli_json(
        &app,
        &[
            "client",
            "create",
            "--site",
            "default",
            "--name",
            "Printer",
            "--redirect-uri",
            "https://app.example.com/cb",
            "--json",
        ],
    );
    let client_id = created["client_id"].as_str().unwrap();
    cli_json(
        &app,
        &[
            "client",
            "rotate-secret",
            "--site",
            "default",
            client_id,
            "--json",
        ],
    );
    cli_json(
        &app,
        &["client", "delete", "--site", "default", client_id, "--json"],
    );
    let page = cli_json(
        &app,
        &[
            "audit", "--site", "default", "--client", client_id, "--json",
        ],
    );
    let events = page["events"].as_array().unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["client.deleted", "client.secret_rotated", "client.created"]
    );
    assert!(events.iter().all(|e| e["actor"] == "cli"));
    // No secret in any detail.
    let secret = created["client_secret"].as_str().unwrap();
    assert!(!page.to_string().contains(secret));
}

#[tokio::test]
async fn the_janitor_deletes_events_past_the_retention_period() {
    // The app's own janitor (90 days by default) sweeps at start: with a
    // longer retention it leaves these events to the sweep below.
    let app = spawn_app_with(&[("TESSERA_AUDIT_RETENTION_DAYS", "3650")]).await;
    let site_id = app.default_site_id();
    let now = app.now();
    let event = |age_days: i64| NewAuditEvent {
        site_id,
        occurred_at: now - age_days * 86_400,
        kind: "signin.failed".into(),
        actor_user_id: None,
        actor_client_id: None,
        actor_label: None,
        subject_user_id: None,
        subject_client_id: None,
        ip: None,
        details: "{}".into(),
    };
    app.state
        .store
        .append_audit_events(&[event(100), event(89), event(0)])
        .await
        .unwrap();
    let purged = tessera::janitor::purge_audit_events(&app.state.store, now, 90)
        .await
        .unwrap();
    assert_eq!(purged, 1);
    assert_eq!(events_of(&app, "signin.failed").await.events.len(), 2);
}

#[tokio::test]
async fn the_admin_page_shows_events_to_admins_only() {
    let app = spawn_app().await;
    app.create_user("carol", PASSWORD, Role::Pro).await;
    assert_eq!(app.post_login("carol", "wrong").await.status(), 401);
    let (admin, _) = app
        .signed_in_client(&app.admin_username, &app.admin_password)
        .await;
    let page = admin
        .get(app.url("/admin/audit?kind=signin.failed"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("signin.failed"), "{html}");
    assert!(html.contains("carol"));
    assert!(!html.contains("signin.succeeded"));
    let bad = admin
        .get(app.url("/admin/audit?since=whenever"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    let (carol, _) = app.signed_in_client("carol", PASSWORD).await;
    let denied = carol.get(app.url("/admin/audit")).send().await.unwrap();
    assert_eq!(denied.status(), 403);
}
