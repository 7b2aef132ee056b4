//! TOTP the way a person uses it, in headless Chromium: set it up from the
//! account page with a code computed here, sign in with a code, and use a
//! recovery code (a second use is refused).

use tessera::users::Role;

use super::{Authenticator, PASSWORD};
use crate::browser::{Browser, start_browser};
use crate::helpers::{TestApp, spawn_app};

async fn sign_out(browser: &Browser) {
    browser.click("header form[action='/logout'] button").await;
    browser.wait_for_path("/login").await;
}

async fn second_step(app: &TestApp, browser: &Browser, code: &str) {
    browser.sign_in(&app.address, "alice", PASSWORD).await;
    browser.wait_for_path("/login/second-factor").await;
    browser.fill("#code", code).await;
    browser
        .click("form[action='/login/second-factor'] button[type=submit]")
        .await;
}

#[tokio::test]
async fn a_person_sets_up_totp_signs_in_with_codes_and_a_recovery_code_works_once() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, Role::Pro).await;
    let Some(browser) = start_browser().await else {
        return;
    };
    browser.sign_in(&app.address, "alice", PASSWORD).await;
    browser.wait_for_path("/account").await;

    browser.click("#start-second-factor").await;
    browser.wait_for_path("/account/second-factor").await;
    let authenticator = Authenticator::from_key(&browser.text_of("#totp-secret").await);
    assert!(
        browser.text_of(".qr-code").await.is_empty(),
        "the QR code is a drawing, not text"
    );
    browser.fill("#code", &authenticator.code(&app)).await;
    browser
        .click("form[action='/account/second-factor/confirm'] button[type=submit]")
        .await;
    let listed = browser.text_of("#recovery-codes").await;
    let codes: Vec<&str> = listed.split_whitespace().collect();
    assert_eq!(codes.len(), 10, "{listed}");
    browser.click("#continue").await;
    browser.wait_for_path("/account").await;
    assert!(
        browser
            .text_of(".notice")
            .await
            .contains("Two-step verification is on")
    );
    sign_out(&browser).await;

    // The password alone is not enough now; the app's code is.
    app.clock.advance(30);
    second_step(&app, &browser, &authenticator.code(&app)).await;
    browser.wait_for_path("/account").await;
    assert_eq!(browser.text_of("#account-username").await, "alice");
    sign_out(&browser).await;

    // A recovery code instead of the app's code, once.
    second_step(&app, &browser, codes[0]).await;
    browser.wait_for_path("/account").await;
    sign_out(&browser).await;
    second_step(&app, &browser, codes[0]).await;
    assert!(
        browser
            .text_of(".form-error")
            .await
            .contains("That code is not right")
    );
    let url = browser.client.current_url().await.unwrap();
    assert_eq!(url.path(), "/login/second-factor", "still not signed in");
}
