//! RP-Initiated Logout: the end_session_endpoint with and without a hint,
//! and its refusals.

use serde_json::Value;

use super::support::{BYE, alice, logout, logout_client, sign_in, signed_in};
use crate::helpers::{hidden_input, spawn_app};
use crate::oauth::support::location;

#[tokio::test]
async fn discovery_lists_the_end_session_endpoint_and_back_channel_logout() {
    let app = spawn_app().await;
    let config: Value = reqwest::get(app.url("/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["end_session_endpoint"], app.url("/oauth/logout"));
    assert_eq!(config["backchannel_logout_supported"], true);
    assert_eq!(config["backchannel_logout_session_supported"], true);
    assert!(config.get("frontchannel_logout_supported").is_none());
    assert!(
        config["claims_supported"]
            .as_array()
            .unwrap()
            .contains(&"sid".into())
    );
}

#[tokio::test]
async fn a_logout_with_the_users_id_token_redirects_with_state_and_ends_the_session() {
    let app = spawn_app().await;
    let (_, browser) = alice(&app).await;
    let client = logout_client(&app, None).await;
    let tokens = sign_in(&app, &browser, &client).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    assert!(signed_in(&app, &browser).await);
    // Even once the ID token has expired, it still names the user.
    app.clock.advance(7200);

    let response = logout(
        &app,
        &browser,
        &[
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", BYE),
            ("state", "af0ifjsldkj"),
        ],
    )
    .await;

    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), format!("{BYE}?state=af0ifjsldkj"));
    assert!(!signed_in(&app, &browser).await, "the session is over");
}

#[tokio::test]
async fn a_logout_without_a_hint_asks_first_and_then_ends_the_session() {
    let app = spawn_app().await;
    let (_, browser) = alice(&app).await;
    let client = logout_client(&app, None).await;

    let response = logout(
        &app,
        &browser,
        &[
            ("client_id", client.client_id.as_str()),
            ("post_logout_redirect_uri", BYE),
            ("state", "s1"),
        ],
    )
    .await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains(r#"action="/oauth/logout/confirm""#));
    assert!(page.contains("Photo Printer"), "the client is named");
    assert!(
        signed_in(&app, &browser).await,
        "nothing ended before the answer"
    );

    let csrf = hidden_input(&page, "csrf_token").unwrap();
    let response = browser
        .post(app.url("/oauth/logout/confirm"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("client_id", client.client_id.as_str()),
            ("post_logout_redirect_uri", BYE),
            ("state", "s1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), format!("{BYE}?state=s1"));
    assert!(!signed_in(&app, &browser).await);
}

#[tokio::test]
async fn a_logout_without_any_client_shows_the_signed_out_page_after_confirmation() {
    let app = spawn_app().await;
    let (_, browser) = alice(&app).await;
    let page = logout(&app, &browser, &[]).await.text().await.unwrap();
    let csrf = hidden_input(&page, "csrf_token").unwrap();
    let response = browser
        .post(app.url("/oauth/logout/confirm"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("You are signed out")
    );
    assert!(!signed_in(&app, &browser).await);
}

#[tokio::test]
async fn a_confirmation_without_its_csrf_token_ends_nothing() {
    let app = spawn_app().await;
    let (_, browser) = alice(&app).await;
    let response = browser
        .post(app.url("/oauth/logout/confirm"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(signed_in(&app, &browser).await);
}

#[tokio::test]
async fn an_unregistered_post_logout_redirect_uri_is_refused_without_a_redirect() {
    let app = spawn_app().await;
    let (_, browser) = alice(&app).await;
    let client = logout_client(&app, None).await;
    let tokens = sign_in(&app, &browser, &client).await;
    let id_token = tokens["id_token"].as_str().unwrap();

    for uri in [
        "https://evil.example/bye",
        "https://app.example.com/bye/more",
    ] {
        let response = logout(
            &app,
            &browser,
            &[
                ("id_token_hint", id_token),
                ("post_logout_redirect_uri", uri),
            ],
        )
        .await;
        assert_eq!(response.status(), 400, "{uri}");
        assert!(response.headers().get("location").is_none());
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("not registered for this application")
        );
    }
    assert!(signed_in(&app, &browser).await, "the session goes on");
}

#[tokio::test]
async fn a_post_logout_redirect_uri_without_a_client_is_refused() {
    let app = spawn_app().await;
    let (_, browser) = alice(&app).await;
    let response = logout(&app, &browser, &[("post_logout_redirect_uri", BYE)]).await;
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn an_id_token_of_another_site_is_refused_as_a_hint() {
    let app = spawn_app().await;
    let (user_id, browser) = alice(&app).await;
    let client = logout_client(&app, None).await;
    let base_b = format!("http://site-b.localhost:{}", app.port);
    let site_b = app.create_site("site-b", &base_b, "site-b.localhost").await;
    let issuer_b = app.state.sites.by_id(site_b).unwrap().issuer.clone();
    let now = tessera::clock::Clock::now(&app.clock);
    // A genuine ID token, signed by site B's key, naming this site's client.
    let (foreign, _) = app
        .state
        .signing
        .sign(
            site_b,
            "JWT",
            &serde_json::json!({
                "iss": issuer_b, "aud": client.client_id, "azp": client.client_id,
                "sub": user_id.to_string(), "iat": now, "exp": now + 600,
            }),
        )
        .await
        .unwrap();

    let response = logout(
        &app,
        &browser,
        &[
            ("id_token_hint", foreign.as_str()),
            ("post_logout_redirect_uri", BYE),
        ],
    )
    .await;
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("location").is_none());
    assert!(signed_in(&app, &browser).await);
}

#[tokio::test]
async fn a_hint_for_another_client_than_client_id_is_refused() {
    let app = spawn_app().await;
    let (_, browser) = alice(&app).await;
    let client = logout_client(&app, None).await;
    let other = logout_client(&app, None).await;
    let tokens = sign_in(&app, &browser, &client).await;
    let response = logout(
        &app,
        &browser,
        &[
            ("id_token_hint", tokens["id_token"].as_str().unwrap()),
            ("client_id", other.client_id.as_str()),
        ],
    )
    .await;
    assert_eq!(response.status(), 400);
    assert!(signed_in(&app, &browser).await);
}
