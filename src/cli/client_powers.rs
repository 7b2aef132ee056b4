//! `tessera client grant-permissions`, `tessera client set-introspect`,
//! `tessera site set-registrable-scopes` and `tessera site
//! set-anonymous-client-credentials`: what a client may do on its own.

use serde_json::json;

use super::{CliResult, Output};
use crate::oauth::ScopeSet;
use crate::oauth::client_powers::parse_registrable_scopes;
use crate::users::Permissions;

/// Parses `content:read content:write` (spaces or commas); empty means none.
pub fn permissions_arg(raw: &str) -> Result<Permissions, String> {
    crate::admin::clients::parse_permissions(raw)
}

pub fn registrable_scopes_arg(raw: &str) -> Result<ScopeSet, String> {
    parse_registrable_scopes(raw).map_err(|e| e.to_string())
}

pub async fn set_registrable_scopes(
    admin: &crate::admin::Admin,
    slug: &str,
    scopes: ScopeSet,
    out: &Output,
) -> CliResult {
    let site = admin.site(slug).await?;
    let change = crate::admin::types::SiteSettingsRequest {
        registrable_scopes: Some(scopes.to_string()),
        ..Default::default()
    };
    admin.change_site(&site, change).await?;
    out.done(
        &format!(
            "clients registered without an initial access token on `{slug}` may hold: {}",
            if scopes.is_empty() {
                "no scope".to_string()
            } else {
                scopes.to_string()
            }
        ),
        json!({"site": slug, "registrable_scopes": scopes.names()}),
    );
    Ok(())
}

pub async fn set_anonymous_client_credentials(
    admin: &crate::admin::Admin,
    slug: &str,
    allowed: bool,
    out: &Output,
) -> CliResult {
    let site = admin.site(slug).await?;
    let change = crate::admin::types::SiteSettingsRequest {
        anonymous_client_credentials: Some(allowed),
        ..Default::default()
    };
    admin.change_site(&site, change).await?;
    out.done(
        &format!(
            "clients registered without an initial access token on `{slug}` {} use client_credentials",
            if allowed { "may" } else { "may not" }
        ),
        json!({"site": slug, "anonymous_client_credentials": allowed}),
    );
    Ok(())
}
