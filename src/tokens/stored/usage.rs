//! Counting legacy-key uses (and server-token last use) without a database
//! write per request: uses are tallied in memory and flushed in one
//! transaction every few seconds by a background task (`UsageTally::flush`).
//! A crash loses at most one interval of counts, which a usage report for
//! deciding when to switch legacy keys off can afford.

use crate::audit::{Actor, AuditEvent, AuditKind};
use dashmap::DashMap;

use crate::store::{LegacyUsageDelta, SharedStore, StoreResult};

/// How a legacy credential was used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LegacyUse {
    /// The site API key, as `apikey` or `X-Deki-ApiKey`.
    ApiKey,
    /// An `imp_…` token at `/api/users/authenticate`.
    Impersonation,
}

impl LegacyUse {
    pub fn as_str(self) -> &'static str {
        match self {
            LegacyUse::ApiKey => "apikey",
            LegacyUse::Impersonation => "impersonation",
        }
    }
}

/// Beyond this many distinct (key, kind, address) rows the tally is flushed
/// early rather than grown.
const MAX_ROWS: usize = 50_000;

#[derive(Default)]
pub struct UsageTally {
    /// (site, key id, kind, client address) → (uses, last seen).
    legacy: DashMap<(i64, i64, LegacyUse, String), (i64, i64)>,
    /// Server token key → last use.
    server: DashMap<String, i64>,
}

impl UsageTally {
    pub fn count_legacy(&self, site_id: i64, key_id: i64, kind: LegacyUse, ip: String, now: i64) {
        let mut entry = self
            .legacy
            .entry((site_id, key_id, kind, ip))
            .or_insert((0, now));
        entry.0 += 1;
        entry.1 = entry.1.max(now);
    }

    pub fn touch_server_token(&self, key: &str, now: i64) {
        match self.server.get_mut(key) {
            Some(mut at) => *at = (*at).max(now),
            None => {
                self.server.insert(key.to_owned(), now);
            }
        }
    }

    pub fn is_full(&self) -> bool {
        self.legacy.len() >= MAX_ROWS || self.server.len() >= MAX_ROWS
    }

    /// Writes what was counted since the last flush and forgets it.
    pub async fn flush(&self, store: &SharedStore) -> StoreResult<()> {
        let keys: Vec<_> = self.legacy.iter().map(|e| e.key().clone()).collect();
        let mut deltas = Vec::with_capacity(keys.len());
        for key in keys {
            if let Some(((site_id, key_id, kind, client_ip), (count, last_seen))) =
                self.legacy.remove(&key)
            {
                deltas.push(LegacyUsageDelta {
                    site_id,
                    key_id,
                    kind: kind.as_str().to_owned(),
                    client_ip,
                    count,
                    last_seen,
                });
            }
        }
        let names: Vec<String> = self.server.iter().map(|e| e.key().clone()).collect();
        let touched: Vec<(String, i64)> = names
            .into_iter()
            .filter_map(|name| self.server.remove(&name))
            .collect();
        store.record_legacy_usage(&deltas).await?;
        // One audit event per key, kind and address per flush, not per use:
        // the API key may ride on every request.
        let events: Vec<_> = deltas
            .iter()
            .map(|d| {
                AuditEvent::new(AuditKind::LegacyCredentialUsed, Actor::Anonymous)
                    .ip(Some(&d.client_ip))
                    .detail("kind", d.kind.as_str())
                    .detail("key_id", d.key_id)
                    .detail("uses", d.count)
                    .into_new(d.site_id, d.last_seen)
            })
            .collect();
        store.append_audit_events(&events).await?;
        store.touch_server_tokens(&touched).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_are_counted_per_key_kind_and_address_with_the_latest_time() {
        let tally = UsageTally::default();
        tally.count_legacy(1, 7, LegacyUse::ApiKey, "10.0.0.1".into(), 100);
        tally.count_legacy(1, 7, LegacyUse::ApiKey, "10.0.0.1".into(), 105);
        tally.count_legacy(1, 7, LegacyUse::ApiKey, "10.0.0.2".into(), 101);
        tally.count_legacy(1, 7, LegacyUse::Impersonation, "10.0.0.1".into(), 102);
        let row = tally
            .legacy
            .get(&(1, 7, LegacyUse::ApiKey, "10.0.0.1".to_string()))
            .map(|r| *r);
        assert_eq!(row, Some((2, 105)));
        assert_eq!(tally.legacy.len(), 3);
        assert!(!tally.is_full());
    }

    #[test]
    fn server_tokens_keep_their_latest_use() {
        let tally = UsageTally::default();
        tally.touch_server_token("k", 10);
        tally.touch_server_token("k", 5);
        tally.touch_server_token("k", 12);
        assert_eq!(tally.server.get("k").map(|t| *t), Some(12));
    }
}
