//! Operations (issue 11, items 6 and 7): several processes on one database,
//! the database going away under load, and a graceful stop.

mod nodes;
mod outage;
mod proxy;
mod shutdown;

use crate::helpers::TestApp;
use crate::oauth::support::{App, Registration, register};

/// A request to `node` for the site `site_app` serves: the same database,
/// the site's `Host`, maybe another process.
pub fn on(
    node: &TestApp,
    site_app: &TestApp,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method, format!("http://127.0.0.1:{}{path}", node.port))
        .header("Host", format!("localhost:{}", site_app.port))
}

/// A confidential client allowed the client-credentials grant.
pub async fn service_client(app: &TestApp) -> App {
    register(
        app,
        Registration {
            scopes: Some("content:read"),
            grant_types: Some(vec!["client_credentials"]),
            redirect_uris: vec![],
            ..Registration::default()
        },
    )
    .await
}

/// One client-credentials token request to `node`.
pub async fn request_token(
    node: &TestApp,
    site_app: &TestApp,
    client: &App,
) -> reqwest::Result<reqwest::Response> {
    on(node, site_app, reqwest::Method::POST, "/oauth/token")
        .basic_auth(&client.client_id, client.secret.as_deref())
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
}

/// Whether `node` says `token` is active, asked as `client`.
pub async fn active_on(node: &TestApp, site_app: &TestApp, client: &App, token: &str) -> bool {
    let body: serde_json::Value = on(node, site_app, reqwest::Method::POST, "/oauth/introspect")
        .basic_auth(&client.client_id, client.secret.as_deref())
        .form(&[("token", token)])
        .send()
        .await
        .expect("POST /oauth/introspect")
        .json()
        .await
        .expect("introspection JSON");
    body["active"] == true
}
