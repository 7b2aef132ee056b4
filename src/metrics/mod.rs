//! Prometheus metrics (`metrics` + `metrics-exporter-prometheus`), served on
//! their own listener (`TESSERA_METRICS_LISTEN`, see `routes::metrics`).
//!
//! Each application has its own recorder, not the process-wide one, so two
//! servers in one process (the tests) count apart. Every series is a handle
//! registered once and kept (in a struct, or a map keyed by `&'static str`
//! or an id), so recording on a request path is an atomic add: no label is
//! formatted and nothing is allocated per request. What only changes slowly
//! (cache counters, change-feed lag, pool use, key age) is read when
//! scraped (`scrape.rs`).

pub mod http;
pub mod labels;
mod names;
mod scrape;

use std::sync::Arc;
use std::time::Duration;

use ::metrics::{Counter, Gauge, Histogram, Key, Label, Level, Metadata, Recorder};
use dashmap::DashMap;
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

pub use self::http::{HttpMetrics, Refusal};
pub use self::names::describe_all;
pub use self::scrape::ScrapeSources;
use crate::sites::Site;

/// Seconds: request latency and commit latency.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
/// Rows per group-commit batch (at most 512, `oauth::writer::MAX_BATCH`).
const BATCH_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// Where series are registered: a Prometheus recorder, or nothing at all
/// when metrics are off (every handle is then a no-op).
#[derive(Clone)]
pub struct Registry {
    recorder: Option<Arc<PrometheusRecorder>>,
}

const METADATA: Metadata<'static> = Metadata::new("tessera", Level::INFO, Some(module_path!()));

impl Registry {
    pub fn counter(&self, name: &'static str, labels: Vec<Label>) -> Counter {
        match &self.recorder {
            Some(r) => r.register_counter(&Key::from_parts(name, labels), &METADATA),
            None => Counter::noop(),
        }
    }

    pub fn gauge(&self, name: &'static str, labels: Vec<Label>) -> Gauge {
        match &self.recorder {
            Some(r) => r.register_gauge(&Key::from_parts(name, labels), &METADATA),
            None => Gauge::noop(),
        }
    }

    pub fn histogram(&self, name: &'static str, labels: Vec<Label>) -> Histogram {
        match &self.recorder {
            Some(r) => r.register_histogram(&Key::from_parts(name, labels), &METADATA),
            None => Histogram::noop(),
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.recorder.is_some()
    }
}

/// The two group-commit batchers' series (`oauth::writer`).
#[derive(Clone)]
pub struct BatchMetrics {
    /// Rows per batch.
    pub size: Histogram,
    /// Time the batch's statement (or transaction) took.
    pub seconds: Histogram,
}

impl BatchMetrics {
    fn new(registry: &Registry, writer: &'static str) -> Self {
        let labels = || vec![Label::from_static_parts("writer", writer)];
        Self {
            size: registry.histogram(names::BATCH_SIZE, labels()),
            seconds: registry.histogram(names::BATCH_SECONDS, labels()),
        }
    }
}

pub struct Metrics {
    registry: Registry,
    handle: Option<PrometheusHandle>,
    pub http: HttpMetrics,
    /// Tokens issued, by (grant type, site id).
    tokens_issued: DashMap<(&'static str, i64), Counter>,
    pub grant_writer: BatchMetrics,
    pub redeemer: BatchMetrics,
}

impl Metrics {
    /// A recorder of our own when `enabled`; no-op handles otherwise.
    pub fn new(enabled: bool) -> anyhow::Result<Self> {
        let (registry, handle) = if enabled {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)?
                .set_buckets_for_metric(Matcher::Full(names::BATCH_SIZE.into()), BATCH_BUCKETS)?
                .build_recorder();
            describe_all(&recorder);
            let handle = recorder.handle();
            let registry = Registry {
                recorder: Some(Arc::new(recorder)),
            };
            (registry, Some(handle))
        } else {
            (Registry { recorder: None }, None)
        };
        Ok(Self {
            http: HttpMetrics::new(registry.clone()),
            tokens_issued: DashMap::new(),
            grant_writer: BatchMetrics::new(&registry, "grants"),
            redeemer: BatchMetrics::new(&registry, "redemptions"),
            registry,
            handle,
        })
    }

    pub fn is_enabled(&self) -> bool {
        self.registry.is_enabled()
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// One token response went out (access token, with its refresh or ID
    /// token if any).
    pub fn token_issued(&self, grant_type: &'static str, site: &Site) {
        if !self.is_enabled() {
            return;
        }
        if let Some(counter) = self.tokens_issued.get(&(grant_type, site.id)) {
            counter.increment(1);
            return;
        }
        let counter = self.registry.counter(
            names::TOKENS_ISSUED,
            vec![
                Label::from_static_parts("grant_type", grant_type),
                Label::new("site", site.slug.clone()),
            ],
        );
        counter.increment(1);
        self.tokens_issued.insert((grant_type, site.id), counter);
    }

    /// The text exposition format, after reading the on-scrape values.
    pub async fn render(&self, sources: &ScrapeSources<'_>) -> Option<String> {
        let handle = self.handle.as_ref()?;
        scrape::update(&self.registry, sources).await;
        Some(handle.render())
    }

    /// Drains recorded histogram samples into their buckets now and then,
    /// so memory stays bounded when nobody scrapes.
    pub async fn run_upkeep(self: Arc<Self>, interval: Duration) {
        let Some(handle) = self.handle.clone() else {
            return;
        };
        let mut ticker = tokio::time::interval(interval);
        loop {
            ticker.tick().await;
            handle.run_upkeep();
        }
    }
}
