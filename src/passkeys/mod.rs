//! Passkeys (WebAuthn) with webauthn-rs: registering them on the account
//! page and signing in with one (discoverable credentials).
//!
//! Each site is its own relying party: the RP id is the host of the site's
//! base URL and the only origin accepted is the base URL's, so a passkey
//! made for one site is never accepted by another. Ceremony state (the
//! challenge) lives in the shared store under the hash of a random id that
//! the browser holds in a short-lived cookie; it is taken out (deleted) on
//! the answer, so each challenge is used once, and refused after
//! [`CEREMONY_SECS`]. A registration is also bound to the session that
//! began it.

mod ceremony;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use webauthn_rs::prelude::{
    CreationChallengeResponse, Passkey, PasskeyAuthentication, PublicKeyCredential,
    RegisterPublicKeyCredential, RequestChallengeResponse, Url, Uuid, Webauthn, WebauthnBuilder,
};
use webauthn_rs_proto::ResidentKeyRequirement;

use crate::audit::{Actor, AuditEvent, AuditKind};
use crate::cache::CachedUser;
use crate::sessions::{ClientInfo, SignInMethod, StartedSession};
use crate::sites::Site;
use crate::state::AppState;
use crate::store::{NewPasskey, PasskeyRecord, StoreError};

pub use ceremony::{CEREMONY_SECS, CeremonyId, Purpose};

/// Longer passkey names are refused.
pub const MAX_NAME_CHARS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The answer does not complete a ceremony this site began: unknown,
    /// used or expired challenge, another session's, a bad signature,
    /// another origin or RP id, an unknown passkey. The message key
    /// (`i18n`) of what to tell the person.
    #[error("passkey refused: {0}")]
    Refused(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The site's relying party: RP id and origin from its base URL. A site
/// whose base URL names no domain (an IP address) cannot have passkeys:
/// browsers refuse such RP ids.
pub fn relying_party(site: &Site) -> Result<Webauthn, PasskeyError> {
    const NO_DOMAIN: &str = "passkey-error-no-domain";
    let rp_id = site
        .base_url
        .domain()
        .ok_or(PasskeyError::Refused(NO_DOMAIN))?;
    let origin = Url::parse(&site.issuer).map_err(anyhow::Error::from)?;
    WebauthnBuilder::new(rp_id, &origin)
        .and_then(|b| {
            b.rp_name(&site.name)
                .timeout(std::time::Duration::from_secs(CEREMONY_SECS.unsigned_abs()))
                .build()
        })
        .map_err(|e| {
            tracing::warn!(site = %site.slug, error = %e, "the site cannot be a relying party");
            PasskeyError::Refused(NO_DOMAIN)
        })
}

fn credential_id_text(passkey: &Passkey) -> String {
    URL_SAFE_NO_PAD.encode(passkey.cred_id().as_slice())
}

/// A ceremony begun: the options for the browser and the id for its cookie.
pub struct Began<T> {
    pub ceremony: CeremonyId,
    pub options: T,
}

/// Starts registering a passkey for the signed-in user of `session_id`.
pub async fn begin_registration(
    state: &AppState,
    site: &Site,
    user: &CachedUser,
    session_id: i64,
) -> Result<Began<CreationChallengeResponse>, PasskeyError> {
    let rp = relying_party(site)?;
    let existing = state.store.list_passkeys(site.id, user.id).await?;
    // One user handle for all of a user's passkeys on the site.
    let handle = existing
        .first()
        .and_then(|p| Uuid::parse_str(&p.user_handle).ok())
        .unwrap_or_else(Uuid::new_v4);
    let exclude = existing
        .iter()
        .filter_map(|p| serde_json::from_str::<Passkey>(&p.credential).ok())
        .map(|p| p.cred_id().clone())
        .collect();
    let (mut options, registration) = rp
        .start_passkey_registration(handle, &user.username, &user.display_name, Some(exclude))
        .map_err(|e| anyhow::anyhow!("cannot start a passkey registration: {e}"))?;
    // Sign-in names no user first, so the passkey must be discoverable.
    if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
        selection.resident_key = Some(ResidentKeyRequirement::Required);
        selection.require_resident_key = true;
    }
    let saved = ceremony::RegistrationState {
        user_handle: handle,
        registration,
    };
    let ceremony = ceremony::save(state, site, Purpose::Register, Some(session_id), &saved).await?;
    Ok(Began { ceremony, options })
}

/// Finishes a registration: the new passkey's id.
pub async fn finish_registration(
    state: &AppState,
    site: &Site,
    user: &CachedUser,
    session_id: i64,
    ceremony: &str,
    name: &str,
    credential: &RegisterPublicKeyCredential,
) -> Result<i64, PasskeyError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(PasskeyError::Refused("passkey-error-name"));
    }
    let saved: ceremony::RegistrationState =
        ceremony::take(state, site, ceremony, Purpose::Register, Some(session_id)).await?;
    let passkey = relying_party(site)?
        .finish_passkey_registration(credential, &saved.registration)
        .map_err(|e| {
            tracing::info!(site = %site.slug, error = %e, "passkey registration refused");
            PasskeyError::Refused("passkey-error-not-registered")
        })?;
    let now = state.now();
    let new = NewPasskey {
        site_id: site.id,
        user_id: user.id,
        user_handle: saved.user_handle.to_string(),
        credential_id: credential_id_text(&passkey),
        name: name.to_string(),
        credential: serde_json::to_string(&passkey).map_err(anyhow::Error::from)?,
        created_at: now,
    };
    let Some(id) = state.store.add_passkey(&new).await? else {
        return Err(PasskeyError::Refused("passkey-error-registered-already"));
    };
    let event = AuditEvent::new(AuditKind::PasskeyAdded, Actor::User(user.id))
        .user(user.id)
        .detail("passkey_id", id)
        .detail("name", name);
    state.audit.record(site.id, event).await;
    Ok(id)
}

/// Removes one of the user's passkeys; false when it was not theirs.
pub async fn remove(
    state: &AppState,
    site: &Site,
    user_id: i64,
    passkey_id: i64,
) -> Result<bool, PasskeyError> {
    let removed = state
        .store
        .remove_passkey(site.id, user_id, passkey_id)
        .await?;
    if removed {
        let event = AuditEvent::new(AuditKind::PasskeyRemoved, Actor::User(user_id))
            .user(user_id)
            .detail("passkey_id", passkey_id);
        state.audit.record(site.id, event).await;
    }
    Ok(removed)
}

/// A user's passkeys, oldest first.
pub async fn list(
    state: &AppState,
    site: &Site,
    user_id: i64,
) -> Result<Vec<PasskeyRecord>, PasskeyError> {
    Ok(state.store.list_passkeys(site.id, user_id).await?)
}

/// Whether the user has a passkey on the site (one is a second factor).
pub async fn has_any(
    store: &crate::store::SharedStore,
    site_id: i64,
    user_id: i64,
) -> Result<bool, StoreError> {
    Ok(!store.list_passkeys(site_id, user_id).await?.is_empty())
}

/// Starts a sign-in with a discoverable passkey: no user named.
pub async fn begin_sign_in(
    state: &AppState,
    site: &Site,
) -> Result<Began<RequestChallengeResponse>, PasskeyError> {
    let (mut options, authentication) = relying_party(site)?
        .start_discoverable_authentication()
        .map_err(|e| anyhow::anyhow!("cannot start a passkey sign-in: {e}"))?;
    // The page chooses between a button (modal) and autofill (conditional).
    options.mediation = None;
    let ceremony = ceremony::save(state, site, Purpose::SignIn, None, &authentication).await?;
    Ok(Began { ceremony, options })
}

/// Finishes a sign-in: the new session of the passkey's owner.
pub async fn finish_sign_in(
    state: &AppState,
    site: &Site,
    ceremony: &str,
    credential: &PublicKeyCredential,
    client: ClientInfo,
) -> Result<StartedSession, PasskeyError> {
    let authentication = ceremony::take(state, site, ceremony, Purpose::SignIn, None).await?;
    let ip = client.ip.clone();
    let refused = |reason, user_id| refuse_sign_in(state, site, ip.as_deref(), reason, user_id);
    let rp = relying_party(site)?;
    let Ok((handle, credential_id)) = rp.identify_discoverable_authentication(credential) else {
        return Err(refused("no_user_handle", None).await);
    };
    let credential_id = URL_SAFE_NO_PAD.encode(credential_id);
    let record = state.store.find_passkey(site.id, &credential_id).await?;
    let Some(record) = record.filter(|r| r.user_handle == handle.to_string()) else {
        return Err(refused("unknown_passkey", None).await);
    };
    let mut passkey: Passkey =
        serde_json::from_str(&record.credential).map_err(anyhow::Error::from)?;
    let result =
        match rp.finish_discoverable_authentication_v2(credential, authentication, &passkey) {
            Ok(result) => result,
            Err(e) => {
                tracing::info!(site = %site.slug, error = %e, "passkey assertion refused");
                return Err(refused("bad_assertion", Some(record.user_id)).await);
            }
        };
    let user = state.store.find_user(site.id, record.user_id).await?;
    let Some(user) = user.filter(|u| !u.disabled) else {
        return Err(refused("disabled", Some(record.user_id)).await);
    };
    passkey.update_credential(&result);
    let now = state.now();
    let updated = serde_json::to_string(&passkey).map_err(anyhow::Error::from)?;
    state
        .store
        .record_passkey_use(site.id, record.id, &updated, now)
        .await?;
    let session = state
        .sessions
        .start(site, &user, SignInMethod::Passkey, client)
        .await?;
    tracing::info!(site = %site.slug, user_id = user.id, "signed in with a passkey");
    let used = AuditEvent::new(AuditKind::PasskeyUsed, Actor::User(user.id))
        .user(user.id)
        .detail("passkey_id", record.id);
    state.audit.record(site.id, used).await;
    let signed_in = AuditEvent::new(AuditKind::SignInSucceeded, Actor::User(user.id))
        .user(user.id)
        .ip(ip.as_deref())
        .detail("method", "passkey");
    state.audit.record(site.id, signed_in).await;
    Ok(session)
}

/// What a second-factor ceremony proves a passkey for: a pending sign-in
/// (its row), or a signed-in session stepping up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum SecondFactorFor {
    Pending(i64),
    StepUp(i64),
}

#[derive(serde::Serialize, serde::Deserialize)]
struct SecondFactorState {
    user_id: i64,
    bound: SecondFactorFor,
    authentication: PasskeyAuthentication,
}

/// Starts proving one of the user's own passkeys (named to the browser,
/// not discovered), for `bound`.
pub async fn begin_second_factor(
    state: &AppState,
    site: &Site,
    user_id: i64,
    bound: SecondFactorFor,
) -> Result<Began<RequestChallengeResponse>, PasskeyError> {
    let rp = relying_party(site)?;
    let passkeys: Vec<Passkey> = state
        .store
        .list_passkeys(site.id, user_id)
        .await?
        .iter()
        .filter_map(|p| serde_json::from_str(&p.credential).ok())
        .collect();
    if passkeys.is_empty() {
        return Err(PasskeyError::Refused("passkey-error-none"));
    }
    let (options, authentication) = rp
        .start_passkey_authentication(&passkeys)
        .map_err(|e| anyhow::anyhow!("cannot start a passkey check: {e}"))?;
    let saved = SecondFactorState {
        user_id,
        bound,
        authentication,
    };
    let ceremony = ceremony::save(state, site, Purpose::SecondFactor, None, &saved).await?;
    Ok(Began { ceremony, options })
}

/// Finishes a second-factor ceremony begun for the same user and `bound`:
/// the id of the passkey that proved the user.
pub async fn finish_second_factor(
    state: &AppState,
    site: &Site,
    user_id: i64,
    bound: SecondFactorFor,
    ceremony: &str,
    credential: &PublicKeyCredential,
) -> Result<i64, PasskeyError> {
    const REFUSED: &str = "passkey-error-not-confirmed";
    let saved: SecondFactorState =
        ceremony::take(state, site, ceremony, Purpose::SecondFactor, None).await?;
    if saved.user_id != user_id || saved.bound != bound {
        return Err(PasskeyError::Refused("passkey-error-unknown"));
    }
    let result = relying_party(site)?
        .finish_passkey_authentication(credential, &saved.authentication)
        .map_err(|e| {
            tracing::info!(site = %site.slug, error = %e, "passkey second factor refused");
            PasskeyError::Refused(REFUSED)
        })?;
    let credential_id = URL_SAFE_NO_PAD.encode(result.cred_id());
    let record = state.store.find_passkey(site.id, &credential_id).await?;
    // The options named only this user's passkeys, and webauthn-rs checks
    // the answer is by one of them; the store must agree.
    let Some(record) = record.filter(|r| r.user_id == user_id) else {
        return Err(PasskeyError::Refused(REFUSED));
    };
    let mut passkey: Passkey =
        serde_json::from_str(&record.credential).map_err(anyhow::Error::from)?;
    passkey.update_credential(&result);
    let updated = serde_json::to_string(&passkey).map_err(anyhow::Error::from)?;
    state
        .store
        .record_passkey_use(site.id, record.id, &updated, state.now())
        .await?;
    let used = AuditEvent::new(AuditKind::PasskeyUsed, Actor::User(user_id))
        .user(user_id)
        .detail("passkey_id", record.id)
        .detail("as", "second_factor");
    state.audit.record(site.id, used).await;
    Ok(record.id)
}

async fn refuse_sign_in(
    state: &AppState,
    site: &Site,
    ip: Option<&str>,
    reason: &'static str,
    user_id: Option<i64>,
) -> PasskeyError {
    tracing::info!(site = %site.slug, reason, "passkey sign-in refused");
    let event = AuditEvent::new(AuditKind::SignInFailed, Actor::Anonymous)
        .maybe_user(user_id)
        .ip(ip)
        .detail("method", "passkey")
        .detail("reason", reason);
    state.audit.record(site.id, event).await;
    PasskeyError::Refused("passkey-error-not-signed-in")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::MasterKey;
    use crate::store::SiteRecord;

    fn site(base_url: &str) -> Site {
        let record = SiteRecord {
            id: 1,
            slug: "s".into(),
            name: "Test".into(),
            base_url: base_url.into(),
            session_ttl_secs: 3600,
            ..SiteRecord::default()
        };
        Site::from_record(record, vec![], &MasterKey::generate()).unwrap_or_else(|| unreachable!())
    }

    #[test]
    fn the_relying_party_is_the_sites_own_origin() {
        let rp = relying_party(&site("https://docs.example.com")).ok();
        let origins: Vec<String> = rp
            .iter()
            .flat_map(|rp| rp.get_allowed_origins())
            .map(|o| o.as_str().to_string())
            .collect();
        assert_eq!(origins, ["https://docs.example.com/"]);
    }

    #[test]
    fn a_site_without_a_domain_name_cannot_have_passkeys() {
        let refused = relying_party(&site("http://127.0.0.1:8080"));
        assert!(matches!(refused, Err(PasskeyError::Refused(_))));
    }
}
