//! Identity tokens that are good: exchanged for a session, with the user
//! created just in time, found again, and refreshed.

use serde_json::{Value, json};
use tessera::oauth::ClientSettings;

use super::support::{
    AUTHTOKEN_TYPE, ID_TOKEN_TYPE, Idp, Key, TOKEN_EXCHANGE, app_trusting, assert_refused,
    exchange, exchange_at, with,
};
use crate::helpers::{TestApp, cookie_value, new_client};

/// Exchanges, checks the RFC 8693 response and the cookie, and returns
/// the authtoken.
async fn exchanged_authtoken(app: &TestApp, client: &reqwest::Client, token: &str) -> String {
    let response = exchange_at(client, &app.address, token).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let cookie = cookie_value(response.headers(), "authtoken").expect("an authtoken cookie");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["issued_token_type"], AUTHTOKEN_TYPE);
    assert_eq!(body["token_type"], "N_A");
    assert!(body["expires_in"].as_i64().unwrap() > 3600, "{body}");
    assert!(body.get("refresh_token").is_none());
    let authtoken = body["access_token"].as_str().unwrap().to_string();
    assert_eq!(cookie, authtoken, "the cookie carries the issued token");
    authtoken
}

async fn exchange_creates_the_user_and_signs_them_in(key: Key) {
    let (app, idp) = app_trusting(&key).await;
    let browser = new_client(app.port);
    let authtoken = exchanged_authtoken(&app, &browser, &key.sign(&idp.claims(&app, "ada"))).await;

    // The token works as a bearer credential, and the cookie in the browser.
    let me = app.current_user_bearer(&authtoken).await;
    assert_eq!(me["credential"], "authtoken");
    assert_eq!(me["username"], "ada");
    assert_eq!(me["display_name"], "Ada Lovelace");
    assert_eq!(me["role"], "community");
    let me = app.current_user_with(&browser).await;
    assert_eq!(me["credential"], "authtoken");
    assert_eq!(me["username"], "ada");

    let user = app
        .state
        .store
        .find_user_by_username(app.default_site_id(), "ada")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.external_issuer.as_deref(), Some(idp.issuer.as_str()));
    assert_eq!(user.external_subject.as_deref(), Some("ada"));
    assert_eq!(user.email.as_deref(), Some("ada@example.com"));
    assert!(
        user.password_hash.is_none(),
        "no password: sign-in is the IdP's"
    );
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let sessions = app
        .state
        .sessions
        .list_active(&site, user.id)
        .await
        .unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].method, "identity-token");
}

#[tokio::test]
async fn an_rsa_signed_id_token_is_exchanged_for_a_session() {
    exchange_creates_the_user_and_signs_them_in(Key::rsa("rsa-1")).await;
}

#[tokio::test]
async fn an_ec_p256_signed_id_token_is_exchanged_for_a_session() {
    exchange_creates_the_user_and_signs_them_in(Key::ec("ec-1")).await;
}

#[tokio::test]
async fn an_ed25519_signed_id_token_is_exchanged_for_a_session() {
    exchange_creates_the_user_and_signs_them_in(Key::ed("ed-1")).await;
}

#[tokio::test]
async fn a_second_exchange_finds_the_same_user_and_refreshes_the_profile() {
    let key = Key::ec("ec-1");
    let (app, idp) = app_trusting(&key).await;
    let first = exchanged_authtoken(
        &app,
        &new_client(app.port),
        &key.sign(&idp.claims(&app, "u-42")),
    )
    .await;
    let before = app.current_user_bearer(&first).await;
    assert_eq!(before["display_name"], "Ada Lovelace");

    let renamed = with(
        idp.claims(&app, "u-42"),
        json!({"given_name": "Augusta Ada", "family_name": "King", "email": "countess@example.com"}),
    );
    let second = exchanged_authtoken(&app, &new_client(app.port), &key.sign(&renamed)).await;
    assert_ne!(first, second, "each exchange starts its own session");

    let after = app.current_user_bearer(&second).await;
    assert_eq!(after["id"], before["id"], "the same account");
    assert_eq!(after["display_name"], "Augusta Ada King");
    // The first session sees the new name too: the cached user was dropped.
    assert_eq!(
        app.current_user_bearer(&first).await["display_name"],
        "Augusta Ada King"
    );
    let users = app.state.users.list(app.default_site_id()).await.unwrap();
    let linked: Vec<_> = users
        .iter()
        .filter(|u| u.external_subject.as_deref() == Some("u-42"))
        .collect();
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].email.as_deref(), Some("countess@example.com"));
}

#[tokio::test]
async fn a_key_rotated_at_the_idp_is_picked_up_at_most_once_a_minute() {
    let old = Key::rsa("2024-01");
    let (app, idp) = app_trusting(&old).await;
    let response = exchange(&app, &old.sign(&idp.claims(&app, "ada"))).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(idp.fetches(), 1);

    let new = Key::ec("2024-02");
    idp.publish(&[&new]);
    // Right after a fetch, an unknown kid does not make Tessera fetch again.
    let response = exchange(&app, &new.sign(&idp.claims(&app, "ada"))).await;
    assert_refused(response, 400, "invalid_grant").await;
    assert_eq!(idp.fetches(), 1);

    app.clock.advance(61);
    let response = exchange(&app, &new.sign(&idp.claims(&app, "ada"))).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(idp.fetches(), 2);
    // Later tokens with the new kid come from the cache.
    let response = exchange(&app, &new.sign(&idp.claims(&app, "ada"))).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(idp.fetches(), 2);
}

#[tokio::test]
async fn other_subject_token_types_are_an_invalid_request() {
    let key = Key::ec("ec-1");
    let (app, idp) = app_trusting(&key).await;
    let token = key.sign(&idp.claims(&app, "ada"));
    for kind in [
        Some("urn:ietf:params:oauth:token-type:access_token"),
        Some("urn:ietf:params:oauth:token-type:jwt"),
        None,
    ] {
        let mut form = vec![
            ("grant_type", TOKEN_EXCHANGE),
            ("subject_token", token.as_str()),
        ];
        if let Some(kind) = kind {
            form.push(("subject_token_type", kind));
        }
        let response = reqwest::Client::new()
            .post(app.url("/oauth/token"))
            .form(&form)
            .send()
            .await
            .unwrap();
        let description = assert_refused(response, 400, "invalid_request").await;
        assert!(description.contains("subject_token_type"), "{description}");
    }
    let response = reqwest::Client::new()
        .post(app.url("/oauth/token"))
        .form(&[
            ("grant_type", TOKEN_EXCHANGE),
            ("subject_token_type", ID_TOKEN_TYPE),
        ])
        .send()
        .await
        .unwrap();
    assert_refused(response, 400, "invalid_request").await;
}

#[tokio::test]
async fn presented_client_credentials_must_be_right() {
    let key = Key::ec("ec-1");
    let (app, idp) = app_trusting(&key).await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let registered = app
        .state
        .oauth
        .clients
        .register(
            &site,
            ClientSettings {
                name: "Portal".into(),
                homepage_url: None,
                redirect_uris: vec!["https://portal.example.com/cb".into()],
                scopes: None,
                grant_types: None,
            },
            true,
            None,
            &tessera::audit::Actor::Cli,
        )
        .await
        .unwrap();
    let client_id = registered.client.client_id.clone();
    let secret = registered.secret.unwrap().into_inner();
    let post = |secret: String| {
        let token = key.sign(&idp.claims(&app, "ada"));
        let url = app.url("/oauth/token");
        let client_id = client_id.clone();
        async move {
            reqwest::Client::new()
                .post(url)
                .basic_auth(client_id, Some(secret))
                .form(&[
                    ("grant_type", TOKEN_EXCHANGE),
                    ("subject_token", token.as_str()),
                    ("subject_token_type", ID_TOKEN_TYPE),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let refused = post("not-the-secret".into()).await;
    assert!(refused.headers().contains_key("www-authenticate"));
    assert_refused(refused, 401, "invalid_client").await;
    let accepted = post(secret).await;
    assert_eq!(accepted.status().as_u16(), 200);
}

#[tokio::test]
async fn metadata_advertises_token_exchange() {
    let app = crate::helpers::spawn_app().await;
    let meta: Value = reqwest::get(app.url("/.well-known/oauth-authorization-server"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let grants = meta["grant_types_supported"].as_array().unwrap();
    assert!(grants.contains(&json!(TOKEN_EXCHANGE)));
}

#[tokio::test]
async fn a_provider_added_by_another_process_is_picked_up() {
    let key = Key::ed("ed-1");
    let app = super::support::spawn_idp_app().await;
    let idp = Idp::start(&[&key]).await;
    let token = key.sign(&idp.claims(&app, "ada"));
    // The site's (empty) provider list is now cached.
    assert_refused(exchange(&app, &token).await, 400, "invalid_grant").await;

    let added = app.cli(
        &[
            "idp",
            "add",
            "--site",
            "default",
            "--issuer",
            &idp.issuer,
            "--audience",
            super::support::AUDIENCE,
            "--jwks-uri",
            &idp.jwks_uri,
        ],
        None,
    );
    assert_eq!(
        added.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    assert_eq!(eventual_status(&app, &token, 200).await, 200);

    let removed = app.cli(&["idp", "remove", "--site", "default", &idp.issuer], None);
    assert_eq!(removed.status.code(), Some(0));
    assert_eq!(eventual_status(&app, &token, 400).await, 400);
}

/// The change feed is polled: retry until `want` comes back. The bound is
/// generous because the whole suite shares two cores in CI; how fast a
/// change reaches another process is measured in `resilience::nodes`.
async fn eventual_status(app: &TestApp, token: &str, want: u16) -> u16 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let status = exchange(app, token).await.status().as_u16();
        if status == want || std::time::Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn adding_a_provider_keeps_the_other_providers_keys() {
    let first_key = Key::rsa("rsa-1");
    let (app, first) = app_trusting(&first_key).await;
    let response = exchange(&app, &first_key.sign(&first.claims(&app, "ada"))).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(first.fetches(), 1);

    let second_key = Key::ed("ed-1");
    let second = Idp::start(&[&second_key]).await;
    second.trust_on(&app, app.default_site_id()).await;
    let token = second_key.sign(&second.claims(&app, "grace"));
    assert_eq!(eventual_status(&app, &token, 200).await, 200);

    let response = exchange(&app, &first_key.sign(&first.claims(&app, "ada"))).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(first.fetches(), 1, "the first provider's keys were kept");
}
