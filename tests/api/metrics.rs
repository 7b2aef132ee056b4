//! `GET /metrics` on its own listener, scraped and parsed as Prometheus
//! text: the counters move by what the requests did, with bounded labels.

use prometheus_parse::{Sample, Scrape, Value};

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::oauth::support::{App, Registration, register, token};

async fn metrics_app() -> TestApp {
    spawn_app_with(&[("TESSERA_METRICS_LISTEN", "127.0.0.1:0")]).await
}

async fn scrape(app: &TestApp) -> Scrape {
    let text = scrape_text(app).await;
    Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap()
}

async fn scrape_text(app: &TestApp) -> String {
    let port = app.metrics_port.expect("a metrics listener");
    let response = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(content_type.starts_with("text/plain; version=0.0.4"));
    response.text().await.unwrap()
}

/// The samples of `metric` whose labels include all of `labels`.
fn matching<'a>(scrape: &'a Scrape, metric: &str, labels: &[(&str, &str)]) -> Vec<&'a Sample> {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .collect()
}

/// The value of the one sample of a counter or gauge; 0 when absent.
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    let samples = matching(scrape, metric, labels);
    assert!(samples.len() <= 1, "{metric} {labels:?}: {samples:?}");
    samples.first().map_or(0.0, |s| match &s.value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
        other => panic!("{metric} is not a single value: {other:?}"),
    })
}

/// How many observations a histogram series holds (its `+Inf` bucket).
fn observations(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    let samples = matching(scrape, metric, labels);
    assert_eq!(samples.len(), 1, "{metric} {labels:?}");
    match &samples[0].value {
        Value::Histogram(buckets) => buckets
            .iter()
            .find(|b| b.less_than.is_infinite())
            .map(|b| b.count)
            .unwrap(),
        other => panic!("{metric} is not a histogram: {other:?}"),
    }
}

fn service() -> Registration<'static> {
    Registration {
        scopes: Some("content:read"),
        grant_types: Some(vec!["client_credentials"]),
        redirect_uris: vec![],
        ..Registration::default()
    }
}

async fn client_credentials(app: &TestApp, client: &App) -> u16 {
    token(app, client, &[("grant_type", "client_credentials")])
        .await
        .status()
        .as_u16()
}

#[tokio::test]
async fn token_requests_and_refusals_are_counted_by_route_grant_and_reason() {
    let app = metrics_app().await;
    let client = register(&app, service()).await;
    for _ in 0..3 {
        assert_eq!(client_credentials(&app, &client).await, 200);
    }
    let wrong = App {
        secret: Some("not-the-secret".into()),
        ..client.clone()
    };
    assert_eq!(client_credentials(&app, &wrong).await, 401);

    let scrape = scrape(&app).await;
    let site = [("grant_type", "client_credentials"), ("site", "default")];
    assert_eq!(value(&scrape, "tessera_tokens_issued_total", &site), 3.0);
    let route = |status| {
        [
            ("route", "/oauth/token"),
            ("method", "POST"),
            ("status", status),
        ]
    };
    assert_eq!(
        value(&scrape, "tessera_http_requests_total", &route("200")),
        3.0
    );
    assert_eq!(
        value(&scrape, "tessera_http_requests_total", &route("401")),
        1.0
    );
    let refused = [("route", "/oauth/token"), ("reason", "invalid_client")];
    assert_eq!(value(&scrape, "tessera_refusals_total", &refused), 1.0);
    let latency = [
        ("route", "/oauth/token"),
        ("method", "POST"),
        ("class", "2xx"),
    ];
    assert_eq!(
        observations(&scrape, "tessera_http_request_duration_seconds", &latency),
        3.0
    );
    // Client-credentials tokens are not stored: the group commit wrote nothing.
    let batches = matching(
        &scrape,
        "tessera_group_commit_batch_size_sum",
        &[("writer", "grants")],
    );
    let rows: f64 = batches
        .iter()
        .map(|s| match s.value {
            Value::Untyped(v) | Value::Counter(v) | Value::Gauge(v) => v,
            _ => 0.0,
        })
        .sum();
    assert_eq!(rows, 0.0);
    // Four authentications, the first a miss and the rest hits.
    let clients = [("cache", "oauth_clients")];
    let lookups = value(&scrape, "tessera_cache_hits_total", &clients)
        + value(&scrape, "tessera_cache_misses_total", &clients);
    assert!(lookups >= 4.0, "{lookups} client lookups");
    assert!(value(&scrape, "tessera_cache_hits_total", &clients) >= 3.0);
}

#[tokio::test]
async fn routes_are_labelled_by_pattern_never_by_raw_path() {
    let app = metrics_app().await;
    let raw = "/api/pages/some-private-page-name";
    app.client.get(app.url(raw)).send().await.unwrap();
    app.client
        .get(app.url("/no-such-thing-anywhere"))
        .send()
        .await
        .unwrap();

    // prometheus-parse skips a sample whose label value holds a `}` (as
    // actix's `{path:.+}` does; Prometheus itself reads it): the raw text.
    let text = scrape_text(&app).await;
    let line = text
        .lines()
        .find(|l| l.starts_with("tessera_http_requests_total{") && l.contains("/api/pages/"))
        .unwrap();
    assert!(line.contains(r#"route="/api/pages/{path:.+}""#), "{line}");
    let scrape = scrape(&app).await;
    let unmatched = [("route", "unmatched"), ("status", "404")];
    assert_eq!(
        value(&scrape, "tessera_http_requests_total", &unmatched),
        1.0
    );
    assert!(!text.contains("private-page") && !text.contains("no-such-thing"));
}

#[tokio::test]
async fn slow_moving_values_are_read_when_scraped() {
    let app = metrics_app().await;
    // The site's signing keys are made on first use.
    let jwks = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(jwks.status(), 200);

    let scrape = scrape(&app).await;
    let age = matching(
        &scrape,
        "tessera_signing_key_age_seconds",
        &[("site", "default")],
    );
    assert_eq!(age.len(), 1);
    assert!(value(&scrape, "tessera_db_pool_max_connections", &[]) >= 1.0);
    let lag = value(&scrape, "tessera_change_feed_lag_seconds", &[]);
    assert!((0.0..60.0).contains(&lag), "lag {lag}");
    assert!(scrape.docs.contains_key("tessera_http_requests_total"));
}

#[tokio::test]
async fn metrics_are_never_served_on_the_main_listener() {
    let app = metrics_app().await;
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 404);

    let off = spawn_app().await;
    assert_eq!(off.metrics_port, None, "no metrics listener unless asked");
    let response = off.client.get(off.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 404);
}
