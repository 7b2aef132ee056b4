use tessera::users::Role;

use crate::helpers::{new_client, spawn_app};

#[tokio::test]
async fn an_authtoken_of_site_a_is_anonymous_on_site_b() {
    let app = spawn_app().await;
    let site_b = app
        .create_site("b", "http://site-b.localhost", "site-b.localhost")
        .await;
    app.create_user("alice", "alice-password-1", Role::Admin)
        .await;
    app.create_user_on(site_b, "alice", "alice-password-1", Role::Admin)
        .await;
    let (_, token_a) = app.signed_in_client("alice", "alice-password-1").await;

    let on_b: serde_json::Value = reqwest::Client::builder()
        .resolve("site-b.localhost", ([127, 0, 0, 1], app.port).into())
        .build()
        .unwrap()
        .get(app.url_on("site-b.localhost", "/api/users/current"))
        .bearer_auth(&token_a)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(on_b["credential"], "anonymous");

    // The same value as a cookie on site B's host is anonymous too.
    let cookie_on_b: serde_json::Value = new_client(app.port)
        .get(app.url_on("site-b.localhost", "/api/users/current"))
        .header("Cookie", format!("authtoken={token_a}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cookie_on_b["credential"], "anonymous");
}

#[tokio::test]
async fn users_of_two_sites_are_separate() {
    let app = spawn_app().await;
    let site_b = app
        .create_site("b", "http://site-b.localhost", "site-b.localhost")
        .await;
    app.create_user_on(site_b, "bob", "bob-password-12", Role::Community)
        .await;
    // bob exists only on site B.
    let response = app.post_login("bob", "bob-password-12").await;
    assert_eq!(response.status().as_u16(), 401);
    let client = new_client(app.port);
    let response = app
        .post_login_on(
            &client,
            &app.url_on("site-b.localhost", ""),
            "bob",
            "bob-password-12",
            None,
        )
        .await;
    assert_eq!(response.status().as_u16(), 303);
}

#[tokio::test]
async fn an_unknown_host_gets_a_404_json_error() {
    let app = spawn_app().await;
    let response = new_client(app.port)
        .get(app.url_on("unknown.localhost", "/api/users/current"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "unknown_site");
}

#[tokio::test]
async fn an_unknown_host_shows_browsers_the_hosts_served() {
    let app = spawn_app().await;
    let response = new_client(app.port)
        .get(app.url_on("unknown.localhost", "/login"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    let page = response.text().await.unwrap();
    assert!(page.contains(&format!("localhost:{}", app.port)));
}

#[tokio::test]
async fn the_default_site_answers_on_loopback_addresses_too() {
    let app = spawn_app().await;
    let response = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{}/login", app.port))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}
