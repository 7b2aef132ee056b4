//! `tessera server-token …`: a site's signed server API tokens (spec 3.3).

use clap::{ArgGroup, Subcommand};
use serde_json::json;

use super::browser_token::token_kinds;
use super::{CliError, CliResult, Output, find_site};
use crate::crypto::MasterKey;
use crate::store::{ServerTokenRecord, SharedStore};

#[derive(Debug, Subcommand)]
pub enum ServerTokenCommand {
    /// Create a key and secret; the secret is printed only this once. Say
    /// whom it acts as: `--user NAME`, or `--any-user` for a key that may act
    /// as every user of the site, administrators included.
    #[command(group(ArgGroup::new("acts_as").required(true).args(["user", "any_user"])))]
    Create {
        #[arg(long)]
        site: String,
        #[arg(long)]
        name: Option<String>,
        /// Restrict the token to acting as this user only.
        #[arg(long)]
        user: Option<String>,
        /// Let the token act as any user, administrators included.
        #[arg(long)]
        any_user: bool,
        /// Create a `community` user for an unknown `=username` (just in time).
        #[arg(long)]
        jit: bool,
    },
    /// List the server tokens of a site (never their secrets).
    List {
        #[arg(long)]
        site: String,
    },
    /// Revoke a server token; it stops working at once.
    Revoke {
        #[arg(long)]
        site: String,
        key: String,
    },
}

fn describe(token: &ServerTokenRecord, username: Option<&str>) -> serde_json::Value {
    json!({
        "key": token.token_key,
        "name": token.name,
        "user_id": token.user_id,
        "user": username,
        "any_user": token.user_id.is_none(),
        "jit": token.jit,
        "created_at": token.created_at,
        "revoked_at": token.revoked_at,
        "last_used_at": token.last_used_at,
    })
}

pub async fn run(
    command: ServerTokenCommand,
    store: &SharedStore,
    master: &MasterKey,
    out: &Output,
) -> CliResult {
    let kinds = token_kinds(store, master);
    match command {
        ServerTokenCommand::Create {
            site,
            name,
            user,
            any_user: _,
            jit,
        } => {
            let site = find_site(store, &site).await?;
            let user_id = match &user {
                None => None,
                Some(username) => Some(
                    store
                        .find_user_by_username(site.id, username)
                        .await?
                        .ok_or_else(|| {
                            CliError::Usage(format!("no user `{username}` on site `{}`", site.slug))
                        })?
                        .id,
                ),
            };
            let created = kinds
                .create_server_token(site.id, name, user_id, jit)
                .await?;
            let token = &created.record;
            let secret = created.secret.expose();
            let mut value = describe(token, user.as_deref());
            value["secret"] = json!(secret);
            let acts_as = match &user {
                Some(name) => format!("acts as `{name}` only"),
                None => "acts as ANY user of the site, administrators included".to_string(),
            };
            out.done(
                &format!(
                    "created server token `{}` ({acts_as})\nkey: {}\nsecret: {secret}\n(the secret is shown only this once)\n\
                     sign requests with X-Deki-Token: tkn_{}_{{epoch}}_{{user}}_{{hex hmac-sha256(secret, \"{}_{{epoch}}_{{user}}\")}}",
                    token.name, token.token_key, token.token_key, token.token_key
                ),
                value,
            );
            Ok(())
        }
        ServerTokenCommand::List { site } => {
            let site = find_site(store, &site).await?;
            let tokens = kinds.list_server_tokens(site.id).await?;
            let users = store.list_users(site.id).await?;
            let name_of = |id: Option<i64>| {
                id.and_then(|id| users.iter().find(|u| u.id == id))
                    .map(|u| u.username.clone())
            };
            let rows = tokens
                .iter()
                .map(|t| {
                    vec![
                        t.token_key.clone(),
                        t.name.clone(),
                        match t.user_id {
                            None => "ANY USER (admins included)".into(),
                            Some(_) => name_of(t.user_id).unwrap_or_else(|| "?".into()),
                        },
                        if t.jit { "yes" } else { "no" }.to_string(),
                        if t.revoked_at.is_some() {
                            "revoked"
                        } else {
                            "active"
                        }
                        .to_string(),
                    ]
                })
                .collect();
            let values = tokens
                .iter()
                .map(|t| describe(t, name_of(t.user_id).as_deref()))
                .collect();
            out.table(&["KEY", "NAME", "USER", "JIT", "STATE"], rows, values);
            Ok(())
        }
        ServerTokenCommand::Revoke { site, key } => {
            let site = find_site(store, &site).await?;
            if !kinds.revoke_server_token(site.id, &key).await? {
                return Err(CliError::Failure(anyhow::anyhow!(
                    "no active server token `{key}` on site `{}`",
                    site.slug
                )));
            }
            out.done(
                &format!("revoked server token {key}"),
                json!({"key": key, "revoked": true}),
            );
            Ok(())
        }
    }
}
