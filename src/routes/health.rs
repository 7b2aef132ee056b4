use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use serde::Serialize;

use super::ApiConfig;
use crate::error::ApiErrorBody;
use crate::readiness::Readiness as Probe;
use crate::state::AppState;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(healthz).service(readyz);
}

/// `GET /healthz`'s body.
#[derive(Serialize, utoipa::ToSchema)]
struct Health {
    /// Always `ok`.
    status: &'static str,
}

/// `GET /readyz`'s body while the store answers.
#[derive(Serialize, utoipa::ToSchema)]
struct Readiness {
    /// Always `ready`.
    status: &'static str,
    /// `postgres` or `sqlite`.
    store: &'static str,
}

/// What [`Health`] serializes to, written once: the benchmarks' baseline
/// touches nothing.
const HEALTHY: &str = r#"{"status":"ok"}"#;

/// Liveness
///
/// The process is up. Touches nothing else.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The process is up", body = Health)),
)]
// Named after its pattern: the metrics route label, borrowed (metrics/http.rs).
#[get("/healthz", name = "/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(HEALTHY)
}

/// Readiness
///
/// The store answers (probed at most once a second, see `readiness.rs`).
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "The store answers", body = Readiness),
        (status = 503, description = "`store_unavailable`: the store cannot be reached", body = ApiErrorBody),
    ),
)]
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.readiness.check().await {
        Probe::Ready => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(Readiness {
                status: "ready",
                store: state.store.backend(),
            }),
        Probe::StoreUnavailable => HttpResponse::ServiceUnavailable()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::RETRY_AFTER, "1"))
            .json(ApiErrorBody {
                error: "store_unavailable",
                message: "the database cannot be reached".into(),
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_healthz_body_is_the_documented_shape() {
        let documented = serde_json::to_string(&Health { status: "ok" }).unwrap();
        assert_eq!(HEALTHY, documented);
    }
}
