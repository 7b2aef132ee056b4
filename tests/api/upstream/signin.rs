//! Brokered sign-ins that work: an account created just in time, linking
//! by a verified email, by the password, and from the account page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use tessera::users::{NewAccount, Role};

use super::support::{
    DISPLAY_NAME, Policy, SentToProvider, app_with_provider, come_back, press_button,
};
use crate::helpers::{TestApp, cookie_value, hidden_input, new_client};

pub const PASSWORD: &str = "correct horse battery";

pub async fn user_with_email(app: &TestApp, username: &str, email: &str) -> i64 {
    app.state
        .users
        .create(
            app.default_site_id(),
            NewAccount {
                username: username.into(),
                display_name: None,
                email: Some(email.into()),
                role: Role::Pro,
                password: PASSWORD.into(),
            },
        )
        .await
        .unwrap()
        .id
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_string()
}

async fn linked_subjects(app: &TestApp, user_id: i64) -> Vec<String> {
    app.state
        .store
        .list_upstream_identities(app.default_site_id(), user_id)
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.subject)
        .collect()
}

#[tokio::test]
async fn a_first_sign_in_creates_an_account_just_in_time_and_the_next_finds_it() {
    let (app, provider) = app_with_provider(Policy::default()).await;
    let browser = new_client(app.port);
    let sent = press_button(&app, &browser, "/login").await;
    assert_request_is_code_flow_with_pkce(&app, &sent);
    provider.answer_with(provider.claims(&app, "ada-42", sent.nonce()));

    let back = come_back(&app, &browser, sent.state()).await;
    assert_eq!(back.status().as_u16(), 303);
    assert_eq!(location(&back), "/account");
    assert!(cookie_value(back.headers(), "authtoken").is_some());
    let me = app.current_user_with(&browser).await;
    assert_eq!(me["username"], "ada-42");
    assert_eq!(me["display_name"], "Ada Lovelace");

    // The code went back with the verifier whose S256 hash was sent.
    let requests = provider.token_requests();
    assert_eq!(requests.len(), 1);
    let verifier = &requests[0]["code_verifier"];
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    assert_eq!(sent.params["code_challenge"], challenge);
    assert_eq!(requests[0]["grant_type"], "authorization_code");
    assert_eq!(requests[0]["code"], "corp-code-1");

    // Another browser, the same identity: the same account.
    let other = new_client(app.port);
    let again = press_button(&app, &other, "/login").await;
    let mut renamed = provider.claims(&app, "ada-42", again.nonce());
    renamed["family_name"] = "King".into();
    provider.answer_with(renamed);
    let back = come_back(&app, &other, again.state()).await;
    assert_eq!(back.status().as_u16(), 303);
    let again = app.current_user_with(&other).await;
    assert_eq!(again["id"], me["id"]);
    assert_eq!(
        again["display_name"], "Ada King",
        "the profile follows the provider"
    );

    let page = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(DISPLAY_NAME) && page.contains("ada@example.com"),
        "{page}"
    );
}

fn assert_request_is_code_flow_with_pkce(app: &TestApp, sent: &SentToProvider) {
    let redirect = format!("{}/login/upstream/corp/callback", app.address);
    assert!(sent.location.as_str().starts_with("http://127.0.0.1:"));
    assert_eq!(sent.location.path(), "/authorize");
    assert_eq!(sent.params["response_type"], "code");
    assert_eq!(sent.params["client_id"], super::support::CLIENT_ID);
    assert_eq!(sent.params["redirect_uri"], redirect);
    assert_eq!(sent.params["code_challenge_method"], "S256");
    let scopes: Vec<&str> = sent.params["scope"].split(' ').collect();
    assert!(scopes.contains(&"openid"), "{scopes:?}");
    assert!(sent.state().len() >= 32 && sent.nonce().len() >= 32);
    assert!(!sent.params.contains_key("client_secret"));
}

#[tokio::test]
async fn a_verified_email_links_to_the_local_account_when_the_site_allows_it() {
    let policy = Policy {
        link_by_email: true,
        ..Policy::default()
    };
    let (app, provider) = app_with_provider(policy).await;
    let ada = user_with_email(&app, "ada", "ada@example.com").await;
    let browser = new_client(app.port);
    let sent = press_button(&app, &browser, "/login").await;
    provider.answer_with(provider.claims(&app, "corp-ada", sent.nonce()));

    let back = come_back(&app, &browser, sent.state()).await;
    assert_eq!(back.status().as_u16(), 303);
    assert_eq!(app.current_user_with(&browser).await["username"], "ada");
    assert_eq!(linked_subjects(&app, ada).await, ["corp-ada"]);
}

#[tokio::test]
async fn proving_the_password_links_the_identity_when_no_account_may_be_created() {
    let policy = Policy {
        link_by_email: false,
        create_accounts: false,
    };
    let (app, provider) = app_with_provider(policy).await;
    let bob = app.create_user("bob", PASSWORD, Role::Community).await;
    let browser = new_client(app.port);
    let sent = press_button(&app, &browser, "/login").await;
    provider.answer_with(provider.claims(&app, "corp-bob", sent.nonce()));

    let back = come_back(&app, &browser, sent.state()).await;
    assert_eq!(back.status().as_u16(), 200);
    assert!(cookie_value(back.headers(), "authtoken").is_none());
    let page = back.text().await.unwrap();
    assert!(page.contains("Link your account") && page.contains(DISPLAY_NAME));
    let csrf = hidden_input(&page, "csrf_token").unwrap();

    // A wrong password: asked again, nothing linked.
    let wrong = browser
        .post(app.url("/login/upstream/link"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", "bob"),
            ("password", "nope nope nope"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let page = wrong.text().await.unwrap();
    assert!(page.contains("Incorrect username or password."));
    assert!(linked_subjects(&app, bob).await.is_empty());

    let csrf = hidden_input(&page, "csrf_token").unwrap();
    let right = browser
        .post(app.url("/login/upstream/link"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", "bob"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(right.status().as_u16(), 303);
    assert_eq!(location(&right), "/account");
    assert_eq!(app.current_user_with(&browser).await["username"], "bob");
    assert_eq!(linked_subjects(&app, bob).await, ["corp-bob"]);

    // From now on the provider alone signs bob in.
    let other = new_client(app.port);
    let again = press_button(&app, &other, "/login").await;
    provider.answer_with(provider.claims(&app, "corp-bob", again.nonce()));
    assert_eq!(
        come_back(&app, &other, again.state())
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(app.current_user_with(&other).await["username"], "bob");
}

#[tokio::test]
async fn a_signed_in_person_links_a_provider_on_the_account_page_and_removes_it() {
    let (app, provider) = app_with_provider(Policy::default()).await;
    let alice = app.create_user("alice", PASSWORD, Role::Community).await;
    let (browser, _) = app.signed_in_client("alice", PASSWORD).await;
    let sent = press_button(&app, &browser, "/account").await;
    provider.answer_with(provider.claims(&app, "corp-alice", sent.nonce()));

    let back = come_back(&app, &browser, sent.state()).await;
    assert_eq!(back.status().as_u16(), 303);
    assert_eq!(location(&back), "/account?notice=upstream-linked#upstream");
    assert_eq!(linked_subjects(&app, alice).await, ["corp-alice"]);
    assert_eq!(app.current_user_with(&browser).await["username"], "alice");

    let page = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page.find("/account/upstream/").unwrap();
    let action = &page[start..start + page[start..].find('"').unwrap()];
    let csrf = hidden_input(&page, "csrf_token").unwrap();
    let removed = browser
        .post(app.url(action))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status().as_u16(), 303);
    assert!(linked_subjects(&app, alice).await.is_empty());
    let kinds: Vec<String> = app
        .state
        .store
        .query_audit_events(&tessera::store::AuditQuery {
            site_id: app.default_site_id(),
            user_id: None,
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
    assert!(kinds.iter().any(|k| k == "upstream.linked"), "{kinds:?}");
    assert!(kinds.iter().any(|k| k == "upstream.unlinked"), "{kinds:?}");
}

#[tokio::test]
async fn the_only_way_into_an_account_made_just_in_time_is_not_removable() {
    let (app, provider) = app_with_provider(Policy::default()).await;
    let browser = new_client(app.port);
    let sent = press_button(&app, &browser, "/login").await;
    provider.answer_with(provider.claims(&app, "ada-42", sent.nonce()));
    come_back(&app, &browser, sent.state()).await;
    let me = app.current_user_with(&browser).await;
    let user_id = me["id"].as_i64().unwrap();

    let page = browser
        .get(app.url("/account"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let start = page.find("/account/upstream/").unwrap();
    let action = &page[start..start + page[start..].find('"').unwrap()];
    let csrf = hidden_input(&page, "csrf_token").unwrap();
    let refused = browser
        .post(app.url(action))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 400);
    assert!(refused.text().await.unwrap().contains("cannot be removed"));
    assert_eq!(linked_subjects(&app, user_id).await, ["ada-42"]);
}

#[tokio::test]
async fn a_user_with_a_second_factor_gives_a_code_after_the_provider_too() {
    let policy = Policy {
        link_by_email: true,
        ..Policy::default()
    };
    let (app, provider) = app_with_provider(policy).await;
    user_with_email(&app, "ada", "ada@example.com").await;
    let (signed_in, _) = app.signed_in_client("ada", PASSWORD).await;
    let (authenticator, _) = crate::second_factor::enrol(&app, &signed_in).await;

    let browser = new_client(app.port);
    let sent = press_button(&app, &browser, "/login").await;
    provider.answer_with(provider.claims(&app, "corp-ada", sent.nonce()));
    let back = come_back(&app, &browser, sent.state()).await;
    assert_eq!(back.status().as_u16(), 303);
    assert!(cookie_value(back.headers(), "authtoken").is_none());
    let step = location(&back);
    assert!(step.starts_with("/login/second-factor?"), "{step}");
    assert_eq!(
        app.current_user_with(&browser).await["credential"],
        "anonymous"
    );

    let done =
        crate::second_factor::code_step(&app, &browser, &step, &authenticator.code(&app)).await;
    assert_eq!(done.status().as_u16(), 303);
    assert_eq!(location(&done), "/account");
    assert_eq!(app.current_user_with(&browser).await["username"], "ada");
}
