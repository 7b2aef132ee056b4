use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;

use super::Site;
use crate::cache::FastHash;
use crate::crypto::MasterKey;
use crate::store::{SharedStore, StoreResult};

#[derive(Default)]
struct Snapshot {
    by_host: HashMap<String, Arc<Site>, FastHash>,
    by_id: HashMap<i64, Arc<Site>>,
}

/// A `Host` header as the registry keys it: lower case, without spaces
/// or a trailing dot. Borrowed unless the header has capitals.
fn normal_host(host_header: &str) -> Cow<'_, str> {
    let host = host_header.trim().trim_end_matches('.');
    if host.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(host.to_ascii_lowercase())
    } else {
        Cow::Borrowed(host)
    }
}

impl Snapshot {
    /// By a lower-case host, with or without a default port.
    fn find(&self, host: &str) -> Option<Arc<Site>> {
        self.by_host
            .get(host)
            .or_else(|| {
                let bare = host
                    .strip_suffix(":80")
                    .or_else(|| host.strip_suffix(":443"))?;
                self.by_host.get(bare)
            })
            .cloned()
    }
}

pub struct SiteRegistry {
    store: SharedStore,
    master: MasterKey,
    /// Swapped whole by a reload; read without a lock.
    snapshot: ArcSwap<Snapshot>,
    /// Unknown hosts trigger a reload at most this often.
    last_miss_reload: Mutex<Option<Instant>>,
    /// One reload at a time, so that a reload that read the store earlier
    /// never replaces the snapshot of one that read it later.
    reloading: tokio::sync::Mutex<()>,
}

const MISS_RELOAD_INTERVAL: Duration = Duration::from_secs(1);

impl SiteRegistry {
    pub async fn load(store: SharedStore, master: MasterKey) -> StoreResult<Self> {
        let registry = SiteRegistry {
            store,
            master,
            snapshot: ArcSwap::default(),
            last_miss_reload: Mutex::new(None),
            reloading: tokio::sync::Mutex::new(()),
        };
        registry.reload().await?;
        Ok(registry)
    }

    fn current(&self) -> Arc<Snapshot> {
        self.snapshot.load_full()
    }

    pub async fn reload(&self) -> StoreResult<()> {
        let _one_at_a_time = self.reloading.lock().await;
        let sites = self.store.list_sites().await?;
        let hosts = self.store.list_site_hosts().await?;
        let mut hosts_by_site: HashMap<i64, Vec<String>> = HashMap::new();
        for h in hosts {
            hosts_by_site.entry(h.site_id).or_default().push(h.host);
        }
        let mut next = Snapshot::default();
        for record in sites {
            let site_hosts = hosts_by_site.remove(&record.id).unwrap_or_default();
            let Some(site) = Site::from_record(record, site_hosts, &self.master) else {
                continue;
            };
            let site = Arc::new(site);
            for host in &site.hosts {
                next.by_host.insert(host.clone(), site.clone());
            }
            next.by_id.insert(site.id, site);
        }
        self.snapshot.store(Arc::new(next));
        Ok(())
    }

    /// Every site, in no particular order.
    pub fn all(&self) -> Vec<Arc<Site>> {
        self.current().by_id.values().cloned().collect()
    }

    pub fn by_id(&self, id: i64) -> Option<Arc<Site>> {
        self.current().by_id.get(&id).cloned()
    }

    /// The site at a `Host` header's host (any case, a trailing dot, the
    /// scheme's default port allowed). Allocates only for a host sent with
    /// capitals: this runs on every request.
    pub fn by_host(&self, host_header: &str) -> Option<Arc<Site>> {
        self.snapshot.load().find(&normal_host(host_header))
    }

    /// Finds the site for a `Host` header; an unknown host may be a site
    /// created a moment ago by another process, so it reloads (rate limited).
    pub async fn resolve(&self, host_header: &str) -> StoreResult<Option<Arc<Site>>> {
        if let Some(site) = self.by_host(host_header) {
            return Ok(Some(site));
        }
        let due = {
            let mut last = self
                .last_miss_reload
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let due = last.is_none_or(|t| t.elapsed() >= MISS_RELOAD_INTERVAL);
            if due {
                *last = Some(Instant::now());
            }
            due
        };
        if due {
            self.reload().await?;
        }
        Ok(self.by_host(host_header))
    }

    /// Every host name this instance answers for, for the unknown-site page.
    pub fn known_hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self.current().by_host.keys().cloned().collect();
        hosts.sort();
        hosts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot {
        let site = Arc::new(crate::oauth::tokens::tests::site(1, &MasterKey::generate()));
        let mut snapshot = Snapshot::default();
        for host in ["docs.example.com", "localhost:8080"] {
            snapshot.by_host.insert(host.into(), site.clone());
        }
        snapshot
    }

    #[test]
    fn a_host_is_found_as_sent_or_without_its_default_port() {
        let snapshot = snapshot();
        for host in [
            "docs.example.com",
            "docs.example.com:443",
            "docs.example.com:80",
            "localhost:8080",
        ] {
            assert_eq!(snapshot.find(host).map(|s| s.id), Some(1), "{host}");
        }
        for host in ["docs.example.com:8443", "localhost", "example.com", ""] {
            assert!(snapshot.find(host).is_none(), "{host}");
        }
    }

    #[test]
    fn hosts_are_compared_in_lower_case_without_a_trailing_dot() {
        assert!(matches!(
            normal_host("docs.example.com"),
            Cow::Borrowed("docs.example.com")
        ));
        assert_eq!(normal_host(" Docs.Example.COM. "), "docs.example.com");
        assert_eq!(normal_host("LOCALHOST:8080"), "localhost:8080");
    }
}
