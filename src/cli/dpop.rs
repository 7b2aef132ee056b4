//! `tessera site set-dpop-nonce-required` and `tessera client
//! set-dpop-required`: the DPoP settings of RFC 9449 sections 8 and 5.2.

use serde_json::json;

use super::{CliError, CliResult, Output, find_site};
use crate::clock::{Clock, SystemClock};
use crate::store::SharedStore;

pub async fn set_nonce_required(
    store: &SharedStore,
    slug: &str,
    required: bool,
    out: &Output,
) -> CliResult {
    let site = find_site(store, slug).await?;
    store
        .set_site_dpop_nonce_required(site.id, required, SystemClock.now())
        .await?;
    out.done(
        &format!(
            "DPoP proofs on `{slug}` {} carry a server nonce",
            if required {
                "must now"
            } else {
                "no longer have to"
            }
        ),
        json!({"site": slug, "dpop_nonce_required": required}),
    );
    Ok(())
}

pub async fn set_client_dpop_required(
    store: &SharedStore,
    slug: &str,
    client_id: &str,
    required: bool,
    out: &Output,
) -> CliResult {
    let site = find_site(store, slug).await?;
    let client = store
        .find_client(site.id, client_id)
        .await?
        .ok_or_else(|| {
            CliError::Failure(anyhow::anyhow!("no client `{client_id}` on site `{slug}`"))
        })?;
    store
        .set_client_dpop_required(site.id, client.id, required, SystemClock.now())
        .await?;
    out.done(
        &format!(
            "client `{client_id}` {} send a DPoP proof with every token request",
            if required {
                "must now"
            } else {
                "no longer has to"
            }
        ),
        json!({"client_id": client_id, "dpop_bound_access_tokens": required}),
    );
    Ok(())
}
