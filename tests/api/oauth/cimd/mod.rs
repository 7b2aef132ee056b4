//! Client ID Metadata Documents end to end: a local listener serves the
//! document of a client whose `client_id` is its URL, on a site that opted
//! in, with outbound fetches allowed to reach loopback (as for the other
//! outbound tests). Each refusal is its own test.

mod flow;
mod refusals;
mod settings;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tessera::clock::Clock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::support::App;
use crate::helpers::{TestApp, spawn_app_with};

pub const DOCUMENT_REDIRECT: &str = "https://notes.example/callback";

/// A listener that serves one document (with the given extra headers) and
/// counts the requests it gets.
pub struct DocumentServer {
    pub port: u16,
    body: Arc<Mutex<String>>,
    headers: Arc<Mutex<String>>,
    requests: Arc<AtomicUsize>,
}

impl DocumentServer {
    pub async fn start() -> DocumentServer {
        Self::on("127.0.0.1").await
    }

    pub async fn on(ip: &str) -> DocumentServer {
        let listener = TcpListener::bind((ip, 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let body = Arc::new(Mutex::new(String::new()));
        let headers = Arc::new(Mutex::new(String::new()));
        let requests = Arc::new(AtomicUsize::new(0));
        let (served, extra, counted) = (body.clone(), headers.clone(), requests.clone());
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let body = served.lock().unwrap().clone();
                let extra = extra.lock().unwrap().clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut buffer = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match stream.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{extra}\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.write_all(response.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        DocumentServer {
            port,
            body,
            headers,
            requests,
        }
    }

    /// The document's URL: the client's id.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/oauth/client.json", self.port)
    }

    /// A good document for this URL.
    pub fn document(&self) -> Value {
        json!({
            "client_id": self.url(),
            "client_name": "Notes",
            "client_uri": "https://notes.example/",
            "redirect_uris": [DOCUMENT_REDIRECT],
            "scope": "profile content:read",
        })
    }

    pub fn serve(&self, document: &Value) {
        self.serve_text(document.to_string());
    }

    pub fn serve_text(&self, body: String) {
        *self.body.lock().unwrap() = body;
    }

    pub fn with_headers(&self, headers: &str) {
        *self.headers.lock().unwrap() = headers.to_string();
    }

    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// The client as the tests' flow helpers know it: public, no secret.
    pub fn client(&self) -> App {
        App {
            client_id: self.url(),
            secret: None,
            redirect_uri: DOCUMENT_REDIRECT.into(),
        }
    }
}

/// An app whose outbound fetches may reach the local listener.
pub async fn spawn_document_app() -> TestApp {
    spawn_app_with(&[("TESSERA_OUTBOUND_ALLOW_PRIVATE", "true")]).await
}

/// Turns Client ID Metadata Documents on for the default site.
pub async fn resolve_documents(app: &TestApp) {
    app.state
        .store
        .set_site_client_id_metadata_documents(app.default_site_id(), true, app.clock.now())
        .await
        .unwrap();
    app.state.sites.reload().await.unwrap();
}

/// An app resolving documents, and a listener serving a good one.
pub async fn app_with_document() -> (TestApp, DocumentServer) {
    let app = spawn_document_app().await;
    resolve_documents(&app).await;
    let server = DocumentServer::start().await;
    server.serve(&server.document());
    (app, server)
}
