//! Browser API tokens (spec 3.2): the key only names trusted origins. The
//! request is accepted when its `Origin` is one of them or the site's own
//! (or absent: not a cross-origin browser request), and the caller is then
//! whoever the `authtoken` cookie names, or anonymous.

use std::sync::Arc;

use super::rejected;
use crate::sites::Site;
use crate::state::AppState;
use crate::tokens::browser::OriginCheck;
use crate::tokens::{ApiCaller, CredentialKind, Presented, RecogniseError};

pub async fn recognise(
    state: &AppState,
    site: Arc<Site>,
    key: &str,
    presented: &Presented<'_>,
) -> Result<ApiCaller, RecogniseError> {
    let tokens = state.token_kinds.browser_tokens(site.id).await?;
    let Some(token) = tokens.by_key.get(key.trim()) else {
        return Err(rejected(
            "unknown_browser_token",
            "the browser token is unknown or revoked on this site",
        ));
    };
    let check = match &site.origin {
        Some(site_origin) => OriginCheck::classify(presented.origin, site_origin, |origin| {
            token.patterns.matches_origin(origin)
        }),
        // A site without a usable origin can only vouch for non-browser calls.
        None if presented.origin.is_none() => OriginCheck::Absent,
        None => OriginCheck::Untrusted,
    };
    if !check.allows_browser_token() {
        return Err(RecogniseError::OriginNotTrusted);
    }
    let session = match presented.authtoken_cookie {
        Some(cookie) => state.sessions.recognise(&site, cookie).await?,
        None => None,
    };
    let mut caller = ApiCaller::anonymous(site);
    caller.credential = CredentialKind::Browser;
    if let Some(session) = session {
        caller.permissions = session.user.role.permissions();
        caller.user = Some(session.user);
        caller.session_id = Some(session.session_id);
    }
    Ok(caller)
}
