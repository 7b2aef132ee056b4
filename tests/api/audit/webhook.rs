//! Delivery of audit events to a webhook: signed, retried, and not repeated
//! after a restart.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::Value;
use tessera::audit::webhook::{
    SIGNATURE_HEADER, WebhookDelivery, WebhookSecret, WebhookTarget, signature,
};

use crate::helpers::spawn_app_with;

const SECRET: &str = "a webhook secret of some length";

#[derive(Default)]
struct Received {
    /// Every request: its signature header and body.
    requests: Vec<(String, Vec<u8>)>,
}

/// A receiver on loopback that refuses its first request with a 500 and
/// takes the rest.
fn receiver() -> (String, Arc<Mutex<Received>>) {
    let received = Arc::new(Mutex::new(Received::default()));
    let shared = received.clone();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let shared = shared.clone();
        App::new().route(
            "/hook",
            web::post().to(move |req: HttpRequest, body: web::Bytes| {
                let shared = shared.clone();
                async move {
                    let signature = req
                        .headers()
                        .get(SIGNATURE_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    let mut received = shared.lock().unwrap();
                    received.requests.push((signature, body.to_vec()));
                    if received.requests.len() == 1 {
                        HttpResponse::InternalServerError().finish()
                    } else {
                        HttpResponse::NoContent().finish()
                    }
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    tokio::spawn(server);
    (format!("http://127.0.0.1:{port}/hook"), received)
}

#[tokio::test]
async fn events_reach_the_webhook_signed_after_a_retry_and_only_once() {
    let (url, received) = receiver();
    let app = spawn_app_with(&[
        ("TESSERA_OUTBOUND_ALLOW_PRIVATE", "true"),
        ("TESSERA_AUDIT_WEBHOOK_URL", url.as_str()),
        ("TESSERA_AUDIT_WEBHOOK_SECRET", SECRET),
    ])
    .await;
    assert_eq!(app.post_login("nobody", "guess").await.status(), 401);
    // Events wait a moment before they go, for slower writers.
    app.clock.advance(5);

    let mut delivered = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let received = received.lock().unwrap();
        if received.requests.len() >= 2 {
            delivered = Some(received.requests.clone());
            break;
        }
    }
    let requests = delivered.expect("a failed then a successful delivery");
    // The retry carries the same batch.
    assert_eq!(requests[0].1, requests[1].1);
    let (signed, body) = &requests[1];
    let expected = signature(&WebhookSecret::new(SECRET.into()), body);
    assert_eq!(signed, &expected);
    let batch: Value = serde_json::from_slice(body).unwrap();
    let events = batch["events"].as_array().unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["kind"], "signin.failed");
    assert_eq!(events[0]["site"], "default");
    assert!(!body.windows(5).any(|w| w == b"guess"));

    // A restarted process (another lease owner, once the lease ran out)
    // starts after what was delivered.
    app.clock.advance(60);
    let restarted = WebhookDelivery::new(
        app.state.store.clone(),
        app.state.outbound.clone(),
        app.state.clock.clone(),
        WebhookTarget {
            url: url.parse().unwrap(),
            secret: WebhookSecret::new(SECRET.into()),
        },
    );
    assert_eq!(restarted.deliver_batch().await.unwrap(), 0);
    assert_eq!(received.lock().unwrap().requests.len(), 2);
}

#[tokio::test]
async fn a_webhook_without_a_secret_is_a_settings_error() {
    use std::collections::HashMap;
    let vars: HashMap<String, String> = [
        (
            "TESSERA_AUDIT_WEBHOOK_URL",
            "https://hooks.example.com/audit",
        ),
        (
            "TESSERA_MASTER_KEY",
            &tessera::crypto::MasterKey::generate().to_base64(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let error = tessera::settings::Settings::from_vars(&vars, None)
        .err()
        .unwrap();
    assert_eq!(error.variable, "TESSERA_AUDIT_WEBHOOK_SECRET");
}
