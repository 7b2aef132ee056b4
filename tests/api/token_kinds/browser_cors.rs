//! CORS for browser tokens: preflights answered from the origin alone, the
//! headers on actual responses, and a real browser on a second origin.

use std::time::Duration;

use tessera::users::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::DEKI_TOKEN;
use crate::browser::start_browser;
use crate::helpers::{TestApp, spawn_app};

const APP_ORIGIN: &str = "http://app.localhost:5173";

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, app.url("/api/pages/notes"))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "PUT")
        .header(
            "Access-Control-Request-Headers",
            "x-deki-token, content-type",
        )
        .send()
        .await
        .unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn a_preflight_from_a_trusted_origin_is_answered_from_the_origin_alone() {
    let app = spawn_app().await;
    app.browser_token(app.default_site_id(), "http://*.localhost:5173")
        .await;
    let response = preflight(&app, APP_ORIGIN).await;
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
    assert_eq!(
        header(&response, "access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(header(&response, "vary"), Some("Origin"));
    let allowed = header(&response, "access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("x-deki-token") && allowed.contains("content-type"));
    assert!(
        header(&response, "access-control-allow-methods")
            .unwrap()
            .contains("PUT")
    );
}

#[tokio::test]
async fn a_preflight_from_an_untrusted_origin_is_a_403_without_cors_headers() {
    let app = spawn_app().await;
    app.browser_token(app.default_site_id(), APP_ORIGIN).await;
    for origin in ["http://evil.localhost:5173", "null"] {
        let response = preflight(&app, origin).await;
        assert_eq!(response.status().as_u16(), 403, "{origin}");
        assert!(header(&response, "access-control-allow-origin").is_none());
        assert_eq!(header(&response, "vary"), Some("Origin"));
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "origin_not_trusted");
    }
}

#[tokio::test]
async fn a_site_without_browser_tokens_trusts_no_origin() {
    let app = spawn_app().await;
    assert_eq!(preflight(&app, APP_ORIGIN).await.status().as_u16(), 403);
    // Without a token, a cross-origin answer carries no CORS headers.
    let response = reqwest::Client::new()
        .get(app.url("/api/users/current"))
        .header("Origin", APP_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert!(header(&response, "access-control-allow-origin").is_none());
    assert_eq!(header(&response, "vary"), Some("Origin"));
}

#[tokio::test]
async fn responses_to_trusted_origins_echo_the_origin_never_a_wildcard() {
    let app = spawn_app().await;
    let key = app.browser_token(app.default_site_id(), APP_ORIGIN).await;
    let response = reqwest::Client::new()
        .get(app.url("/api/users/current"))
        .header(DEKI_TOKEN, &key)
        .header("Origin", APP_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
    assert_eq!(
        header(&response, "access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(header(&response, "vary"), Some("Origin"));
    // A refusal is readable by the trusted page too.
    let refused = reqwest::Client::new()
        .get(app.url("/api/users/current"))
        .header(DEKI_TOKEN, "0123456789abcdef0123456789abcdef")
        .header("Origin", APP_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    assert_eq!(
        header(&refused, "access-control-allow-origin"),
        Some(APP_ORIGIN)
    );
}

/// The page a second origin serves: it calls the API with the browser token
/// and writes what happened into `#result`.
fn page(app_port: u16, key: &str) -> String {
    format!(
        r#"<!doctype html><html><body><p id="result">pending</p><script>
fetch("http://localhost:{app_port}/api/users/current", {{credentials: "include", headers: {{"X-Deki-Token": "{key}"}}}})
  .then(r => r.json())
  .then(me => {{ document.getElementById("result").textContent = "ok " + me.credential + " " + (me.username || "anonymous"); }})
  .catch(() => {{ document.getElementById("result").textContent = "blocked"; }});
</script></body></html>"#
    )
}

/// Serves `html` for every request on the listener.
fn serve_page(listener: TcpListener, html: String) {
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let html = html.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 8192];
                let mut read = 0;
                while read < buffer.len() {
                    match socket.read(&mut buffer[read..]).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => read += n,
                    }
                    if buffer[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{html}",
                    html.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
}

/// Opens the page and waits for its fetch to finish.
async fn fetch_result(browser: &crate::browser::Browser, url: &str) -> String {
    browser.client.goto(url).await.unwrap();
    for _ in 0..200 {
        let text = browser.text_of("#result").await;
        if text != "pending" {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the page never finished its fetch");
}

#[tokio::test]
async fn a_real_browser_on_a_trusted_origin_calls_the_api_and_an_untrusted_one_is_blocked() {
    let app = spawn_app().await;
    app.create_user("alice", "alice-password-1", Role::Pro)
        .await;
    let Some(browser) = start_browser().await else {
        return;
    };
    // One page server reached as two origins: `localhost:<port>` is trusted
    // (and same-site with the app, so its Lax cookie goes along), while
    // `127.0.0.1:<port>` is not.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let page_port = listener.local_addr().unwrap().port();
    let trusted = format!("http://localhost:{page_port}");
    let key = app.browser_token(app.default_site_id(), &trusted).await;
    serve_page(listener, page(app.port, &key));

    let anonymous = fetch_result(&browser, &format!("{trusted}/")).await;
    assert_eq!(anonymous, "ok browser anonymous");

    browser
        .sign_in(&app.address, "alice", "alice-password-1")
        .await;
    browser.wait_for_path("/account").await;
    let signed_in = fetch_result(&browser, &format!("{trusted}/")).await;
    assert_eq!(signed_in, "ok browser alice");

    let untrusted = fetch_result(&browser, &format!("http://127.0.0.1:{page_port}/")).await;
    assert_eq!(untrusted, "blocked");

    browser.client.clone().close().await.unwrap();
}
