//! Storage of audit events (append-only) and of how far their delivery to a
//! webhook got.

use async_trait::async_trait;

use super::StoreResult;

/// An event to append. `details` is a JSON object without secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub site_id: i64,
    pub occurred_at: i64,
    pub kind: String,
    pub actor_user_id: Option<i64>,
    pub actor_client_id: Option<String>,
    pub actor_label: Option<String>,
    pub subject_user_id: Option<i64>,
    pub subject_client_id: Option<String>,
    pub ip: Option<String>,
    pub details: String,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditEventRecord {
    pub id: i64,
    pub site_id: i64,
    pub occurred_at: i64,
    pub kind: String,
    pub actor_user_id: Option<i64>,
    pub actor_client_id: Option<String>,
    pub actor_label: Option<String>,
    pub subject_user_id: Option<i64>,
    pub subject_client_id: Option<String>,
    pub ip: Option<String>,
    pub details: String,
}

/// Which events to read, newest first. `user_id` and `client_id` match
/// either the actor or the subject; `before_id` is the paging cursor (the
/// id of the last event of the previous page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub site_id: i64,
    pub user_id: Option<i64>,
    pub client_id: Option<String>,
    pub kind: Option<String>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub before_id: Option<i64>,
    pub limit: i64,
}

#[async_trait]
pub trait AuditStore {
    /// Appends the events in one statement.
    async fn append_audit_events(&self, events: &[NewAuditEvent]) -> StoreResult<()>;
    async fn query_audit_events(&self, query: &AuditQuery) -> StoreResult<Vec<AuditEventRecord>>;
    /// Events of every site with an id above `after_id` that occurred at or
    /// before `until`, oldest first, at most `limit` (for delivery).
    async fn audit_events_after(
        &self,
        after_id: i64,
        until: i64,
        limit: i64,
    ) -> StoreResult<Vec<AuditEventRecord>>;
    /// Deletes events that occurred before `before`.
    async fn purge_audit_events(&self, before: i64) -> StoreResult<u64>;
    /// Takes (or renews) the delivery lease of `sink` for `owner` until
    /// `until` unless another owner holds it past `now`; returns the last
    /// delivered id when the lease was taken.
    async fn lease_audit_delivery(
        &self,
        sink: &str,
        owner: &str,
        now: i64,
        until: i64,
    ) -> StoreResult<Option<i64>>;
    /// Moves the delivery position of `sink` forward, if `owner` still
    /// holds its lease; false when it does not.
    async fn advance_audit_delivery(
        &self,
        sink: &str,
        owner: &str,
        last_id: i64,
    ) -> StoreResult<bool>;
}
