//! `tessera legacy …`: the site's legacy credentials (spec 3.6), off by
//! default. `report` shows which keys and client addresses still use them
//! (servers write their counts every few seconds).

use clap::Subcommand;
use serde_json::json;

use super::{CliResult, Output};
use crate::admin::Admin;
use crate::routes::pages::format_time;

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

pub async fn run(command: LegacyCommand, admin: &Admin, out: &Output) -> CliResult {
    match command {
        LegacyCommand::Enable { site } => {
            let site = admin.site(&site).await?;
            let view = admin.enable_legacy(&site).await?;
            let human = match &view.api_key {
                Some(key) => format!(
                    "legacy credentials enabled on `{}`\nsite API key: {key}\n(shown only this once; send it as X-Deki-ApiKey or ?apikey=)",
                    site.slug
                ),
                None => format!(
                    "legacy credentials enabled on `{}` with the existing key (use `tessera legacy rotate` for a new one)",
                    site.slug
                ),
            };
            out.done(
                &human,
                json!({"site": site.slug, "enabled": true, "key_id": view.key_id, "api_key": view.api_key}),
            );
            Ok(())
        }
        LegacyCommand::Disable { site } => {
            let site = admin.site(&site).await?;
            admin.disable_legacy(&site).await?;
            out.done(
                &format!("legacy credentials disabled on `{}`", site.slug),
                json!({"site": site.slug, "enabled": false}),
            );
            Ok(())
        }
        LegacyCommand::Rotate { site } => {
            let site = admin.site(&site).await?;
            let view = admin.rotate_legacy(&site).await?;
            let key = view.api_key.clone().unwrap_or_default();
            out.done(
                &format!(
                    "new site API key for `{}`: {key}\n(the old key no longer works; this one is shown only once)",
                    site.slug
                ),
                json!({"site": site.slug, "enabled": view.state == "enabled", "key_id": view.key_id,
                       "api_key": key}),
            );
            Ok(())
        }
        LegacyCommand::Report { site } => {
            let site = admin.site(&site).await?;
            let view = admin.legacy_report(&site).await?;
            if out.is_json() {
                out.done(
                    "",
                    json!({"site": site.slug, "state": view.state, "usage": view.usage}),
                );
                return Ok(());
            }
            let rows = view
                .usage
                .iter()
                .map(|u| {
                    let state = if u.current { "current" } else { "rotated" };
                    vec![
                        format!("{} ({state})", u.key_id),
                        u.kind.clone(),
                        u.client_ip.clone(),
                        u.count.to_string(),
                        format_time(u.last_seen),
                    ]
                })
                .collect();
            println!("legacy credentials on `{}`: {}", site.slug, view.state);
            out.table(
                &["KEY", "KIND", "CLIENT IP", "USES", "LAST SEEN"],
                rows,
                Vec::new(),
            );
            Ok(())
        }
    }
}
