//! Confirming an address from the account page, and the notice a password
//! change sends.

use super::support::{NEW_PASSWORD, PASSWORD, app_with_mail, csrf_of, token_of, user_with_email};
use crate::helpers::hidden_input;

#[tokio::test]
async fn a_signed_in_user_confirms_their_address_from_the_account_page() {
    let (app, mailbox) = app_with_mail().await;
    user_with_email(&app, "alice", "alice@example.com").await;
    let (browser, _) = app.signed_in_client("alice", PASSWORD).await;
    let page = browser.get(app.url("/account")).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("id=\"email-unverified\""));
    let csrf = hidden_input(&page, "csrf_token").unwrap();

    let sent = browser
        .post(app.url("/account/email/verify"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 303);
    let link = mailbox
        .wait_for("alice@example.com", 1)
        .await
        .link("/verify-email");
    let (_, _, form_csrf) = csrf_of(&browser, &link).await;
    let confirmed = browser
        .post(app.url("/verify-email"))
        .form(&[
            ("csrf_token", form_csrf.unwrap().as_str()),
            ("token", token_of(&link).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), 303);
    let page = browser.get(app.url("/account")).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(page.contains("id=\"email-verified\""));
    assert!(!page.contains("id=\"send-verification\""));
}

#[tokio::test]
async fn changing_the_password_on_the_account_page_sends_a_notice() {
    let (app, mailbox) = app_with_mail().await;
    user_with_email(&app, "alice", "alice@example.com").await;
    let (browser, _) = app.signed_in_client("alice", PASSWORD).await;
    let csrf = app.account_csrf(&browser).await;
    let changed = browser
        .post(app.url("/account/password"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("current_password", PASSWORD),
            ("new_password", NEW_PASSWORD),
            ("confirm_password", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 303);
    let notice = mailbox.wait_for("alice@example.com", 1).await;
    assert_eq!(
        notice.subject(),
        format!("Your password on {} was changed", site_name(&app))
    );
    assert!(notice.html().contains("reset your password"));
}

fn site_name(app: &crate::helpers::TestApp) -> String {
    app.state
        .sites
        .by_id(app.default_site_id())
        .unwrap()
        .name
        .clone()
}
