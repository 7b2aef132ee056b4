//! Signing in with a username and password, throttled per account and per
//! client address in the shared store (`crate::throttle`).

use crate::audit::{Actor, AuditEvent, AuditKind};
use crate::crypto::password;
use crate::second_factor::PendingPurpose;
use crate::sessions::{ClientInfo, Methods, SignInMethod, StartedSession};
use crate::sites::Site;
use crate::state::AppState;
use crate::store::{StoreError, UserRecord};
use crate::throttle::{Attempt, ThrottleKey};
use crate::users::Role;

/// Longer usernames are refused before any work (users.username is shorter).
pub const MAX_USERNAME_BYTES: usize = 255;
/// Longer passwords are refused before any hashing.
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// The browser's current session, if someone is signed in there.
#[derive(Debug, Clone, Copy)]
pub struct CurrentSession {
    pub session_id: i64,
    pub user_id: i64,
}

pub enum SignInOutcome {
    SignedIn(StartedSession),
    /// The same user was signed in in this browser: that session was
    /// re-authenticated in place (its cookie stays).
    Reauthenticated,
    /// The password was right; a second step (a code, or setting up a
    /// second factor) comes next. The token goes in the pending cookie.
    SecondStep {
        token: String,
        purpose: PendingPurpose,
    },
    /// Unknown user, wrong password or disabled account: the caller is told
    /// only that it did not work.
    Refused,
    /// Too many attempts for this account or from this address: nothing
    /// was checked.
    Throttled {
        retry_after: i64,
    },
    /// A username or password longer than anyone's: refused before any
    /// hashing or database work.
    TooLong,
    /// The right password of an account made by sign-up whose email
    /// address is not verified yet.
    Unverified,
}

pub async fn sign_in_with_password(
    state: &AppState,
    site: &Site,
    username: &str,
    password: String,
    client: ClientInfo,
    current: Option<CurrentSession>,
) -> Result<SignInOutcome, StoreError> {
    if username.len() > MAX_USERNAME_BYTES || password.len() > MAX_PASSWORD_BYTES {
        return Ok(SignInOutcome::TooLong);
    }
    let limit = state.settings.login_failures_before_throttle;
    let account = ThrottleKey::signin_account(site.id, username, limit);
    let address = ThrottleKey::signin_address(site.id, client.ip.as_deref().unwrap_or(""), limit);
    // Counted before the hash, so parallel guesses cannot all get through.
    let keys = [account, address];
    if let Attempt::Refused { retry_after } = state.throttle.attempt(&keys, state.now()).await? {
        tracing::warn!(site = %site.slug, "sign-in throttled");
        let known = state.store.find_user_by_username(site.id, username).await?;
        let event = AuditEvent::new(AuditKind::SignInThrottled, Actor::Anonymous)
            .maybe_user(known.map(|u| u.id))
            .ip(client.ip.as_deref())
            .detail("retry_after", retry_after);
        state.audit.record(site.id, event).await;
        return Ok(SignInOutcome::Throttled { retry_after });
    }
    let [account, address] = keys;
    let user = state.store.find_user_by_username(site.id, username).await?;
    let ip = client.ip.clone();
    // The same argon2 work happens whether or not the account exists.
    let stored_hash = user
        .as_ref()
        .filter(|u| !u.disabled)
        .and_then(|u| u.password_hash.clone());
    let verified = password::verify_password(stored_hash, password).await;
    match user {
        Some(user) if verified && !user.disabled && user.awaiting_verification => {
            state.throttle.succeeded(&[account], &[address]).await?;
            tracing::info!(site = %site.slug, user_id = user.id, "sign-in before verification");
            let event = AuditEvent::new(AuditKind::SignInFailed, Actor::Anonymous)
                .user(user.id)
                .ip(ip.as_deref())
                .detail("reason", "unverified_email");
            state.audit.record(site.id, event).await;
            Ok(SignInOutcome::Unverified)
        }
        Some(user) if verified && !user.disabled => {
            state.throttle.succeeded(&[account], &[address]).await?;
            let same_user = current.filter(|c| c.user_id == user.id);
            if let Some(purpose) = second_step(state, site, &user).await? {
                tracing::info!(site = %site.slug, user_id = user.id, "password accepted, second step next");
                let token = state
                    .second_factors
                    .begin_pending(
                        site,
                        user.id,
                        purpose,
                        Methods::PASSWORD,
                        same_user.map(|c| c.session_id),
                        client,
                    )
                    .await?;
                return Ok(SignInOutcome::SecondStep { token, purpose });
            }
            let event = AuditEvent::new(AuditKind::SignInSucceeded, Actor::User(user.id))
                .user(user.id)
                .ip(ip.as_deref())
                .detail("method", "password");
            if let Some(current) = same_user
                && state
                    .sessions
                    .reauthenticate(site, user.id, current.session_id, Methods::PASSWORD)
                    .await?
            {
                tracing::info!(site = %site.slug, user_id = user.id, "re-authenticated");
                state
                    .audit
                    .record(site.id, event.detail("reauthenticated", true))
                    .await;
                return Ok(SignInOutcome::Reauthenticated);
            }
            let session = state
                .sessions
                .start(site, &user, SignInMethod::Password, client)
                .await?;
            end_previous_session(state, site, current, user.id).await?;
            tracing::info!(site = %site.slug, user_id = user.id, "signed in");
            state.audit.record(site.id, event).await;
            Ok(SignInOutcome::SignedIn(session))
        }
        user => {
            tracing::info!(site = %site.slug, "sign-in refused");
            // The username typed is kept only when it names an account: a
            // password typed into the wrong field must not be stored.
            let reason = match &user {
                None => "unknown_user",
                Some(u) if u.disabled => "disabled",
                Some(_) => "wrong_password",
            };
            let event = AuditEvent::new(AuditKind::SignInFailed, Actor::Anonymous)
                .maybe_user(user.map(|u| u.id))
                .ip(ip.as_deref())
                .detail("reason", reason);
            state.audit.record(site.id, event).await;
            Ok(SignInOutcome::Refused)
        }
    }
}

/// The second step a user's sign-in needs after the password, if any: a
/// code when they have a second factor, enrolment when the site's policy
/// requires one they do not have.
pub async fn second_step(
    state: &AppState,
    site: &Site,
    user: &UserRecord,
) -> Result<Option<PendingPurpose>, StoreError> {
    if state.second_factors.enabled(site, user.id).await? {
        return Ok(Some(PendingPurpose::Verify));
    }
    let role = user.role.parse().unwrap_or(Role::Community);
    if !site.second_factor_policy.requires(role) {
        return Ok(None);
    }
    // Under a policy that requires a second factor, a passkey is one. A
    // user who has set up passkeys but no TOTP, where nothing requires a
    // second factor, signs in with the password alone as before (and
    // with the passkey alone when they choose it).
    Ok(Some(
        if crate::passkeys::has_any(&state.store, site.id, user.id).await? {
            PendingPurpose::Verify
        } else {
            PendingPurpose::Enrol
        },
    ))
}

/// Another user signed in in this browser: the one who was signed in here
/// before is signed out (their cookie is replaced anyway).
pub async fn end_previous_session(
    state: &AppState,
    site: &Site,
    previous: Option<CurrentSession>,
    new_user_id: i64,
) -> Result<(), StoreError> {
    if let Some(previous) = previous.filter(|p| p.user_id != new_user_id) {
        state
            .sessions
            .end(site, previous.user_id, previous.session_id)
            .await?;
    }
    Ok(())
}

/// What checking a signed-in user's current password (before a change) said.
pub enum PasswordCheck {
    Correct,
    Wrong,
    /// The account's sign-in throttle is locked: nothing was checked.
    Throttled {
        retry_after: i64,
    },
    TooLong,
}

/// Checks the current password of a signed-in user against the same
/// per-account throttle as sign-in, so a stolen session cannot be used to
/// guess the password faster than the sign-in form allows.
pub async fn check_current_password(
    state: &AppState,
    site: &Site,
    user_id: i64,
    username: &str,
    password: String,
) -> Result<PasswordCheck, StoreError> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Ok(PasswordCheck::TooLong);
    }
    let limit = state.settings.login_failures_before_throttle;
    let account = [ThrottleKey::signin_account(site.id, username, limit)];
    if let Attempt::Refused { retry_after } = state.throttle.attempt(&account, state.now()).await? {
        tracing::warn!(site = %site.slug, user_id, "password check throttled");
        return Ok(PasswordCheck::Throttled { retry_after });
    }
    let stored = state
        .store
        .find_user(site.id, user_id)
        .await?
        .and_then(|u| u.password_hash);
    if password::verify_password(stored, password).await {
        state.throttle.succeeded(&account, &[]).await?;
        Ok(PasswordCheck::Correct)
    } else {
        Ok(PasswordCheck::Wrong)
    }
}
