//! `tessera site set-dpop-nonce-required` and `tessera client
//! set-dpop-required`: the DPoP settings of RFC 9449 sections 8 and 5.2.

use serde_json::json;

use super::{CliResult, Output};

pub async fn set_nonce_required(
    admin: &crate::admin::Admin,
    slug: &str,
    required: bool,
    out: &Output,
) -> CliResult {
    let site = admin.site(slug).await?;
    let change = crate::admin::types::SiteSettingsRequest {
        dpop_nonce_required: Some(required),
        ..Default::default()
    };
    admin.change_site(&site, change).await?;
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
