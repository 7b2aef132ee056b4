//! The sign-in links of `GET /api/users/authenticate`: a valid server token
//! (spec 3.3) or legacy impersonation token (spec 3.6) starts an ordinary
//! `authtoken` session for the user it names.

use std::sync::Arc;

use super::{legacy, rejected, server};
use crate::cache::CachedUser;
use crate::sessions::{ClientInfo, SignInMethod, StartedSession};
use crate::sites::Site;
use crate::state::AppState;
use crate::tokens::RecogniseError;
use crate::tokens::legacy::{IMPERSONATION_WINDOW, verify_impersonation};
use crate::tokens::server::UserRef;
use crate::tokens::stored::LegacyUse;

/// What the link carried.
#[derive(Debug, Clone, Copy)]
pub enum SignInLink<'a> {
    /// `x-deki-token=tkn_…`
    ServerToken(&'a str),
    /// `authtoken=imp_…`
    Impersonation(&'a str),
}

pub async fn start_session(
    state: &AppState,
    site: &Site,
    link: SignInLink<'_>,
    client: ClientInfo,
) -> Result<StartedSession, RecogniseError> {
    let (user, method) = match link {
        SignInLink::ServerToken(token) => (
            server::user_of(state, site, token).await?,
            SignInMethod::ServerToken,
        ),
        SignInLink::Impersonation(token) => (
            impersonated_user(state, site, token, client.ip.clone()).await?,
            SignInMethod::Impersonation,
        ),
    };
    let record = state
        .store
        .find_user(site.id, user.id)
        .await?
        .ok_or_else(|| rejected("unknown_user", "the user no longer exists"))?;
    Ok(state.sessions.start(site, &record, method, client).await?)
}

async fn impersonated_user(
    state: &AppState,
    site: &Site,
    token: &str,
    ip: Option<String>,
) -> Result<Arc<CachedUser>, RecogniseError> {
    let key = legacy::enabled_key(state, site).await?;
    let verified = verify_impersonation(token.trim(), &key.key, state.now(), IMPERSONATION_WINDOW)
        .map_err(|reason| rejected(reason.code(), reason.to_string()))?;
    tracing::warn!(
        site = %site.slug,
        key_id = key.id,
        client_ip = ip.as_deref().unwrap_or("unknown"),
        "legacy impersonation token used; move this integration to a server token"
    );
    state
        .token_kinds
        .count_legacy_use(site.id, key.id, LegacyUse::Impersonation, ip);
    let id = match &verified.user {
        UserRef::Id(id) => Some(*id),
        UserRef::Username(name) => state.token_kinds.user_id_by_name(site.id, name).await?,
    };
    let user = match id {
        Some(id) => state.users.cached(site.id, id).await?,
        None => None,
    };
    user.filter(|u| !u.disabled).ok_or_else(|| {
        rejected(
            "unknown_user",
            "the impersonation token names no user of this site",
        )
    })
}
