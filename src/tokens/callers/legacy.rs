//! The legacy site API key (spec 3.6), as `X-Deki-ApiKey` or `?apikey=`:
//! admin rights on its site, or with `impersonateuserid=<id>` the rights of
//! that user. Refused unless an admin enabled legacy keys for the site;
//! every use is logged as a warning and counted for the usage report.

use std::sync::Arc;

use super::rejected;
use crate::sites::Site;
use crate::state::AppState;
use crate::tokens::stored::{CachedLegacyKey, LegacyUse};
use crate::tokens::{ApiCaller, CredentialKind, Presented, RecogniseError};
use crate::users::Permissions;

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    let query = query.filter(|q| q.contains(name))?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The `apikey` query parameter, if the query string has one.
pub fn api_key_in_query(query: Option<&str>) -> Option<String> {
    query_param(query, "apikey").filter(|k| !k.is_empty())
}

/// The site's legacy key when legacy credentials are enabled there.
pub async fn enabled_key(
    state: &AppState,
    site: &Site,
) -> Result<Arc<CachedLegacyKey>, RecogniseError> {
    match state.token_kinds.legacy_key(site.id).await? {
        Some(key) if key.enabled => Ok(key),
        _ => Err(rejected(
            "legacy_disabled",
            "legacy credentials are not enabled on this site",
        )),
    }
}

pub async fn recognise(
    state: &AppState,
    site: Arc<Site>,
    presented_key: &str,
    presented: &Presented<'_>,
) -> Result<ApiCaller, RecogniseError> {
    let key = enabled_key(state, &site).await?;
    if !key.key.matches(presented_key.trim()) {
        return Err(rejected(
            "invalid_api_key",
            "the site API key is not valid on this site",
        ));
    }
    let ip = presented.client_ip.map(|ip| ip.to_string());
    tracing::warn!(
        site = %site.slug,
        key_id = key.id,
        client_ip = ip.as_deref().unwrap_or("unknown"),
        "legacy site API key used; move this integration to a server or OAuth token"
    );
    state
        .token_kinds
        .count_legacy_use(site.id, key.id, LegacyUse::ApiKey, ip);
    let impersonate = query_param(presented.query, "impersonateuserid").filter(|v| !v.is_empty());
    let mut caller = ApiCaller::anonymous(site);
    caller.credential = CredentialKind::Legacy;
    match impersonate {
        None => caller.permissions = Permissions::all(),
        Some(raw) => {
            let user = match raw.parse::<i64>() {
                Ok(id) => state.users.cached(caller.site.id, id).await?,
                Err(_) => None,
            };
            let user = user.filter(|u| !u.disabled).ok_or_else(|| {
                rejected(
                    "unknown_user",
                    "impersonateuserid names no user of this site",
                )
            })?;
            caller.permissions = user.role.permissions();
            caller.user = Some(user);
        }
    }
    Ok(caller)
}
