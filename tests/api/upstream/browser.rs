//! Brokering in a real browser (headless Chromium) against a second
//! Tessera acting as the upstream OpenID provider: the person presses the
//! provider's button, signs in and consents at the provider, comes back
//! signed in to an account made just in time, and sees the linked identity
//! on the account page.

use tessera::users::Role;

use super::support::{CLIENT_ID, DISPLAY_NAME};
use crate::browser::start_browser;
use crate::helpers::{spawn_app, spawn_app_with};
use crate::oauth::support::{Registration, register};

const PASSWORD: &str = "grace-password-1";

/// Waits until the browser is on a page of the server on `port`.
async fn at_port(browser: &crate::browser::Browser, port: u16) {
    for _ in 0..400 {
        let url = browser.client.current_url().await.unwrap();
        if url.port() == Some(port) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("never reached the server on port {port}");
}

#[tokio::test]
async fn a_person_signs_in_with_another_tessera_as_their_provider() {
    // The provider: a Tessera of its own, where grace has an account and
    // our site is a confidential OpenID client.
    let upstream = spawn_app().await;
    let grace = upstream
        .create_user("grace", PASSWORD, Role::Community)
        .await;
    let app = spawn_app_with(&[("TESSERA_OUTBOUND_ALLOW_PRIVATE", "true")]).await;
    let redirect = format!("{}/login/upstream/corp/callback", app.address);
    let client = register(
        &upstream,
        Registration {
            redirect_uris: vec![redirect.as_str()],
            scopes: Some("openid profile email"),
            ..Registration::default()
        },
    )
    .await;
    // Our site knows the provider by the id the provider gave it.
    assert_ne!(client.client_id, CLIENT_ID);
    tessera::upstream::add_provider(
        &app.state.store,
        &app.state.settings.master_key,
        app.state.outbound.policy(),
        app.default_site_id(),
        tessera::upstream::NewProvider {
            name: "corp".into(),
            display_name: Some(DISPLAY_NAME.into()),
            issuer: upstream.address.clone(),
            client_id: client.client_id.clone(),
            client_secret: client.secret.clone().unwrap(),
            link_by_email: false,
            create_accounts: true,
        },
        tessera::clock::Clock::now(&app.clock),
    )
    .await
    .unwrap();
    let Some(browser) = start_browser().await else {
        return;
    };

    browser
        .client
        .goto(&format!("{}/login", app.address))
        .await
        .unwrap();
    browser.click("#upstream-corp").await;
    // At the provider: its own sign-in page, then its consent screen.
    at_port(&browser, upstream.port).await;
    browser.wait_for_path("/login").await;
    browser.fill("#username", "grace").await;
    browser.fill("#password", PASSWORD).await;
    browser
        .click("form[action='/login'] button[type=submit]")
        .await;
    browser.click("#consent-allow").await;

    // Back on our site, signed in.
    let url = browser.wait_for_path("/account").await;
    assert_eq!(url.port(), Some(app.port));
    let username = grace.to_string();
    assert_eq!(browser.text_of("#account-username").await, username);
    assert_eq!(browser.text_of(".upstream-provider").await, DISPLAY_NAME);
    assert_eq!(browser.text_of(".upstream-identity").await, username);

    let users = app
        .state
        .store
        .list_users(app.default_site_id())
        .await
        .unwrap();
    let created = users.iter().find(|u| u.username == username).unwrap();
    assert_eq!(
        created.external_issuer.as_deref(),
        Some(upstream.address.as_str())
    );
    assert!(created.password_hash.is_none());
    browser.client.clone().close().await.unwrap();
}
