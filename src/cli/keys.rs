//! `tessera keys`: a site's signing keys (ID tokens, JWT access tokens).

use std::sync::Arc;

use clap::Subcommand;
use serde_json::json;

use super::{CliError, CliResult, Output, find_site};
use crate::admin::Admin;
use crate::cache::AuthCache;
use crate::clock::SystemClock;
use crate::crypto::MasterKey;
use crate::signing::keygen::SigningAlg;
use crate::signing::{SigningError, SigningKeys};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List the site's published keys: current, next and retired.
    List {
        #[arg(long)]
        site: String,
    },
    /// Promote the next key to current, retire the current one (still
    /// published until the tokens it signed expire) and publish a new next key.
    Rotate {
        #[arg(long)]
        site: String,
    },
    /// Choose the signing algorithm (ES256, RS256 or EdDSA) and rotation period.
    /// The waiting next key is replaced by one of the new algorithm at once;
    /// it signs from the next rotation.
    Configure {
        #[arg(long)]
        site: String,
        #[arg(long, value_parser = alg_arg)]
        alg: Option<SigningAlg>,
        /// Days between automatic rotations.
        #[arg(long)]
        rotation_days: Option<u32>,
    },
    /// Re-seal every secret stored encrypted (server-token secrets, legacy
    /// keys, signing keys) under a new master key, in one transaction. The
    /// old key is the configured TESSERA_MASTER_KEY; the new one (base64)
    /// comes from --new-key-file or standard input.
    RotateMaster {
        #[arg(long)]
        new_key_file: Option<std::path::PathBuf>,
    },
}

fn alg_arg(raw: &str) -> Result<SigningAlg, String> {
    SigningAlg::parse(raw).ok_or_else(|| "expected ES256, RS256 or EdDSA".to_string())
}

fn failure(e: SigningError) -> CliError {
    CliError::Failure(e.into())
}

pub async fn run(
    command: KeysCommand,
    admin: &Admin,
    master: &MasterKey,
    out: &Output,
) -> CliResult {
    let store = &admin.store;
    let signing = SigningKeys::new(
        store.clone(),
        Arc::new(AuthCache::default()).signing.clone(),
        master.clone(),
        Arc::new(SystemClock),
    );
    match command {
        KeysCommand::RotateMaster { new_key_file } => {
            super::master_key::rotate(store, master, new_key_file, out).await
        }
        KeysCommand::List { site } => {
            let site = admin.site(&site).await?;
            let keys = admin.list_signing_keys(&site).await?;
            let rows = keys
                .iter()
                .map(|k| vec![k.kid.clone(), k.alg.clone(), k.state.clone()])
                .collect();
            let values = keys.iter().map(|k| json!(k)).collect();
            out.table(&["KID", "ALG", "STATE"], rows, values);
            Ok(())
        }
        KeysCommand::Rotate { site } => {
            let site = admin.site(&site).await?;
            let rotated = admin.rotate_signing_keys(&site).await?;
            out.done(
                &format!(
                    "site `{}`: {} now signs; {} retired; {} is next",
                    site.slug, rotated.current, rotated.retired, rotated.next
                ),
                json!({"site": site.slug, "current": rotated.current,
                       "retired": rotated.retired, "next": rotated.next}),
            );
            Ok(())
        }
        KeysCommand::Configure {
            site,
            alg,
            rotation_days,
        } => {
            let site = find_site(store, &site).await?;
            let keys = signing.keys(site.id).await.map_err(failure)?;
            let alg = alg.unwrap_or(keys.configured_alg);
            let rotation_secs = rotation_days.map(|d| i64::from(d.max(1)) * 24 * 3600);
            signing
                .set_algorithm(site.id, alg, rotation_secs)
                .await
                .map_err(failure)?;
            out.done(
                &format!("site `{}` signs new keys with {alg}", site.slug),
                json!({"site": site.slug, "alg": alg.as_str(), "rotation_secs": rotation_secs}),
            );
            Ok(())
        }
    }
}
