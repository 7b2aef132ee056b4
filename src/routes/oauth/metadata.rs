//! `GET /.well-known/oauth-authorization-server` (RFC 8414).

use actix_web::{HttpResponse, get, web};

use crate::oauth::metadata::metadata;
use crate::routes::extract::CurrentSite;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(server_metadata);
}

#[get("/.well-known/oauth-authorization-server")]
async fn server_metadata(site: CurrentSite) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(metadata(&site.0))
}
