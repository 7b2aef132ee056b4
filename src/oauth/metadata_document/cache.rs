//! Resolved metadata documents, per site and URL, kept as long as their
//! `Cache-Control` allows within bounds; a refused document is remembered
//! briefly so a client id cannot make every request fetch again.

use std::sync::Arc;

use dashmap::DashMap;

use crate::oauth::clients::Client;
use crate::outbound::Freshness;

/// A document is kept at least this long (seconds), whatever it says, so
/// an authorization and the token request after it share one fetch.
pub const MIN_TTL_SECS: i64 = 60;
/// Without `Cache-Control`.
pub const DEFAULT_TTL_SECS: i64 = 300;
/// At most a day, whatever it says, so a changed document takes effect.
pub const MAX_TTL_SECS: i64 = 86_400;
/// A refused document is asked for again after this long.
pub const REFUSED_TTL_SECS: i64 = 30;

const MAX_ENTRIES: usize = 10_000;

/// How long (seconds) a fetched document is kept.
pub fn ttl_of(freshness: Freshness) -> i64 {
    match freshness {
        Freshness::Unspecified => DEFAULT_TTL_SECS,
        Freshness::DoNotReuse => MIN_TTL_SECS,
        Freshness::MaxAge(secs) => i64::try_from(secs)
            .unwrap_or(MAX_TTL_SECS)
            .clamp(MIN_TTL_SECS, MAX_TTL_SECS),
    }
}

struct Entry {
    /// `None`: the document was refused.
    client: Option<Arc<Client>>,
    expires_at: i64,
}

#[derive(Default)]
pub struct DocumentCache {
    by_url: DashMap<(i64, String), Entry>,
}

impl DocumentCache {
    /// The cached answer for the URL on the site: `Some(None)` when it was
    /// refused a moment ago, `None` when it must be fetched.
    pub fn get(&self, site_id: i64, url: &str, now: i64) -> Option<Option<Arc<Client>>> {
        let entry = self.by_url.get(&(site_id, url.to_owned()))?;
        (entry.expires_at > now).then(|| entry.client.clone())
    }

    pub fn put(&self, site_id: i64, url: &str, client: Option<Arc<Client>>, expires_at: i64) {
        if self.by_url.len() >= MAX_ENTRIES {
            self.by_url.clear();
        }
        self.by_url
            .insert((site_id, url.to_owned()), Entry { client, expires_at });
    }

    /// The client's row changed or went away (an admin deleted it).
    pub fn evict(&self, client_pk: i64) {
        self.by_url
            .retain(|_, e| e.client.as_ref().is_none_or(|c| c.pk != client_pk));
    }

    pub fn clear(&self) {
        self.by_url.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_honoured_within_bounds() {
        assert_eq!(ttl_of(Freshness::MaxAge(600)), 600);
        assert_eq!(ttl_of(Freshness::MaxAge(0)), MIN_TTL_SECS);
        assert_eq!(ttl_of(Freshness::MaxAge(u64::MAX)), MAX_TTL_SECS);
        assert_eq!(ttl_of(Freshness::DoNotReuse), MIN_TTL_SECS);
        assert_eq!(ttl_of(Freshness::Unspecified), DEFAULT_TTL_SECS);
    }
}
