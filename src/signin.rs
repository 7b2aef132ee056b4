//! Signing in with a username and password.

use crate::crypto::password;
use crate::sessions::{ClientInfo, SignInMethod, StartedSession};
use crate::sites::Site;
use crate::state::AppState;
use crate::store::StoreError;
use crate::throttle::ThrottleKey;

pub enum SignInOutcome {
    SignedIn(StartedSession),
    /// Unknown user, wrong password or disabled account: the caller is told
    /// only that it did not work.
    Refused,
    Throttled {
        retry_after: i64,
    },
}

pub async fn sign_in_with_password(
    state: &AppState,
    site: &Site,
    username: &str,
    password: String,
    client: ClientInfo,
) -> Result<SignInOutcome, StoreError> {
    let now = state.now();
    let key = ThrottleKey {
        site_id: site.id,
        username: username.to_lowercase(),
        ip: client.ip.clone().unwrap_or_default(),
    };
    if let Err(retry_after) = state.login_throttle.check(&key, now) {
        tracing::warn!(site = %site.slug, "sign-in throttled");
        return Ok(SignInOutcome::Throttled { retry_after });
    }
    let user = state.store.find_user_by_username(site.id, username).await?;
    // The same argon2 work happens whether or not the account exists.
    let stored_hash = user
        .as_ref()
        .filter(|u| !u.disabled)
        .and_then(|u| u.password_hash.clone());
    let verified = password::verify_password(stored_hash, password).await;
    match user {
        Some(user) if verified && !user.disabled => {
            state.login_throttle.clear(&key);
            let session = state
                .sessions
                .start(site, &user, SignInMethod::Password, client)
                .await?;
            tracing::info!(site = %site.slug, user_id = user.id, "signed in");
            Ok(SignInOutcome::SignedIn(session))
        }
        _ => {
            state.login_throttle.record_failure(key, now);
            tracing::info!(site = %site.slug, "sign-in refused");
            Ok(SignInOutcome::Refused)
        }
    }
}
