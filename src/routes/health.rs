use actix_web::http::header;
use actix_web::{HttpResponse, get, web};

use crate::readiness::Readiness;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(healthz).service(readyz);
}

/// The process is up. Touches nothing else.
#[get("/healthz")]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"status":"ok"}"#)
}

/// The store answers (probed at most once a second, see `readiness.rs`).
#[get("/readyz")]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.readiness.check().await {
        Readiness::Ready => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({"status": "ready", "store": state.store.backend()})),
        Readiness::StoreUnavailable => HttpResponse::ServiceUnavailable()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::RETRY_AFTER, "1"))
            .json(serde_json::json!({
                "status": "unready",
                "error": "store_unavailable",
                "message": "the database cannot be reached",
                "store": state.store.backend(),
            })),
    }
}
