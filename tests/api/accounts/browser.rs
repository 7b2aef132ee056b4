//! The account flows in a real browser (headless Chromium): password reset
//! from the mail the in-test SMTP server received, its link used twice,
//! and sign-up with email verification.

use tessera::accounts::SignupPolicy;

use super::support::{NEW_PASSWORD, PASSWORD, app_with_mail, set_signup, user_with_email};
use crate::browser::start_browser;

#[tokio::test]
async fn a_person_resets_a_forgotten_password_with_the_mailed_link_once() {
    let (app, mailbox) = app_with_mail().await;
    user_with_email(&app, "alice", "alice@example.com").await;
    let Some(browser) = start_browser().await else {
        return;
    };

    browser
        .client
        .goto(&format!("{}/login", app.address))
        .await
        .unwrap();
    browser.click("#forgot-password").await;
    browser.wait_for_path("/login/forgot").await;
    browser.fill("#email", "alice@example.com").await;
    browser
        .click("form[action='/login/forgot'] button[type=submit]")
        .await;
    assert!(
        browser
            .text_of("#account-message-text")
            .await
            .contains("we sent it a link")
    );

    let link = mailbox
        .wait_for("alice@example.com", 1)
        .await
        .link("/password-reset");
    browser.client.goto(&link).await.unwrap();
    browser.fill("#new_password", NEW_PASSWORD).await;
    browser.fill("#confirm_password", NEW_PASSWORD).await;
    browser
        .click("form[action='/password-reset'] button[type=submit]")
        .await;
    browser.wait_for_path("/login").await;
    assert!(
        browser
            .text_of(".notice")
            .await
            .contains("password was changed")
    );

    browser.sign_in(&app.address, "alice", NEW_PASSWORD).await;
    browser.wait_for_path("/account").await;
    assert_eq!(browser.text_of("#account-username").await, "alice");

    // The same link a second time.
    browser.client.goto(&link).await.unwrap();
    assert_eq!(browser.text_of("h1").await, "This link no longer works");
    assert!(
        browser
            .text_of("#account-message-text")
            .await
            .contains("expired or was already used")
    );
    browser.client.clone().close().await.unwrap();
}

#[tokio::test]
async fn a_person_signs_up_confirms_their_address_and_signs_in() {
    let (app, mailbox) = app_with_mail().await;
    set_signup(&app, SignupPolicy::Open).await;
    let Some(browser) = start_browser().await else {
        return;
    };

    browser
        .client
        .goto(&format!("{}/login", app.address))
        .await
        .unwrap();
    browser.click("#sign-up").await;
    browser.wait_for_path("/signup").await;
    browser.fill("#username", "ada").await;
    browser.fill("#display_name", "Ada Lovelace").await;
    browser.fill("#email", "ada@example.com").await;
    browser.fill("#new_password", "short").await;
    browser.fill("#confirm_password", "short").await;
    browser
        .click("form[action='/signup'] button[type=submit]")
        .await;
    assert_eq!(
        browser.text_of("#password-error").await,
        "Use at least 10 characters."
    );
    browser.fill("#new_password", PASSWORD).await;
    browser.fill("#confirm_password", PASSWORD).await;
    browser
        .click("form[action='/signup'] button[type=submit]")
        .await;
    assert_eq!(browser.text_of("h1").await, "Check your email");

    browser.sign_in(&app.address, "ada", PASSWORD).await;
    assert!(
        browser
            .text_of(".form-error")
            .await
            .contains("Confirm your email address first")
    );

    let link = mailbox
        .wait_for("ada@example.com", 1)
        .await
        .link("/verify-email");
    browser.client.goto(&link).await.unwrap();
    browser
        .click("form[action='/verify-email'] button[type=submit]")
        .await;
    browser.wait_for_path("/login").await;
    assert!(browser.text_of(".notice").await.contains("confirmed"));

    browser.sign_in(&app.address, "ada", PASSWORD).await;
    browser.wait_for_path("/account").await;
    assert_eq!(browser.text_of("#account-username").await, "ada");
    browser.client.clone().close().await.unwrap();
}
