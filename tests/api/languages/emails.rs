//! Emails in their recipient's language: the language they chose, else the
//! site's default (never the language of whoever asked for the mail).

use reqwest::Method;
use serde_json::json;
use tessera::i18n::Locale;

use super::pages::set_default_locale;
use crate::accounts::support::{app_with_mail, ask_for_reset, user_with_email};
use crate::admin_api::{admin_token, call};

#[tokio::test]
async fn a_reset_mail_is_in_the_language_its_recipient_chose() {
    let (app, mailbox) = app_with_mail().await;
    let site = app.default_site_id();
    let berta = user_with_email(&app, "berta", "berta@example.com").await;
    user_with_email(&app, "ed", "ed@example.com").await;
    app.state
        .users
        .set_locale(site, berta, Some(Locale::De))
        .await
        .expect("save her language");

    ask_for_reset(&app, "berta@example.com").await;
    let mail = mailbox.wait_for("berta@example.com", 1).await;
    assert!(
        mail.subject().starts_with("Passwort zurücksetzen bei"),
        "{}",
        mail.subject()
    );
    let text = mail.text();
    assert!(text.starts_with("Hallo,"), "{text}");
    assert!(text.contains("jemand (hoffentlich Sie)"), "{text}");
    assert!(text.contains("innerhalb von 30 Minuten"), "{text}");
    let html = mail.html();
    assert!(html.contains(r#"<html lang="de">"#), "{html}");
    assert!(html.contains("Neues Passwort wählen"), "{html}");
    assert!(mail.link("/password-reset").starts_with(&app.address));

    // Ed chose nothing: the site's default, English.
    ask_for_reset(&app, "ed@example.com").await;
    let mail = mailbox.wait_for("ed@example.com", 1).await;
    assert!(
        mail.subject().starts_with("Reset your password on"),
        "{}",
        mail.subject()
    );
    assert!(mail.text().contains("someone (we hope you)"));
}

#[tokio::test]
async fn mails_to_people_without_a_choice_follow_the_site_default() {
    let (app, mailbox) = app_with_mail().await;
    set_default_locale(&app, "de").await;
    user_with_email(&app, "ed", "ed@example.com").await;
    ask_for_reset(&app, "ed@example.com").await;
    let mail = mailbox.wait_for("ed@example.com", 1).await;
    assert!(
        mail.subject().starts_with("Passwort zurücksetzen bei"),
        "{}",
        mail.subject()
    );

    let token = admin_token(&app).await;
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
    let mail = mailbox.wait_for("grace@example.com", 1).await;
    assert!(
        mail.subject().starts_with("Sie sind zu"),
        "{}",
        mail.subject()
    );
    assert!(mail.text().contains("(Rolle: pro)"), "{}", mail.text());
    assert!(
        mail.text().contains("innerhalb von 7 Tagen"),
        "{}",
        mail.text()
    );
}
