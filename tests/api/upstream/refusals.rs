//! Brokered sign-ins that must not work: another `state`, another `nonce`,
//! a callback in a browser that did not start the sign-in, a replayed
//! callback, and an unverified email naming a local account.

use serde_json::json;

use super::signin::user_with_email;
use super::support::{Policy, add_to_site, app_with_provider, come_back, error_code, press_button};
use crate::helpers::{TestApp, cookie_value, new_client, spawn_app_with};

async fn user_count(app: &TestApp) -> usize {
    app.state
        .store
        .list_users(app.default_site_id())
        .await
        .unwrap()
        .len()
}

async fn assert_refused(response: reqwest::Response, status: u16, text: &str) {
    assert_eq!(response.status().as_u16(), status);
    assert!(cookie_value(response.headers(), "authtoken").is_none());
    let page = response.text().await.unwrap();
    assert_eq!(
        error_code(&page).as_deref(),
        Some("upstream_refused"),
        "{page}"
    );
    assert!(page.contains(text), "{page}");
}

#[tokio::test]
async fn an_answer_with_another_state_is_refused_before_the_code_is_used() {
    let (app, provider) = app_with_provider(Policy::default()).await;
    let users = user_count(&app).await;
    let browser = new_client(app.port);
    let sent = press_button(&app, &browser, "/login").await;
    provider.answer_with(provider.claims(&app, "ada-42", sent.nonce()));

    let forged = format!("{}x", sent.state());
    let back = come_back(&app, &browser, &forged).await;
    assert_refused(back, 400, "does not match this sign-in").await;
    assert!(
        provider.token_requests().is_empty(),
        "the code was never redeemed"
    );
    assert_eq!(user_count(&app).await, users);

    // The sign-in is spent: the right state afterwards does not revive it.
    let late = come_back(&app, &browser, sent.state()).await;
    assert_refused(late, 400, "unknown or was finished already").await;
}

#[tokio::test]
async fn an_id_token_with_another_nonce_is_refused() {
    let (app, provider) = app_with_provider(Policy::default()).await;
    let users = user_count(&app).await;
    let browser = new_client(app.port);
    let sent = press_button(&app, &browser, "/login").await;
    // A token the provider issued for another sign-in (a replay).
    provider.answer_with(provider.claims(&app, "ada-42", "a-nonce-of-another-sign-in"));

    let back = come_back(&app, &browser, sent.state()).await;
    assert_refused(back, 400, "not for this sign-in").await;
    assert_eq!(provider.token_requests().len(), 1);
    assert_eq!(user_count(&app).await, users, "no account was created");
    assert_eq!(
        app.current_user_with(&browser).await["credential"],
        "anonymous"
    );
}

#[tokio::test]
async fn an_id_token_without_a_nonce_or_from_another_issuer_is_refused() {
    let (app, provider) = app_with_provider(Policy::default()).await;
    for changes in [
        json!({"nonce": null}),
        json!({"iss": "https://elsewhere.example.com"}),
        json!({"aud": "another-client"}),
    ] {
        let browser = new_client(app.port);
        let sent = press_button(&app, &browser, "/login").await;
        let mut claims = provider.claims(&app, "ada-42", sent.nonce());
        for (name, value) in changes.as_object().unwrap() {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(name);
            } else {
                claims[name] = value.clone();
            }
        }
        provider.answer_with(claims);
        let back = come_back(&app, &browser, sent.state()).await;
        assert_eq!(back.status().as_u16(), 400, "{changes}");
        assert!(
            cookie_value(back.headers(), "authtoken").is_none(),
            "{changes}"
        );
    }
}

#[tokio::test]
async fn a_callback_in_a_browser_that_did_not_start_the_sign_in_is_refused() {
    let (app, provider) = app_with_provider(Policy::default()).await;
    let victim = new_client(app.port);
    let attacker = new_client(app.port);
    let sent = press_button(&app, &attacker, "/login").await;
    provider.answer_with(provider.claims(&app, "mallory", sent.nonce()));

    // The attacker's callback URL, opened in the victim's browser.
    let back = come_back(&app, &victim, sent.state()).await;
    assert_refused(back, 400, "unknown or was finished already").await;
    assert_eq!(
        app.current_user_with(&victim).await["credential"],
        "anonymous"
    );
}

#[tokio::test]
async fn an_unverified_email_never_links_to_the_account_that_has_it() {
    let policy = Policy {
        link_by_email: true,
        create_accounts: true,
    };
    let (app, provider) = app_with_provider(policy).await;
    let ada = user_with_email(&app, "ada", "ada@example.com").await;
    let users = user_count(&app).await;
    for verified in [json!(false), json!(null)] {
        let browser = new_client(app.port);
        let sent = press_button(&app, &browser, "/login").await;
        let mut claims = provider.claims(&app, "mallory-1", sent.nonce());
        if verified.is_null() {
            claims.as_object_mut().unwrap().remove("email_verified");
        } else {
            claims["email_verified"] = verified.clone();
        }
        provider.answer_with(claims);

        let back = come_back(&app, &browser, sent.state()).await;
        // Not signed in: the page asks for ada's password instead.
        assert_eq!(back.status().as_u16(), 200, "email_verified {verified}");
        assert!(cookie_value(back.headers(), "authtoken").is_none());
        assert!(back.text().await.unwrap().contains("Link your account"));
        assert_eq!(
            app.current_user_with(&browser).await["credential"],
            "anonymous"
        );
    }
    let linked = app
        .state
        .store
        .list_upstream_identities(app.default_site_id(), ada)
        .await
        .unwrap();
    assert!(linked.is_empty(), "{linked:?}");
    assert_eq!(
        user_count(&app).await,
        users,
        "no look-alike account either"
    );
}

#[tokio::test]
async fn an_unknown_provider_and_a_forged_button_are_refused() {
    let (app, _provider) = app_with_provider(Policy::default()).await;
    let browser = new_client(app.port);
    let csrf = app.login_csrf(&browser, &app.address).await;
    let unknown = browser
        .post(app.url("/login/upstream/nobody"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status().as_u16(), 404);
    assert_eq!(
        error_code(&unknown.text().await.unwrap()).as_deref(),
        Some("unknown_provider")
    );
    let forged = browser
        .post(app.url("/login/upstream/corp"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 303);
    assert_eq!(forged.headers()["location"], "/login");
    assert!(cookie_value(forged.headers(), "tessera_upstream").is_none());
}

#[tokio::test]
async fn an_answer_naming_another_issuer_is_refused() {
    let (app, provider) = app_with_provider(Policy::default()).await;
    let browser = new_client(app.port);
    let sent = press_button(&app, &browser, "/login").await;
    provider.answer_with(provider.claims(&app, "ada-42", sent.nonce()));
    // RFC 9207: the answer says it comes from another provider (mix-up).
    let back = browser
        .get(app.url("/login/upstream/corp/callback"))
        .query(&[
            ("code", "corp-code-1"),
            ("state", sent.state()),
            ("iss", "https://evil.example.com"),
        ])
        .send()
        .await
        .unwrap();
    assert_refused(back, 400, "does not match this sign-in").await;
    assert!(provider.token_requests().is_empty());
}

#[tokio::test]
async fn a_provider_that_cannot_be_reached_gets_a_clear_page() {
    let app = spawn_app_with(&[("TESSERA_OUTBOUND_ALLOW_PRIVATE", "true")]).await;
    // A port nothing listens on any more.
    let issuer = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port())
    };
    add_to_site(&app, &issuer, Policy::default()).await;
    let browser = new_client(app.port);
    let csrf = app.login_csrf(&browser, &app.address).await;
    let response = browser
        .post(app.url("/login/upstream/corp"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 502);
    let page = response.text().await.unwrap();
    assert_eq!(error_code(&page).as_deref(), Some("upstream_unreachable"));
    assert!(page.contains("could not be reached"));
}

#[tokio::test]
async fn a_code_the_provider_refuses_ends_the_sign_in_with_a_clear_page() {
    let (app, provider) = app_with_provider(Policy::default()).await;
    let browser = new_client(app.port);
    let sent = press_button(&app, &browser, "/login").await;
    // No answer set: the provider's token endpoint says invalid_grant.
    let back = come_back(&app, &browser, sent.state()).await;
    assert_refused(back, 400, "did not accept this sign-in").await;
    assert_eq!(provider.token_requests().len(), 1);
}
