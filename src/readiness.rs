//! Readiness: whether this process can serve, which today means whether the
//! store answers. The answer is kept for [`FRESH_FOR`], so a load balancer
//! polling `/readyz` many times a second costs one probe a second, and
//! concurrent callers share one probe rather than each sending their own.

use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::store::SharedStore;

/// How long a probe's answer is reused.
pub const FRESH_FOR: Duration = Duration::from_secs(1);
/// A probe that takes longer than this counts as "unreachable".
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// The store did not answer, or answered with an error.
    StoreUnavailable,
}

pub struct ReadinessProbe {
    store: SharedStore,
    last: Mutex<Option<(Instant, Readiness)>>,
}

impl ReadinessProbe {
    pub fn new(store: SharedStore) -> Self {
        Self {
            store,
            last: Mutex::new(None),
        }
    }

    /// The last answer if it is fresh, otherwise a new probe's.
    pub async fn check(&self) -> Readiness {
        let mut last = self.last.lock().await;
        if let Some((at, readiness)) = *last
            && at.elapsed() < FRESH_FOR
        {
            return readiness;
        }
        let readiness = match tokio::time::timeout(PROBE_TIMEOUT, self.store.ping()).await {
            Ok(Ok(())) => Readiness::Ready,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "readiness: the store is not reachable");
                Readiness::StoreUnavailable
            }
            Err(_) => {
                tracing::warn!("readiness: the store did not answer in time");
                Readiness::StoreUnavailable
            }
        };
        *last = Some((Instant::now(), readiness));
        readiness
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_answer_is_reused_while_fresh() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = crate::store::connect(&url, Duration::from_secs(1))
            .await
            .unwrap();
        let probe = ReadinessProbe::new(store);
        assert_eq!(probe.check().await, Readiness::Ready);
        let first = probe.last.lock().await.map(|(at, _)| at);
        assert_eq!(probe.check().await, Readiness::Ready);
        let second = probe.last.lock().await.map(|(at, _)| at);
        assert_eq!(first, second, "a fresh answer is not probed again");
    }
}
