//! Rate limits (requests per time) that hold across nodes: per client at
//! the endpoints a client authenticates to, per address at the endpoints
//! anyone may call. Failure counting is `crate::throttle`'s job.
//!
//! Two layers, so the hot path never waits on the database per request:
//!
//! 1. this node's keyed GCRA (`governor`), with the limit as its burst,
//!    refuses a node's own excess in memory;
//! 2. a lease on the shared counter (`counter::SharedCounter`, the store's
//!    `rate_windows` or Redis): per key and fixed window a node takes a
//!    chunk of the allowance with one atomic increment, spends it locally,
//!    and asks again when it is spent. Once the counter gives nothing, the
//!    node refuses until the window ends without asking again.
//!
//! The nodes together never admit more than the limit in a window; they may
//! refuse early by what the other nodes hold unspent, at most
//! `(nodes - 1) * chunk` (a tenth of the limit per other node). See
//! docs/rate-limits.md.

mod config;
mod counter;
mod lease;

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use governor::clock::Clock as _;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

pub use config::{Endpoint, LimitTable, Rate, Scope, Setting, builtin, effective};
pub use counter::SharedCounter;
pub use lease::{Lease, Window, chunk_for, granted};

use crate::clock::SharedClock;
use crate::sites::Site;
use crate::throttle::address_key;

/// Who a request counts against.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// An authenticated client, by its client id.
    Client(&'a str),
    /// The address the request came from.
    Address(&'a str),
}

impl Subject<'_> {
    fn scope(self) -> Scope {
        match self {
            Subject::Client(_) => Scope::PerClient,
            Subject::Address(_) => Scope::PerIp,
        }
    }
}

/// The key a subject's requests are counted under, in this node and in the
/// shared counter: per site, endpoint, scope and window length.
pub fn counter_key(site_id: i64, endpoint: Endpoint, rate: Rate, subject: Subject<'_>) -> String {
    let (endpoint, secs) = (endpoint.as_str(), rate.window_secs);
    match subject {
        Subject::Client(id) => format!("{site_id}:{endpoint}:c:{secs}:{id}"),
        Subject::Address(ip) => format!("{site_id}:{endpoint}:ip:{secs}:{}", address_key(ip)),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// Over the limit: try again in so many seconds (at least one).
    Refused {
        retry_after: i64,
    },
}

/// One node's GCRA for one site, endpoint and scope at one rate.
struct NodeLimiter {
    rate: Rate,
    limiter: DefaultKeyedRateLimiter<String>,
}

impl NodeLimiter {
    fn new(rate: Rate) -> Self {
        let count = NonZeroU32::new(rate.count).unwrap_or(NonZeroU32::MIN);
        let period = Duration::from_secs(u64::from(rate.window_secs)) / count.get();
        let quota = Quota::with_period(period.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(count))
            .allow_burst(count);
        Self {
            rate,
            limiter: RateLimiter::keyed(quota),
        }
    }
}

struct Inner {
    deployment: LimitTable,
    counter: SharedCounter,
    clock: SharedClock,
    limiters: DashMap<(i64, Endpoint, Scope), Arc<NodeLimiter>>,
    /// This node's leases, per key; the async lock makes one request at a
    /// time refill a key, so a node never holds more than one chunk.
    leases: DashMap<String, Arc<tokio::sync::Mutex<Lease>>>,
}

#[derive(Clone)]
pub struct RateLimits {
    inner: Arc<Inner>,
}

impl RateLimits {
    pub fn new(deployment: LimitTable, counter: SharedCounter, clock: SharedClock) -> Self {
        Self {
            inner: Arc::new(Inner {
                deployment,
                counter,
                clock,
                limiters: DashMap::new(),
                leases: DashMap::new(),
            }),
        }
    }

    /// The rate in force on `site` for `endpoint` and `scope`, if any.
    pub fn rate(&self, site: &Site, endpoint: Endpoint, scope: Scope) -> Option<Rate> {
        effective(&site.rate_limits, &self.inner.deployment, endpoint, scope)
    }

    pub fn backend(&self) -> &'static str {
        self.inner.counter.backend()
    }

    /// Counts one request of `subject` at `endpoint`. Free when no limit
    /// applies; otherwise a store trip only once per chunk.
    pub async fn admit(&self, site: &Site, endpoint: Endpoint, subject: Subject<'_>) -> Admission {
        let scope = subject.scope();
        let Some(rate) = self.rate(site, endpoint, scope) else {
            return Admission::Admitted;
        };
        let key = counter_key(site.id, endpoint, rate, subject);
        let admission = match self.node_check(site.id, endpoint, scope, rate, &key) {
            Admission::Admitted => self.lease_check(rate, &key).await,
            refused => refused,
        };
        if let Admission::Refused { retry_after } = admission {
            tracing::debug!(site = %site.slug, endpoint = endpoint.as_str(), scope = scope.as_str(), retry_after, "rate limited");
        }
        admission
    }

    fn node_check(
        &self,
        site_id: i64,
        endpoint: Endpoint,
        scope: Scope,
        rate: Rate,
        key: &String,
    ) -> Admission {
        let id = (site_id, endpoint, scope);
        let limiter = match self.inner.limiters.get(&id) {
            Some(found) if found.rate == rate => found.clone(),
            _ => {
                let fresh = Arc::new(NodeLimiter::new(rate));
                self.inner.limiters.insert(id, fresh.clone());
                fresh
            }
        };
        match limiter.limiter.check_key(key) {
            Ok(()) => Admission::Admitted,
            Err(not_until) => {
                let wait = not_until.wait_time_from(limiter.limiter.clock().now());
                Admission::Refused {
                    retry_after: i64::try_from(wait.as_secs())
                        .unwrap_or(i64::MAX)
                        .saturating_add(1),
                }
            }
        }
    }

    async fn lease_check(&self, rate: Rate, key: &str) -> Admission {
        let now = self.inner.clock.now();
        let window = Window::of(now, rate.window_secs);
        let refused = Admission::Refused {
            retry_after: (window.end - now).max(1),
        };
        let lease = self
            .inner
            .leases
            .entry(key.to_string())
            .or_default()
            .clone();
        let mut lease = lease.lock().await;
        match lease.take(window) {
            lease::Local::Admitted => return Admission::Admitted,
            lease::Local::Exhausted => return refused,
            lease::Local::NeedsRefill => {}
        }
        let limit = i64::from(rate.count);
        let chunk = chunk_for(limit);
        let got = match self.inner.counter.add(key, window, chunk, now).await {
            Ok(used) => granted(limit, chunk, used),
            Err(e) => {
                // A limit is a protection, not an authorization: with the
                // shared counter away, each node still holds its own GCRA.
                tracing::warn!(error = %e, "rate-limit counter unavailable; admitting");
                chunk
            }
        };
        if lease.refill(window, got) {
            Admission::Admitted
        } else {
            refused
        }
    }

    /// Forgets leases of windows that are over and GCRA state that is idle,
    /// so memory follows the keys actually in use.
    pub fn sweep(&self) {
        let now = self.inner.clock.now();
        self.inner
            .leases
            .retain(|_, lease| lease.try_lock().map_or(true, |l| l.is_current(now)));
        for limiter in self.inner.limiters.iter() {
            limiter.limiter.retain_recent();
            limiter.limiter.shrink_to_fit();
        }
    }

    /// Sweeps every `every` for as long as the process runs.
    pub async fn run_sweeper(self, every: Duration) {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            self.sweep();
        }
    }
}
