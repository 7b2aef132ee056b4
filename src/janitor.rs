//! Deletes what has expired, so tables stay small. Expiry columns are
//! indexed, so each sweep is cheap.

use std::time::Duration;

use crate::clock::SharedClock;
use crate::store::SharedStore;

/// DPoP proofs seen expire within a minute or so and arrive with every
/// DPoP request, so they are purged every tick; the rest every
/// [`SWEEP_EVERY_TICKS`] ticks.
const TICK: Duration = Duration::from_secs(60);
const SWEEP_EVERY_TICKS: u32 = 10;
/// Revoked and expired sessions stay a day for the record.
const KEEP_ENDED_SESSIONS_SECS: i64 = 24 * 60 * 60;
const KEEP_CHANGES_SECS: i64 = 60 * 60;
/// A proof's row outlives its window by this much, so a process whose
/// clock runs behind the janitor's still finds it.
const KEEP_PROOFS_SECS: i64 = 60;

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
    // Rate-limit windows that are over (a minute's grace for slow clocks).
    let rate_windows = store.purge_rate_windows(now - KEEP_PROOFS_SECS).await?;
    // Used sign-in links: once their window ended they are refused anyway.
    let used_once = store.purge_used_once(now).await?;
    // Reset, verification and invitation links: refused once expired.
    let account_links = store
        .purge_account_links(now - KEEP_ENDED_SESSIONS_SECS)
        .await?;
    // Sign-ins that never got their second step (a few minutes long).
    let pending_signins = store.purge_pending_signins(now).await?;
    // Passkey ceremonies nobody finished: refused anyway once expired.
    let ceremonies = store.purge_ceremonies(now).await?;
    // Upstream sign-ins the browser never came back from.
    let upstream_flows = store.purge_upstream_flows(now).await?;
    tracing::debug!(
        account_links,
        sessions,
        changes,
        oauth,
        flows,
        throttles,
        rate_windows,
        used_once,
        pending_signins,
        upstream_flows,
        ceremonies,
        "janitor swept"
    );
    Ok(())
}

/// Deletes audit events older than the retention period.
pub async fn purge_audit_events(
    store: &SharedStore,
    now: i64,
    retention_days: u32,
) -> anyhow::Result<u64> {
    let before = now - i64::from(retention_days) * 24 * 60 * 60;
    Ok(store.purge_audit_events(before).await?)
}

/// Deletes the DPoP proofs (`jti`s) whose window has passed.
pub async fn purge_proofs(store: &SharedStore, now: i64) -> anyhow::Result<u64> {
    Ok(store.purge_proof_uses(now - KEEP_PROOFS_SECS).await?)
}

pub async fn run(store: SharedStore, clock: SharedClock, audit_retention_days: u32) {
    let mut ticker = tokio::time::interval(TICK);
    let mut ticks = 0u32;
    loop {
        ticker.tick().await;
        let now = clock.now();
        if let Err(e) = purge_proofs(&store, now).await {
            tracing::warn!(error = %e, "janitor could not purge DPoP proofs");
        }
        if ticks.is_multiple_of(SWEEP_EVERY_TICKS)
            && let Err(e) = sweep(&store, now).await
        {
            tracing::warn!(error = %e, "janitor sweep failed");
        }
        if ticks.is_multiple_of(SWEEP_EVERY_TICKS)
            && let Err(e) = purge_audit_events(&store, now, audit_retention_days).await
        {
            tracing::warn!(error = %e, "janitor could not purge audit events");
        }
        ticks = ticks.wrapping_add(1);
    }
}
