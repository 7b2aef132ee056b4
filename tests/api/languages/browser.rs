//! German pages for a German browser, in Chromium; each main page passes
//! the accessibility check, in German and with a site's own accent.

use reqwest::Method;
use serde_json::json;
use tessera::accounts::SignupPolicy;
use tessera::users::Role;

use super::accessibility::assert_accessible;
use crate::accounts::support::{app_with_mail, set_signup};
use crate::admin_api::{admin_token, call};
use crate::browser::{Browser, start_browser, start_browser_speaking};
use crate::oauth::support::{Registration, authorize_path, pkce, register};

const PASSWORD: &str = "alice-password-1";

async fn html_lang(browser: &Browser) -> String {
    browser
        .client
        .execute("return document.documentElement.lang;", vec![])
        .await
        .expect("the document's language")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

async fn open(browser: &Browser, url: &str) {
    browser.client.goto(url).await.expect("open the page");
}

#[tokio::test]
async fn a_german_browser_gets_german_pages_that_pass_the_accessibility_check() {
    let (app, _mailbox) = app_with_mail().await;
    set_signup(&app, SignupPolicy::Open).await;
    app.create_user("alice", PASSWORD, Role::Pro).await;
    let client = register(&app, Registration::default()).await;
    let Some(browser) = start_browser_speaking(Some("de-DE,de;q=0.9,en;q=0.5")).await else {
        return;
    };
    let base = &app.address;

    open(&browser, &format!("{base}/login")).await;
    assert_eq!(html_lang(&browser).await, "de");
    assert_eq!(browser.text_of("h1").await, "Anmelden");
    assert_eq!(browser.text_of("label[for=username]").await, "Benutzername");
    assert_eq!(
        browser.text_of("#forgot-password").await,
        "Passwort vergessen?"
    );
    assert_accessible(&browser, "login", &["username", "password"]).await;

    browser.sign_in(base, "alice", "not-her-password").await;
    assert_eq!(
        browser.text_of("#login-error").await,
        "Benutzername oder Passwort ist falsch."
    );

    open(&browser, &format!("{base}/signup")).await;
    assert_eq!(browser.text_of("h1").await, "Konto erstellen");
    let fields = [
        "username",
        "display_name",
        "email",
        "new_password",
        "confirm_password",
    ];
    assert_accessible(&browser, "sign-up", &fields).await;

    open(&browser, &format!("{base}/login/forgot")).await;
    assert_eq!(browser.text_of("h1").await, "Passwort vergessen?");
    assert_accessible(&browser, "forgot password", &["email"]).await;

    browser.sign_in(base, "alice", PASSWORD).await;
    browser.wait_for_path("/account").await;
    assert_eq!(browser.text_of("#language h2").await, "Sprache");
    // The session's start, written the German way: 07.12.2026, 08:15 UTC.
    let started = browser.text_of("table.list tbody td").await;
    let date = started.split(',').next().unwrap_or_default();
    let parts: Vec<&str> = date.split('.').collect();
    assert!(
        parts.len() == 3 && parts[0].len() == 2 && parts[1].len() == 2 && parts[2].len() == 4,
        "{started}"
    );
    assert!(started.contains("(dieser Browser)"), "{started}");
    let fields = [
        "locale",
        "current_password",
        "new_password",
        "confirm_password",
    ];
    assert_accessible(&browser, "account", &fields).await;

    open(&browser, &format!("{base}/developers")).await;
    assert_eq!(browser.text_of("h1").await, "Ihre Apps");
    assert_accessible(&browser, "developers", &[]).await;

    let (_, challenge) = pkce();
    let path = authorize_path(&client, Some("profile"), &challenge, &[]);
    open(&browser, &format!("{base}{path}")).await;
    assert!(
        browser
            .text_of("#consent h1")
            .await
            .ends_with("möchte Ihr Konto verwenden"),
        "the consent heading"
    );
    let scopes = browser.text_of("#consent-scopes").await;
    assert!(
        scopes.contains("Ihre Kontodaten sehen und ändern"),
        "{scopes}"
    );
    assert_accessible(&browser, "consent", &["consent-allow", "consent-deny"]).await;

    // Her saved choice wins over the browser's languages.
    open(&browser, &format!("{base}/account")).await;
    let choose = "document.getElementById('locale').value = 'en';";
    browser
        .client
        .execute(choose, vec![])
        .await
        .expect("choose English");
    browser.click("#save-language").await;
    browser.wait_for_path("/account").await;
    assert_eq!(browser.text_of("#language h2").await, "Language");
    assert_eq!(html_lang(&browser).await, "en");
    assert_eq!(browser.text_of(".notice").await, "Your language was saved.");
    browser
        .client
        .clone()
        .close()
        .await
        .expect("close the browser");
}

#[tokio::test]
async fn a_site_accent_keeps_every_page_readable_and_its_logo_has_alt_text() {
    let app = crate::helpers::spawn_app().await;
    app.create_user("alice", PASSWORD, Role::Pro).await;
    let token = admin_token(&app).await;
    // A light accent: its buttons get black text.
    let look = json!({
        "display_name": "Docs Hub",
        "logo_url": "https://127.0.0.1:1/logo.png",
        "accent_colour": "#FFD700",
    });
    let (status, site) = call(&app, &token, Method::PATCH, "/api/admin/site", Some(look)).await;
    assert_eq!(status, 200, "{site}");
    let Some(browser) = start_browser().await else {
        return;
    };
    let base = &app.address;

    open(&browser, &format!("{base}/login")).await;
    assert_eq!(browser.text_of(".brand-name").await, "Docs Hub");
    let alt = browser
        .client
        .execute("return document.querySelector('.brand-logo').alt;", vec![])
        .await
        .expect("the logo's alt text");
    assert_eq!(alt, "Logo of Docs Hub");
    let button = browser
        .client
        .execute(
            "return getComputedStyle(document.querySelector('form[action=\"/login\"] button')).color;",
            vec![],
        )
        .await
        .expect("the button's text colour");
    assert_eq!(button, "rgb(0, 0, 0)");
    assert_accessible(&browser, "login with an accent", &["username", "password"]).await;

    browser.sign_in(base, "alice", PASSWORD).await;
    browser.wait_for_path("/account").await;
    assert_accessible(&browser, "account with an accent", &[]).await;
    browser
        .client
        .clone()
        .close()
        .await
        .expect("close the browser");
}
