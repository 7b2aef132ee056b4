//! Sign-in sessions behind the `authtoken` cookie.

pub mod authentication;

use std::sync::Arc;

use crate::cache::{AuthCache, CachedSession, CachedUser};
use crate::clock::SharedClock;
use crate::sites::Site;
use crate::store::{
    NewSession, PendingSigninRecord, SessionRecord, SharedStore, StoreError, UserRecord,
};
use crate::tokens::authtoken;
use crate::users::Users;

pub use authentication::{Acr, Methods};

/// Where a session came from, shown on the account page.
#[derive(Debug, Clone, Copy)]
pub enum SignInMethod {
    Password,
    ServerToken,
    Impersonation,
    IdentityToken,
    Passkey,
    /// Another OpenID provider vouched for the user (`crate::upstream`).
    Upstream,
}

impl SignInMethod {
    /// What a sign-in of this kind proves by itself.
    pub fn methods(self) -> Methods {
        match self {
            SignInMethod::Password => Methods::PASSWORD,
            SignInMethod::Passkey => Methods::PASSKEY,
            _ => Methods::NONE,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SignInMethod::Password => "password",
            SignInMethod::ServerToken => "server-token",
            SignInMethod::Impersonation => "impersonation",
            SignInMethod::IdentityToken => "identity-token",
            SignInMethod::Passkey => "passkey",
            SignInMethod::Upstream => "upstream",
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

/// A sign-in completed after its second step.
pub struct CompletedSignIn {
    /// The new session's authtoken; `None` when the browser's session was
    /// re-authenticated in place and its cookie stays as it is.
    pub authtoken: Option<String>,
    pub record: SessionRecord,
}

/// A live session and its user, as recognised from an authtoken.
#[derive(Debug, Clone)]
pub struct RecognisedSession {
    pub session_id: i64,
    /// When the session or the authtoken ends, whichever is first.
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
        let (session, authtoken) =
            self.new_session(site, user.id, method, method.methods(), client);
        let record = self.store.create_session(&session).await?;
        Ok(StartedSession { authtoken, record })
    }

    fn new_session(
        &self,
        site: &Site,
        user_id: i64,
        method: SignInMethod,
        methods: Methods,
        client: ClientInfo,
    ) -> (NewSession, String) {
        let now = self.clock.now();
        let expires_at = now + site.session_ttl_secs;
        let minted = authtoken::mint(site, expires_at);
        let session = NewSession {
            site_id: site.id,
            user_id,
            token_hash: minted.secret_hash,
            method: method.as_str().to_string(),
            ip: client.ip,
            user_agent: client.user_agent.map(|ua| ua.chars().take(300).collect()),
            created_at: now,
            expires_at,
            amr: methods.to_stored(),
        };
        (session, minted.value)
    }

    /// Records a fresh authentication of the user's live session (a
    /// password typed again, a second factor): its methods, now. False
    /// when the session is not the user's or is over.
    pub async fn reauthenticate(
        &self,
        site: &Site,
        user_id: i64,
        session_id: i64,
        methods: Methods,
    ) -> Result<bool, StoreError> {
        let done = self
            .store
            .reauthenticate_session(
                site.id,
                user_id,
                session_id,
                &methods.to_stored(),
                self.clock.now(),
            )
            .await?;
        // The change feed tells every process; this one need not wait for it.
        self.cache.evict_session(session_id);
        Ok(done)
    }

    /// Completes a pending sign-in (once): re-authenticates the browser's
    /// session of the same user in place when it is still live, or starts
    /// a new one. `None` when the pending sign-in was used or expired.
    pub async fn complete_pending(
        &self,
        site: &Site,
        pending: &PendingSigninRecord,
        methods: Methods,
    ) -> Result<Option<CompletedSignIn>, StoreError> {
        let client = ClientInfo {
            ip: pending.ip.clone(),
            user_agent: pending.user_agent.clone(),
        };
        let (session, authtoken) = self.new_session(
            site,
            pending.user_id,
            SignInMethod::Password,
            methods,
            client,
        );
        let Some(record) = self
            .store
            .complete_pending_signin(pending.id, &session, pending.session_id, self.clock.now())
            .await?
        else {
            return Ok(None);
        };
        let authtoken = (record.token_hash == session.token_hash).then_some(authtoken);
        if authtoken.is_none() {
            // Re-authenticated in place: as in `reauthenticate`.
            self.cache.evict_session(record.id);
        }
        Ok(Some(CompletedSignIn { authtoken, record }))
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
                    auth_time: record.auth_time.unwrap_or(record.created_at),
                    methods: Methods::parse(&record.amr),
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
            expires_at: session.expires_at.min(verified.expires_at),
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
