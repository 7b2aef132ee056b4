//! Items 7 and 9: DPoP replay state per key in the shared store; ES256 through the stock backend.
//!
//! Before: one pool of 1,000,000 `jti`s per process, shared by every key
//! (full, it refused every proof), and a proof used on one process was
//! accepted once more by every other process of the deployment.

use futures_util::future::join_all;

use crate::dpop::support::{
    Proofer, bound_user_tokens, call, client_credentials, refusal, service_client,
};
use crate::helpers::{TestApp, spawn_app, spawn_app_on};
use crate::oauth::support::{App, Registration, register};

const API: &str = "/api/users/current";

/// A second server process on the first one's database.
async fn second_node(app: &TestApp) -> TestApp {
    spawn_app_on(
        app.database_url.clone(),
        app.master_key.clone(),
        tempfile::tempdir().unwrap(),
    )
    .await
}

/// A request to `node` for the site `app` serves: same database, the site's
/// `Host`, another process.
fn on(
    node: &TestApp,
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, format!("http://127.0.0.1:{}{path}", node.port))
        .header("Host", format!("localhost:{}", app.port))
}

async fn token_on(node: &TestApp, app: &TestApp, client: &App, proof: &str) -> reqwest::Response {
    on(node, app, reqwest::Method::POST, "/oauth/token")
        .basic_auth(&client.client_id, client.secret.as_deref())
        .header("DPoP", proof)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

async fn assert_replay(response: reqwest::Response, status: u16) {
    let (got, error, description) = refusal(response).await;
    assert_eq!((got, error.as_str()), (status, "invalid_dpop_proof"));
    assert!(description.contains("replayed"), "{description}");
}

#[tokio::test]
async fn a_proof_replayed_on_a_second_server_is_refused() {
    let a = spawn_app().await;
    let b = second_node(&a).await;
    let client = service_client(&a).await;
    let proofer = Proofer::es256();
    // Proofs name the site's URL, which both nodes serve.
    let proof = proofer.for_token(&a);
    assert_eq!(
        client_credentials(&a, &client, Some(&proof)).await.status(),
        200
    );
    assert_replay(token_on(&b, &a, &client, &proof).await, 400).await;
    // And the other way round.
    let proof = proofer.for_token(&a);
    assert_eq!(token_on(&b, &a, &client, &proof).await.status(), 200);
    assert_replay(client_credentials(&a, &client, Some(&proof)).await, 400).await;
    // A fresh proof by the same key is fine on either.
    let fresh = proofer.for_token(&a);
    assert_eq!(token_on(&b, &a, &client, &fresh).await.status(), 200);
}

#[tokio::test]
async fn a_proof_replayed_at_the_api_of_a_second_server_is_refused() {
    let a = spawn_app().await;
    let b = second_node(&a).await;
    let client = register(&a, Registration::default()).await;
    let proofer = Proofer::es256();
    let tokens = bound_user_tokens(&a, &client, &proofer).await;
    let access = tokens["access_token"].as_str().unwrap();
    let proof = proofer.proof(&a, "GET", API, Some(access));
    assert_eq!(
        call(&a, API, "DPoP", access, Some(&proof)).await.status(),
        200
    );
    let replayed = on(&b, &a, reqwest::Method::GET, API)
        .header("Authorization", format!("DPoP {access}"))
        .header("DPoP", &proof)
        .send()
        .await
        .unwrap();
    assert_replay(replayed, 401).await;
}

#[tokio::test]
async fn a_proof_sent_to_both_servers_at_once_is_accepted_once() {
    let a = spawn_app().await;
    let b = second_node(&a).await;
    let client = service_client(&a).await;
    let proof = Proofer::es256().for_token(&a);
    let requests = (0..8).map(|i| {
        let node = if i % 2 == 0 { &a } else { &b };
        token_on(node, &a, &client, &proof)
    });
    let statuses: Vec<u16> = join_all(requests)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 400),
        "{statuses:?}"
    );
}

#[tokio::test]
async fn filling_one_keys_share_does_not_affect_another_key() {
    let app = spawn_app().await;
    let client = service_client(&app).await;
    let (flood, other) = (Proofer::es256(), Proofer::es256());
    let other_first = other.for_token(&app);
    assert_eq!(
        client_credentials(&app, &client, Some(&other_first))
            .await
            .status(),
        200
    );
    // More proofs by one key than this process keeps per key.
    let mut sent = Vec::new();
    for _ in 0..tessera::oauth::dpop::REPLAY_SHARE_PER_KEY + 8 {
        let proof = flood.for_token(&app);
        assert_eq!(
            client_credentials(&app, &client, Some(&proof))
                .await
                .status(),
            200
        );
        sent.push(proof);
    }
    // The other key is unaffected: its new proofs work, its old one is
    // still a replay.
    assert_eq!(
        client_credentials(&app, &client, Some(&other.for_token(&app)))
            .await
            .status(),
        200
    );
    assert_replay(
        client_credentials(&app, &client, Some(&other_first)).await,
        400,
    )
    .await;
    // The flooding key's early proofs, forgotten by the process, are still
    // refused by the store; so are its latest.
    for proof in [&sent[0], &sent[1], sent.last().unwrap()] {
        assert_replay(client_credentials(&app, &client, Some(proof)).await, 400).await;
    }
}

#[tokio::test]
async fn the_janitor_purges_proofs_once_their_window_has_passed() {
    let app = spawn_app().await;
    let client = service_client(&app).await;
    let proof = Proofer::es256().for_token(&app);
    assert_eq!(
        client_credentials(&app, &client, Some(&proof))
            .await
            .status(),
        200
    );
    let now = tessera::clock::Clock::now(&app.clock);
    let purged = tessera::janitor::purge_proofs(&app.state.store, now)
        .await
        .unwrap();
    assert_eq!(purged, 0, "a live proof stays");
    let purged = tessera::janitor::purge_proofs(&app.state.store, now + 3600)
        .await
        .unwrap();
    assert_eq!(purged, 1);
}

#[tokio::test]
async fn one_proof_sent_many_times_at_once_buys_one_token() {
    let app = spawn_app().await;
    let client = service_client(&app).await;
    let proof = Proofer::es256().for_token(&app);
    // Sent together, the copies meet in one group-commit batch or in
    // consecutive ones: either way the proof is new once.
    let responses = join_all((0..8).map(|_| client_credentials(&app, &client, Some(&proof)))).await;
    let mut statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400, 400, 400, 400, 400, 400, 400]);
}
