//! Item 8's smaller holes: a password change ends OAuth grants, a failed
//! code redemption spends the code.

use serde_json::Value;

use crate::helpers::spawn_app;
use crate::oauth::support::*;
use crate::token_kinds::stderr;

async fn refresh(
    app: &crate::helpers::TestApp,
    client: &App,
    refresh_token: &str,
) -> reqwest::Response {
    token(
        app,
        client,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

#[tokio::test]
async fn a_password_change_kills_refresh_tokens_and_grants() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let issued = tokens_for(&app, &browser, &client, None).await;
    let refresh_token = issued["refresh_token"].as_str().unwrap();
    let access = issued["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, &client, access).await["active"], true);

    // An administrator resets alice's password from the CLI (another process).
    let reset = app.cli(
        &[
            "user",
            "set-password",
            "--site",
            "default",
            "alice",
            "--password-stdin",
        ],
        Some("a brand new password 1\n"),
    );
    assert_eq!(reset.status.code(), Some(0), "{}", stderr(&reset));

    let refused = refresh(&app, &client, refresh_token).await;
    assert_eq!(error_of(refused).await, (400, "invalid_grant".into()));
    // The access token of the grant ends with it (the watcher evicts the
    // cached copy within a poll; the store already says revoked).
    let mut active = Value::Bool(true);
    for _ in 0..100 {
        active = introspect(&app, &client, access).await["active"].clone();
        if active == Value::Bool(false) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(active, Value::Bool(false));
}

#[tokio::test]
async fn a_password_change_on_the_account_page_ends_grants_at_once() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let issued = tokens_for(&app, &browser, &client, None).await;
    let access = issued["access_token"].as_str().unwrap();
    // Warm the cache, then change the password in this process.
    assert_eq!(
        api_as(&app, access, "/api/users/current").await.status(),
        200
    );
    let alice = app
        .state
        .store
        .find_user_by_username(app.default_site_id(), "alice")
        .await
        .unwrap()
        .unwrap();
    app.state
        .users
        .set_password(
            app.default_site_id(),
            alice.id,
            "another password 12".into(),
            None,
        )
        .await
        .unwrap();
    assert_eq!(
        api_as(&app, access, "/api/users/current").await.status(),
        401
    );
    let refused = refresh(&app, &client, issued["refresh_token"].as_str().unwrap()).await;
    assert_eq!(error_of(refused).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn a_wrong_verifier_burns_the_code() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let (code, verifier) = authorize_code(&app, &browser, &client, None).await;
    let (guess, _) = pkce();
    let wrong = exchange(&app, &client, &code, &guess).await;
    assert_eq!(error_of(wrong).await, (400, "invalid_grant".into()));
    let right = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(right.headers()["cache-control"], "no-store");
    assert_eq!(error_of(right).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn a_wrong_redirect_uri_burns_the_code() {
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
    let form = |redirect: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("grant_type", "authorization_code".into()),
            ("code", code.clone()),
            ("redirect_uri", redirect.into()),
            ("code_verifier", verifier.clone()),
        ]
    };
    let send = |form: Vec<(&'static str, String)>| {
        let app = &app;
        let client = &client;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, &v[..])).collect();
            token(app, client, &form).await
        }
    };
    let refused = send(form("https://app.example.com/other")).await;
    assert_eq!(error_of(refused).await, (400, "invalid_grant".into()));
    let retry = send(form(REDIRECT)).await;
    assert_eq!(error_of(retry).await, (400, "invalid_grant".into()));
}
