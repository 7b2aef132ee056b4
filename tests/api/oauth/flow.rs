use serde_json::Value;

use super::support::*;
use crate::helpers::{new_client, spawn_app};

#[tokio::test]
async fn the_whole_flow_issues_tokens_the_api_honours() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let (verifier, challenge) = pkce();

    let response = get(
        &browser,
        &app,
        &authorize_path(&client, Some("profile content:read"), &challenge, &[]),
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    assert!(
        response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("Photo Printer"), "names the app");
    assert!(
        page.contains("https://app.example.com/"),
        "links its homepage"
    );
    assert!(page.contains("alice"), "names the signed-in user");
    assert!(page.contains("See and change your account details"));
    assert!(page.contains("Read pages"));
    assert!(page.contains(r#"name="decision" value="allow""#));
    assert!(page.contains(r#"name="decision" value="deny""#));

    let response = submit_consent(&browser, &app, &page, "allow").await;
    assert_eq!(response.status(), 303);
    let back = location(&response);
    assert!(back.starts_with(REDIRECT), "{back}");
    let back = params(&back);
    assert_eq!(back["state"], "xyz-state");
    assert_eq!(back["iss"], app.address);
    let code = &back["code"];
    assert!(code.starts_with("tac_"));

    let response = exchange(&app, &client, code, &verifier).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["pragma"], "no-cache");
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    assert_eq!(tokens["scope"], "profile content:read");
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert!(access.starts_with("tat_") && access.len() <= 255);
    assert!(refresh.starts_with("trt_") && refresh.len() <= 255);

    let me: Value = api_as(&app, access, "/api/users/current")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["credential"], "oauth");
    assert_eq!(me["username"], "alice");
    assert_eq!(me["client_id"], client.client_id);
    assert_eq!(me["scopes"], serde_json::json!(["profile", "content:read"]));
    // A pro may also write content, but the token was not granted that.
    assert_eq!(
        me["permissions"],
        serde_json::json!(["content:read", "account:read", "account:write"])
    );
}

#[tokio::test]
async fn a_user_who_is_not_signed_in_goes_to_login_and_back() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    app.create_user("alice", PASSWORD, tessera::users::Role::Pro)
        .await;
    let browser = new_client(app.port);
    let (_, challenge) = pkce();
    let path = authorize_path(&client, None, &challenge, &[]);

    let response = get(&browser, &app, &path).await;
    assert_eq!(response.status(), 303);
    let login = location(&response);
    assert!(login.starts_with("/login?next="), "{login}");
    let next = url::form_urlencoded::parse(login.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "next")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    // The same request, with the login marker that says the browser was
    // sent to sign in (docs/second-factor.md).
    assert!(
        next.starts_with(&format!("{path}&tessera_login=")),
        "{next}"
    );

    let response = app
        .post_login_on(&browser, &app.address, "alice", PASSWORD, Some(&next))
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), next);
    let response = get(&browser, &app, &next).await;
    assert_eq!(
        response.status(),
        200,
        "the consent screen after signing in"
    );
}

#[tokio::test]
async fn remembered_consent_skips_the_screen_unless_prompt_consent() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    authorize_code(&app, &browser, &client, Some("profile content:read")).await;

    // Within what was granted: straight back to the client.
    let (_, challenge) = pkce();
    let response = get(
        &browser,
        &app,
        &authorize_path(&client, Some("content:read"), &challenge, &[]),
    )
    .await;
    assert_eq!(response.status(), 303);
    assert!(params(&location(&response)).contains_key("code"));

    // More than was granted: asked again.
    let response = get(
        &browser,
        &app,
        &authorize_path(&client, Some("content:write"), &challenge, &[]),
    )
    .await;
    assert_eq!(response.status(), 200);

    // prompt=consent always asks.
    let path = authorize_path(
        &client,
        Some("content:read"),
        &challenge,
        &[("prompt", "consent")],
    );
    assert_eq!(get(&browser, &app, &path).await.status(), 200);
}

#[tokio::test]
async fn an_absent_scope_means_the_clients_allowed_scopes() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let tokens = tokens_for(&app, &browser, &client, None).await;
    assert_eq!(tokens["scope"], "profile content:read content:write");
}

#[tokio::test]
async fn loopback_redirect_uris_may_use_any_port() {
    let app = spawn_app().await;
    let mut client = register(
        &app,
        Registration {
            confidential: false,
            redirect_uris: vec!["http://127.0.0.1/callback"],
            ..Registration::default()
        },
    )
    .await;
    client.redirect_uri = "http://127.0.0.1:49152/callback".into();
    let browser = signed_in_browser(&app).await;
    let (code, verifier) = authorize_code(&app, &browser, &client, None).await;
    let response = exchange(&app, &client, &code, &verifier).await;
    assert_eq!(
        response.status(),
        200,
        "a public client exchanges with PKCE alone"
    );
}

#[tokio::test]
async fn admin_scoped_access_tokens_live_fifteen_minutes() {
    let app = spawn_app().await;
    let client = register(
        &app,
        Registration {
            scopes: Some("profile admin"),
            ..Registration::default()
        },
    )
    .await;
    let browser = signed_in_browser(&app).await;
    let tokens = tokens_for(&app, &browser, &client, Some("admin")).await;
    assert_eq!(tokens["expires_in"], 900);
    // alice is a pro: the admin scope gives her token no admin permission.
    let me: Value = api_as(
        &app,
        tokens["access_token"].as_str().unwrap(),
        "/api/users/current",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(me["permissions"], serde_json::json!([]));
}
