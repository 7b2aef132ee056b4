//! Signing in with another OpenID provider (brokering). A site's admin adds
//! upstream providers (issuer, client id and secret); the sign-in page shows
//! a button for each. The browser goes through the provider's code flow
//! (PKCE, `state`, `nonce`; `client.rs`), and when it comes back the
//! provider's identity (issuer, subject) signs in to the local account
//! linked to it. A first sign-in is linked:
//!
//! 1. to the account signed in in this browser, when there is one (the
//!    account page's "link" buttons);
//! 2. to the local account with the same email, when the provider says the
//!    email is verified and the provider's setting allows linking by email;
//! 3. to an account whose password the user proves on the "link your
//!    account" page (`link.rs`), when a local account has that email or no
//!    account may be created;
//! 4. otherwise to an account created just in time by the identity-token
//!    exchange's rules (`sub` as username, `community`), when allowed.
//!
//! A sign-in ends as a password sign-in does: the site's second-factor
//! policy, the same session cookie, `next`, and audit events.
mod client;
mod flow;
mod link;
mod providers;
mod signin;

use crate::audit::{Actor, AuditEvent, AuditKind};
use crate::crypto::aead;
use crate::sites::Site;
use crate::state::AppState;
use crate::store::{StoreError, UpstreamIdentityRecord, UpstreamProviderRecord};

pub use client::UpstreamClaims;
pub use flow::{FLOW_SECS, FlowId};
pub use link::{LinkAttempt, PendingLinkView, link_with_password};
pub use providers::{NewProvider, ProviderView, add_provider, list_providers, remove_provider};
pub use signin::{Finished, ProviderAnswer, begin_sign_in, finish_sign_in};

/// A sign-in button on the login page.
#[derive(Debug, Clone)]
pub struct ProviderButton {
    pub name: String,
    pub display_name: String,
}

/// The buttons of a site's providers (none on a failure: the page still
/// offers the password form).
pub async fn buttons(state: &AppState, site: &Site) -> Vec<ProviderButton> {
    match state.store.list_upstream_providers(site.id).await {
        Ok(providers) => providers
            .into_iter()
            .map(|p| ProviderButton {
                name: p.name,
                display_name: p.display_name,
            })
            .collect(),
        Err(e) => {
            tracing::warn!(site = %site.slug, error = %e, "cannot list upstream providers");
            Vec::new()
        }
    }
}

/// The cookie holding a sign-in's flow id while the browser is at the
/// provider, and then an identity's while it waits to be linked.
pub const FLOW_COOKIE: &str = "tessera_upstream";

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The sign-in cannot go on; the key of the message for people
    /// (`locales/*/upstream.ftl`).
    #[error("{0}")]
    Refused(&'static str),
    /// The site has no provider of that name.
    #[error("no such provider")]
    UnknownProvider,
    /// The provider could not be reached or answered nonsense (for logs
    /// and admins; people are told something generic).
    #[error("{0}")]
    Unreachable(String),
    /// A setting an admin gave is not usable; the text is for them.
    #[error("{0}")]
    Invalid(String),
    /// The site has a provider of that name already.
    #[error("the site has a provider named `{0}` already")]
    NameTaken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Where the provider sends the browser back: one URL per provider, on the
/// site's base URL (registered at the provider).
pub fn redirect_uri(site: &Site, provider_name: &str) -> String {
    format!("{}/login/upstream/{provider_name}/callback", site.issuer)
}
async fn find_provider(
    state: &AppState,
    site: &Site,
    name: &str,
) -> Result<UpstreamProviderRecord, UpstreamError> {
    state
        .store
        .find_upstream_provider(site.id, name)
        .await?
        .ok_or(UpstreamError::UnknownProvider)
}

fn open_secret(
    state: &AppState,
    provider: &UpstreamProviderRecord,
) -> Result<String, UpstreamError> {
    aead::open_string(
        &state.settings.master_key,
        provider.site_id,
        &provider.sealed_client_secret,
    )
    .map_err(|e| {
        UpstreamError::Internal(anyhow::anyhow!(
            "cannot open an upstream client secret: {e}"
        ))
    })
}

/// The identities linked to a user's account, oldest first.
pub async fn linked_identities(
    state: &AppState,
    site: &Site,
    user_id: i64,
) -> Result<Vec<UpstreamIdentityRecord>, UpstreamError> {
    Ok(state
        .store
        .list_upstream_identities(site.id, user_id)
        .await?)
}

/// Unlinks one of a user's identities. Refused when it is the only way the
/// account signs in (no password, no other identity).
pub async fn unlink(
    state: &AppState,
    site: &Site,
    user_id: i64,
    identity_id: i64,
) -> Result<bool, UpstreamError> {
    let linked = state
        .store
        .list_upstream_identities(site.id, user_id)
        .await?;
    if !linked.iter().any(|i| i.id == identity_id) {
        return Ok(false);
    }
    let user = state.store.find_user(site.id, user_id).await?;
    let has_password = user.is_some_and(|u| u.password_hash.is_some());
    if !has_password && linked.len() < 2 {
        return Err(UpstreamError::Refused("upstream-error-only-way-in"));
    }
    let removed = state
        .store
        .remove_upstream_identity(site.id, user_id, identity_id)
        .await?;
    if removed {
        let event = AuditEvent::new(AuditKind::UpstreamIdentityUnlinked, Actor::User(user_id))
            .user(user_id)
            .detail("identity_id", identity_id);
        state.audit.record(site.id, event).await;
    }
    Ok(removed)
}
