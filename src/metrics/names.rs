//! Every metric's name and help text, in one place (the README's
//! "Operations: metrics" section lists the same).

use ::metrics::{Recorder, SharedString, Unit};
use metrics_exporter_prometheus::PrometheusRecorder;

pub const HTTP_REQUESTS: &str = "tessera_http_requests_total";
pub const HTTP_SECONDS: &str = "tessera_http_request_duration_seconds";
pub const REFUSALS: &str = "tessera_refusals_total";
pub const TOKENS_ISSUED: &str = "tessera_tokens_issued_total";
pub const CACHE_HITS: &str = "tessera_cache_hits_total";
pub const CACHE_MISSES: &str = "tessera_cache_misses_total";
pub const CHANGE_FEED_LAG: &str = "tessera_change_feed_lag_seconds";
pub const DB_CONNECTIONS: &str = "tessera_db_pool_connections";
pub const DB_MAX_CONNECTIONS: &str = "tessera_db_pool_max_connections";
pub const BATCH_SIZE: &str = "tessera_group_commit_batch_size";
pub const BATCH_SECONDS: &str = "tessera_group_commit_duration_seconds";
pub const SIGNING_KEY_AGE: &str = "tessera_signing_key_age_seconds";

pub fn describe_all(recorder: &PrometheusRecorder) {
    let counter = |name: &'static str, help: &'static str| {
        recorder.describe_counter(name.into(), None, SharedString::const_str(help));
    };
    counter(
        HTTP_REQUESTS,
        "HTTP requests answered, by matched route pattern, method and status",
    );
    counter(
        REFUSALS,
        "Requests refused, by route and reason (the error code, or throttled, dpop_replay)",
    );
    counter(
        TOKENS_ISSUED,
        "Token responses sent, by grant type and site",
    );
    counter(CACHE_HITS, "In-process cache lookups answered from memory");
    counter(
        CACHE_MISSES,
        "In-process cache lookups that went to the store",
    );
    let gauge = |name: &'static str, unit: Option<Unit>, help: &'static str| {
        recorder.describe_gauge(name.into(), unit, SharedString::const_str(help));
    };
    gauge(
        CHANGE_FEED_LAG,
        Some(Unit::Seconds),
        "Time since this process last read the change feed successfully",
    );
    gauge(
        DB_CONNECTIONS,
        None,
        "Database pool connections, by state (idle, in_use)",
    );
    gauge(DB_MAX_CONNECTIONS, None, "Database pool size limit");
    gauge(
        SIGNING_KEY_AGE,
        Some(Unit::Seconds),
        "Age of each site's current signing key",
    );
    let histogram = |name: &'static str, unit: Option<Unit>, help: &'static str| {
        recorder.describe_histogram(name.into(), unit, SharedString::const_str(help));
    };
    histogram(
        HTTP_SECONDS,
        Some(Unit::Seconds),
        "HTTP request latency, by matched route pattern, method and status class",
    );
    histogram(
        BATCH_SIZE,
        Some(Unit::Count),
        "Rows per group-commit batch, by writer",
    );
    histogram(
        BATCH_SECONDS,
        Some(Unit::Seconds),
        "Time to store one group-commit batch, by writer",
    );
}
