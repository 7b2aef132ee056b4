//! Logging: human-readable by default, JSON when `TESSERA_LOG_FORMAT=json`.
//! Each request runs in a span carrying its request id, so every line logged
//! while serving it names the request. With `TESSERA_OTLP_ENDPOINT` set the
//! same spans also go to an OpenTelemetry collector (`otlp.rs`). A span's
//! fields are the request id, method and path (never the query string,
//! headers or body) plus what handlers name in `instrument(skip_all,
//! fields(...))`: no secret reaches a log line or a trace.

mod otlp;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};
use url::Url;

pub use self::otlp::Traces;
use crate::settings::LogFormat;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Logs only (the tests, the admin commands).
pub fn init(format: LogFormat, default_filter: &str) {
    install(format, default_filter, None);
}

/// Logs, and request traces to an OTLP collector when `otlp` is set
/// (`TESSERA_OTLP_ENDPOINT`). Keep the returned value while serving: it
/// flushes the last spans when dropped.
pub fn init_with_traces(
    format: LogFormat,
    default_filter: &str,
    otlp: Option<&Url>,
) -> anyhow::Result<Option<Traces>> {
    let traces = otlp.map(Traces::start).transpose()?;
    install(format, default_filter, traces.as_ref());
    Ok(traces)
}

fn install(format: LogFormat, default_filter: &str, traces: Option<&Traces>) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let fmt = tracing_subscriber::fmt::layer().with_writer(std::io::stderr);
    let fmt = match format {
        LogFormat::Json => fmt
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .boxed(),
        LogFormat::Pretty => fmt.compact().boxed(),
    };
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(traces.map(Traces::layer))
        .with(filter)
        .try_init();
}

/// A request id is kept from the client when it is short and plain,
/// otherwise made up; it goes on the span and on the response.
fn request_id(req: &ServiceRequest) -> HeaderValue {
    req.headers()
        .get(&REQUEST_ID)
        .filter(|v| {
            v.len() <= 64
                && v.as_bytes()
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
        .cloned()
        .unwrap_or_else(|| {
            HeaderValue::from_str(&uuid::Uuid::new_v4().to_string())
                .unwrap_or(HeaderValue::from_static("-"))
        })
}

pub async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    let id = request_id(&req);
    let span = tracing::info_span!(
        "request",
        request_id = %id.to_str().unwrap_or("-"),
        method = %req.method(),
        path = %req.path(),
    );
    let response = next.call(req).instrument(span.clone()).await?;
    // Here rather than in a middleware of its own: one more layer costs
    // every request, this costs a status comparison.
    let mut response = crate::routes::unavailable::in_page_shape(response);
    let status = response.status();
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::error!(status = status.as_u16(), "request failed");
        } else {
            tracing::debug!(status = status.as_u16(), "request done");
        }
    });
    response.headers_mut().insert(REQUEST_ID, id);
    Ok(response)
}
