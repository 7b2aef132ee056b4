//! Keeps every process's caches in step with the store. Each change that
//! matters (a revoked session, a disabled user, a new site) is written to the
//! `changes` table in the same transaction as the change itself. The watcher
//! re-reads the recent part of that feed every `change_poll_millis` (and at
//! once when Postgres NOTIFY says something changed) and evicts what it names.
//!
//! So a revocation made in this process is exact (evicted before the request
//! that made it returns), and one made by another process is seen within one
//! poll interval.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::cache::AuthCache;
use crate::clock::SharedClock;
use crate::sites::SiteRegistry;
use crate::store::{ChangeKind, ChangeRecord, SharedStore};

/// Changes are re-read this far back, so one that committed late (after a
/// later id was already seen) is not missed.
const OVERLAP_SECS: i64 = 30;

/// When the feed was last read in full, for the change-feed lag metric: how
/// far behind another process's changes this one may be.
#[derive(Debug)]
pub struct FeedProgress {
    origin: Instant,
    last_read_millis: AtomicU64,
}

impl Default for FeedProgress {
    fn default() -> Self {
        Self {
            origin: Instant::now(),
            last_read_millis: AtomicU64::new(0),
        }
    }
}

impl FeedProgress {
    pub(crate) fn mark_read(&self) {
        let millis = u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_read_millis.store(millis, Ordering::Relaxed);
    }

    /// Time since the last full read (since start-up before the first).
    pub fn lag(&self) -> Duration {
        let last = Duration::from_millis(self.last_read_millis.load(Ordering::Relaxed));
        self.origin.elapsed().saturating_sub(last)
    }
}

pub struct ChangeWatcher {
    store: SharedStore,
    cache: Arc<AuthCache>,
    sites: Arc<SiteRegistry>,
    clock: SharedClock,
    seen: HashMap<i64, i64>,
    last_success: i64,
    last_prune: i64,
    progress: Arc<FeedProgress>,
}

/// How often revocations past their use are forgotten.
const PRUNE_EVERY_SECS: i64 = 60;

impl ChangeWatcher {
    pub fn new(
        store: SharedStore,
        cache: Arc<AuthCache>,
        sites: Arc<SiteRegistry>,
        clock: SharedClock,
        progress: Arc<FeedProgress>,
    ) -> Self {
        let now = clock.now();
        Self {
            store,
            cache,
            sites,
            clock,
            seen: HashMap::new(),
            last_success: now,
            last_prune: now,
            progress,
        }
    }

    pub async fn poll_once(&mut self) -> anyhow::Result<usize> {
        let now = self.clock.now();
        let since = self.last_success - OVERLAP_SECS;
        let changes = self.store.changes_since(since).await?;
        let mut applied = 0;
        let mut reload_sites = false;
        for change in changes {
            if self.seen.insert(change.id, change.created_at).is_some() {
                continue;
            }
            applied += 1;
            reload_sites |= self.apply(&change);
        }
        if reload_sites {
            self.sites.reload().await?;
        }
        self.seen.retain(|_, created| *created >= since);
        if now - self.last_prune >= PRUNE_EVERY_SECS {
            self.cache.oauth.revocations.prune(now);
            self.last_prune = now;
        }
        self.last_success = now;
        self.progress.mark_read();
        Ok(applied)
    }

    /// Returns true when the site registry must be reloaded.
    fn apply(&self, change: &ChangeRecord) -> bool {
        match ChangeKind::parse(&change.kind) {
            Some(ChangeKind::Session) => self.cache.evict_session(change.subject),
            Some(ChangeKind::User) => self.cache.evict_user(change.subject),
            Some(ChangeKind::Site) => return true,
            Some(ChangeKind::Client) => self.cache.oauth.evict_client(change.subject),
            Some(ChangeKind::Grant) => self
                .cache
                .oauth
                .grant_revoked(change.subject, change.created_at),
            Some(ChangeKind::AccessToken) => self.cache.oauth.revocations.revoke_token(
                change.site_id,
                change.subject,
                change.created_at,
            ),
            Some(ChangeKind::Resource) => self.cache.oauth.evict_resource(change.subject),
            // Stored (refresh) tokens are read from the store at each use.
            Some(ChangeKind::Token) => {}
            Some(ChangeKind::IdentityProvider) => self.cache.identity.evict_site(change.site_id),
            Some(ChangeKind::BrowserToken) => {
                self.cache.token_kinds.evict_browser_tokens(change.subject)
            }
            Some(ChangeKind::ServerToken) => {
                self.cache.token_kinds.evict_server_tokens(change.subject)
            }
            Some(ChangeKind::LegacyKey) => self.cache.token_kinds.evict_legacy_key(change.subject),
            Some(ChangeKind::SigningKey) => self.cache.signing.evict_site(change.subject),
            Some(ChangeKind::Consent) => self.cache.oauth.evict_consents_of(change.subject),
            None => {
                tracing::warn!(kind = %change.kind, "unknown change kind; clearing caches");
                self.cache.clear();
            }
        }
        false
    }

    /// Polls the feed until the process ends. The first poll, at once,
    /// applies everything of the last `OVERLAP_SECS` too: a change made
    /// between loading the sites and this task's start must not be taken
    /// as already seen (evicting from caches that just started, and
    /// reloading the sites once, costs nothing worth saving).
    pub async fn run(mut self, interval: Duration) {
        let signal = self.store.change_signal();
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            match &signal {
                Some(signal) => {
                    tokio::select! {
                        _ = ticker.tick() => {}
                        _ = signal.notified() => {}
                    }
                }
                None => {
                    ticker.tick().await;
                }
            }
            if let Err(e) = self.poll_once().await {
                // The caches may now be behind; drop them rather than trust them.
                tracing::warn!(error = %e, "cannot read the change feed; clearing caches");
                self.cache.clear();
            }
        }
    }
}
