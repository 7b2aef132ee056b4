//! A minimal OpenID provider in the test process (discovery, keys, a token
//! endpoint answering with the ID token the test asks for) and helpers that
//! walk a brokered sign-in over HTTP the way a browser would.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use reqwest::header::LOCATION;
use serde_json::{Value, json};
use tessera::upstream::{NewProvider, add_provider};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::helpers::{TestApp, hidden_input, spawn_app_with};
use crate::identity::support::{Key, jwks};

pub const NAME: &str = "corp";
pub const DISPLAY_NAME: &str = "Corp SSO";
pub const CLIENT_ID: &str = "tessera-at-corp";
pub const CLIENT_SECRET: &str = "corp-secret-0123456789";

/// The provider's side of the story: what it answers, and what it was asked.
pub struct Provider {
    pub issuer: String,
    key: Arc<Key>,
    /// The claims of the next ID token (`None`: the code is refused).
    claims: Arc<Mutex<Option<Value>>>,
    /// The form bodies the token endpoint received.
    token_requests: Arc<Mutex<Vec<String>>>,
}

impl Provider {
    pub async fn start() -> Provider {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let provider = Provider {
            issuer: issuer.clone(),
            key: Arc::new(Key::rsa("corp-1")),
            claims: Arc::new(Mutex::new(None)),
            token_requests: Arc::new(Mutex::new(Vec::new())),
        };
        let (key, claims, requests) = (
            provider.key.clone(),
            provider.claims.clone(),
            provider.token_requests.clone(),
        );
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (key, claims, requests, issuer) = (
                    key.clone(),
                    claims.clone(),
                    requests.clone(),
                    issuer.clone(),
                );
                tokio::spawn(async move {
                    serve(stream, &issuer, &key, &claims, &requests).await;
                });
            }
        });
        provider
    }

    /// The next ID token carries these claims.
    pub fn answer_with(&self, claims: Value) {
        *self.claims.lock().unwrap() = Some(claims);
    }

    pub fn token_requests(&self) -> Vec<HashMap<String, String>> {
        self.token_requests
            .lock()
            .unwrap()
            .iter()
            .map(|body| {
                url::form_urlencoded::parse(body.as_bytes())
                    .into_owned()
                    .collect()
            })
            .collect()
    }

    /// Good claims for `sub`, for the sign-in that was sent with `nonce`.
    pub fn claims(&self, app: &TestApp, sub: &str, nonce: &str) -> Value {
        let now = tessera::clock::Clock::now(&app.clock);
        json!({
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": sub,
            "nonce": nonce,
            "iat": now,
            "exp": now + 300,
            "given_name": "Ada",
            "family_name": "Lovelace",
            "email": "ada@example.com",
            "email_verified": true,
        })
    }
}

async fn serve(
    mut stream: TcpStream,
    issuer: &str,
    key: &Key,
    claims: &Mutex<Option<Value>>,
    requests: &Mutex<Vec<String>>,
) {
    let mut raw = Vec::new();
    let mut buffer = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => raw.extend_from_slice(&buffer[..n]),
        }
    };
    let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .unwrap_or(0);
    while raw.len() < head_end + length {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => raw.extend_from_slice(&buffer[..n]),
        }
    }
    let body = String::from_utf8_lossy(&raw[head_end..head_end + length]).to_string();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let (status, answer) = match path.as_str() {
        "/.well-known/openid-configuration" => (
            "200 OK",
            json!({
                "issuer": issuer,
                "authorization_endpoint": format!("{issuer}/authorize"),
                "token_endpoint": format!("{issuer}/token"),
                "jwks_uri": format!("{issuer}/jwks"),
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            })
            .to_string(),
        ),
        "/jwks" => ("200 OK", jwks(&[key])),
        "/token" => {
            requests.lock().unwrap().push(body);
            let claims = claims.lock().unwrap().clone();
            let mut answer = json!({
                "access_token": "corp-access-token",
                "token_type": "Bearer",
                "expires_in": 300,
            });
            match claims {
                // No claims: the code is refused.
                None => (
                    "400 Bad Request",
                    json!({"error": "invalid_grant", "error_description": "unknown code"})
                        .to_string(),
                ),
                Some(claims) => {
                    answer["id_token"] = json!(key.sign(&claims));
                    ("200 OK", answer.to_string())
                }
            }
        }
        _ => ("404 Not Found", json!({"error": "not_found"}).to_string()),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// How the provider is set up on the site.
#[derive(Clone, Copy)]
pub struct Policy {
    pub link_by_email: bool,
    pub create_accounts: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            link_by_email: false,
            create_accounts: true,
        }
    }
}

/// Adds `issuer` as the provider [`NAME`] of the app's default site.
pub async fn add_to_site(app: &TestApp, issuer: &str, policy: Policy) {
    add_provider(
        &app.state.store,
        &app.state.settings.master_key,
        app.state.outbound.policy(),
        app.default_site_id(),
        NewProvider {
            name: NAME.into(),
            display_name: Some(DISPLAY_NAME.into()),
            issuer: issuer.into(),
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            link_by_email: policy.link_by_email,
            create_accounts: policy.create_accounts,
        },
        tessera::clock::Clock::now(&app.clock),
    )
    .await
    .unwrap();
}

/// An app that may reach loopback providers, with the in-test provider.
pub async fn app_with_provider(policy: Policy) -> (TestApp, Provider) {
    let app = spawn_app_with(&[("TESSERA_OUTBOUND_ALLOW_PRIVATE", "true")]).await;
    let provider = Provider::start().await;
    add_to_site(&app, &provider.issuer, policy).await;
    (app, provider)
}

/// The authorization request the browser was sent to the provider with.
#[derive(Debug)]
pub struct SentToProvider {
    pub location: url::Url,
    pub params: HashMap<String, String>,
}

impl SentToProvider {
    pub fn state(&self) -> &str {
        &self.params["state"]
    }

    pub fn nonce(&self) -> &str {
        &self.params["nonce"]
    }
}

/// Presses the provider's button on `page` (the sign-in or account page,
/// whose CSRF token it uses).
pub async fn press_button(app: &TestApp, browser: &reqwest::Client, page: &str) -> SentToProvider {
    let html = browser
        .get(app.url(page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(DISPLAY_NAME), "{page} shows the button");
    let csrf = hidden_input(&html, "csrf_token").unwrap();
    let response = browser
        .post(app.url(&format!("/login/upstream/{NAME}")))
        .form(&[("csrf_token", csrf.as_str()), ("next", "/account")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 303);
    let location = url::Url::parse(response.headers()[LOCATION].to_str().unwrap()).unwrap();
    let params = location.query_pairs().into_owned().collect();
    SentToProvider { location, params }
}

/// The provider sends the browser back with a code and `state`.
pub async fn come_back(app: &TestApp, browser: &reqwest::Client, state: &str) -> reqwest::Response {
    browser
        .get(app.url(&format!("/login/upstream/{NAME}/callback")))
        .query(&[("code", "corp-code-1"), ("state", state)])
        .send()
        .await
        .unwrap()
}

/// The `data-error` code of an error page.
pub fn error_code(html: &str) -> Option<String> {
    let start = html.find("data-error=\"")? + "data-error=\"".len();
    Some(html[start..start + html[start..].find('"')?].to_string())
}
