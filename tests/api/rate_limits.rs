//! Rate limits (issue 11, item 5): per client at the token endpoint, per
//! address at the anonymous endpoints, configured per site, shared by every
//! node through the store or Redis.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tessera::clock::Clock;
use tessera::oauth::registration::RegistrationPolicy;
use tessera::ratelimit::{Endpoint, Rate, Subject, Window, chunk_for, counter_key};

use crate::device::{device_client, start};
use crate::helpers::{TestApp, new_client, spawn_app, spawn_app_on_with, spawn_app_with};
use crate::oauth::support::{App, Registration, register, token};

/// A token request that authenticates the client and then fails on the
/// code: 400 when admitted, 429 when over the limit.
async fn token_request(app: &TestApp, client: &App) -> reqwest::Response {
    token(
        app,
        client,
        &[("grant_type", "authorization_code"), ("code", "bogus")],
    )
    .await
}

/// `token_request` for `site_app`'s default site, sent to `node` (another
/// process on the same database): the site answers for
/// `localhost:{site_app.port}`, so that is the `Host` sent.
async fn token_request_via(site_app: &TestApp, node: &TestApp, client: &App) -> reqwest::Response {
    let secret = client.secret.as_deref().expect("a confidential client");
    let request = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{}/oauth/token", node.port))
        .header(
            reqwest::header::HOST,
            format!("localhost:{}", site_app.port),
        )
        .basic_auth(&client.client_id, Some(secret))
        .form(&[("grant_type", "authorization_code"), ("code", "bogus")]);
    // A machine this busy may drop a connection before any handler ran.
    for _ in 0..2 {
        if let Ok(response) = request.try_clone().unwrap().send().await {
            return response;
        }
    }
    request.send().await.expect("an answer")
}

/// Sets the default site's own limits, on every node at once.
async fn set_site_limits(nodes: &[&TestApp], spec: &str) {
    let app = nodes[0];
    let changed = app
        .state
        .store
        .set_site_rate_limits(app.default_site_id(), spec, app.clock.now())
        .await
        .unwrap();
    assert!(changed);
    for node in nodes {
        node.state.sites.reload().await.unwrap();
    }
}

/// Retry-After in whole seconds, within the window.
fn retry_after(response: &reqwest::Response, window_secs: i64) -> i64 {
    let secs: i64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=window_secs).contains(&secs), "Retry-After {secs}");
    secs
}

async fn assert_oauth_429(response: reqwest::Response, window_secs: i64) {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    retry_after(&response, window_secs);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("retry after")
    );
}

/// A second process on `app`'s database, with its settings and clock.
async fn second_node(app: &TestApp) -> TestApp {
    let extra: Vec<(&str, &str)> = app
        .extra_settings
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let node = spawn_app_on_with(
        app.database_url.clone(),
        app.master_key.clone(),
        tempfile::tempdir().unwrap(),
        &extra,
    )
    .await;
    node.clock.set(app.clock.now());
    node
}

#[tokio::test]
async fn a_site_limit_set_by_the_cli_refuses_that_client_only() {
    let app = spawn_app().await;
    let limited = register(&app, Registration::default()).await;
    let other = register(&app, Registration::default()).await;
    let output = app.cli(
        &[
            "site",
            "set-rate-limit",
            "--site",
            "default",
            "--endpoint",
            "token",
            "--per-client",
            "5/min",
        ],
        None,
    );
    assert!(output.status.success(), "{output:?}");
    let output = app.cli(
        &["--json", "site", "rate-limits", "--site", "default"],
        None,
    );
    let shown: Value = serde_json::from_slice(&output.stdout).unwrap();
    let token_row = shown
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["endpoint"] == "token" && row["scope"] == "per_client")
        .unwrap()
        .clone();
    assert_eq!(
        token_row,
        json!({"endpoint": "token", "scope": "per_client", "rate": "5/min", "source": "site"})
    );

    // The running server learns it from the change feed (a deadline, not a
    // count of tries: a loaded machine reads the feed late).
    let site_id = app.default_site_id();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app
        .state
        .sites
        .by_id(site_id)
        .unwrap()
        .rate_limits
        .is_empty()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the server never learnt the site's new limit"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    for _ in 0..5 {
        assert_eq!(token_request(&app, &limited).await.status(), 400);
    }
    assert_oauth_429(token_request(&app, &limited).await, 60).await;
    // Another client of the site has its own count.
    assert_eq!(token_request(&app, &other).await.status(), 400);
}

#[tokio::test]
async fn the_shared_counter_moves_by_chunks_not_per_request() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    set_site_limits(&[&app], "token.per_client=100/min").await;
    let rate = Rate::new(100, 60);
    let key = counter_key(
        app.default_site_id(),
        Endpoint::Token,
        rate,
        Subject::Client(&client.client_id),
    );
    let window = Window::of(app.clock.now(), rate.window_secs);
    // Adding nothing reads the counter.
    let used = || {
        app.state
            .store
            .add_to_rate_window(&key, window.start, window.end, 0)
    };
    for _ in 0..10 {
        assert_eq!(token_request(&app, &client).await.status(), 400);
    }
    assert_eq!(
        used().await.unwrap(),
        chunk_for(100),
        "ten requests, one store trip"
    );
    assert_eq!(token_request(&app, &client).await.status(), 400);
    assert_eq!(used().await.unwrap(), 2 * chunk_for(100));
    // The janitor deletes windows once they are over.
    tessera::janitor::sweep(&app.state.store, window.end + 120)
        .await
        .unwrap();
    assert_eq!(used().await.unwrap(), 0);
}

#[tokio::test]
async fn without_a_site_limit_the_token_endpoint_is_not_limited() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let rate = app.state.rate_limits.rate(
        &site,
        tessera::ratelimit::Endpoint::Token,
        tessera::ratelimit::Scope::PerClient,
    );
    assert_eq!(rate, None, "no per-client limit by default");
    for _ in 0..30 {
        assert_eq!(token_request(&app, &client).await.status(), 400);
    }
}

/// Sends `total` token requests of `client`, spread over `nodes`, ten at a
/// time; returns how many were admitted.
async fn admitted_across(nodes: &[&TestApp], client: &App, total: usize) -> usize {
    let mut admitted = 0;
    for batch in 0..total / 10 {
        let requests = (0..10)
            .map(|i| token_request_via(nodes[0], nodes[(batch * 10 + i) % nodes.len()], client));
        for response in futures_util::future::join_all(requests).await {
            match response.status().as_u16() {
                400 => admitted += 1,
                429 => {}
                other => panic!("unexpected status {other}"),
            }
        }
    }
    admitted
}

/// Two nodes, `limit` per minute per client: together never more than the
/// limit, and at most one chunk per other node less.
async fn two_nodes_share_one_limit(a: TestApp) {
    let b = second_node(&a).await;
    let client = register(&a, Registration::default()).await;
    let other = register(&a, Registration::default()).await;
    let limit = 20;
    set_site_limits(&[&a, &b], &format!("token.per_client={limit}/min")).await;

    let admitted = admitted_across(&[&a, &b], &client, 60).await;
    let tolerance = chunk_for(limit) as usize;
    assert!(admitted <= limit as usize, "admitted {admitted} of {limit}");
    assert!(
        admitted >= limit as usize - tolerance,
        "admitted {admitted}, refused too early"
    );
    for node in [&a, &b] {
        assert_oauth_429(token_request_via(&a, node, &client).await, 60).await;
        assert_eq!(token_request_via(&a, node, &other).await.status(), 400);
    }
}

#[tokio::test]
async fn two_nodes_on_one_database_together_admit_no_more_than_the_limit() {
    let app = spawn_app().await;
    assert_eq!(app.state.rate_limits.backend(), "store");
    two_nodes_share_one_limit(app).await;
}

#[tokio::test]
async fn two_nodes_sharing_redis_together_admit_no_more_than_the_limit() {
    const REDIS: &str = "127.0.0.1:6379";
    if std::net::TcpStream::connect(REDIS).is_err() {
        eprintln!("skipping the Redis rate-limit test: no Redis on {REDIS}");
        return;
    }
    let prefix = format!("tessera-test:{}:", uuid::Uuid::new_v4().simple());
    let app = spawn_app_with(&[
        ("TESSERA_REDIS_URL", &format!("redis://{REDIS}")),
        ("TESSERA_REDIS_KEY_PREFIX", &prefix),
    ])
    .await;
    assert_eq!(app.state.rate_limits.backend(), "redis");
    two_nodes_share_one_limit(app).await;
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
async fn a_site_per_ip_limit_at_registration_answers_in_the_registration_shape() {
    let app = spawn_app().await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    app.state
        .oauth
        .set_registration_policy(&site, RegistrationPolicy::Open)
        .await
        .unwrap();
    set_site_limits(&[&app], "register.per_ip=3/h").await;
    for _ in 0..3 {
        assert_eq!(post_register(&app).await.status(), 201);
    }
    let response = post_register(&app).await;
    assert_eq!(response.status(), 429);
    retry_after(&response, 3600);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("address")
    );
}

#[tokio::test]
async fn the_deployment_default_limits_anonymous_device_requests_per_address() {
    let app = spawn_app_with(&[("TESSERA_RATE_LIMITS", "device.per_ip=2/min")]).await;
    let public = device_client(&app, false).await;
    let confidential = device_client(&app, true).await;
    for _ in 0..2 {
        assert_eq!(start(&app, &public, None).await.status(), 200);
    }
    assert_oauth_429(start(&app, &public, None).await, 60).await;
    // A client that authenticates with its secret counts per client instead.
    assert_eq!(start(&app, &confidential, None).await.status(), 200);
    // A site may lift the deployment's limit.
    set_site_limits(&[&app], "device.per_ip=off").await;
    assert_eq!(start(&app, &public, None).await.status(), 200);
}
