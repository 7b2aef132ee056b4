//! `GET /.well-known/oauth-authorization-server` (RFC 8414).

use actix_web::{HttpResponse, get, web};

use super::OAuthErrorBody;
use crate::oauth::OAuthError;
use crate::oauth::metadata::Metadata;
use crate::oauth::protected_resource::{ProtectedResourceMetadata, protected_resource_metadata};
use crate::routes::ApiConfig;
use crate::routes::extract::CurrentSite;
use crate::state::AppState;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(server_metadata).service(resource_metadata);
}

/// Authorization server metadata
///
/// RFC 8414, built from the settings that enforce behaviour.
#[utoipa::path(
    tag = "openid",
    responses(
        (status = 200, description = "The site's authorization server metadata", body = Metadata),
        (status = 500, description = "`server_error`", body = OAuthErrorBody),
    ),
)]
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

/// Protected resource metadata
///
/// RFC 9728 for the site's own API: its resource identifier (the issuer
/// URL) and the authorization server to get tokens from. Every 401 from
/// the API names this document in `WWW-Authenticate: Bearer
/// resource_metadata="…"`.
#[utoipa::path(
    tag = "openid",
    responses(
        (status = 200, description = "The site's protected resource metadata", body = ProtectedResourceMetadata),
    ),
)]
#[get("/.well-known/oauth-protected-resource")]
async fn resource_metadata(site: CurrentSite) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(protected_resource_metadata(&site.0))
}
