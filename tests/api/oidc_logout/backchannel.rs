//! Back-Channel Logout: logout tokens reach the client (retried until it
//! takes them), verify against the site's JWKS, and the client's tokens
//! stop working.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use serde_json::Value;
use tessera::oauth::logout::backchannel::BACKCHANNEL_LOGOUT_EVENT;

use super::support::{alice, logout, logout_client, sign_in, signed_in};
use crate::helpers::{TestApp, spawn_app_with};
use crate::oauth::support::token;

/// Each request the receiver got: its content type and `logout_token`.
type Received = Arc<Mutex<Vec<(String, String)>>>;

/// A back-channel logout receiver on loopback that answers 500 to its
/// first `failures` requests and 200 afterwards.
fn receiver(failures: usize) -> (String, Received) {
    let received: Received = Arc::default();
    let shared = received.clone();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let shared = shared.clone();
        App::new().route(
            "/backchannel",
            web::post().to(move |req: HttpRequest, body: web::Bytes| {
                let shared = shared.clone();
                async move {
                    let content_type = req
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    let token = url::form_urlencoded::parse(&body)
                        .find(|(k, _)| k == "logout_token")
                        .map(|(_, v)| v.into_owned())
                        .unwrap_or_default();
                    let mut received = shared.lock().unwrap();
                    received.push((content_type, token));
                    if received.len() <= failures {
                        HttpResponse::InternalServerError().finish()
                    } else {
                        HttpResponse::Ok().finish()
                    }
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (format!("http://127.0.0.1:{port}/backchannel"), received)
}

async fn wait_for(received: &Received, count: usize) {
    for _ in 0..100 {
        if received.lock().unwrap().len() >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the receiver got {} requests, not {count}",
        received.lock().unwrap().len()
    );
}

async fn app() -> TestApp {
    spawn_app_with(&[("TESSERA_OUTBOUND_ALLOW_PRIVATE", "true")]).await
}

/// Verifies a logout token against the site's published keys, as a
/// relying party would.
async fn verified(app: &TestApp, token: &str, audience: &str) -> Value {
    let set: JwkSet = reqwest::get(app.url("/.well-known/jwks.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwk = set
        .find(header.kid.as_deref().unwrap())
        .expect("a published key");
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[&app.address]);
    validation.validate_exp = false;
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .expect("the signature and claims check out")
        .claims
}

async fn pending(app: &TestApp) -> i64 {
    app.state
        .store
        .pending_backchannel_logouts(app.default_site_id())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_receiver_that_fails_twice_gets_a_valid_logout_token_on_the_third_attempt() {
    let (url, received) = receiver(2);
    let app = app().await;
    let (user_id, browser) = alice(&app).await;
    let client = logout_client(&app, Some(&url)).await;
    let tokens = sign_in(&app, &browser, &client).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let id_claims = verified(&app, id_token, &client.client_id).await;
    let sid = id_claims["sid"]
        .as_str()
        .expect("the ID token names the session");

    let response = logout(&app, &browser, &[("id_token_hint", id_token)]).await;
    assert_eq!(response.status(), 200, "the signed-out page");
    assert!(!signed_in(&app, &browser).await);

    wait_for(&received, 1).await;
    assert_eq!(pending(&app).await, 1, "kept for a retry");
    // Back-off: ten seconds after the first failure, twenty after the second.
    app.clock.advance(10);
    wait_for(&received, 2).await;
    app.clock.advance(20);
    wait_for(&received, 3).await;

    let requests = received.lock().unwrap().clone();
    let (content_type, logout_token) = &requests[2];
    assert_eq!(content_type, "application/x-www-form-urlencoded");
    let header = jsonwebtoken::decode_header(logout_token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    let claims = verified(&app, logout_token, &client.client_id).await;
    assert_eq!(claims["iss"], app.address);
    assert_eq!(claims["aud"], client.client_id);
    assert_eq!(claims["sub"], user_id.to_string());
    assert_eq!(claims["sid"], sid);
    assert_eq!(
        claims["events"],
        serde_json::json!({ BACKCHANNEL_LOGOUT_EVENT: {} })
    );
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    assert!(claims.get("nonce").is_none(), "a logout token has no nonce");
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());
    for _ in 0..100 {
        if pending(&app).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(pending(&app).await, 0, "delivered once, then forgotten");
}

#[tokio::test]
async fn a_refresh_token_is_refused_after_back_channel_logout() {
    let (url, received) = receiver(0);
    let app = app().await;
    let (_, browser) = alice(&app).await;
    let client = logout_client(&app, Some(&url)).await;
    let tokens = sign_in(&app, &browser, &client).await;
    let refresh = tokens["refresh_token"].as_str().expect("a refresh token");

    let page = crate::oauth::support::get(&browser, &app, "/account")
        .await
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::hidden_input(&page, "csrf_token").unwrap();
    // Signing out on the account page ends the session like a logout request.
    let response = browser
        .post(app.url("/logout"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    wait_for(&received, 1).await;

    let response = token(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn disabling_a_user_sends_a_logout_token_to_their_clients() {
    let (url, received) = receiver(0);
    let app = app().await;
    let (user_id, browser) = alice(&app).await;
    let client = logout_client(&app, Some(&url)).await;
    sign_in(&app, &browser, &client).await;

    app.state
        .users
        .set_disabled(app.default_site_id(), user_id, true)
        .await
        .unwrap();

    wait_for(&received, 1).await;
    let logout_token = received.lock().unwrap()[0].1.clone();
    let claims = verified(&app, &logout_token, &client.client_id).await;
    assert_eq!(claims["sub"], user_id.to_string());
    assert!(claims["sid"].is_string());
}

#[tokio::test]
async fn a_client_without_a_back_channel_uri_keeps_its_tokens_after_logout() {
    let app = app().await;
    let (_, browser) = alice(&app).await;
    let client = logout_client(&app, None).await;
    let tokens = sign_in(&app, &browser, &client).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    logout(&app, &browser, &[("id_token_hint", id_token)]).await;
    assert_eq!(pending(&app).await, 0, "nothing to tell it");
    let response = token(
        &app,
        &client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
}
