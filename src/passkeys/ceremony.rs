//! Ceremony state in the shared store: saved under the SHA-256 of a random
//! id, taken out once, refused when expired or begun for something else.

use serde::Serialize;
use serde::de::DeserializeOwned;
use webauthn_rs::prelude::{PasskeyRegistration, Uuid};

use super::PasskeyError;
use crate::crypto::{random, sha256_hex};
use crate::sites::Site;
use crate::state::AppState;
use crate::store::NewCeremony;

/// How long a challenge may be answered.
pub const CEREMONY_SECS: i64 = 5 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Register,
    SignIn,
    /// A passkey after the password, or to step a session up.
    SecondFactor,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Register => "register",
            Purpose::SignIn => "sign-in",
            Purpose::SecondFactor => "second-factor",
        }
    }
}

/// The random id of a ceremony, which the browser keeps in a cookie. Only
/// its hash is stored.
pub struct CeremonyId(String);

impl CeremonyId {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for CeremonyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CeremonyId(..)")
    }
}

/// What a registration needs back: the user handle offered and the
/// webauthn-rs state.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct RegistrationState {
    pub user_handle: Uuid,
    pub registration: PasskeyRegistration,
}

pub(super) async fn save(
    state: &AppState,
    site: &Site,
    purpose: Purpose,
    session_id: Option<i64>,
    value: &impl Serialize,
) -> Result<CeremonyId, PasskeyError> {
    let id = random::hex_256();
    let ceremony = NewCeremony {
        key_hash: sha256_hex(id.as_bytes()),
        site_id: site.id,
        purpose: purpose.as_str(),
        session_id,
        state: serde_json::to_string(value).map_err(anyhow::Error::from)?,
        expires_at: state.now() + CEREMONY_SECS,
    };
    state.store.save_ceremony(&ceremony).await?;
    Ok(CeremonyId(id))
}

/// Takes the ceremony named by the browser's id. Whatever happens next, it
/// is gone: an answer is checked against a challenge at most once.
pub(super) async fn take<T: DeserializeOwned>(
    state: &AppState,
    site: &Site,
    id: &str,
    purpose: Purpose,
    session_id: Option<i64>,
) -> Result<T, PasskeyError> {
    const UNKNOWN: &str = "passkey-error-unknown";
    if id.is_empty() {
        return Err(PasskeyError::Refused(UNKNOWN));
    }
    let Some(found) = state
        .store
        .take_ceremony(site.id, &sha256_hex(id.as_bytes()))
        .await?
    else {
        return Err(PasskeyError::Refused(UNKNOWN));
    };
    if found.purpose != purpose.as_str() || found.session_id != session_id {
        return Err(PasskeyError::Refused(UNKNOWN));
    }
    if found.expires_at < state.now() {
        return Err(PasskeyError::Refused("passkey-error-expired"));
    }
    Ok(serde_json::from_str(&found.state).map_err(anyhow::Error::from)?)
}
