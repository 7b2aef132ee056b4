//! Per-request counting: requests and latency by matched route pattern
//! (never the raw path), method and status, and refusals by reason.
//!
//! The route label is the pattern of actix's matched resource. Actix
//! builds that string on each call (`match_pattern`), so the hot routes
//! (`/auth/verify`, `/oauth/token`, `/oauth/introspect`, `/healthz`) are
//! named after their pattern and looked up by that borrowed name: no
//! allocation. Other routes are named after their handler by actix's
//! macros (names that never start with `/`, and may repeat), so they pay
//! for one pattern string per request. Series handles are registered only
//! the first time a route is seen.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use ::metrics::{Counter, Histogram, Label};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpRequest, web};
use dashmap::DashMap;

use super::Registry;
use super::labels::{self, METHODS, STATUS_CLASSES, UNMATCHED_ROUTE};
use super::names;
use crate::state::AppState;

/// Why a request was refused, put on its response by the error type that
/// built it (`OAuthError`, `ApiError`, the sign-in page) and counted here.
/// Only refusals pay for it: the extension is inserted on error paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal(pub &'static str);

type MethodClass = [[OnceLock<Histogram>; STATUS_CLASSES.len()]; METHODS.len()];

/// The series of one route.
struct RouteSeries {
    route: Box<str>,
    /// By (method index, status code).
    requests: DashMap<(usize, u16), Counter>,
    durations: MethodClass,
    refusals: DashMap<&'static str, Counter>,
}

pub struct HttpMetrics {
    registry: Registry,
    routes: DashMap<Box<str>, Arc<RouteSeries>>,
}

impl HttpMetrics {
    pub(super) fn new(registry: Registry) -> Self {
        Self {
            registry,
            routes: DashMap::new(),
        }
    }

    /// The series of the route looked up by `key`; `pattern` gives its
    /// label the first time (checked once, so a name that is not its
    /// pattern still gets the right label).
    fn route(&self, key: &str, pattern: impl FnOnce() -> Option<String>) -> Arc<RouteSeries> {
        if let Some(series) = self.routes.get(key) {
            return series.clone();
        }
        let label = pattern().unwrap_or_else(|| key.to_string());
        let series = Arc::new(RouteSeries {
            route: label.into(),
            requests: DashMap::new(),
            durations: Default::default(),
            refusals: DashMap::new(),
        });
        self.routes
            .entry(key.into())
            .or_insert(series)
            .value()
            .clone()
    }

    /// Counts one answered request.
    pub fn record(
        &self,
        route: &RouteKey<'_>,
        method: usize,
        status: StatusCode,
        refusal: Option<Refusal>,
        started: Instant,
    ) {
        let series = match route {
            RouteKey::Named(name, request) => self.route(name, || request.match_pattern()),
            RouteKey::Pattern(pattern) => self.route(pattern, || None),
        };
        let labels = |extra: Label| {
            vec![
                Label::new("route", series.route.to_string()),
                Label::from_static_parts("method", METHODS[method]),
                extra,
            ]
        };
        let code = status.as_u16();
        match series.requests.get(&(method, code)) {
            Some(counter) => counter.increment(1),
            None => {
                // Status codes come from our handlers: a small set.
                let counter = self.registry.counter(
                    names::HTTP_REQUESTS,
                    labels(Label::new("status", code.to_string())),
                );
                counter.increment(1);
                series.requests.insert((method, code), counter);
            }
        }
        let class = labels::status_class_index(status);
        series.durations[method][class]
            .get_or_init(|| {
                self.registry.histogram(
                    names::HTTP_SECONDS,
                    labels(Label::from_static_parts("class", STATUS_CLASSES[class])),
                )
            })
            .record(started.elapsed().as_secs_f64());
        if let Some(Refusal(reason)) = refusal {
            series
                .refusals
                .entry(reason)
                .or_insert_with(|| {
                    self.registry.counter(
                        names::REFUSALS,
                        vec![
                            Label::new("route", series.route.to_string()),
                            Label::from_static_parts("reason", reason),
                        ],
                    )
                })
                .increment(1);
        }
    }
}

/// How a request's route is found in the series map.
pub enum RouteKey<'a> {
    /// A resource named after its pattern (its name starts with `/`).
    Named(&'a str, &'a HttpRequest),
    /// The matched pattern, or [`UNMATCHED_ROUTE`].
    Pattern(&'a str),
}

/// The middleware. Does nothing when metrics are off.
pub async fn count_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .filter(|s| s.metrics.is_enabled())
        .cloned();
    let Some(state) = state else {
        return next.call(req).await;
    };
    let started = Instant::now();
    let method = labels::method_index(req.method());
    let result = next.call(req).await;
    let http = &state.metrics.http;
    match &result {
        Ok(response) => {
            let request = response.request();
            let refusal = response.response().extensions().get::<Refusal>().copied();
            let status = response.status();
            match request.match_name().filter(|n| n.starts_with('/')) {
                Some(name) => {
                    let key = RouteKey::Named(name, request);
                    http.record(&key, method, status, refusal, started);
                }
                None => {
                    let pattern = request.match_pattern();
                    let key = RouteKey::Pattern(pattern.as_deref().unwrap_or(UNMATCHED_ROUTE));
                    http.record(&key, method, status, refusal, started);
                }
            }
        }
        Err(e) => {
            let status = e.as_response_error().status_code();
            let key = RouteKey::Pattern(UNMATCHED_ROUTE);
            http.record(&key, method, status, None, started);
        }
    }
    result
}
