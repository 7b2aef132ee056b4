//! A graceful stop (what SIGTERM and SIGINT start): requests in flight get
//! their answers, and every token a client received is stored.

use std::time::Duration;

use futures_util::future::join_all;

use super::{active_on, request_token, service_client};
use crate::helpers::{spawn_app, spawn_app_on};

#[tokio::test]
async fn a_graceful_stop_keeps_every_token_it_handed_out() {
    let mut app = spawn_app().await;
    let client = service_client(&app).await;
    let first = request_token(&app, &app, &client).await.unwrap();
    assert_eq!(first.status(), 200);

    // Thirty-two clients ask for tokens in a loop; the server is told to
    // stop while they do.
    // One HTTP client for all: building one takes a while (TLS roots).
    let http = reqwest::Client::new();
    let requesters = (0..32).map(|_| {
        let (client, http) = (client.clone(), http.clone());
        let (port, site_port) = (app.port, app.port);
        async move {
            let mut tokens = Vec::new();
            // Until the server refuses connections: it stopped listening.
            loop {
                let sent = http
                    .post(format!("http://127.0.0.1:{port}/oauth/token"))
                    .header("Host", format!("localhost:{site_port}"))
                    .basic_auth(&client.client_id, client.secret.as_deref())
                    .form(&[("grant_type", "client_credentials")])
                    .send()
                    .await;
                let response = match sent {
                    Ok(response) => response,
                    Err(_) => break,
                };
                if response.status() != 200 {
                    panic!("{} while stopping", response.status());
                }
                match response.json::<serde_json::Value>().await {
                    Ok(body) => tokens.push(body["access_token"].as_str().unwrap().to_string()),
                    Err(_) => break,
                }
            }
            tokens
        }
    });
    let load = tokio::spawn(join_all(requesters));
    tokio::time::sleep(Duration::from_millis(400)).await;
    app.stop_gracefully().await;
    let tokens: Vec<String> = load.await.unwrap().into_iter().flatten().collect();
    eprintln!("{} tokens", tokens.len());
    assert!(tokens.len() >= 32, "only {} tokens", tokens.len());
    assert!(
        request_token(&app, &app, &client).await.is_err(),
        "the stopped server no longer listens"
    );

    // Another process on the same database knows every one of them.
    let other = spawn_app_on(
        app.database_url.clone(),
        app.master_key.clone(),
        tempfile::tempdir().unwrap(),
    )
    .await;
    for token in &tokens {
        assert!(
            active_on(&other, &app, &client, token).await,
            "a token handed out before the stop was not stored"
        );
    }
}
