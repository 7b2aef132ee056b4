//! Item 3: sign-in, device-code, registration and client-authentication throttles shared by every node.
//!
//! Each attack is run the way the review ran it: many parallel requests,
//! on one node or on two nodes sharing one database.

use std::sync::Arc;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use tessera::clock::Clock;
use tessera::oauth::registration::RegistrationPolicy;
use tessera::throttle::ThrottleKey;
use tessera::users::Role;

use crate::helpers::{TestApp, hidden_input, new_client, spawn_app, spawn_app_on};
use crate::oauth::support::{App, PASSWORD, Registration, register};

const WRONG: &str = "not the password";

/// A second process on the first one's database, its clock set to the first's.
async fn second_node(app: &TestApp) -> TestApp {
    let node = spawn_app_on(
        app.database_url.clone(),
        app.master_key.clone(),
        tempfile::tempdir().unwrap(),
    )
    .await;
    node.clock.set(app.clock.now());
    node
}

/// Sends, and sends again when no answer came back at all: on a machine
/// this busy, actix may answer a connection it did not read within its
/// five-second request timeout with a bare 408, before any handler ran.
async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    for _ in 0..3 {
        let attempt = request.try_clone().expect("a body that can be cloned");
        match attempt.send().await {
            Ok(response) => return response,
            Err(e) => eprintln!("no answer, sending again: {e}"),
        }
    }
    request.send().await.expect("an answer")
}

/// A browser talking to `node` about `site_app`'s default site: the site
/// answers for `localhost:{site_app.port}`, so that is the `Host` sent.
struct Browser {
    client: reqwest::Client,
    base: String,
}

impl Browser {
    fn new(site_app: &TestApp, node: &TestApp) -> Self {
        Self::with_session(site_app, node, None)
    }

    /// With `authtoken` as its session cookie, if given.
    fn with_session(site_app: &TestApp, node: &TestApp, authtoken: Option<&str>) -> Self {
        let base = format!("http://127.0.0.1:{}", node.port);
        let jar = Arc::new(reqwest::cookie::Jar::default());
        if let Some(token) = authtoken {
            jar.add_cookie_str(
                &format!("authtoken={token}; Path=/"),
                &base.parse().unwrap(),
            );
        }
        let mut headers = HeaderMap::new();
        let host = format!("localhost:{}", site_app.port);
        headers.insert(reqwest::header::HOST, HeaderValue::from_str(&host).unwrap());
        let client = reqwest::Client::builder()
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap();
        Self { client, base }
    }

    async fn csrf(&self, path: &str) -> String {
        let page = send(self.client.get(format!("{}{path}", self.base)))
            .await
            .text()
            .await
            .unwrap();
        hidden_input(&page, "csrf_token").expect("a csrf_token field")
    }

    async fn login(&self, username: &str, password: &str) -> reqwest::Response {
        let csrf = self.csrf("/login").await;
        self.post_login(&csrf, username, password).await
    }

    async fn post_login(&self, csrf: &str, username: &str, password: &str) -> reqwest::Response {
        let form = [
            ("username", username),
            ("password", password),
            ("csrf_token", csrf),
        ];
        send(self.client.post(format!("{}/login", self.base)).form(&form)).await
    }

    async fn enter_code(&self, user_code: &str) -> reqwest::Response {
        let csrf = self.csrf("/device").await;
        self.client
            .post(format!("{}/device", self.base))
            .form(&[("csrf_token", csrf.as_str()), ("user_code", user_code)])
            .send()
            .await
            .unwrap()
    }
}

fn retry_after(response: &reqwest::Response) -> i64 {
    response
        .headers()
        .get("retry-after")
        .expect("a Retry-After header")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

/// Counts the answers: (401s, 429s); every 429 carries a `Retry-After`.
fn tally(responses: &[reqwest::Response]) -> (usize, usize) {
    let mut counts = (0, 0);
    for response in responses {
        match response.status() {
            StatusCode::UNAUTHORIZED => counts.0 += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert!(retry_after(response) > 0);
                counts.1 += 1;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    counts
}

/// Forty browsers with the sign-in form open, spread over `nodes`.
async fn ready_browsers(site_app: &TestApp, nodes: &[&TestApp]) -> Vec<(Browser, String)> {
    let mut browsers = Vec::new();
    for n in 0..40 {
        let browser = Browser::new(site_app, nodes[n % nodes.len()]);
        let csrf = browser.csrf("/login").await;
        browsers.push((browser, csrf));
    }
    browsers
}

#[tokio::test]
async fn forty_parallel_wrong_passwords_get_at_most_five_tries() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, Role::Community).await;
    let browsers = ready_browsers(&app, &[&app]).await;
    let attempts = browsers
        .iter()
        .map(|(browser, csrf)| browser.post_login(csrf, "alice", WRONG));
    let responses = futures_util::future::join_all(attempts).await;
    assert_eq!(tally(&responses), (5, 35));
    // Even the right password waits now.
    let response = app.post_login("alice", PASSWORD).await;
    assert_eq!(response.status(), 429);
}

#[tokio::test]
async fn two_nodes_on_one_database_share_the_count() {
    let a = spawn_app().await;
    let b = second_node(&a).await;
    a.create_user("alice", PASSWORD, Role::Community).await;
    let browsers = ready_browsers(&a, &[&a, &b]).await;
    let attempts = browsers
        .iter()
        .map(|(browser, csrf)| browser.post_login(csrf, "Alice", WRONG));
    let responses = futures_util::future::join_all(attempts).await;
    assert_eq!(tally(&responses), (5, 35));
    for node in [&a, &b] {
        let response = Browser::new(&a, node).login("alice", PASSWORD).await;
        assert_eq!(response.status(), 429, "locked on every node");
    }
}

#[tokio::test]
async fn a_success_before_the_limit_clears_the_account() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, Role::Community).await;
    let app = &app;
    let login = |password| async move { Browser::new(app, app).login("alice", password).await };
    for _ in 0..4 {
        assert_eq!(login(WRONG).await.status(), 401);
    }
    assert_eq!(login(PASSWORD).await.status(), 303);
    // A fresh count: five more tries before the lock.
    for _ in 0..5 {
        assert_eq!(login(WRONG).await.status(), 401);
    }
    assert_eq!(login(WRONG).await.status(), 429);
}

#[tokio::test]
async fn the_lock_out_doubles_with_each_try_past_the_limit() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, Role::Community).await;
    for _ in 0..5 {
        assert_eq!(app.post_login("alice", WRONG).await.status(), 401);
    }
    let mut lock = 60;
    for _ in 0..4 {
        let response = app.post_login("alice", WRONG).await;
        assert_eq!(response.status(), 429);
        assert_eq!(retry_after(&response), lock);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("Too many failed attempts")
        );
        app.clock.advance(lock);
        // One try once the lock has passed, and a longer lock after it.
        assert_eq!(app.post_login("alice", WRONG).await.status(), 401);
        lock *= 2;
    }
    assert_eq!(retry_after(&app.post_login("alice", WRONG).await), 900);
}

#[tokio::test]
async fn overlong_usernames_and_passwords_are_refused_before_any_work() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, Role::Community).await;
    let long_name = "a".repeat(10 * 1024);
    let long_password = "p".repeat(2 * 1024);
    for _ in 0..10 {
        let response = app.post_login(&long_name, WRONG).await;
        assert_eq!(response.status(), 400);
        let page = response.text().await.unwrap();
        assert!(page.contains("too long"));
        assert!(!page.contains(&long_name), "not echoed back");
        let response = app.post_login("alice", &long_password).await;
        assert_eq!(response.status(), 400);
    }
    // Nothing was counted, so nothing was hashed: the address has no
    // counter and alice still has all her tries.
    let site = app.default_site_id();
    let address = ThrottleKey::signin_address(site, "127.0.0.1", 5);
    let counter = app.state.store.find_throttle_counter(address.as_str());
    assert_eq!(counter.await.unwrap(), None);
    assert_eq!(app.post_login("alice", PASSWORD).await.status(), 303);
}

/// A device client, a started device flow, and alice's session.
async fn device_flow(app: &TestApp) -> (String, String) {
    let client = crate::device::device_client(app, false).await;
    let started = crate::device::started(app, &client).await;
    app.create_user("alice", PASSWORD, Role::Pro).await;
    let (_, authtoken) = app.signed_in_client("alice", PASSWORD).await;
    (
        started["user_code"].as_str().unwrap().to_string(),
        authtoken,
    )
}

#[tokio::test]
async fn guessing_user_codes_is_throttled_on_every_node() {
    let a = spawn_app().await;
    let b = second_node(&a).await;
    let (user_code, authtoken) = device_flow(&a).await;
    let browsers = [
        Browser::with_session(&a, &a, Some(&authtoken)),
        Browser::with_session(&a, &b, Some(&authtoken)),
    ];
    // Alternating nodes, five wrong codes are told so; then even the right
    // code waits, on both nodes.
    for n in 0..5 {
        let response = browsers[n % 2].enter_code("BBBB-BBBB").await;
        assert_eq!(response.status(), 400);
    }
    for browser in &browsers {
        let response = browser.enter_code(&user_code).await;
        assert_eq!(response.status(), 429);
        assert_eq!(retry_after(&response), 60);
    }
}

async fn post_register(app: &TestApp) -> reqwest::Response {
    new_client(app.port)
        .post(app.url("/oauth/register"))
        .json(&json!({
            "client_name": "Flood",
            "redirect_uris": ["https://flood.example.com/cb"],
        }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_registration_flood_gets_429_in_the_registration_error_shape() {
    let app = spawn_app().await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    app.state
        .oauth
        .set_registration_policy(&site, RegistrationPolicy::Open)
        .await
        .unwrap();
    for _ in 0..10 {
        assert_eq!(post_register(&app).await.status(), 201);
    }
    let response = post_register(&app).await;
    assert_eq!(response.status(), 429);
    assert_eq!(retry_after(&response), 60);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    assert_eq!(
        app.state
            .oauth
            .clients
            .list(&site, None)
            .await
            .unwrap()
            .len(),
        10
    );
}

async fn authenticate(app: &TestApp, client: &App, secret: &str) -> reqwest::Response {
    let request = new_client(app.port)
        .post(app.url("/oauth/token"))
        .basic_auth(&client.client_id, Some(secret))
        .form(&[("grant_type", "authorization_code"), ("code", "bogus")]);
    send(request).await
}

#[tokio::test]
async fn failed_client_authentications_lock_out_that_client_id_only() {
    let app = spawn_app().await;
    let target = register(&app, Registration::default()).await;
    let other = register(&app, Registration::default()).await;
    let guesses = (0..30).map(|_| authenticate(&app, &target, "guess"));
    let responses = futures_util::future::join_all(guesses).await;
    assert_eq!(tally(&responses), (10, 20));
    let response = authenticate(&app, &target, "guess").await;
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("retry after")
    );
    // Another client is not affected...
    let response = authenticate(&app, &other, "guess").await;
    assert_eq!(response.status(), 401);
    let response = authenticate(&app, &other, other.secret.as_deref().unwrap()).await;
    assert_eq!(response.status(), 400, "authenticated, then a bad code");
    // ...and only failures count: the real client still gets in.
    let response = authenticate(&app, &target, target.secret.as_deref().unwrap()).await;
    assert_eq!(response.status(), 400);
    // Unknown client ids are counted too, each apart.
    let ghost = App {
        client_id: "no-such-client".into(),
        secret: None,
        redirect_uri: String::new(),
    };
    for _ in 0..10 {
        assert_eq!(authenticate(&app, &ghost, "x").await.status(), 401);
    }
    assert_eq!(authenticate(&app, &ghost, "x").await.status(), 429);
}

#[tokio::test]
async fn the_janitor_forgets_counters_once_their_lock_out_is_long_over() {
    let app = spawn_app().await;
    for _ in 0..6 {
        app.post_login("mallory", WRONG).await;
    }
    let key = ThrottleKey::signin_account(app.default_site_id(), "mallory", 5);
    let counter = app.state.store.find_throttle_counter(key.as_str()).await;
    let counter = counter.unwrap().expect("a counter");
    assert_eq!(counter.hits, 5);
    // Still locked out or recently so: kept.
    tessera::janitor::sweep(&app.state.store, counter.next_at + 60)
        .await
        .unwrap();
    let kept = app.state.store.find_throttle_counter(key.as_str()).await;
    assert!(kept.unwrap().is_some());
    // Fifteen quiet minutes after the lock-out: gone.
    let later = counter.next_at + tessera::throttle::decision::FORGET_AFTER_SECS + 1;
    tessera::janitor::sweep(&app.state.store, later)
        .await
        .unwrap();
    let gone = app.state.store.find_throttle_counter(key.as_str()).await;
    assert_eq!(gone.unwrap(), None);
}

#[tokio::test]
async fn the_account_page_cannot_guess_the_current_password_past_the_limit() {
    let app = spawn_app().await;
    app.create_user("alice", PASSWORD, Role::Pro).await;
    let (browser, _) = app.signed_in_client("alice", PASSWORD).await;
    let csrf = app.account_csrf(&browser).await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let response = browser
            .post(app.url("/account/password"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("current_password", WRONG),
                ("new_password", "a brand new passphrase"),
                ("confirm_password", "a brand new passphrase"),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    let wrong = statuses
        .iter()
        .filter(|s| **s == StatusCode::BAD_REQUEST)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((wrong, throttled), (5, 2), "{statuses:?}");
    // The sign-in form counts the same account.
    let response = app.post_login("alice", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}
