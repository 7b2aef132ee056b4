//! Which language a page is in: the user's saved choice, then the
//! browser's `Accept-Language` (by quality), then the site's default.

use reqwest::header::ACCEPT_LANGUAGE;
use tessera::clock::Clock;
use tessera::users::Role;

use crate::helpers::{TestApp, new_client};

const PASSWORD: &str = "alice-password-1";

/// The sign-in page as a browser asking for `languages` gets it.
async fn login_page(app: &TestApp, client: &reqwest::Client, languages: Option<&str>) -> String {
    let mut request = client.get(app.url("/login"));
    if let Some(languages) = languages {
        request = request.header(ACCEPT_LANGUAGE, languages);
    }
    request
        .send()
        .await
        .expect("GET /login")
        .text()
        .await
        .expect("the page")
}

fn is_german(page: &str) -> bool {
    page.contains(r#"<html lang="de">"#) && page.contains("<h1>Anmelden</h1>")
}

fn is_english(page: &str) -> bool {
    page.contains(r#"<html lang="en">"#) && page.contains("<h1>Sign in</h1>")
}

pub async fn set_default_locale(app: &TestApp, locale: &str) {
    app.state
        .store
        .set_site_default_locale(app.default_site_id(), locale, app.clock.now())
        .await
        .expect("set the default language");
    app.state.sites.reload().await.expect("reload sites");
}

#[tokio::test]
async fn pages_follow_the_browsers_best_language_and_fall_back_to_english() {
    let app = crate::helpers::spawn_app().await;
    let client = new_client(app.port);
    for german in [
        "de",
        "de-DE,de;q=0.9",
        "fr-CH, fr;q=0.9, de;q=0.8, en;q=0.7",
        "en;q=0.2, de-AT",
    ] {
        let page = login_page(&app, &client, Some(german)).await;
        assert!(is_german(&page), "{german}: {page}");
    }
    for english in [
        "en-GB",
        "en, de;q=0.5",
        "de;q=0, en;q=0.1",
        "fr, ja",
        "*",
        "",
        ";;q=,",
    ] {
        let page = login_page(&app, &client, Some(english)).await;
        assert!(is_english(&page), "{english}: {page}");
    }
    assert!(is_english(&login_page(&app, &client, None).await));
    // No English left on a German page's frame.
    let page = login_page(&app, &client, Some("de")).await;
    for english in ["Sign in", "Username", "Password", "Secured by Tessera"] {
        assert!(!page.contains(english), "`{english}` on the German page");
    }
}

#[tokio::test]
async fn a_saved_language_wins_over_the_browser_until_it_is_cleared() {
    let app = crate::helpers::spawn_app().await;
    app.create_user("alice", PASSWORD, Role::Pro).await;
    let (client, _) = app.signed_in_client("alice", PASSWORD).await;
    let account = |languages: &'static str| {
        let client = client.clone();
        let url = app.url("/account");
        async move {
            let response = client
                .get(url)
                .header(ACCEPT_LANGUAGE, languages)
                .send()
                .await;
            response
                .expect("GET /account")
                .text()
                .await
                .expect("the page")
        }
    };
    assert!(account("en").await.contains("<h2>Active sessions</h2>"));

    let csrf = app.account_csrf(&client).await;
    let save = |locale: &'static str, csrf: String| {
        let client = client.clone();
        let url = app.url("/account/language");
        async move {
            let form = [("csrf_token", csrf.as_str()), ("locale", locale)];
            client
                .post(url)
                .form(&form)
                .send()
                .await
                .expect("POST /account/language")
        }
    };
    let saved = save("de", csrf.clone()).await;
    assert_eq!(saved.status().as_u16(), 303);
    let location = saved.headers()[reqwest::header::LOCATION].to_str().unwrap();
    assert_eq!(location, "/account?notice=language-saved#language");
    let notice = client
        .get(app.url("/account?notice=language-saved"))
        .send()
        .await;
    let notice = notice
        .expect("GET /account")
        .text()
        .await
        .expect("the page");
    assert!(
        notice.contains("Ihre Sprache wurde gespeichert."),
        "{notice}"
    );
    let page = account("en-US,en").await;
    assert!(page.contains("<h2>Aktive Sitzungen</h2>"), "{page}");
    assert!(page.contains(r#"<option value="de" lang="de" selected>Deutsch</option>"#));

    // Another process sees the choice too: it is the user's, in the store.
    let user = app
        .state
        .store
        .find_user_by_username(app.default_site_id(), "alice")
        .await
        .expect("the store")
        .expect("alice");
    assert_eq!(user.locale.as_deref(), Some("de"));

    let refused = save("fr", csrf.clone()).await;
    assert_eq!(refused.status().as_u16(), 400);
    let page = refused.text().await.expect("the error page");
    assert!(
        page.contains("„fr“ ist keine Sprache, die diese Website spricht."),
        "{page}"
    );

    let forged = save("en", "not-the-token".into()).await;
    assert_eq!(forged.status().as_u16(), 303);
    assert!(account("en").await.contains("<h2>Aktive Sitzungen</h2>"));

    let cleared = save("", csrf).await;
    assert_eq!(cleared.status().as_u16(), 303);
    assert!(account("en").await.contains("<h2>Active sessions</h2>"));
    assert!(account("de").await.contains("<h2>Aktive Sitzungen</h2>"));
}

#[tokio::test]
async fn the_site_default_serves_browsers_that_ask_for_no_language_spoken_here() {
    let app = crate::helpers::spawn_app().await;
    set_default_locale(&app, "de").await;
    let client = new_client(app.port);
    assert!(is_german(&login_page(&app, &client, None).await));
    assert!(is_german(&login_page(&app, &client, Some("fr, ja")).await));
    assert!(is_english(&login_page(&app, &client, Some("en")).await));
}

#[tokio::test]
async fn error_pages_and_messages_are_in_the_browsers_language() {
    let app = crate::helpers::spawn_app().await;
    app.create_user("alice", PASSWORD, Role::Pro).await;
    let client = new_client(app.port);
    let csrf = app.login_csrf(&client, &app.address).await;
    let form = [
        ("csrf_token", csrf.as_str()),
        ("username", "alice"),
        ("password", "wrong-password"),
    ];
    let page = client
        .post(app.url("/login"))
        .header(ACCEPT_LANGUAGE, "de")
        .form(&form)
        .send()
        .await
        .expect("POST /login")
        .text()
        .await
        .expect("the page");
    assert!(
        page.contains("Benutzername oder Passwort ist falsch."),
        "{page}"
    );

    // An authorization request of an unknown application: the error page.
    let page = client
        .get(app.url("/oauth/authorize?response_type=code&client_id=nobody"))
        .header(ACCEPT_LANGUAGE, "de")
        .send()
        .await
        .expect("GET /oauth/authorize")
        .text()
        .await
        .expect("the page");
    assert!(
        page.contains("Diese Anfrage kann nicht fortgesetzt werden"),
        "{page}"
    );
    assert!(
        page.contains("ist auf dieser Website nicht registriert."),
        "{page}"
    );
    assert!(!page.contains("This request cannot go on"));
}
