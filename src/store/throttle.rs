//! Storage of the throttle counters every process shares.
//!
//! The store does not decide anything: it locks the counters of one attempt
//! in one write transaction, hands them to the caller's pure function, and
//! saves what that function returns before committing. Two processes asking
//! about the same key therefore see each other's counts, never a stale one.

use async_trait::async_trait;

use super::StoreResult;

/// One key's count. A key never seen reads as all zeros.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct ThrottleCounter {
    pub hits: i64,
    /// The last counted attempt (unix seconds).
    pub last_hit_at: i64,
    /// Attempts before this instant are refused.
    pub next_at: i64,
}

/// Given the locked counters (in the order of the keys), the counters to
/// save, or `None` to change nothing.
pub type ThrottleUpdate<'a> =
    &'a (dyn Fn(&[ThrottleCounter]) -> Option<Vec<ThrottleCounter>> + Send + Sync);

#[async_trait]
pub trait ThrottleStore {
    /// Locks the counters of `keys` (creating missing ones at zero), in one
    /// write transaction, and saves what `update` makes of them. Returns the
    /// counters as they were, in the order of `keys`. A counter saved as
    /// all zeros is deleted.
    async fn update_throttle_counters(
        &self,
        keys: &[String],
        update: ThrottleUpdate<'_>,
    ) -> StoreResult<Vec<ThrottleCounter>>;
    /// The counter of one key, if it has one (for tests and diagnostics).
    async fn find_throttle_counter(&self, key: &str) -> StoreResult<Option<ThrottleCounter>>;
    /// Deletes counters untouched and unlocked since `before`.
    async fn purge_throttle_counters(&self, before: i64) -> StoreResult<u64>;
}
