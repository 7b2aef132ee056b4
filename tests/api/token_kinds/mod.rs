//! Browser API tokens, signed server API tokens and legacy keys, end to end
//! over HTTP: `/api/users/current`, the content API, CORS, the sign-in
//! links, every refusal, and the admin commands.

mod browser;
mod browser_cors;
mod forward_auth;
mod legacy;
mod server;
mod server_refusals;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tessera::clock::Clock;
use tessera::crypto::{MasterKey, aead};
use tessera::store::NewServerToken;

use crate::helpers::TestApp;

pub const DEKI_TOKEN: &str = "X-Deki-Token";

pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

/// `tkn_{key}_{epoch}_{user}_{sig}` computed here with the `hmac` crate,
/// independently of Tessera's own signing code.
pub fn sign(key: &str, secret: &str, epoch: i64, user: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{key}_{epoch}_{user}").as_bytes());
    let sig = hex::encode(mac.finalize().into_bytes());
    format!("tkn_{key}_{epoch}_{user}_{sig}")
}

impl TestApp {
    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    /// A server token of the site: (key, secret).
    pub async fn server_token(
        &self,
        site_id: i64,
        only_user: Option<i64>,
        jit: bool,
    ) -> (String, String) {
        let created = self
            .state
            .token_kinds
            .create_server_token(site_id, Some("test".into()), only_user, jit)
            .await
            .unwrap();
        (
            created.record.token_key,
            created.secret.expose().to_string(),
        )
    }

    /// Stores a server token with a chosen key and secret (for the spec vectors).
    pub async fn server_token_with(&self, site_id: i64, key: &str, secret: &str) {
        let master = MasterKey::from_base64(&self.master_key).unwrap();
        self.state
            .store
            .create_server_token(&NewServerToken {
                site_id,
                token_key: key.into(),
                name: "vectors".into(),
                sealed_secret: aead::seal(&master, site_id, secret.as_bytes()).unwrap(),
                user_id: None,
                jit: false,
                created_at: self.now(),
            })
            .await
            .unwrap();
    }

    /// A browser token of the site trusting `origins`: its key.
    pub async fn browser_token(&self, site_id: i64, origins: &str) -> String {
        self.state
            .token_kinds
            .create_browser_token(site_id, None, origins)
            .await
            .unwrap()
            .0
            .token_key
    }

    /// Enables legacy credentials on the site: the site API key.
    pub async fn enable_legacy(&self, site_id: i64) -> String {
        let (_, key) = self.state.token_kinds.enable_legacy(site_id).await.unwrap();
        key.unwrap().expose().to_string()
    }

    /// `/api/users/current` with one extra header: (status, body).
    pub async fn current_with_header(
        &self,
        client: &reqwest::Client,
        url: &str,
        name: &str,
        value: &str,
    ) -> (u16, serde_json::Value) {
        let response = client.get(url).header(name, value).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or_default())
    }

    /// `/api/users/current` with a server or browser token.
    pub async fn current_with_token(&self, token: &str) -> (u16, serde_json::Value) {
        self.current_with_header(
            &reqwest::Client::new(),
            &self.url("/api/users/current"),
            DEKI_TOKEN,
            token,
        )
        .await
    }

    /// Creates users without passwords until the next one would get `id`.
    pub async fn create_users_until(&self, id: i64) {
        let site_id = self.default_site_id();
        for n in 0.. {
            let user = self
                .state
                .store
                .create_user(&tessera::store::NewUser {
                    site_id,
                    username: format!("filler-{n}"),
                    display_name: "filler".into(),
                    email: None,
                    password_hash: None,
                    role: "community".into(),
                    external_issuer: None,
                    external_subject: None,
                    created_at: self.now(),
                })
                .await
                .unwrap();
            assert!(user.id < id, "ids already past {id}");
            if user.id == id - 1 {
                return;
            }
        }
    }
}
