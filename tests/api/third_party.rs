//! The OAuth flow driven by code no one here wrote: the `oauth2` crate as a
//! client, and a real browser clicking through the consent screen.

use std::net::SocketAddr;
use std::time::Duration;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, RedirectUrl,
    RefreshToken, Scope, TokenResponse, TokenUrl,
};
use tessera::oauth::ClientSettings;
use tessera::users::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::browser::start_browser;
use crate::helpers::{TestApp, hidden_input, spawn_app};

/// Sends the `oauth2` crate's requests with reqwest, as an app would.
async fn send(request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, reqwest::Error> {
    let response = reqwest::Client::new()
        .request(request.method().clone(), request.uri().to_string())
        .headers(request.headers().clone())
        .body(request.body().clone())
        .send()
        .await?;
    let mut builder = oauth2::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    Ok(builder
        .body(response.bytes().await?.to_vec())
        .expect("a response"))
}

/// Registers a confidential app on the default site.
async fn register_app(app: &TestApp, redirect_uri: &str) -> (String, String) {
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let registered = app
        .state
        .oauth
        .clients
        .register(
            &site,
            ClientSettings {
                name: "Third Party".into(),
                homepage_url: Some("https://third.example.com".into()),
                redirect_uris: vec![redirect_uri.to_string()],
                scopes: Some("profile content:read".into()),
                grant_types: Some(vec!["authorization_code".into(), "refresh_token".into()]),
            },
            true,
            None,
            &tessera::audit::Actor::Cli,
        )
        .await
        .unwrap();
    let secret = registered.secret.unwrap().into_inner();
    (registered.client.client_id.clone(), secret)
}

/// The query parameters of a URL.
fn query(url: &url::Url) -> std::collections::HashMap<String, String> {
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[tokio::test]
async fn the_oauth2_crate_completes_the_code_flow_with_pkce_and_refreshes() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let redirect = "http://127.0.0.1/callback";
    let (client_id, secret) = register_app(&app, redirect).await;
    let oauth = BasicClient::new(ClientId::new(client_id))
        .set_client_secret(ClientSecret::new(secret))
        .set_auth_uri(AuthUrl::new(app.url("/oauth/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(redirect.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (authorize_url, state) = oauth
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("content:read".into()))
        .set_pkce_challenge(challenge)
        .url();

    // The user's browser: signed in, sees the consent page and allows.
    let (browser, _) = app.signed_in_client("alice", "alice-password-1").await;
    let consent = browser.get(authorize_url.as_str()).send().await.unwrap();
    assert_eq!(consent.status().as_u16(), 200);
    let page = consent.text().await.unwrap();
    assert!(page.contains("Third Party"));
    let decision = browser
        .post(app.url("/oauth/authorize"))
        .form(&[
            ("csrf_token", hidden_input(&page, "csrf_token").unwrap()),
            (
                "consent_token",
                hidden_input(&page, "consent_token").unwrap(),
            ),
            ("decision", "allow".into()),
        ])
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(decision.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(redirect));
    let params = query(&location);
    assert_eq!(params["state"], *state.secret());
    assert_eq!(params["iss"], app.address);

    let http = |request| send(request);
    let tokens = oauth
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("the oauth2 crate accepts the token response");
    let scopes: Vec<String> = tokens
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(scopes, vec!["profile", "content:read"]);
    let me = app
        .current_user_bearer(tokens.access_token().secret())
        .await;
    assert_eq!(me["username"], "alice");
    assert_eq!(me["credential"], "oauth");

    let refreshed = oauth
        .exchange_refresh_token(&RefreshToken::new(
            tokens.refresh_token().unwrap().secret().clone(),
        ))
        .request_async(&http)
        .await
        .expect("the refresh works");
    assert_ne!(
        refreshed.access_token().secret(),
        tokens.access_token().secret()
    );
    let me = app
        .current_user_bearer(refreshed.access_token().secret())
        .await;
    assert_eq!(me["credential"], "oauth");
}

/// A one-page local app that the browser lands on after consent.
async fn callback_server() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            let body = "<!doctype html><title>Callback</title><p id=done>Signed in</p>";
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
        }
    });
    addr
}

#[tokio::test]
async fn a_person_approves_an_app_in_a_real_browser() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let callback = callback_server().await;
    let redirect = format!("http://127.0.0.1:{}/cb", callback.port());
    let (client_id, secret) = register_app(&app, &redirect).await;
    let Some(browser) = start_browser().await else {
        return;
    };
    let verifier = "a-fixed-verifier-that-is-long-enough-for-pkce-0123456789";
    let challenge = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(verifier.as_bytes()))
    };
    let mut authorize = url::Url::parse(&app.url("/oauth/authorize")).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", &redirect)
        .append_pair("scope", "profile content:read")
        .append_pair("state", "xyz-123")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");

    // Not signed in: the browser is sent to sign in and comes back.
    browser.client.goto(authorize.as_str()).await.unwrap();
    browser.wait_for_path("/login").await;
    browser.fill("#username", "alice").await;
    browser.fill("#password", "alice-password-1").await;
    browser
        .click("form[action='/login'] button[type=submit]")
        .await;
    browser.wait_for_path("/oauth/authorize").await;

    assert_eq!(browser.text_of("#consent-client-name").await, "Third Party");
    let scopes = browser.text_of("#consent-scopes").await;
    assert!(
        scopes.contains("See and change your account details"),
        "{scopes}"
    );
    browser.click("#consent-allow").await;

    let landed = browser.wait_for_path("/cb").await;
    assert_eq!(browser.text_of("#done").await, "Signed in");
    let params = query(&landed);
    assert_eq!(params["state"], "xyz-123");
    let response = reqwest::Client::new()
        .post(app.url("/oauth/token"))
        .basic_auth(&client_id, Some(&secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", params["code"].as_str()),
            ("redirect_uri", redirect.as_str()),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let tokens: serde_json::Value = response.json().await.unwrap();
    let me = app
        .current_user_bearer(tokens["access_token"].as_str().unwrap())
        .await;
    assert_eq!(me["username"], "alice");
    tokio::time::sleep(Duration::from_millis(10)).await;
    browser.client.clone().close().await.unwrap();
}
