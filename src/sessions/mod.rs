//! Sign-in sessions behind the `authtoken` cookie.

use std::sync::Arc;

use crate::cache::{AuthCache, CachedSession, CachedUser};
use crate::clock::SharedClock;
use crate::sites::Site;
use crate::store::{NewSession, SessionRecord, SharedStore, StoreError, UserRecord};
use crate::tokens::authtoken;
use crate::users::Users;

/// Where a session came from, shown on the account page.
#[derive(Debug, Clone, Copy)]
pub enum SignInMethod {
    Password,
    ServerToken,
    Impersonation,
    IdentityToken,
    Passkey,
}

impl SignInMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            SignInMethod::Password => "password",
            SignInMethod::ServerToken => "server-token",
            SignInMethod::Impersonation => "impersonation",
            SignInMethod::IdentityToken => "identity-token",
            SignInMethod::Passkey => "passkey",
        }
    }
}

/// Request details recorded with a new session.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

pub struct StartedSession {
    pub authtoken: String,
    pub record: SessionRecord,
}

/// A live session and its user, as recognised from an authtoken.
#[derive(Debug, Clone)]
pub struct RecognisedSession {
    pub session_id: i64,
    pub expires_at: i64,
    pub user: Arc<CachedUser>,
}

#[derive(Clone)]
pub struct Sessions {
    store: SharedStore,
    cache: Arc<AuthCache>,
    users: Users,
    clock: SharedClock,
}

impl Sessions {
    pub fn new(
        store: SharedStore,
        cache: Arc<AuthCache>,
        users: Users,
        clock: SharedClock,
    ) -> Self {
        Self {
            store,
            cache,
            users,
            clock,
        }
    }

    pub async fn start(
        &self,
        site: &Site,
        user: &UserRecord,
        method: SignInMethod,
        client: ClientInfo,
    ) -> Result<StartedSession, StoreError> {
        let now = self.clock.now();
        let expires_at = now + site.session_ttl_secs;
        let minted = authtoken::mint(site, expires_at);
        let record = self
            .store
            .create_session(&NewSession {
                site_id: site.id,
                user_id: user.id,
                token_hash: minted.secret_hash,
                method: method.as_str().to_string(),
                ip: client.ip,
                user_agent: client.user_agent.map(|ua| ua.chars().take(300).collect()),
                created_at: now,
                expires_at,
            })
            .await?;
        Ok(StartedSession {
            authtoken: minted.value,
            record,
        })
    }

    /// The live session and user behind an authtoken, or `None` for anything
    /// forged, foreign, expired, revoked, or belonging to a disabled user.
    pub async fn recognise(
        &self,
        site: &Site,
        token: &str,
    ) -> Result<Option<RecognisedSession>, StoreError> {
        let now = self.clock.now();
        let Some(verified) = authtoken::verify(site, token, now) else {
            return Ok(None);
        };
        let session = match self.cache.session(&verified.secret_hash) {
            Some(session) => session,
            None => {
                let epoch = self.cache.epoch();
                let Some(record) = self
                    .store
                    .find_session_by_hash(site.id, &verified.secret_hash_hex())
                    .await?
                else {
                    return Ok(None);
                };
                if record.revoked_at.is_some() {
                    return Ok(None);
                }
                let session = CachedSession {
                    id: record.id,
                    site_id: record.site_id,
                    user_id: record.user_id,
                    expires_at: record.expires_at,
                };
                self.cache.put_session(verified.secret_hash, session, epoch);
                session
            }
        };
        if session.site_id != site.id || session.expires_at <= now {
            return Ok(None);
        }
        let Some(user) = self.users.cached(site.id, session.user_id).await? else {
            return Ok(None);
        };
        if user.disabled {
            return Ok(None);
        }
        Ok(Some(RecognisedSession {
            session_id: session.id,
            expires_at: session.expires_at,
            user,
        }))
    }

    pub async fn list_active(
        &self,
        site: &Site,
        user_id: i64,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        self.store
            .list_active_sessions(site.id, user_id, self.clock.now())
            .await
    }

    /// Signs out one session of the user. False when it was not theirs or
    /// already over.
    pub async fn end(
        &self,
        site: &Site,
        user_id: i64,
        session_id: i64,
    ) -> Result<bool, StoreError> {
        let ended = self
            .store
            .revoke_session(site.id, user_id, session_id, self.clock.now())
            .await?;
        self.cache.evict_session(session_id);
        Ok(ended)
    }

    /// Signs the user out everywhere, except `keep` when given.
    pub async fn end_all(
        &self,
        site: &Site,
        user_id: i64,
        keep: Option<i64>,
    ) -> Result<u64, StoreError> {
        let ended = self
            .store
            .revoke_user_sessions(site.id, user_id, keep, self.clock.now())
            .await?;
        self.cache.evict_user(user_id);
        Ok(ended)
    }
}
