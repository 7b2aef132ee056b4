//! The outbound client end to end against a listener on 127.0.0.1 that
//! counts the connections it accepts, with a fake DNS so a public-looking
//! name can point at it (DNS rebinding).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

struct FakeDns(HashMap<&'static str, IpAddr>);

#[async_trait]
impl Lookup for FakeDns {
    async fn lookup(&self, host: &str) -> std::io::Result<Vec<IpAddr>> {
        self.0
            .get(host)
            .map(|ip| vec![*ip])
            .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::NotFound, "no such host"))
    }
}

/// A listener answering every request with `response`; returns its port
/// and the number of connections it accepted.
async fn listener(response: String) -> (u16, Arc<AtomicUsize>) {
    let socket = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = socket.local_addr().unwrap().port();
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
    (port, accepted)
}

fn ok(body: &str) -> String {
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn outbound(allow_private: bool) -> Outbound {
    let dns = FakeDns(HashMap::from([(
        "rebound.example",
        "127.0.0.1".parse().unwrap(),
    )]));
    Outbound::with_lookup(OutboundPolicy { allow_private }, Arc::new(dns)).unwrap()
}

fn url(raw: &str) -> Url {
    Url::parse(raw).unwrap()
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_never_connected_to() {
    let (port, accepted) = listener(ok("{}")).await;
    let https = url(&format!("https://rebound.example:{port}/jwks"));
    assert!(matches!(
        outbound(false).fetch(&https, "*/*", 1024).await,
        Err(FetchError::RefusedHost(_))
    ));
    let http = url(&format!("http://rebound.example:{port}/jwks"));
    assert!(matches!(
        outbound(false).fetch(&http, "*/*", 1024).await,
        Err(FetchError::Refused(UrlError::NotHttps(_)))
    ));
    assert_eq!(accepted.load(Ordering::SeqCst), 0);

    // The same name with the development setting does connect: the
    // listener would have seen a connection.
    let value: serde_json::Value = outbound(true).fetch_json(&http, 1024).await.unwrap();
    assert_eq!(value, serde_json::json!({}));
    assert_eq!(accepted.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn ip_literal_hosts_are_checked_before_the_request() {
    let (port, accepted) = listener(ok("{}")).await;
    for raw in [
        format!("https://127.0.0.1:{port}/"),
        format!("https://[::ffff:127.0.0.1]:{port}/"),
        format!("http://127.0.0.1:{port}/"),
    ] {
        let refused = outbound(false).fetch(&url(&raw), "*/*", 1024).await;
        assert!(matches!(refused, Err(FetchError::Refused(_))), "{raw}");
    }
    assert_eq!(accepted.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn redirects_are_failures_and_not_followed() {
    let (target_port, target_hits) = listener(ok("{}")).await;
    let redirect = format!(
        "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{target_port}/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    let (port, _) = listener(redirect).await;
    let fetched = outbound(true)
        .fetch(&url(&format!("http://127.0.0.1:{port}/")), "*/*", 1024)
        .await;
    assert_eq!(fetched, Err(FetchError::Redirected(StatusCode::FOUND)));
    assert_eq!(target_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn bodies_over_the_limit_are_cut_off_while_streaming() {
    let big = "x".repeat(4096);
    // No Content-Length: the limit must hold while reading.
    let (port, _) = listener(format!("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n{big}")).await;
    let fetched = outbound(true)
        .fetch(&url(&format!("http://127.0.0.1:{port}/")), "*/*", 1000)
        .await;
    assert_eq!(fetched, Err(FetchError::TooLarge(1000)));
    let (port, _) = listener(ok(&big)).await;
    let fetched = outbound(true)
        .fetch(&url(&format!("http://127.0.0.1:{port}/")), "*/*", 1000)
        .await;
    assert_eq!(fetched, Err(FetchError::TooLarge(1000)));
}

#[test]
fn cache_control_says_how_long_an_answer_may_be_reused() {
    use reqwest::header::{CACHE_CONTROL, HeaderMap, HeaderValue};
    let of = |values: &[&'static str]| {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(CACHE_CONTROL, HeaderValue::from_static(value));
        }
        Freshness::of(&headers)
    };
    assert_eq!(of(&[]), Freshness::Unspecified);
    assert_eq!(of(&["public, max-age=600"]), Freshness::MaxAge(600));
    assert_eq!(of(&["Max-Age=\"60\""]), Freshness::MaxAge(60));
    assert_eq!(of(&["max-age=600, no-cache"]), Freshness::DoNotReuse);
    assert_eq!(of(&["public", "no-store"]), Freshness::DoNotReuse);
    assert_eq!(of(&["max-age=soon"]), Freshness::DoNotReuse);
}
