//! `tessera keys rotate-master`: re-seals every secret kept encrypted at rest
//! (server-token secrets, legacy site API keys, signing private keys) under a
//! new master key, in one transaction.
//!
//! The old key is the configured one (`TESSERA_MASTER_KEY`); the new one is
//! read from `--new-key-file` or standard input, never from the command line.
//! What is only MAC'd under keys derived from the master key cannot be
//! re-sealed and changes with it: sessions end, OAuth access tokens, CSRF
//! and consent forms in flight stop verifying (refresh tokens, stored as
//! plain hashes, keep working), and confidential clients' secrets, stored
//! as keyed hashes, must be re-issued. The command lists those clients.

use std::path::PathBuf;

use serde_json::json;

use super::{CliError, CliResult, Output, read_stdin_secret};
use crate::clock::{Clock, SystemClock};
use crate::crypto::{MasterKey, aead};
use crate::store::{Reseal, SealedColumn, SharedStore};

pub async fn rotate(
    store: &SharedStore,
    old: &MasterKey,
    new_key_file: Option<PathBuf>,
    out: &Output,
) -> CliResult {
    let new = read_new_key(new_key_file).await?;
    if new.key_id() == old.key_id() {
        return Err(CliError::Usage(
            "the new master key is the configured one; give a different key".into(),
        ));
    }
    let values = store.list_sealed_values().await?;
    let mut changes = Vec::with_capacity(values.len());
    for value in values {
        let plain = aead::open(old, value.site_id, &value.sealed).map_err(|e| {
            CliError::Failure(anyhow::anyhow!(
                "{} {} of site {} does not open with the configured master key ({e}); nothing was changed",
                value.column.describe(),
                value.row_id,
                value.site_id
            ))
        })?;
        let new_sealed = aead::seal(&new, value.site_id, &plain)
            .map_err(|e| CliError::Failure(anyhow::anyhow!("cannot seal: {e}")))?;
        changes.push(Reseal {
            old: value,
            new_sealed,
        });
    }
    if !store
        .replace_sealed_values(&changes, SystemClock.now())
        .await?
    {
        return Err(CliError::Failure(anyhow::anyhow!(
            "a sealed value changed while rotating (a key was rotated meanwhile?); nothing was changed, run it again"
        )));
    }
    let count = |column: SealedColumn| changes.iter().filter(|c| c.old.column == column).count();
    let clients = confidential_clients(store).await?;
    // Every site's sealed secrets changed: each site's record says so.
    let audit = crate::audit::Audit::new(store.clone(), std::sync::Arc::new(SystemClock));
    for site in store.list_sites().await? {
        let event = crate::audit::AuditEvent::new(
            crate::audit::AuditKind::MasterKeyRotated,
            crate::audit::Actor::Cli,
        )
        .detail("old_key_id", old.key_id().to_string())
        .detail("new_key_id", new.key_id().to_string())
        .detail("resealed", changes.len());
        audit.record(site.id, event).await;
    }
    let human = format!(
        "re-sealed {} secrets under master key {} (was {}): {} server-token secrets, {} legacy keys, {} signing keys, {} TOTP secrets, {} upstream provider secrets.\n\
         Next: set TESSERA_MASTER_KEY to the new key on every process and restart them; \
         until then they cannot open the re-sealed secrets.\n\
         Sessions end and OAuth access tokens stop verifying (clients refresh). \
         Confidential clients' secrets must be re-issued ({}): {}",
        changes.len(),
        new.key_id(),
        old.key_id(),
        count(SealedColumn::ServerTokenSecret),
        count(SealedColumn::LegacyKey),
        count(SealedColumn::SigningPrivateKey),
        count(SealedColumn::TotpSecret),
        count(SealedColumn::UpstreamClientSecret),
        clients.len(),
        if clients.is_empty() {
            "none".to_string()
        } else {
            clients
                .iter()
                .map(|(site, id)| format!("tessera client rotate-secret --site {site} {id}"))
                .collect::<Vec<_>>()
                .join("; ")
        },
    );
    out.done(
        &human,
        json!({
            "resealed": changes.len(),
            "server_token_secrets": count(SealedColumn::ServerTokenSecret),
            "legacy_keys": count(SealedColumn::LegacyKey),
            "signing_keys": count(SealedColumn::SigningPrivateKey),
            "client_secret_jwt_secrets": count(SealedColumn::ClientSecret),
            "totp_secrets": count(SealedColumn::TotpSecret),
            "upstream_client_secrets": count(SealedColumn::UpstreamClientSecret),
            "old_key_id": old.key_id(),
            "new_key_id": new.key_id(),
            "next": "set TESSERA_MASTER_KEY to the new key and restart every process",
            "clients_needing_new_secrets": clients
                .iter()
                .map(|(site, id)| json!({"site": site, "client_id": id}))
                .collect::<Vec<_>>(),
        }),
    );
    Ok(())
}

async fn read_new_key(file: Option<PathBuf>) -> Result<MasterKey, CliError> {
    let raw = match file {
        Some(path) => tokio::fs::read_to_string(&path)
            .await
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?,
        None => read_stdin_secret().await?,
    };
    MasterKey::from_base64(raw.trim())
        .map_err(|e| CliError::Usage(format!("the new master key is {e}")))
}

/// (site slug, client id) of every client authenticated by its secret's
/// keyed hash.
async fn confidential_clients(store: &SharedStore) -> Result<Vec<(String, String)>, CliError> {
    let mut found = Vec::new();
    for site in store.list_sites().await? {
        for client in store.list_clients(site.id, None).await? {
            // A client_secret_jwt client's assertions are checked with its
            // sealed secret, which is re-sealed: it keeps working.
            if client.secret_hash.is_some() && client.auth_method != "client_secret_jwt" {
                found.push((site.slug.clone(), client.client_id));
            }
        }
    }
    Ok(found)
}
