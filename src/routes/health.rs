use actix_web::{HttpResponse, get, web};

use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz);
}

/// The process is up. Touches nothing else.
// Named after its pattern: the metrics route label, borrowed (metrics/http.rs).
#[get("/healthz", name = "/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"status":"ok"}"#)
}

/// The store answers.
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.store.ping().await {
        Ok(()) => HttpResponse::Ok()
            .json(serde_json::json!({"status": "ready", "store": state.store.backend()})),
        Err(e) => {
            tracing::warn!(error = %e, "store is not reachable");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({
                "error": "store_unavailable",
                "message": "the store cannot be reached",
            }))
        }
    }
}
