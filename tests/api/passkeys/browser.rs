//! A person adds a passkey on the account page and signs in with it, in
//! headless Chromium with a virtual authenticator (Chrome DevTools'
//! WebAuthn domain, sent through ChromeDriver's `goog/cdp/execute`).

use fantoccini::Client;
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{Value, json};
use tessera::store::AuditQuery;
use tessera::users::Role;

use crate::browser::start_browser;
use crate::helpers::spawn_app;

/// Waits until the browser is on the account page of a session the passkey
/// opened (its "last used" is no longer "never").
async fn signed_in_again_with_the_passkey(client: &Client) {
    use fantoccini::Locator;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let url = client.current_url().await.expect("current URL");
        if url.path().starts_with("/account")
            && let Ok(cell) = client.find(Locator::Css(".passkey-last-used")).await
            && cell.text().await.is_ok_and(|t| t != "never")
        {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never signed in again with the passkey"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// One Chrome DevTools Protocol command.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        let session = session_id.unwrap_or_default();
        base_url.join(&format!("session/{session}/goog/cdp/execute"))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Gives the browser a platform authenticator that holds discoverable
/// credentials and verifies the user without asking.
async fn add_virtual_authenticator(client: &Client) {
    client
        .issue_cmd(Cdp {
            cmd: "WebAuthn.enable",
            params: json!({ "enableUI": false }),
        })
        .await
        .expect("WebAuthn.enable");
    client
        .issue_cmd(Cdp {
            cmd: "WebAuthn.addVirtualAuthenticator",
            params: json!({ "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": true,
                "hasUserVerification": true,
                "isUserVerified": true,
                "automaticPresenceSimulation": true,
            }}),
        })
        .await
        .expect("WebAuthn.addVirtualAuthenticator");
}

/// Makes the pages that load from now on see a browser that offers no
/// passkey autofill (conditional mediation), as older browsers do.
async fn without_autofill(client: &Client) {
    client
        .issue_cmd(Cdp {
            cmd: "Page.addScriptToEvaluateOnNewDocument",
            params: json!({ "source": "Object.defineProperty(PublicKeyCredential, \
                'isConditionalMediationAvailable', \
                { value: () => Promise.resolve(false) });" }),
        })
        .await
        .expect("Page.addScriptToEvaluateOnNewDocument");
}

#[tokio::test]
async fn a_person_adds_a_passkey_signs_out_and_signs_in_with_it() {
    let app = spawn_app().await;
    let alice = app
        .create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let Some(browser) = start_browser().await else {
        return;
    };
    add_virtual_authenticator(&browser.client).await;

    browser
        .sign_in(&app.address, "alice", "alice-password-1")
        .await;
    browser.wait_for_path("/account").await;
    browser.fill("#passkey-name", "Laptop").await;
    browser.click("#passkey-add").await;
    assert!(
        browser
            .text_of(".notice")
            .await
            .contains("passkey was added"),
    );
    assert_eq!(browser.text_of(".passkey-name").await, "Laptop");
    assert_eq!(browser.text_of(".passkey-last-used").await, "never");

    browser.click("header form[action='/logout'] button").await;
    // Autofill (conditional mediation): the virtual authenticator answers
    // the sign-in page's passkey request as soon as the page asks, so on a
    // busy machine /login may come and go between two looks. Wait for the
    // account page of the new session: the one that shows the passkey used.
    signed_in_again_with_the_passkey(&browser.client).await;
    assert_eq!(browser.text_of("#account-username").await, "alice");

    // The button, as in a browser without autofill for passkeys.
    without_autofill(&browser.client).await;
    browser.click("header form[action='/logout'] button").await;
    browser.wait_for_path("/login").await;
    browser.click("#passkey-sign-in").await;
    browser.wait_for_path("/account").await;
    assert_eq!(browser.text_of("#account-username").await, "alice");
    assert_ne!(browser.text_of(".passkey-last-used").await, "never");
    let page = browser.client.source().await.expect("page source");
    assert!(page.contains("<td>passkey</td>"), "the session says how");

    let site = app.default_site_id();
    let stored = app.state.store.list_passkeys(site, alice).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].last_used_at.is_some());
    let kinds: Vec<String> = app
        .state
        .store
        .query_audit_events(&AuditQuery {
            site_id: site,
            user_id: Some(alice),
            client_id: None,
            kind: None,
            since: None,
            until: None,
            before_id: None,
            limit: 100,
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.iter().any(|k| k == "passkey.added"), "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "passkey.used"), "{kinds:?}");

    // Removing it: gone from the page and the store.
    browser.click(".passkey-row form button").await;
    assert!(browser.text_of(".notice").await.contains("removed"));
    assert!(
        app.state
            .store
            .list_passkeys(site, alice)
            .await
            .unwrap()
            .is_empty()
    );
    browser
        .client
        .clone()
        .close()
        .await
        .expect("close the browser");
}

#[tokio::test]
async fn a_person_confirms_a_password_sign_in_with_their_passkey() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let Some(browser) = start_browser().await else {
        return;
    };
    add_virtual_authenticator(&browser.client).await;
    // The button path only: autofill would sign in on /login by itself.
    without_autofill(&browser.client).await;
    browser
        .sign_in(&app.address, "alice", "alice-password-1")
        .await;
    browser.wait_for_path("/account").await;
    browser.fill("#passkey-name", "Laptop").await;
    browser.click("#passkey-add").await;
    assert!(
        browser
            .text_of(".notice")
            .await
            .contains("passkey was added"),
    );

    crate::second_factor::set_policy(&app, "everyone").await;

    browser.click("header form[action='/logout'] button").await;
    browser.wait_for_path("/login").await;
    browser
        .sign_in(&app.address, "alice", "alice-password-1")
        .await;
    browser.wait_for_path("/login/second-factor").await;
    browser.click("#passkey-second-factor").await;
    browser.wait_for_path("/account").await;
    assert_eq!(browser.text_of("#account-username").await, "alice");
    browser
        .client
        .clone()
        .close()
        .await
        .expect("close the browser");
}
