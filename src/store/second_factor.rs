//! Storage of second factors (TOTP secrets and recovery codes), of
//! half-finished sign-ins waiting for one, and of how each session was
//! authenticated (methods and time, for `amr`, `acr` and `auth_time`).

use async_trait::async_trait;

use super::{NewSession, SessionRecord, StoreResult};

/// A user's TOTP secret, sealed under the master key.
#[derive(Clone, sqlx::FromRow)]
pub struct TotpRecord {
    pub user_id: i64,
    pub site_id: i64,
    pub sealed_secret: String,
    /// `None` while the user is enrolling.
    pub confirmed_at: Option<i64>,
    /// The last time step a code was accepted for.
    pub last_used_step: i64,
    pub created_at: i64,
}

impl std::fmt::Debug for TotpRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpRecord")
            .field("user_id", &self.user_id)
            .field("site_id", &self.site_id)
            .field("confirmed_at", &self.confirmed_at)
            .field("last_used_step", &self.last_used_step)
            .finish_non_exhaustive()
    }
}

/// A sign-in whose password was right and whose second factor (or its
/// enrolment) is still to come.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingSigninRecord {
    pub id: i64,
    pub site_id: i64,
    pub user_id: i64,
    /// `verify` (a code is asked for) or `enrol` (a second factor must be set up).
    pub purpose: String,
    /// The methods proved so far (RFC 8176, space-separated).
    pub amr: String,
    /// The browser's session of the same user, re-authenticated in place
    /// when the sign-in completes.
    pub session_id: Option<i64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewPendingSignin {
    pub site_id: i64,
    pub user_id: i64,
    pub token_hash: String,
    pub purpose: String,
    pub amr: String,
    pub session_id: Option<i64>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// How a session was last authenticated.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionAuthentication {
    pub auth_time: i64,
    /// RFC 8176 methods, space-separated; empty when unknown.
    pub amr: String,
}

#[async_trait]
pub trait SecondFactorStore {
    async fn find_totp(&self, site_id: i64, user_id: i64) -> StoreResult<Option<TotpRecord>>;
    /// Stores a new unconfirmed secret, replacing an unconfirmed one. False
    /// when the user already has a confirmed secret.
    async fn start_totp_enrolment(
        &self,
        site_id: i64,
        user_id: i64,
        sealed_secret: &str,
        now: i64,
    ) -> StoreResult<bool>;
    /// In one transaction: confirms the unconfirmed secret, records `step`
    /// as used and replaces the recovery codes. False when there was no
    /// unconfirmed secret (enrolment finished meanwhile, or was reset).
    async fn confirm_totp(
        &self,
        site_id: i64,
        user_id: i64,
        step: i64,
        recovery_code_hashes: &[String],
        now: i64,
    ) -> StoreResult<bool>;
    /// Records that a code of `step` was accepted: true only when `step` is
    /// later than every step accepted before (a code is good once).
    async fn use_totp_step(&self, site_id: i64, user_id: i64, step: i64) -> StoreResult<bool>;
    /// Replaces every recovery code of the user (one transaction).
    async fn replace_recovery_codes(
        &self,
        site_id: i64,
        user_id: i64,
        hashes: &[String],
        now: i64,
    ) -> StoreResult<()>;
    /// Marks the unused recovery code with this hash used: true the first time.
    async fn use_recovery_code(
        &self,
        site_id: i64,
        user_id: i64,
        hash: &str,
        now: i64,
    ) -> StoreResult<bool>;
    /// How many unused recovery codes the user has left.
    async fn count_recovery_codes(&self, site_id: i64, user_id: i64) -> StoreResult<i64>;
    /// Removes the TOTP secret and the recovery codes (one transaction);
    /// true when there was a secret.
    async fn remove_second_factor(&self, site_id: i64, user_id: i64) -> StoreResult<bool>;

    async fn create_pending_signin(&self, pending: &NewPendingSignin) -> StoreResult<()>;
    /// The unused, unexpired pending sign-in with this token hash.
    async fn find_pending_signin(
        &self,
        site_id: i64,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<Option<PendingSigninRecord>>;
    /// In one transaction: uses up the pending sign-in (once only), then
    /// re-authenticates `reuse_session` in place when it is still a live
    /// session of the user, or else creates `session`. `None` when the
    /// pending sign-in was used or expired already.
    async fn complete_pending_signin(
        &self,
        pending_id: i64,
        session: &NewSession,
        reuse_session: Option<i64>,
        now: i64,
    ) -> StoreResult<Option<SessionRecord>>;
    async fn purge_pending_signins(&self, before: i64) -> StoreResult<u64>;

    /// How the session was last authenticated (`None`: no such session).
    async fn session_authentication(
        &self,
        site_id: i64,
        session_id: i64,
    ) -> StoreResult<Option<SessionAuthentication>>;
    /// Records a new authentication of a live session of the user (a fresh
    /// password, a second factor): its methods, at `now`.
    async fn reauthenticate_session(
        &self,
        site_id: i64,
        user_id: i64,
        session_id: i64,
        amr: &str,
        now: i64,
    ) -> StoreResult<bool>;
    /// `optional`, `admins` or `everyone`; announced on the change feed.
    async fn set_site_second_factor_policy(
        &self,
        site_id: i64,
        policy: &str,
        now: i64,
    ) -> StoreResult<bool>;
}
