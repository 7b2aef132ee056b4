//! Storage of outgoing email: a durable queue (the outbox) that every node
//! delivers from, with leases and retries like the back-channel logout
//! queue (`store::logout`).

use async_trait::async_trait;

use super::StoreResult;

/// A queued message. `sealed_message` holds recipient, subject and bodies,
/// sealed under the master key for the site (it may carry a one-time link).
#[derive(Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QueuedEmailRecord {
    pub id: i64,
    pub site_id: i64,
    /// What the message is (`password-reset`, `verify-email`, …), for logs.
    pub kind: String,
    pub sealed_message: String,
    /// Attempts made so far, this one included once claimed.
    pub attempts: i64,
    pub next_attempt_at: i64,
}

impl std::fmt::Debug for QueuedEmailRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueuedEmailRecord")
            .field("id", &self.id)
            .field("site_id", &self.site_id)
            .field("kind", &self.kind)
            .field("attempts", &self.attempts)
            .finish_non_exhaustive()
    }
}

#[async_trait]
pub trait EmailStore {
    /// Queues a message, due at once.
    async fn enqueue_email(
        &self,
        site_id: i64,
        kind: &str,
        sealed_message: &str,
        now: i64,
    ) -> StoreResult<i64>;
    /// Messages due at `now`, oldest first, each claimed for this caller
    /// until `lease_until` with its attempt counted.
    async fn claim_emails(
        &self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> StoreResult<Vec<QueuedEmailRecord>>;
    /// Sent, or given up: forget it.
    async fn finish_email(&self, id: i64) -> StoreResult<()>;
    /// The relay refused or could not be reached: try again later.
    async fn retry_email(&self, id: i64, next_attempt_at: i64, error: &str) -> StoreResult<()>;
    /// Messages still queued for a site (admins, tests).
    async fn pending_emails(&self, site_id: i64) -> StoreResult<i64>;
}
