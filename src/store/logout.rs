//! Storage of OpenID Connect logout: the logout settings of clients and
//! the durable queue of back-channel logout tokens to deliver.
//!
//! Deliveries are queued by the store itself, in the transaction that ends
//! sessions (`SessionStore::revoke_session`, `revoke_user_sessions`,
//! `UserStore::set_disabled`), so no way of ending a session (account
//! page, RP-initiated logout, admin API, command line) forgets them.

use async_trait::async_trait;

use super::StoreResult;

/// The logout columns of a client (migration 0018).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientLogoutColumns {
    /// One URI per line.
    pub post_logout_redirect_uris: String,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
}

/// Which grants a session end reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndedSessions {
    /// One session: the grants made in it.
    One(i64),
    /// Every session of the user but `keep`: every grant of the user
    /// except those made in `keep`.
    AllBut(Option<i64>),
}

/// A logout token to deliver: to which client, about whom.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BackchannelLogoutRecord {
    pub id: i64,
    pub site_id: i64,
    pub client_pk: i64,
    /// The client, and where it takes logout tokens now (`None`: no
    /// longer anywhere).
    pub client_id: String,
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
    pub user_id: i64,
    /// The session that ended, when the client's grant came from one.
    pub session_id: Option<i64>,
    /// Attempts made so far, this one included once claimed.
    pub attempts: i64,
    pub next_attempt_at: i64,
}

#[async_trait]
pub trait LogoutStore {
    /// Replaces the client's logout settings, announced on the change feed.
    async fn set_client_logout(
        &self,
        site_id: i64,
        client_pk: i64,
        columns: &ClientLogoutColumns,
        now: i64,
    ) -> StoreResult<bool>;
    /// Deliveries due at `now`, oldest first, each claimed for this caller
    /// until `lease_until` (another node skips it meanwhile) with its
    /// attempt counted.
    async fn claim_backchannel_logouts(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> StoreResult<Vec<BackchannelLogoutRecord>>;
    /// The delivery is over (delivered, or given up): forget it.
    async fn finish_backchannel_logout(&self, id: i64) -> StoreResult<()>;
    /// The delivery failed: try again at `next_attempt_at`.
    async fn retry_backchannel_logout(
        &self,
        id: i64,
        next_attempt_at: i64,
        error: &str,
    ) -> StoreResult<()>;
    /// Deliveries still queued for a site (admins, tests).
    async fn pending_backchannel_logouts(&self, site_id: i64) -> StoreResult<i64>;
}
