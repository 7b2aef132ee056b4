use tessera::users::Role;

use crate::helpers::{cookie_value, hidden_input, new_client, set_cookies, spawn_app};

#[tokio::test]
async fn signing_in_with_the_right_password_sets_the_authtoken_and_redirects() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;

    let response = app.post_login("alice", "alice-password-1").await;

    assert_eq!(response.status().as_u16(), 303);
    assert_eq!(response.headers()["location"], "/account");
    let token = cookie_value(response.headers(), "authtoken").expect("authtoken cookie");
    assert!(token.starts_with("tas_") && token.len() <= 255);
    let me = app.current_user_with(&app.client).await;
    assert_eq!(me["username"], "alice");
    assert_eq!(me["role"], "pro");
    assert_eq!(me["credential"], "authtoken");
}

#[tokio::test]
async fn the_printed_admin_can_sign_in() {
    let app = spawn_app().await;
    let response = app
        .post_login(&app.admin_username, &app.admin_password)
        .await;
    assert_eq!(response.status().as_u16(), 303);
    let me = app.current_user_with(&app.client).await;
    assert_eq!(me["username"], "admin");
    assert_eq!(me["role"], "admin");
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_generic_message() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Community)
        .await;

    let wrong = app.post_login("alice", "not-her-password").await;
    assert_eq!(wrong.status().as_u16(), 401);
    assert!(set_cookies(wrong.headers(), "authtoken").is_empty());
    let wrong_body = wrong.text().await.unwrap();

    let unknown = app.post_login("nobody", "not-her-password").await;
    assert_eq!(unknown.status().as_u16(), 401);
    let unknown_body = unknown.text().await.unwrap();

    assert!(wrong_body.contains("Incorrect username or password."));
    assert!(unknown_body.contains("Incorrect username or password."));
    let me = app.current_user_with(&app.client).await;
    assert_eq!(me["credential"], "anonymous");
}

#[tokio::test]
async fn the_authtoken_cookie_is_http_only_lax_and_site_wide() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Community)
        .await;

    let response = app.post_login("alice", "alice-password-1").await;

    let cookie = set_cookies(response.headers(), "authtoken").remove(0);
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(cookie.contains("Max-Age="), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http site: {cookie}");
}

#[tokio::test]
async fn the_authtoken_cookie_is_secure_on_an_https_site() {
    let app = spawn_app().await;
    let site = app
        .create_site("secure", "https://secure.localhost", "secure.localhost")
        .await;
    app.create_user_on(site, "alice", "alice-password-1", Role::Community)
        .await;
    // The test talks plain http, so a cookie jar would rightly withhold the
    // Secure CSRF cookie: carry it by hand.
    let client = new_client(app.port);
    let page = client
        .get(app.url_on("secure.localhost", "/login"))
        .send()
        .await
        .unwrap();
    let csrf_cookie = set_cookies(page.headers(), "tessera_csrf").remove(0);
    assert!(csrf_cookie.contains("Secure"), "{csrf_cookie}");
    let csrf_value = cookie_value(page.headers(), "tessera_csrf").unwrap();
    let csrf_token = hidden_input(&page.text().await.unwrap(), "csrf_token").unwrap();

    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve("secure.localhost", ([127, 0, 0, 1], app.port).into())
        .build()
        .unwrap()
        .post(app.url_on("secure.localhost", "/login"))
        .header("Cookie", format!("tessera_csrf={csrf_value}"))
        .form(&[
            ("username", "alice"),
            ("password", "alice-password-1"),
            ("csrf_token", csrf_token.as_str()),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 303);
    let cookie = set_cookies(response.headers(), "authtoken").remove(0);
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn next_paths_on_the_same_site_are_followed() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Community)
        .await;
    let response = app
        .post_login_on(
            &app.client,
            &app.address,
            "alice",
            "alice-password-1",
            Some("/account?x=1"),
        )
        .await;
    assert_eq!(response.headers()["location"], "/account?x=1");
}

#[tokio::test]
async fn open_redirect_attempts_in_next_are_refused() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Community)
        .await;
    for evil in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/%5Cevil.example",
        "http:evil.example",
    ] {
        let client = new_client(app.port);
        let response = app
            .post_login_on(
                &client,
                &app.address,
                "alice",
                "alice-password-1",
                Some(evil),
            )
            .await;
        assert_eq!(response.status().as_u16(), 303);
        assert_eq!(response.headers()["location"], "/account", "next={evil}");
    }
}

#[tokio::test]
async fn the_login_page_carries_a_safe_next_only() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(app.url("/login?next=//evil.example"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(hidden_input(&page, "next").as_deref(), Some("/account"));
}

#[tokio::test]
async fn a_sign_in_post_without_the_csrf_token_is_refused() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Community)
        .await;
    // A page visit sets the CSRF cookie, but the form omits the token.
    app.login_csrf(&app.client, &app.address).await;

    let response = app
        .client
        .post(app.url("/login"))
        .form(&[("username", "alice"), ("password", "alice-password-1")])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 403);
    assert!(set_cookies(response.headers(), "authtoken").is_empty());
}

#[tokio::test]
async fn a_csrf_token_from_another_browser_is_refused() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Community)
        .await;
    let attacker = new_client(app.port);
    let stolen = app.login_csrf(&attacker, &app.address).await;
    app.login_csrf(&app.client, &app.address).await;

    let response = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("username", "alice"),
            ("password", "alice-password-1"),
            ("csrf_token", stolen.as_str()),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(response.status().as_u16(), 403);
}

#[tokio::test]
async fn repeated_failures_are_throttled_even_with_the_right_password() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Community)
        .await;
    for _ in 0..5 {
        let response = app.post_login("alice", "wrong-password!").await;
        assert_eq!(response.status().as_u16(), 401);
    }

    let response = app.post_login("alice", "alice-password-1").await;

    assert_eq!(response.status().as_u16(), 429);
    let retry_after: i64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after > 0 && retry_after <= 60);
    assert!(set_cookies(response.headers(), "authtoken").is_empty());

    // Once the lock has passed, the right password works again.
    app.clock.advance(61);
    let response = app.post_login("alice", "alice-password-1").await;
    assert_eq!(response.status().as_u16(), 303);
}

#[tokio::test]
async fn disabled_users_cannot_sign_in() {
    let app = spawn_app().await;
    let id = app
        .create_user("alice", "alice-password-1", Role::Community)
        .await;
    app.state
        .users
        .set_disabled(app.default_site_id(), id, true)
        .await
        .unwrap();

    let response = app.post_login("alice", "alice-password-1").await;

    assert_eq!(response.status().as_u16(), 401);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Incorrect username or password.")
    );
}
