use serde_json::Value;

use super::support::*;
use crate::helpers::spawn_app;

async fn refresh(
    app: &crate::helpers::TestApp,
    client: &App,
    token_value: &str,
    scope: Option<&str>,
) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", token_value),
    ];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    token(app, client, &form).await
}

#[tokio::test]
async fn refresh_tokens_rotate_on_every_use() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let first = tokens_for(&app, &browser, &client, None).await;
    let response = refresh(
        &app,
        &client,
        first["refresh_token"].as_str().unwrap(),
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let second: Value = response.json().await.unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);
    assert_eq!(second["scope"], first["scope"]);
    let third = refresh(
        &app,
        &client,
        second["refresh_token"].as_str().unwrap(),
        None,
    )
    .await;
    assert_eq!(third.status(), 200);
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_family() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let first = tokens_for(&app, &browser, &client, None).await;
    let old = first["refresh_token"].as_str().unwrap();
    let second: Value = refresh(&app, &client, old, None)
        .await
        .json()
        .await
        .unwrap();
    let newest_access = second["access_token"].as_str().unwrap();
    assert_eq!(
        api_as(&app, newest_access, "/api/users/current")
            .await
            .status(),
        200
    );

    let replay = refresh(&app, &client, old, None).await;
    assert_eq!(error_of(replay).await, (400, "invalid_grant".into()));

    let newest_refresh = second["refresh_token"].as_str().unwrap();
    let response = refresh(&app, &client, newest_refresh, None).await;
    assert_eq!(error_of(response).await, (400, "invalid_grant".into()));
    assert_eq!(
        api_as(&app, newest_access, "/api/users/current")
            .await
            .status(),
        401
    );
    let first_access = first["access_token"].as_str().unwrap();
    assert_eq!(
        introspect(&app, &client, first_access).await["active"],
        false
    );
}

#[tokio::test]
async fn simultaneous_uses_of_one_refresh_token_rotate_it_once() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let first = tokens_for(&app, &browser, &client, None).await;
    let old = first["refresh_token"].as_str().unwrap();

    let uses = (0..6).map(|_| refresh(&app, &client, old, None));
    let mut statuses = Vec::new();
    let mut successors = Vec::new();
    for response in futures_util::future::join_all(uses).await {
        statuses.push(response.status().as_u16());
        if response.status() == 200 {
            let body: Value = response.json().await.unwrap();
            successors.push(body["refresh_token"].as_str().unwrap().to_string());
        }
    }
    // One use rotates it; the others are replays of a rotated token, which
    // revoke the family (the successor too).
    assert!(successors.len() <= 1, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 400),
        "{statuses:?}"
    );
    if let Some(successor) = successors.first()
        && statuses.contains(&400)
    {
        let response = refresh(&app, &client, successor, None).await;
        assert_eq!(error_of(response).await, (400, "invalid_grant".into()));
    }
}

#[tokio::test]
async fn a_refresh_may_narrow_the_scope_but_not_widen_it() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let first = tokens_for(&app, &browser, &client, Some("profile content:read")).await;
    let escalated = refresh(
        &app,
        &client,
        first["refresh_token"].as_str().unwrap(),
        Some("content:write"),
    )
    .await;
    assert_eq!(error_of(escalated).await, (400, "invalid_scope".into()));

    let narrowed: Value = refresh(
        &app,
        &client,
        first["refresh_token"].as_str().unwrap(),
        Some("content:read"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(narrowed["scope"], "content:read");
    // The next refresh may still ask for everything originally granted.
    let again: Value = refresh(
        &app,
        &client,
        narrowed["refresh_token"].as_str().unwrap(),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(again["scope"], "profile content:read");
}

#[tokio::test]
async fn a_refresh_token_belongs_to_its_client() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let other = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let first = tokens_for(&app, &browser, &client, None).await;
    let response = refresh(&app, &other, first["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(error_of(response).await, (400, "invalid_grant".into()));
}
