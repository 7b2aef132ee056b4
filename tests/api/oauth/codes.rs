use serde_json::Value;

use super::support::*;
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_wrong_code_verifier_is_invalid_grant() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let (code, _) = authorize_code(&app, &browser, &client, None).await;
    let (other_verifier, _) = pkce();
    let response = exchange(&app, &client, &code, &other_verifier).await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(error_of(response).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn reused_authorization_code_revokes_issued_tokens() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let (code, verifier) = authorize_code(&app, &browser, &client, None).await;
    let first: Value = exchange(&app, &client, &code, &verifier)
        .await
        .json()
        .await
        .unwrap();
    let access = first["access_token"].as_str().unwrap();
    let refresh = first["refresh_token"].as_str().unwrap();
    assert_eq!(
        api_as(&app, access, "/api/users/current").await.status(),
        200
    );

    let second = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(error_of(second).await, (400, "invalid_grant".into()));

    assert_eq!(
        introspect(&app, &client, access).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(
        api_as(&app, access, "/api/users/current").await.status(),
        401
    );
    let refreshed = token(
        &app,
        &client,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    assert_eq!(error_of(refreshed).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let (code, verifier) = authorize_code(&app, &browser, &client, None).await;
    app.clock.advance(61);
    let response = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(error_of(response).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn a_code_presented_by_another_client_is_refused_and_spent() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let other = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let (code, verifier) = authorize_code(&app, &browser, &client, None).await;
    let response = exchange(&app, &other, &code, &verifier).await;
    assert_eq!(error_of(response).await, (400, "invalid_grant".into()));
    // A failed redemption spends the code (issue 10, item 8): a code that
    // reached another client is compromised, so not even its client may
    // redeem it now.
    let retry = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(error_of(retry).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn a_code_of_site_a_is_refused_at_site_b() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let base_b = app.url_on("site-b.localhost", "");
    let site_b = app.create_site("site-b", &base_b, "site-b.localhost").await;
    let client_b = register_on(&app, site_b, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let (code, verifier) = authorize_code(&app, &browser, &client, None).await;

    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let response = token_at(&app, &base_b, &client_b, &form).await;
    assert_eq!(error_of(response).await, (400, "invalid_grant".into()));
    // Site A's client is not known at site B at all.
    let response = token_at(&app, &base_b, &client, &form).await;
    assert_eq!(error_of(response).await, (401, "invalid_client".into()));
}

#[tokio::test]
async fn the_token_request_must_repeat_the_redirect_uri() {
    let app = spawn_app().await;
    let client = register(
        &app,
        Registration {
            redirect_uris: vec![REDIRECT, "https://app.example.com/other"],
            ..Registration::default()
        },
    )
    .await;
    let browser = signed_in_browser(&app).await;
    let (code, verifier) = authorize_code(&app, &browser, &client, None).await;
    let response = token(
        &app,
        &client,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "https://app.example.com/other"),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(error_of(response).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn a_client_without_refresh_tokens_redeems_its_code_once() {
    let app = spawn_app().await;
    let client = register(
        &app,
        Registration {
            grant_types: Some(vec!["authorization_code"]),
            ..Registration::default()
        },
    )
    .await;
    let browser = signed_in_browser(&app).await;
    let (code, verifier) = authorize_code(&app, &browser, &client, None).await;
    // Nothing but the grant is stored for it: the access token never is.
    let response = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert!(tokens.get("refresh_token").is_none(), "{tokens}");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, &client, access).await["active"], true);
    // The second use is refused and ends what the first gave.
    let again = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(again.status(), 400);
    assert_eq!(introspect(&app, &client, access).await["active"], false);
}
