//! `tessera site set-client-id-metadata-documents`: whether the site
//! resolves URL client ids from their Client ID Metadata Documents.

use serde_json::json;

use super::{CliResult, Output};

pub async fn set_enabled(
    admin: &crate::admin::Admin,
    slug: &str,
    enabled: bool,
    out: &Output,
) -> CliResult {
    let site = admin.site(slug).await?;
    let change = crate::admin::types::SiteSettingsRequest {
        client_id_metadata_documents: Some(enabled),
        ..Default::default()
    };
    admin.change_site(&site, change).await?;
    out.done(
        &format!(
            "`{slug}` {} client ids that are URLs from their metadata documents",
            if enabled {
                "now resolves"
            } else {
                "no longer resolves"
            }
        ),
        json!({"site": slug, "client_id_metadata_documents": enabled}),
    );
    Ok(())
}
