//! `GET /.well-known/oauth-authorization-server` (RFC 8414).

use actix_web::{HttpResponse, get, web};

use crate::oauth::OAuthError;
use crate::routes::extract::CurrentSite;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(server_metadata);
}

#[get("/.well-known/oauth-authorization-server")]
async fn server_metadata(
    state: web::Data<AppState>,
    site: CurrentSite,
) -> Result<HttpResponse, OAuthError> {
    let metadata = state.oauth.server_metadata(&site.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(metadata))
}
