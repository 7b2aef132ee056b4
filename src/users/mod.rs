//! Users of a site: creation, passwords, roles, disabling.

mod role;

use std::sync::Arc;

pub use role::{Permission, Permissions, Role, UnknownRole};

use crate::cache::{AuthCache, CachedUser};
use crate::clock::SharedClock;
use crate::crypto::password;
use crate::store::{NewUser, SessionAuthentication, SharedStore, StoreError, UserRecord};

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 1024;
pub const MAX_USERNAME_CHARS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error(
        "a username is 1 to {MAX_USERNAME_CHARS} characters, without control characters, leading or trailing spaces, or a leading `=`"
    )]
    InvalidUsername,
    #[error("a password is {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters long")]
    WeakPassword,
    #[error("`{0}` is not an email address")]
    InvalidEmail(String),
    #[error("the username `{0}` is taken on this site")]
    UsernameTaken(String),
    #[error("another account of this site has the email address `{0}`")]
    EmailTaken(String),
    #[error("no user `{0}` on this site")]
    NotFound(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for UserError {
    fn from(e: StoreError) -> Self {
        UserError::Internal(e.into())
    }
}

pub fn validate_username(username: &str) -> Result<(), UserError> {
    let chars = username.chars().count();
    let ok = (1..=MAX_USERNAME_CHARS).contains(&chars)
        && !username.chars().any(char::is_control)
        && username.trim() == username
        && !username.starts_with('=');
    if ok {
        Ok(())
    } else {
        Err(UserError::InvalidUsername)
    }
}

pub fn validate_password(password: &str) -> Result<(), UserError> {
    let chars = password.chars().count();
    if (MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&chars) {
        Ok(())
    } else {
        Err(UserError::WeakPassword)
    }
}

pub fn validate_email(email: &str) -> Result<(), UserError> {
    let valid = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if valid {
        Ok(())
    } else {
        Err(UserError::InvalidEmail(email.to_string()))
    }
}

/// What it takes to create a local account.
pub struct NewAccount {
    pub username: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub role: Role,
    pub password: String,
}

#[derive(Clone)]
pub struct Users {
    store: SharedStore,
    cache: Arc<AuthCache>,
    clock: SharedClock,
}

impl Users {
    pub fn new(store: SharedStore, cache: Arc<AuthCache>, clock: SharedClock) -> Self {
        Self {
            store,
            cache,
            clock,
        }
    }

    /// Checks and hashes a new local account; the record is not yet stored.
    pub async fn prepare(&self, site_id: i64, account: NewAccount) -> Result<NewUser, UserError> {
        validate_username(&account.username)?;
        validate_password(&account.password)?;
        if let Some(email) = &account.email {
            validate_email(email)?;
        }
        let password_hash = password::hash_password(account.password).await?;
        Ok(NewUser {
            site_id,
            display_name: account
                .display_name
                .filter(|d| !d.trim().is_empty())
                .unwrap_or_else(|| account.username.clone()),
            username: account.username,
            email: account.email,
            password_hash: Some(password_hash),
            role: account.role.as_str().to_string(),
            external_issuer: None,
            external_subject: None,
            created_at: self.clock.now(),
        })
    }

    pub async fn create(&self, site_id: i64, account: NewAccount) -> Result<UserRecord, UserError> {
        let username = account.username.clone();
        let new = self.prepare(site_id, account).await?;
        match self.store.create_user(&new).await {
            Ok(user) => Ok(user),
            // Usernames and local accounts' addresses are unique per site.
            Err(StoreError::Conflict) => {
                let by_name = self.store.find_user_by_username(site_id, &username).await?;
                match (by_name, new.email) {
                    (None, Some(email)) => Err(UserError::EmailTaken(email)),
                    _ => Err(UserError::UsernameTaken(username)),
                }
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn find_by_username(
        &self,
        site_id: i64,
        username: &str,
    ) -> Result<UserRecord, UserError> {
        self.store
            .find_user_by_username(site_id, username)
            .await?
            .ok_or_else(|| UserError::NotFound(username.to_string()))
    }

    pub async fn list(&self, site_id: i64) -> Result<Vec<UserRecord>, UserError> {
        Ok(self.store.list_users(site_id).await?)
    }

    /// How a session of the site was last authenticated: from the cache
    /// that recognising its cookie filled, else from the store. An
    /// authorization request by a signed-in browser thus reads nothing.
    pub async fn session_authentication(
        &self,
        site_id: i64,
        session_id: i64,
    ) -> Result<Option<SessionAuthentication>, StoreError> {
        match self.cache.session_by_id(session_id) {
            Some(session) if session.site_id == site_id => Ok(Some(SessionAuthentication {
                auth_time: session.auth_time,
                amr: session.methods.to_stored(),
            })),
            _ => self.store.session_authentication(site_id, session_id).await,
        }
    }

    /// The user as the request path sees it, from the cache when possible.
    pub async fn cached(
        &self,
        site_id: i64,
        user_id: i64,
    ) -> Result<Option<Arc<CachedUser>>, StoreError> {
        if let Some(user) = self.cache.user(user_id) {
            return Ok((user.site_id == site_id).then_some(user));
        }
        let epoch = self.cache.epoch();
        let Some(record) = self.store.find_user(site_id, user_id).await? else {
            return Ok(None);
        };
        let Some(user) = CachedUser::from_record(&record) else {
            return Ok(None);
        };
        let user = Arc::new(user);
        self.cache.put_user(user.clone(), epoch);
        Ok(Some(user))
    }

    /// Sets a new password and signs the user out everywhere but
    /// `keep_session`, OAuth apps included (their grants are revoked).
    pub async fn set_password(
        &self,
        site_id: i64,
        user_id: i64,
        new_password: String,
        keep_session: Option<i64>,
    ) -> Result<(), UserError> {
        validate_password(&new_password)?;
        let hash = password::hash_password(new_password).await?;
        let changed = self
            .store
            .set_password(site_id, user_id, &hash, keep_session, self.clock.now())
            .await?;
        self.cache.evict_user(user_id);
        let Some(changed) = changed else {
            return Err(UserError::NotFound(user_id.to_string()));
        };
        // Exact in this process; other processes follow the change feed.
        let now = self.clock.now();
        for grant_id in changed.revoked_grants {
            self.cache.oauth.grant_revoked(grant_id, now);
        }
        Ok(())
    }

    /// The language of the user's pages and emails; `None`: as their
    /// browser asks.
    pub async fn set_locale(
        &self,
        site_id: i64,
        user_id: i64,
        locale: Option<crate::i18n::Locale>,
    ) -> Result<(), UserError> {
        let changed = self
            .store
            .set_user_locale(
                site_id,
                user_id,
                locale.map(|l| l.as_str()),
                self.clock.now(),
            )
            .await?;
        self.cache.evict_user(user_id);
        if changed {
            Ok(())
        } else {
            Err(UserError::NotFound(user_id.to_string()))
        }
    }

    pub async fn set_role(&self, site_id: i64, user_id: i64, role: Role) -> Result<(), UserError> {
        let changed = self
            .store
            .set_role(site_id, user_id, role.as_str(), self.clock.now())
            .await?;
        self.cache.evict_user(user_id);
        if changed {
            Ok(())
        } else {
            Err(UserError::NotFound(user_id.to_string()))
        }
    }

    /// Disabling signs the user out everywhere at once.
    pub async fn set_disabled(
        &self,
        site_id: i64,
        user_id: i64,
        disabled: bool,
    ) -> Result<(), UserError> {
        let changed = self
            .store
            .set_disabled(site_id, user_id, disabled, self.clock.now())
            .await?;
        self.cache.evict_user(user_id);
        if changed {
            Ok(())
        } else {
            Err(UserError::NotFound(user_id.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_may_hold_spaces_and_apostrophes_but_not_control_characters() {
        assert!(validate_username("jörg o'neil").is_ok());
        assert!(validate_username(" padded").is_err());
        assert!(validate_username("=alice").is_err());
        assert!(validate_username("tab\there").is_err());
        assert!(validate_username("").is_err());
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(validate_password("short").is_err());
        assert!(validate_password("long enough password").is_ok());
    }

    #[test]
    fn emails_need_a_local_part_and_a_domain() {
        assert!(validate_email("a@example.com").is_ok());
        assert!(validate_email("example.com").is_err());
        assert!(validate_email("a@localhost").is_err());
    }
}
