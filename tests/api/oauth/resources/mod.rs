//! Resource indicators (RFC 8707) and protected resource metadata (RFC
//! 9728): tokens for one registered resource each, and how a client that
//! met a bare 401 finds the authorization server.

mod cli;
mod device;
mod discovery;
mod flow;
mod refusals;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;
use tessera::store::NewResource;

use crate::helpers::TestApp;
use crate::oauth::support::{App, Registration, register};

/// A resource server elsewhere, registered on the default site.
pub const MCP: &str = "https://mcp.example.com/";
pub const REPORTS: &str = "https://reports.example.com/api";

/// Registers `uri` on the default site, as `tessera resource add` would.
pub async fn register_resource(app: &TestApp, uri: &str, scopes: &str, token_format: &str) {
    app.state
        .store
        .create_resource(&NewResource {
            site_id: app.default_site_id(),
            uri: uri.into(),
            scopes: scopes.into(),
            token_format: token_format.into(),
            created_at: 0,
        })
        .await
        .expect("register a resource");
}

/// A confidential client that may use every grant.
pub async fn client(app: &TestApp) -> App {
    register(
        app,
        Registration {
            grant_types: Some(vec![
                "authorization_code",
                "refresh_token",
                "client_credentials",
            ]),
            ..Registration::default()
        },
    )
    .await
}

/// The claims of a JWT, unverified (the test only reads them).
pub fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("a JWT payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("JSON")
}
