//! `tessera browser-token …`: a site's browser API tokens (spec 3.2).

use std::sync::Arc;

use clap::Subcommand;
use serde_json::json;

use super::{CliError, CliResult, Output, find_site};
use crate::clock::SystemClock;
use crate::crypto::MasterKey;
use crate::store::{BrowserTokenRecord, SharedStore};
use crate::tokens::server::Window;
use crate::tokens::stored::{TokenKindCache, TokenKindError, TokenKinds};

#[derive(Debug, Subcommand)]
pub enum BrowserTokenCommand {
    /// Create a token trusting the given origins; prints its key.
    Create {
        #[arg(long)]
        site: String,
        /// Comma-separated origin patterns: `https://app.example.com`,
        /// `*.example.com`, `http://localhost:3000`.
        #[arg(long)]
        origins: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// List the browser tokens of a site.
    List {
        #[arg(long)]
        site: String,
    },
    /// Revoke a browser token; it stops working at once.
    Revoke {
        #[arg(long)]
        site: String,
        key: String,
    },
}

/// The token service as admin commands use it: no shared cache to warm, and
/// the running servers learn of changes through the change feed.
pub(super) fn token_kinds(store: &SharedStore, master: &MasterKey) -> TokenKinds {
    TokenKinds::new(
        store.clone(),
        Arc::new(TokenKindCache::default()),
        Arc::new(SystemClock),
        master.clone(),
        Window::default(),
    )
}

impl From<TokenKindError> for CliError {
    fn from(e: TokenKindError) -> Self {
        match e {
            TokenKindError::Patterns(_) | TokenKindError::BadName => CliError::Usage(e.to_string()),
            TokenKindError::NoLegacyKey | TokenKindError::Seal(_) | TokenKindError::Store(_) => {
                CliError::Failure(anyhow::anyhow!(e))
            }
        }
    }
}

fn describe(token: &BrowserTokenRecord) -> serde_json::Value {
    json!({
        "key": token.token_key,
        "name": token.name,
        "origins": token.origins,
        "created_at": token.created_at,
        "revoked_at": token.revoked_at,
    })
}

pub async fn run(
    command: BrowserTokenCommand,
    store: &SharedStore,
    master: &MasterKey,
    out: &Output,
) -> CliResult {
    let kinds = token_kinds(store, master);
    match command {
        BrowserTokenCommand::Create {
            site,
            origins,
            name,
        } => {
            let site = find_site(store, &site).await?;
            let (token, patterns) = kinds.create_browser_token(site.id, name, &origins).await?;
            out.done(
                &format!(
                    "created browser token `{}`\nkey: {}\norigins: {patterns}\n(send it as the X-Deki-Token header from those origins)",
                    token.name, token.token_key
                ),
                describe(&token),
            );
            Ok(())
        }
        BrowserTokenCommand::List { site } => {
            let site = find_site(store, &site).await?;
            let tokens = kinds.list_browser_tokens(site.id).await?;
            let rows = tokens
                .iter()
                .map(|t| {
                    vec![
                        t.token_key.clone(),
                        t.name.clone(),
                        t.origins.clone(),
                        if t.revoked_at.is_some() {
                            "revoked"
                        } else {
                            "active"
                        }
                        .to_string(),
                    ]
                })
                .collect();
            let values = tokens.iter().map(describe).collect();
            out.table(&["KEY", "NAME", "ORIGINS", "STATE"], rows, values);
            Ok(())
        }
        BrowserTokenCommand::Revoke { site, key } => {
            let site = find_site(store, &site).await?;
            if !kinds.revoke_browser_token(site.id, &key).await? {
                return Err(CliError::Failure(anyhow::anyhow!(
                    "no active browser token `{key}` on site `{}`",
                    site.slug
                )));
            }
            out.done(
                &format!("revoked browser token {key}"),
                json!({"key": key, "revoked": true}),
            );
            Ok(())
        }
    }
}
