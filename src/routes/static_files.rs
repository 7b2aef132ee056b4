//! The stylesheet and the passkey script, compiled into the binary so it ships with it.

use actix_web::{HttpResponse, get, web};

const STYLE_CSS: &str = include_str!("../../static/style.css");
const PASSKEYS_JS: &str = include_str!("../../static/passkeys.js");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(style).service(passkeys_script);
}

#[get("/static/style.css")]
async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLE_CSS)
}

#[get("/static/passkeys.js")]
async fn passkeys_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(PASSKEYS_JS)
}
