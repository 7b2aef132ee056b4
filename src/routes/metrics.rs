//! `GET /metrics` (Prometheus text format), on its own listener
//! (`TESSERA_METRICS_LISTEN`) and nowhere else: the main application never
//! routes it.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{App, HttpResponse, HttpServer, get, web};

use crate::metrics::ScrapeSources;
use crate::state::AppState;

/// A one-worker server: scrapes come a few times a minute.
pub fn serve(listener: TcpListener, state: web::Data<AppState>) -> std::io::Result<Server> {
    Ok(
        HttpServer::new(move || App::new().app_data(state.clone()).service(metrics))
            .workers(1)
            .disable_signals()
            .shutdown_timeout(1)
            .listen(listener)?
            .run(),
    )
}

#[get("/metrics")]
async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let sources = ScrapeSources {
        cache: &state.cache,
        feed: &state.change_feed,
        store: &state.store,
        sites: &state.sites,
        now: state.now(),
    };
    match state.metrics.render(&sources).await {
        Some(text) => HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8"))
            .insert_header((CACHE_CONTROL, "no-store"))
            .body(text),
        None => HttpResponse::NotFound().finish(),
    }
}
