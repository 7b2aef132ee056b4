//! Storage of the rate limits (`crate::ratelimit`): each site's own limits,
//! and the shared counters, one row per key and fixed window, raised a
//! chunk at a time by the nodes.

use async_trait::async_trait;

use super::StoreResult;

#[async_trait]
pub trait RateLimitStore {
    /// A site's own limits (`LimitTable::to_spec`, empty for none),
    /// announced on the change feed, since every process keeps the site.
    async fn set_site_rate_limits(&self, site_id: i64, spec: &str, now: i64) -> StoreResult<bool>;
    /// Adds `chunk` to the window's counter (created at zero), atomically,
    /// and returns the new count.
    async fn add_to_rate_window(
        &self,
        key: &str,
        window_start: i64,
        window_end: i64,
        chunk: i64,
    ) -> StoreResult<i64>;
    /// Deletes the counters of windows that ended before `before`.
    async fn purge_rate_windows(&self, before: i64) -> StoreResult<u64>;
}
