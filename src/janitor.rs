//! Deletes what has expired, so tables stay small. Expiry columns are
//! indexed, so each sweep is cheap.

use std::time::Duration;

use crate::clock::SharedClock;
use crate::store::SharedStore;

const SWEEP_EVERY: Duration = Duration::from_secs(600);
/// Revoked and expired sessions stay a day for the record.
const KEEP_ENDED_SESSIONS_SECS: i64 = 24 * 60 * 60;
const KEEP_CHANGES_SECS: i64 = 60 * 60;

pub async fn sweep(store: &SharedStore, now: i64) -> anyhow::Result<()> {
    let sessions = store.purge_sessions(now - KEEP_ENDED_SESSIONS_SECS).await?;
    let changes = store.purge_changes(now - KEEP_CHANGES_SECS).await?;
    let oauth = store.purge_oauth(now - KEEP_ENDED_SESSIONS_SECS).await?;
    // Device codes and pushed requests: nothing refers to them once expired.
    let flows = store
        .purge_oauth_flows(now - KEEP_ENDED_SESSIONS_SECS)
        .await?;
    // Throttle counters nobody touched since their last lock-out ended.
    let throttles = store
        .purge_throttle_counters(now - crate::throttle::decision::FORGET_AFTER_SECS)
        .await?;
    // Used sign-in links: once their window ended they are refused anyway.
    let used_once = store.purge_used_once(now).await?;
    tracing::debug!(
        sessions,
        changes,
        oauth,
        flows,
        throttles,
        used_once,
        "janitor swept"
    );
    Ok(())
}

pub async fn run(store: SharedStore, clock: SharedClock) {
    let mut ticker = tokio::time::interval(SWEEP_EVERY);
    loop {
        ticker.tick().await;
        if let Err(e) = sweep(&store, clock.now()).await {
            tracing::warn!(error = %e, "janitor sweep failed");
        }
    }
}
