//! The account settings of a site through the admin API and the CLI, and
//! invitations sent through both.

use reqwest::Method;
use serde_json::json;

use super::support::app_with_mail;
use crate::admin_api::{admin_token, call};
use crate::helpers::spawn_app;

#[tokio::test]
async fn the_admin_api_sets_the_sign_up_policy_and_sender_and_sends_invitations() {
    let (app, mailbox) = app_with_mail().await;
    let token = admin_token(&app).await;
    let (status, site) = call(&app, &token, Method::GET, "/api/admin/site", None).await;
    assert_eq!(status, 200);
    assert_eq!(site["signup_policy"], "closed");
    assert_eq!(site["email_enabled"], true);

    let change = json!({"signup_policy": "invite", "email_from": "Docs <docs@example.org>"});
    let (status, site) = call(&app, &token, Method::PATCH, "/api/admin/site", Some(change)).await;
    assert_eq!(status, 200, "{site}");
    assert_eq!(site["signup_policy"], "invite");
    assert_eq!(site["email_from"], "Docs <docs@example.org>");
    let bad = json!({"signup_policy": "sometimes"});
    let (status, _) = call(&app, &token, Method::PATCH, "/api/admin/site", Some(bad)).await;
    assert_eq!(status, 400);
    let bad = json!({"email_from": "not an address"});
    let (status, _) = call(&app, &token, Method::PATCH, "/api/admin/site", Some(bad)).await;
    assert_eq!(status, 400);

    let invite = json!({"email": "grace@example.com", "role": "pro"});
    let (status, sent) = call(
        &app,
        &token,
        Method::POST,
        "/api/admin/invites",
        Some(invite),
    )
    .await;
    assert_eq!(status, 201, "{sent}");
    assert_eq!(sent["role"], "pro");
    let mail = mailbox.wait_for("grace@example.com", 1).await;
    // The site's own sender, in the header and the envelope.
    assert_eq!(mail.header_from(), "docs@example.org");
    assert_eq!(mail.from, "docs@example.org");
    assert!(mail.text().contains("(role: pro)"));

    super::support::user_with_email(&app, "keeper", "keeper@example.com").await;
    let taken = json!({"email": "KEEPER@example.com"});
    let (status, _) = call(
        &app,
        &token,
        Method::POST,
        "/api/admin/invites",
        Some(taken),
    )
    .await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn invitations_need_email() {
    let app = spawn_app().await;
    let token = admin_token(&app).await;
    let invite = json!({"email": "grace@example.com"});
    let (status, body) = call(
        &app,
        &token,
        Method::POST,
        "/api/admin/invites",
        Some(invite),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body["message"].as_str().unwrap().contains("email is off"));
}

#[tokio::test]
async fn the_cli_sets_the_policy_and_sender_and_queues_invitations() {
    let (app, mailbox) = app_with_mail().await;
    let out = app.cli(&["site", "set-signup", "--site", "default", "open"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = app.cli(
        &[
            "site",
            "set-email-from",
            "--site",
            "default",
            "Wiki <wiki@example.net>",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = app.cli(&["site", "show", "--site", "default"], None);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("sign-up: open"), "{shown}");
    assert!(
        shown.contains("email from: Wiki <wiki@example.net>"),
        "{shown}"
    );

    let out = app.cli(
        &[
            "user",
            "invite",
            "--site",
            "default",
            "--email",
            "lin@example.com",
            "--role",
            "pro",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Queued by the command (at the real time), sent by the running
    // server's worker (on the test's clock, which stands still until moved).
    app.clock.advance(120);
    let mail = mailbox.wait_for("lin@example.com", 1).await;
    assert!(mail.link("/signup?invite=").starts_with(&app.address));
}
