//! Signed server API tokens (spec 3.3): `tkn_{key}_{epoch}_{user}_{sig}`.
//! The key's secret comes from the cache (opened once from its sealed form),
//! the signature and time are checked by `tokens::server`, and the request
//! then acts as the named user with that user's role.

use std::sync::Arc;

use super::rejected;
use crate::cache::{CachedUser, Epochs};
use crate::sites::Site;
use crate::state::AppState;
use crate::store::{NewUser, StoreError};
use crate::tokens::server::{self, ServerTokenRejection, UserRef, VerifiedServerToken};
use crate::tokens::stored::CachedServerToken;
use crate::tokens::{ApiCaller, CredentialKind, RecogniseError, Recognised, Reuse};
use crate::users::{Role, validate_username};

fn refused(reason: ServerTokenRejection) -> RecogniseError {
    rejected(reason.code(), reason.to_string())
}

/// The caller a server token names. The recognition holds as long as the
/// token's time is inside the window and the caches it was read from (the
/// site's server tokens, the user) have not changed since `since`.
pub async fn recognise(
    state: &AppState,
    site: Arc<Site>,
    token: &str,
    since: Epochs,
) -> Result<Recognised, RecogniseError> {
    let found = user_of(state, &site, token).await?;
    let window = state.token_kinds.window();
    let epoch = found.verified.epoch;
    let reuse = Reuse {
        since,
        from: epoch.saturating_sub(window.future_secs),
        until: epoch.saturating_add(window.past_secs).saturating_add(1),
        server_key: Some(found.key.into()),
    };
    let mut caller = ApiCaller::anonymous(site);
    caller.credential = CredentialKind::Server;
    caller.permissions = found.user.role.permissions();
    caller.user = Some(found.user);
    Ok(Recognised {
        caller,
        reuse: Some(reuse),
    })
}

/// A server token that checked out, and the user it acts as.
pub struct ServerTokenUser {
    pub user: Arc<CachedUser>,
    pub verified: VerifiedServerToken,
    /// The token's key, as stored.
    pub key: String,
}

/// The user a valid server token acts as (created just in time when the
/// token allows it), or why the token is refused.
pub async fn user_of(
    state: &AppState,
    site: &Site,
    token: &str,
) -> Result<ServerTokenUser, RecogniseError> {
    let parsed = server::parse(token.trim()).map_err(refused)?;
    let tokens = state.token_kinds.server_tokens(site.id).await?;
    let stored = tokens.get(parsed.key);
    let verified = parsed
        .verify(
            stored.map(|t| &t.secret),
            state.token_kinds.now(),
            state.token_kinds.window(),
        )
        .map_err(refused)?;
    let Some(stored) = stored else {
        return Err(refused(ServerTokenRejection::UnknownKey));
    };
    state.token_kinds.touch_server_token(&stored.key);
    let user = find_user(state, site, stored, &verified.user).await?;
    let user = user
        .filter(|u| !u.disabled)
        .ok_or_else(|| refused(ServerTokenRejection::UnknownUser))?;
    if stored.user_id.is_some_and(|only| only != user.id) {
        return Err(rejected(
            "user_not_allowed",
            "this server token is restricted to another user",
        ));
    }
    Ok(ServerTokenUser {
        user,
        verified,
        key: stored.key.clone(),
    })
}

async fn find_user(
    state: &AppState,
    site: &Site,
    stored: &CachedServerToken,
    user: &UserRef,
) -> Result<Option<Arc<CachedUser>>, StoreError> {
    let id = match user {
        UserRef::Id(id) => Some(*id),
        UserRef::Username(name) => match state.token_kinds.user_id_by_name(site.id, name).await? {
            Some(id) => Some(id),
            None if stored.jit => provision(state, site, name).await?,
            None => None,
        },
    };
    match id {
        Some(id) => state.users.cached(site.id, id).await,
        None => Ok(None),
    }
}

/// Creates a `community` user for a just-in-time token. A name that is not
/// a valid username stays an unknown user.
async fn provision(state: &AppState, site: &Site, name: &str) -> Result<Option<i64>, StoreError> {
    if validate_username(name).is_err() {
        return Ok(None);
    }
    let new = NewUser {
        site_id: site.id,
        username: name.to_owned(),
        display_name: name.to_owned(),
        email: None,
        password_hash: None,
        role: Role::Community.as_str().to_owned(),
        external_issuer: None,
        external_subject: None,
        created_at: state.now(),
    };
    match state.store.create_user(&new).await {
        Ok(user) => {
            tracing::info!(site = %site.slug, user_id = user.id, "server token created a user just in time");
            Ok(Some(user.id))
        }
        // Another request created it first.
        Err(StoreError::Conflict) => state.token_kinds.user_id_by_name(site.id, name).await,
        Err(e) => Err(e),
    }
}
