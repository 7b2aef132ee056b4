//! Storage of self-service accounts: single-use links sent by email
//! (password reset, email verification, invitations), accounts created by
//! sign-up, and the sites' sign-up and sender settings.

use async_trait::async_trait;

use super::{NewUser, PasswordChanged, StoreResult, UserRecord};

/// A link as stored: only the token's hash, never the token.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountLinkRecord {
    pub id: i64,
    pub site_id: i64,
    /// `password-reset`, `verify-email` or `invite`.
    pub purpose: String,
    pub user_id: Option<i64>,
    /// The address the link was sent to.
    pub email: String,
    /// Invitations: the role of the account to create.
    pub role: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewAccountLink {
    pub site_id: i64,
    pub token_hash: String,
    pub purpose: &'static str,
    pub user_id: Option<i64>,
    pub email: String,
    pub role: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A new account from the sign-up form.
#[derive(Clone)]
pub struct SignUpRecord {
    pub user: NewUser,
    /// The account may not sign in until its address is verified.
    pub awaiting_verification: bool,
    /// Already proved (an invitation sent to the same address).
    pub email_verified: bool,
    /// The invitation's token hash: consumed in the same transaction, and
    /// nothing is created when it is no longer live.
    pub invite_token_hash: Option<String>,
}

#[async_trait]
pub trait AccountStore {
    /// `closed`, `open` or `invite`; announced on the change feed.
    async fn set_site_signup_policy(
        &self,
        site_id: i64,
        policy: &str,
        now: i64,
    ) -> StoreResult<bool>;
    /// The sender of the site's messages (`None`: the deployment's).
    async fn set_site_email_from(
        &self,
        site_id: i64,
        from: Option<&str>,
        now: i64,
    ) -> StoreResult<bool>;
    /// The local account (not an external identity's) with this address,
    /// compared without case.
    async fn find_local_user_by_email(
        &self,
        site_id: i64,
        email: &str,
    ) -> StoreResult<Option<UserRecord>>;
    async fn create_account_link(&self, link: &NewAccountLink) -> StoreResult<()>;
    /// The link if it is unused and unexpired at `now`, for this purpose.
    async fn find_live_account_link(
        &self,
        site_id: i64,
        token_hash: &str,
        purpose: &str,
        now: i64,
    ) -> StoreResult<Option<AccountLinkRecord>>;
    /// In one transaction: uses the reset link (once, before it expires),
    /// sets the password, marks the other reset links of the user used,
    /// and revokes every session and OAuth grant of the user (announced on
    /// the change feed). `None` when the link is not live.
    async fn reset_password_by_link(
        &self,
        site_id: i64,
        token_hash: &str,
        password_hash: &str,
        now: i64,
    ) -> StoreResult<Option<(i64, PasswordChanged)>>;
    /// Uses the verification link and marks the user's address verified
    /// (if it is still the address the link was sent to). The user's id,
    /// or `None` when the link is not live.
    async fn verify_email_by_link(
        &self,
        site_id: i64,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<Option<i64>>;
    /// Creates a signed-up account (consuming its invitation, if any). `None`
    /// when the invitation is no longer live; `Conflict` when the username
    /// or the address is taken.
    async fn create_signed_up_user(
        &self,
        signup: &SignUpRecord,
        now: i64,
    ) -> StoreResult<Option<UserRecord>>;
    /// Deletes links that expired before `before`.
    async fn purge_account_links(&self, before: i64) -> StoreResult<u64>;
}
