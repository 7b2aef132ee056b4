//! `tessera legacy …`: the site's legacy credentials (spec 3.6), off by
//! default. `report` shows which keys and client addresses still use them
//! (servers write their counts every few seconds).

use clap::Subcommand;
use serde_json::json;

use super::browser_token::token_kinds;
use super::{CliError, CliResult, Output, find_site};
use crate::crypto::MasterKey;
use crate::routes::pages::format_time;
use crate::store::SharedStore;

#[derive(Debug, Subcommand)]
pub enum LegacyCommand {
    /// Accept the site API key and impersonation tokens; a new key is printed once.
    Enable {
        #[arg(long)]
        site: String,
    },
    /// Refuse legacy credentials again (the key is kept for a later enable).
    Disable {
        #[arg(long)]
        site: String,
    },
    /// Replace the site API key; the old one stops working at once.
    Rotate {
        #[arg(long)]
        site: String,
    },
    /// Uses per key, kind and client address, with when each was last seen.
    Report {
        #[arg(long)]
        site: String,
    },
}

pub async fn run(
    command: LegacyCommand,
    store: &SharedStore,
    master: &MasterKey,
    out: &Output,
) -> CliResult {
    let kinds = token_kinds(store, master);
    match command {
        LegacyCommand::Enable { site } => {
            let site = find_site(store, &site).await?;
            let (record, key) = kinds.enable_legacy(site.id).await?;
            let human = match &key {
                Some(key) => format!(
                    "legacy credentials enabled on `{}`\nsite API key: {}\n(shown only this once; send it as X-Deki-ApiKey or ?apikey=)",
                    site.slug,
                    key.expose()
                ),
                None => format!(
                    "legacy credentials enabled on `{}` with the existing key (use `tessera legacy rotate` for a new one)",
                    site.slug
                ),
            };
            out.done(
                &human,
                json!({"site": site.slug, "enabled": true, "key_id": record.id,
                       "api_key": key.as_ref().map(|k| k.expose())}),
            );
            Ok(())
        }
        LegacyCommand::Disable { site } => {
            let site = find_site(store, &site).await?;
            if !kinds.disable_legacy(site.id).await? {
                return Err(CliError::Failure(anyhow::anyhow!(
                    "legacy credentials were never enabled on `{}`",
                    site.slug
                )));
            }
            out.done(
                &format!("legacy credentials disabled on `{}`", site.slug),
                json!({"site": site.slug, "enabled": false}),
            );
            Ok(())
        }
        LegacyCommand::Rotate { site } => {
            let site = find_site(store, &site).await?;
            let (record, key) = kinds.rotate_legacy(site.id).await?;
            out.done(
                &format!(
                    "new site API key for `{}`: {}\n(the old key no longer works; this one is shown only once)",
                    site.slug,
                    key.expose()
                ),
                json!({"site": site.slug, "enabled": record.enabled, "key_id": record.id,
                       "api_key": key.expose()}),
            );
            Ok(())
        }
        LegacyCommand::Report { site } => {
            let site = find_site(store, &site).await?;
            let current = kinds.current_legacy_key(site.id).await?;
            let usage = kinds.legacy_report(site.id).await?;
            let state = match &current {
                Some(k) if k.enabled => "enabled",
                Some(_) => "disabled",
                None => "never enabled",
            };
            let rows = usage
                .iter()
                .map(|u| {
                    let key = if current.as_ref().is_some_and(|c| c.id == u.key_id) {
                        format!("{} (current)", u.key_id)
                    } else {
                        format!("{} (rotated)", u.key_id)
                    };
                    vec![
                        key,
                        u.kind.clone(),
                        u.client_ip.clone(),
                        u.count.to_string(),
                        format_time(u.last_seen),
                    ]
                })
                .collect();
            let values: Vec<_> = usage
                .iter()
                .map(|u| {
                    json!({"key_id": u.key_id, "current": current.as_ref().is_some_and(|c| c.id == u.key_id),
                           "kind": u.kind, "client_ip": u.client_ip, "count": u.count,
                           "last_seen": u.last_seen})
                })
                .collect();
            if out.is_json() {
                out.done(
                    "",
                    json!({"site": site.slug, "state": state, "usage": values}),
                );
            } else {
                println!("legacy credentials on `{}`: {state}", site.slug);
                out.table(
                    &["KEY", "KIND", "CLIENT IP", "USES", "LAST SEEN"],
                    rows,
                    Vec::new(),
                );
            }
            Ok(())
        }
    }
}
