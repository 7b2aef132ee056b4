//! Sign-ins in progress at an upstream provider, and identities waiting for
//! a password, in the shared store: sealed JSON (`crypto::aead`, bound to
//! the site) under the SHA-256 of a random id that the browser holds in a
//! short-lived cookie. Taken out (deleted) on use: each is used once, by
//! whichever process gets the request, and refused after [`FLOW_SECS`].

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::UpstreamError;
use crate::crypto::{aead, random, sha256_hex};
use crate::sites::Site;
use crate::state::AppState;
use crate::store::NewUpstreamFlow;

/// How long the browser may take at the provider, or to link.
pub const FLOW_SECS: i64 = 10 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Sent to the provider; its answer is awaited.
    SignIn,
    /// Back from the provider; the identity waits for a password to link.
    Link,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::SignIn => "sign-in",
            Purpose::Link => "link",
        }
    }
}

/// The random id of a flow, which the browser keeps in a cookie. Only its
/// hash is stored.
pub struct FlowId(String);

impl FlowId {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for FlowId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FlowId(..)")
    }
}

pub(super) async fn save(
    state: &AppState,
    site: &Site,
    purpose: Purpose,
    value: &impl Serialize,
) -> Result<FlowId, UpstreamError> {
    let id = random::hex_256();
    let json = serde_json::to_vec(value).map_err(anyhow::Error::from)?;
    let sealed = aead::seal(&state.settings.master_key, site.id, &json)
        .map_err(|e| anyhow::anyhow!("cannot seal a sign-in flow: {e}"))?;
    let flow = NewUpstreamFlow {
        key_hash: sha256_hex(id.as_bytes()),
        site_id: site.id,
        purpose: purpose.as_str(),
        sealed_state: sealed,
        expires_at: state.now() + FLOW_SECS,
    };
    state.store.save_upstream_flow(&flow).await?;
    Ok(FlowId(id))
}

/// Takes the flow named by the browser's id. Whatever happens next, it is
/// gone: a provider's answer is checked against it at most once.
pub(super) async fn take<T: DeserializeOwned>(
    state: &AppState,
    site: &Site,
    id: &str,
    purpose: Purpose,
) -> Result<T, UpstreamError> {
    const UNKNOWN: &str = "upstream-error-unknown-flow";
    if id.is_empty() {
        return Err(UpstreamError::Refused(UNKNOWN));
    }
    let Some(found) = state
        .store
        .take_upstream_flow(site.id, &sha256_hex(id.as_bytes()))
        .await?
    else {
        return Err(UpstreamError::Refused(UNKNOWN));
    };
    if found.purpose != purpose.as_str() {
        return Err(UpstreamError::Refused(UNKNOWN));
    }
    if found.expires_at < state.now() {
        return Err(UpstreamError::Refused("upstream-error-flow-expired"));
    }
    let json = aead::open(&state.settings.master_key, site.id, &found.sealed_state)
        .map_err(|e| anyhow::anyhow!("cannot open a sign-in flow: {e}"))?;
    Ok(serde_json::from_slice(&json).map_err(anyhow::Error::from)?)
}
