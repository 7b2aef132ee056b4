//! The database goes away under load and comes back (issue 11, "Database
//! restart under load"), for one Tessera process whose connections run
//! through a proxy the test cuts: the shared Postgres stays up. Every
//! answer while it is away is a clear 503 in the endpoint's own shape, no
//! token a client received is lost, and readiness comes back by itself.
//!
//! Postgres only (the Postgres run of the suite): a SQLite file does not go
//! away. `scripts/db-restart.sh` does the same with a real Postgres restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tessera::users::Role;

use super::proxy::{CuttableProxy, upstream_of};
use super::{active_on, on, service_client};
use crate::dpop::support::{Proofer, bound_user_tokens};
use crate::helpers::{TestApp, cookie_value, spawn_app, spawn_app_on_with};
use crate::oauth::support::{App, Registration, register};

/// The node's pool acquire timeout: the longest a request may wait.
const DATABASE_TIMEOUT_MILLIS: u64 = 1000;

struct Answer {
    status: u16,
    took: Duration,
    token: Option<String>,
    error: Option<String>,
    no_store: bool,
}

fn postgres_run() -> bool {
    std::env::var("TESSERA_TEST_DATABASE_URL").is_ok_and(|url| !url.is_empty())
}

/// Token requests to `node` in a loop until `stop`.
async fn keep_requesting(
    node_port: u16,
    site_port: u16,
    client: App,
    stop: Arc<AtomicBool>,
) -> Vec<Answer> {
    let http = reqwest::Client::new();
    let mut answers = Vec::new();
    while !stop.load(Ordering::Acquire) {
        let started = Instant::now();
        let response = http
            .post(format!("http://127.0.0.1:{node_port}/oauth/token"))
            .header("Host", format!("localhost:{site_port}"))
            .basic_auth(&client.client_id, client.secret.as_deref())
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .expect("an answer, never a dropped connection");
        let status = response.status().as_u16();
        let no_store = response
            .headers()
            .get("cache-control")
            .is_some_and(|v| v == "no-store");
        let body: serde_json::Value = response.json().await.expect("a JSON answer");
        answers.push(Answer {
            status,
            took: started.elapsed(),
            token: body["access_token"].as_str().map(str::to_string),
            error: body["error"].as_str().map(str::to_string),
            no_store,
        });
    }
    answers
}

async fn readiness(node: &TestApp) -> (u16, serde_json::Value) {
    let response = reqwest::get(format!("http://127.0.0.1:{}/readyz", node.port))
        .await
        .expect("GET /readyz");
    (
        response.status().as_u16(),
        response.json().await.expect("JSON"),
    )
}

/// Polls `/readyz` until it answers `status`; returns how long that took.
async fn until_readiness(node: &TestApp, status: u16, within: Duration) -> Duration {
    let started = Instant::now();
    while started.elapsed() < within {
        if readiness(node).await.0 == status {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("/readyz did not answer {status} within {within:?}");
}

#[tokio::test]
async fn a_database_outage_under_load_is_answered_503_and_loses_no_token() {
    if !postgres_run() {
        eprintln!("skipped: the database outage test runs on the Postgres run of the suite");
        return;
    }
    let app = spawn_app().await;
    let proxy = CuttableProxy::start(upstream_of(&app.database_url)).await;
    let timeout = DATABASE_TIMEOUT_MILLIS.to_string();
    let node = spawn_app_on_with(
        proxy.url_for(&app.database_url),
        app.master_key.clone(),
        tempfile::tempdir().unwrap(),
        &[("TESSERA_DATABASE_TIMEOUT_MILLIS", &timeout)],
    )
    .await;
    let client = service_client(&app).await;
    app.create_user("carol", "carol-password-1", Role::Pro)
        .await;
    let signed_in = app.post_login("carol", "carol-password-1").await;
    let authtoken = cookie_value(signed_in.headers(), "authtoken").expect("a session");
    let proofer = Proofer::es256();
    let code_client = register(&app, Registration::default()).await;
    let bound = bound_user_tokens(&app, &code_client, &proofer).await;
    let bound_access = bound["access_token"].as_str().unwrap().to_string();

    let stop = Arc::new(AtomicBool::new(false));
    let load: Vec<_> = (0..4)
        .map(|_| {
            tokio::spawn(keep_requesting(
                node.port,
                app.port,
                client.clone(),
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;

    // The node knows the bound token before the cut, so during it only the
    // proof's replay check needs the store.
    let dpop_api = |proof: String| {
        on(&node, &app, reqwest::Method::GET, "/api/users/current")
            .header("Authorization", format!("DPoP {bound_access}"))
            .header("DPoP", proof)
            .send()
    };
    let proof = proofer.proof(&app, "GET", "/api/users/current", Some(&bound_access));
    assert_eq!(dpop_api(proof).await.unwrap().status(), 200);

    proxy.cut();
    let cut_at = Instant::now();
    until_readiness(&node, 503, Duration::from_secs(5)).await;
    let (_, why) = readiness(&node).await;
    assert_eq!(why["error"], "store_unavailable");

    // Each kind of endpoint answers 503 in its own shape.
    let api = on(&node, &app, reqwest::Method::GET, "/api/users/current")
        .header("Cookie", format!("authtoken={authtoken}"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 503);
    assert!(api.headers().contains_key("retry-after"));
    let body: serde_json::Value = api.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    let page = on(&node, &app, reqwest::Method::GET, "/account")
        .header("Cookie", format!("authtoken={authtoken}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 503);
    assert!(
        page.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("temporarily_unavailable")
    );

    // DPoP: a proof whose replay check cannot reach the store is not
    // called invalid; the client is told to retry, at the token endpoint
    // and at the API.
    let dpop_token = on(&node, &app, reqwest::Method::POST, "/oauth/token")
        .header("DPoP", proofer.for_token(&app))
        .basic_auth(&client.client_id, client.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(dpop_token.status(), 503);
    assert!(dpop_token.headers().contains_key("retry-after"));
    let body: serde_json::Value = dpop_token.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");
    let proof = proofer.proof(&app, "GET", "/api/users/current", Some(&bound_access));
    let refused = dpop_api(proof).await.unwrap();
    assert_eq!(refused.status(), 503);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "temporarily_unavailable");

    tokio::time::sleep(Duration::from_millis(1500).saturating_sub(cut_at.elapsed())).await;
    proxy.restore();
    let back = until_readiness(&node, 200, Duration::from_secs(5)).await;
    eprintln!(
        "outage {:?}, ready again {back:?} after",
        cut_at.elapsed() - back
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    stop.store(true, Ordering::Release);

    let mut answers = Vec::new();
    for task in load {
        answers.extend(task.await.unwrap());
    }
    let unavailable = answers.iter().filter(|a| a.status == 503).count();
    let tokens: Vec<&str> = answers.iter().filter_map(|a| a.token.as_deref()).collect();
    eprintln!(
        "{} answers: {} tokens, {unavailable} × 503",
        answers.len(),
        tokens.len()
    );
    // Client-credentials tokens need no store (they are not stored, and
    // the client is cached): the load may go through the outage untouched.
    // Whatever was answered, it was a token or a clean 503.
    for answer in &answers {
        match answer.status {
            200 => assert!(answer.token.is_some()),
            503 => {
                assert_eq!(answer.error.as_deref(), Some("temporarily_unavailable"));
                assert!(answer.no_store);
            }
            other => panic!("{other} ({:?}) during the outage", answer.error),
        }
        assert!(
            answer.took < Duration::from_millis(DATABASE_TIMEOUT_MILLIS + 3000),
            "a request waited {:?}",
            answer.took
        );
    }
    assert!(
        answers.last().is_some_and(|a| a.status == 200),
        "tokens are issued again"
    );
    for token in tokens {
        assert!(
            active_on(&app, &app, &client, token).await,
            "a token was lost"
        );
    }
}
