//! The sign-in links of `GET /api/users/authenticate`: a valid server token
//! (spec 3.3) or legacy impersonation token (spec 3.6) starts an ordinary
//! `authtoken` session for the user it names.
//!
//! A link works once: its signature's hash goes into the shared single-use
//! ledger (`OneTimeStore`) until the token's window ends, so a second use, at
//! this process or any other on the same database, is refused. Plain API
//! requests signed with a server token are not single-use: see
//! docs/token-kinds.md for why.

use std::sync::Arc;

use super::{legacy, rejected, server};
use crate::audit::{Actor, AuditEvent, AuditKind};
use crate::cache::CachedUser;
use crate::sessions::{ClientInfo, SignInMethod, StartedSession};
use crate::sites::Site;
use crate::state::AppState;
use crate::tokens::RecogniseError;
use crate::tokens::legacy::{IMPERSONATION_WINDOW, ImpersonatedUser, verify_impersonation};
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
    let (user, method, once) = match link {
        SignInLink::ServerToken(token) => {
            let used = server::user_of(state, site, token).await?;
            let once = OnceKey {
                key: used.verified.single_use_key(site.id),
                until: used.verified.valid_until(state.token_kinds.window()),
            };
            (used.user, SignInMethod::ServerToken, once)
        }
        SignInLink::Impersonation(token) => {
            let (user, once) = impersonated_user(state, site, token, client.ip.clone()).await?;
            (user, SignInMethod::Impersonation, once)
        }
    };
    let record = state
        .store
        .find_user(site.id, user.id)
        .await?
        .ok_or_else(|| rejected("unknown_user", "the user no longer exists"))?;
    // Last, once everything else checked out: a refused link is not spent.
    if !state
        .store
        .use_once(&once.key, once.until, state.now())
        .await?
    {
        tracing::warn!(site = %site.slug, method = method.as_str(), "a used sign-in link came back");
        return Err(rejected(
            "already_used",
            "this sign-in link was used already; sign-in links work once",
        ));
    }
    let ip = client.ip.clone();
    let session = state.sessions.start(site, &record, method, client).await?;
    let event = AuditEvent::new(AuditKind::SignInSucceeded, Actor::User(record.id))
        .user(record.id)
        .ip(ip.as_deref())
        .detail("method", method.as_str());
    state.audit.record(site.id, event).await;
    Ok(session)
}

/// What the single-use ledger remembers for a link, and until when.
struct OnceKey {
    key: String,
    until: i64,
}

async fn impersonated_user(
    state: &AppState,
    site: &Site,
    token: &str,
    ip: Option<String>,
) -> Result<(Arc<CachedUser>, OnceKey), RecogniseError> {
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
    let user = find_impersonated(state, site, &verified.user).await?;
    // The hash cannot tell id 42 from the user named `42`: when both exist
    // and differ, the token is refused rather than guessed.
    if let (Some(user), Some(twin)) = (&user, verified.user.twin())
        && let Some(other) = find_impersonated(state, site, &twin).await?
        && other.id != user.id
    {
        return Err(rejected(
            "ambiguous_user",
            "the impersonation token's user could be a user id or a username; \
             use a server token, which tells them apart",
        ));
    }
    let user = user.filter(|u| !u.disabled).ok_or_else(|| {
        rejected(
            "unknown_user",
            "the impersonation token names no user of this site",
        )
    })?;
    let once = OnceKey {
        key: verified.single_use_key(site.id),
        until: verified.valid_until(IMPERSONATION_WINDOW),
    };
    Ok((user, once))
}

async fn find_impersonated(
    state: &AppState,
    site: &Site,
    user: &ImpersonatedUser,
) -> Result<Option<Arc<CachedUser>>, RecogniseError> {
    let id = match user {
        ImpersonatedUser::Id(id) => Some(*id),
        ImpersonatedUser::Username(name) => {
            state.token_kinds.user_id_by_name(site.id, name).await?
        }
    };
    Ok(match id {
        Some(id) => state.users.cached(site.id, id).await?,
        None => None,
    })
}
