use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::Site;
use crate::crypto::MasterKey;
use crate::store::{SharedStore, StoreResult};

#[derive(Default)]
struct Snapshot {
    by_host: HashMap<String, Arc<Site>>,
    by_id: HashMap<i64, Arc<Site>>,
}

pub struct SiteRegistry {
    store: SharedStore,
    master: MasterKey,
    snapshot: RwLock<Arc<Snapshot>>,
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
            snapshot: RwLock::new(Arc::default()),
            last_miss_reload: Mutex::new(None),
            reloading: tokio::sync::Mutex::new(()),
        };
        registry.reload().await?;
        Ok(registry)
    }

    fn current(&self) -> Arc<Snapshot> {
        self.snapshot
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
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
        *self
            .snapshot
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(next);
        Ok(())
    }

    /// Every site, in no particular order.
    pub fn all(&self) -> Vec<Arc<Site>> {
        self.current().by_id.values().cloned().collect()
    }

    pub fn by_id(&self, id: i64) -> Option<Arc<Site>> {
        self.current().by_id.get(&id).cloned()
    }

    pub fn by_host(&self, host_header: &str) -> Option<Arc<Site>> {
        let snapshot = self.current();
        super::host_candidates(host_header)
            .into_iter()
            .flatten()
            .find_map(|h| snapshot.by_host.get(&h).cloned())
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
