//! Linking an upstream identity to a local account by the account's
//! password, and creating an account for it just in time.

use super::client::UpstreamClaims;
use super::flow::{self, FlowId, Purpose};
use super::signin::link;
use super::{UpstreamError, find_provider};
use crate::identity::IdentityClaims;
use crate::oauth::grants::token_exchange::just_in_time_identity;
use crate::sessions::ClientInfo;
use crate::signin::{CurrentSession, SignInOutcome, sign_in_with_password};
use crate::sites::Site;
use crate::state::AppState;
use crate::store::{Provisioned, UserRecord};

/// An identity back from its provider, linked to no account yet.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct PendingLink {
    pub provider_id: i64,
    pub provider_name: String,
    pub provider_display_name: String,
    pub claims: UpstreamClaims,
    pub next: String,
}

/// What the "link your account" page shows.
#[derive(Debug, Clone)]
pub struct PendingLinkView {
    pub provider_display_name: String,
    pub email: Option<String>,
    pub next: String,
}

impl PendingLink {
    pub(super) fn view(&self) -> PendingLinkView {
        PendingLinkView {
            provider_display_name: self.provider_display_name.clone(),
            email: self.claims.email.clone(),
            next: self.next.clone(),
        }
    }
}

/// How proving a password for a pending identity went.
pub enum LinkAttempt {
    /// Linked; the sign-in goes on as a password sign-in would.
    Done {
        next: String,
        outcome: SignInOutcome,
    },
    /// The password did not sign in (the outcome says why); the identity
    /// waits again under a new flow id.
    Retry {
        flow: FlowId,
        view: PendingLinkView,
        refused: SignInOutcome,
    },
}

/// Links the pending identity of `flow_id` to the account whose username
/// and password are given, and signs in (the password's throttle, second
/// factor and audit events apply as on the sign-in form).
pub async fn link_with_password(
    state: &AppState,
    site: &Site,
    flow_id: &str,
    username: &str,
    password: String,
    client: ClientInfo,
    current: Option<CurrentSession>,
) -> Result<LinkAttempt, UpstreamError> {
    let pending: PendingLink = flow::take(state, site, flow_id, Purpose::Link).await?;
    let provider = find_provider(state, site, &pending.provider_name).await?;
    if provider.id != pending.provider_id {
        return Err(UpstreamError::UnknownProvider);
    }
    let outcome = sign_in_with_password(state, site, username, password, client, current).await?;
    let user_id = match &outcome {
        SignInOutcome::SignedIn(session) => Some(session.record.user_id),
        SignInOutcome::Reauthenticated => current.map(|c| c.user_id),
        // The password was right; the second factor is asked next, and a
        // sign-in with this identity will ask for it too.
        SignInOutcome::SecondStep { .. } => state
            .store
            .find_user_by_username(site.id, username)
            .await?
            .map(|u| u.id),
        _ => None,
    };
    match user_id {
        Some(user_id) => {
            link(state, site, &provider, &pending.claims, user_id, "password").await?;
            Ok(LinkAttempt::Done {
                next: pending.next,
                outcome,
            })
        }
        None => {
            let view = pending.view();
            let flow = flow::save(state, site, Purpose::Link, &pending).await?;
            Ok(LinkAttempt::Retry {
                flow,
                view,
                refused: outcome,
            })
        }
    }
}

/// Finds (refreshing its profile) or creates the account of an identity by
/// the identity-token exchange's rules; `None` when its `sub` cannot be a
/// username here or the username belongs to another account.
pub(super) async fn provision_account(
    state: &AppState,
    site: &Site,
    identity: &IdentityClaims,
) -> Result<Option<UserRecord>, UpstreamError> {
    let Some(identity) = just_in_time_identity(site, identity, state.now()) else {
        return Ok(None);
    };
    Ok(
        match state.store.provision_external_user(&identity).await? {
            Provisioned::Created(user) => {
                tracing::info!(site = %site.slug, user_id = user.id, "user created from an upstream provider");
                Some(user)
            }
            Provisioned::Existing(user) => Some(user),
            Provisioned::Refreshed(user) => {
                state.cache.evict_user(user.id);
                Some(user)
            }
            Provisioned::UsernameTaken => None,
        },
    )
}
