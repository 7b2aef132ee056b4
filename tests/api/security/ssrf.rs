//! Item 5: outbound fetches refuse private, loopback and link-local addresses.
//!
//! With the default settings, every forbidden `jwks_uri` class is refused
//! at registration (CLI exit 2, admin page 400), and a provider row written
//! straight into the store, around registration, is never fetched from: the
//! token exchange answers `invalid_grant` and a listener at the target
//! accepts no connection. A fetch that fails answers `invalid_grant` with
//! the same words as a bad signature (never a 5xx), and is retried at most
//! once a minute.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use tessera::store::NewIdentityProvider;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::helpers::{TestApp, hidden_input, spawn_app};
use crate::identity::support::{AUDIENCE, Idp, Key, assert_refused, exchange, jwks, spawn_idp_app};

/// A listener that counts the connections it accepts and answers every
/// request with `response`.
struct Listener {
    port: u16,
    accepted: Arc<AtomicUsize>,
}

impl Listener {
    /// `None` when `ip` cannot be bound here (no IPv6 loopback).
    async fn start(ip: &str, response: String) -> Option<Listener> {
        let socket = TcpListener::bind((ip, 0)).await.ok()?;
        let port = socket.local_addr().ok()?.port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let counted = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = socket.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let response = response.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buffer = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Some(Listener { port, accepted })
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

fn http_response(status: &str, headers: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// A good key set: a fetch that got through would let the exchange succeed.
fn serving(key: &Key) -> String {
    http_response(
        "200 OK",
        "Content-Type: application/json\r\n",
        &jwks(&[key]),
    )
}

/// Every class of `jwks_uri` that must be refused; `port` is a local
/// listener's (loopback on any port is refused).
fn forbidden_uris(port: u16) -> Vec<String> {
    vec![
        "https://10.0.0.1/jwks".into(),
        "https://169.254.169.254/latest/meta-data/".into(),
        format!("http://127.0.0.1:{port}/jwks"),
        format!("https://127.0.0.1:{port}/jwks"),
        format!("https://[::1]:{port}/jwks"),
        format!("https://localhost:{port}/jwks"),
        "https://idp.localhost/jwks".into(),
        "http://idp.example.com/jwks".into(),
        format!("https://[::ffff:127.0.0.1]:{port}/jwks"),
        "https://100.64.0.1/jwks".into(),
        "https://[fd00::1]/jwks".into(),
        "https://metadata.google.internal/computeMetadata/v1/".into(),
    ]
}

fn claims(app: &TestApp, issuer: &str) -> Value {
    let now = tessera::clock::Clock::now(&app.clock);
    json!({
        "iss": issuer, "aud": AUDIENCE, "sub": "mallory",
        "given_name": "M", "family_name": "R", "iat": now, "exp": now + 300,
    })
}

/// Writes a provider row directly, as a hand edit or another tool would.
async fn store_provider(app: &TestApp, issuer: &str, jwks_uri: &str) {
    app.state
        .store
        .create_identity_provider(&NewIdentityProvider {
            site_id: app.default_site_id(),
            issuer: issuer.into(),
            audience: AUDIENCE.into(),
            jwks_uri: Some(jwks_uri.into()),
            jwks_json: None,
            algorithms: "ES256".into(),
            created_at: tessera::clock::Clock::now(&app.clock),
        })
        .await
        .unwrap();
    app.state.cache.identity.evict_site(app.default_site_id());
}

async fn providers_listed(app: &TestApp) -> usize {
    let listed = app.cli(&["idp", "list", "--site", "default", "--json"], None);
    let providers: Vec<Value> = serde_json::from_slice(&listed.stdout).unwrap();
    providers.len()
}

#[tokio::test]
async fn the_cli_refuses_every_forbidden_jwks_uri_with_exit_2() {
    let app = spawn_app().await;
    let key = Key::ec("ec-1");
    let listener = Listener::start("127.0.0.1", serving(&key)).await.unwrap();
    for uri in forbidden_uris(listener.port) {
        let output = app.cli(
            &[
                "idp",
                "add",
                "--site",
                "default",
                "--issuer",
                "https://idp.example.com",
                "--audience",
                AUDIENCE,
                "--jwks-uri",
                &uri,
            ],
            None,
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{uri}: {stderr}");
        assert!(stderr.contains("JWKS URL is refused"), "{uri}: {stderr}");
        assert!(
            stderr.contains("TESSERA_OUTBOUND_ALLOW_PRIVATE"),
            "{stderr}"
        );
    }
    assert_eq!(providers_listed(&app).await, 0, "nothing was registered");
    assert_eq!(listener.accepted(), 0);
}

#[tokio::test]
async fn the_admin_page_refuses_every_forbidden_jwks_uri_with_400() {
    let app = spawn_app().await;
    let key = Key::ec("ec-1");
    let listener = Listener::start("127.0.0.1", serving(&key)).await.unwrap();
    let (client, _) = app
        .signed_in_client(&app.admin_username, &app.admin_password)
        .await;
    let page = client.get(app.url("/admin")).send().await.unwrap();
    let csrf = hidden_input(&page.text().await.unwrap(), "csrf_token").unwrap();
    for uri in forbidden_uris(listener.port) {
        let response = client
            .post(app.url("/admin/identity-providers"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("issuer", "https://idp.example.com"),
                ("audience", AUDIENCE),
                ("jwks_uri", &uri),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{uri}");
        let body = response.text().await.unwrap();
        assert!(body.contains("JWKS URL is refused"), "{uri}: {body}");
    }
    assert_eq!(providers_listed(&app).await, 0, "nothing was registered");
    assert_eq!(listener.accepted(), 0);
}

#[tokio::test]
async fn a_stored_provider_pointing_inside_is_never_fetched_from() {
    let app = spawn_app().await;
    let key = Key::ec("ec-1");
    let v4 = Listener::start("127.0.0.1", serving(&key)).await.unwrap();
    let mut targets = vec![
        format!("http://127.0.0.1:{}/jwks", v4.port),
        format!("https://127.0.0.1:{}/jwks", v4.port),
        format!("http://localhost:{}/jwks", v4.port),
        format!("http://[::ffff:127.0.0.1]:{}/jwks", v4.port),
        format!("http://2130706433:{}/jwks", v4.port),
        "https://10.0.0.1/jwks".into(),
        "http://169.254.169.254/latest/meta-data/".into(),
    ];
    let v6 = Listener::start("::1", serving(&key)).await;
    if let Some(v6) = &v6 {
        targets.push(format!("http://[::1]:{}/jwks", v6.port));
    }
    for (i, uri) in targets.iter().enumerate() {
        store_provider(&app, &format!("https://idp-{i}.example.com"), uri).await;
    }
    let mut descriptions = Vec::new();
    for (i, uri) in targets.iter().enumerate() {
        let token = key.sign(&claims(&app, &format!("https://idp-{i}.example.com")));
        let response = exchange(&app, &token).await;
        assert_eq!(response.status().as_u16(), 400, "{uri}");
        descriptions.push(assert_refused(response, 400, "invalid_grant").await);
    }
    assert_eq!(v4.accepted(), 0, "the loopback listener was never reached");
    assert_eq!(v6.map_or(0, |v6| v6.accepted()), 0);
    for description in &descriptions {
        assert!(
            description.contains("could not be verified"),
            "{description}"
        );
        assert!(!description.contains("127.0.0.1"), "{description}");
    }
}

#[tokio::test]
async fn an_unreachable_provider_gets_the_answer_of_a_bad_signature_never_a_5xx() {
    let app = spawn_idp_app().await;
    let key = Key::ec("ec-1");
    // A port nothing listens on any more.
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    store_provider(
        &app,
        "https://down.example.com",
        &format!("http://127.0.0.1:{closed_port}/jwks"),
    )
    .await;
    let unreachable = exchange(&app, &key.sign(&claims(&app, "https://down.example.com"))).await;
    let unreachable = assert_refused(unreachable, 400, "invalid_grant").await;

    let idp = Idp::start(&[&key]).await;
    idp.trust_on(&app, app.default_site_id()).await;
    app.state.cache.identity.evict_site(app.default_site_id());
    let forger = Key::ec("ec-1");
    let forged = exchange(&app, &forger.sign(&idp.claims(&app, "ada"))).await;
    let forged = assert_refused(forged, 400, "invalid_grant").await;
    assert_eq!(
        unreachable, forged,
        "the answer does not tell what can be reached"
    );
}

#[tokio::test]
async fn a_redirect_from_the_jwks_uri_is_not_followed() {
    let app = spawn_idp_app().await;
    let key = Key::ec("ec-1");
    let target = Listener::start("127.0.0.1", serving(&key)).await.unwrap();
    let location = format!("Location: http://127.0.0.1:{}/jwks\r\n", target.port);
    let redirecting = Listener::start("127.0.0.1", http_response("302 Found", &location, ""))
        .await
        .unwrap();
    let uri = format!("http://127.0.0.1:{}/jwks", redirecting.port);
    store_provider(&app, "https://moved.example.com", &uri).await;
    let response = exchange(&app, &key.sign(&claims(&app, "https://moved.example.com"))).await;
    assert_refused(response, 400, "invalid_grant").await;
    assert_eq!(redirecting.accepted(), 1);
    assert_eq!(target.accepted(), 0, "the redirect was not followed");
}

#[tokio::test]
async fn a_failing_provider_is_asked_at_most_once_a_minute() {
    let app = spawn_idp_app().await;
    let key = Key::ec("ec-1");
    let failing = Listener::start(
        "127.0.0.1",
        http_response("503 Service Unavailable", "", ""),
    )
    .await
    .unwrap();
    let uri = format!("http://127.0.0.1:{}/jwks", failing.port);
    store_provider(&app, "https://flaky.example.com", &uri).await;
    let token = || key.sign(&claims(&app, "https://flaky.example.com"));
    for _ in 0..5 {
        assert_refused(exchange(&app, &token()).await, 400, "invalid_grant").await;
    }
    assert_eq!(failing.accepted(), 1, "one fetch for five exchanges");
    app.clock.advance(61);
    assert_refused(exchange(&app, &token()).await, 400, "invalid_grant").await;
    assert_eq!(failing.accepted(), 2, "a minute later, one more");
}
