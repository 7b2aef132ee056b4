//! `/api/admin/identity-providers`, `/api/admin/keys` and
//! `/api/admin/legacy`: what lets callers in to the caller's site.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use serde::Deserialize;

use super::{admin_of, ok, reply};
use crate::admin::identity::view;
use crate::admin::types::{IdentityProviderView, LegacyChangeRequest, NewIdentityProviderRequest};
use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens::ApiCaller;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_providers)
        .service(add_provider)
        .service(remove_provider)
        .service(list_keys)
        .service(rotate_keys)
        .service(legacy_report)
        .service(set_legacy)
        .service(rotate_legacy);
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/identity-providers")]
async fn list_providers(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let providers: Vec<IdentityProviderView> = admin
        .list_identity_providers(&caller.site)
        .await?
        .iter()
        .map(view)
        .collect();
    ok(&providers)
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/api/admin/identity-providers")]
async fn add_provider(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    body: web::Json<NewIdentityProviderRequest>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let provider = admin
        .add_identity_provider(&caller.site, body.into_inner())
        .await?;
    Ok(reply(StatusCode::CREATED, &view(&provider)))
}

/// The issuer is a URL, so it travels in the query, not the path.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerQuery {
    issuer: String,
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[delete("/api/admin/identity-providers")]
async fn remove_provider(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    query: web::Query<IssuerQuery>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    admin
        .remove_identity_provider(&caller.site, &query.issuer)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/keys")]
async fn list_keys(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    ok(&admin.list_signing_keys(&caller.site).await?)
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/api/admin/keys/rotate")]
async fn rotate_keys(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    ok(&admin.rotate_signing_keys(&caller.site).await?)
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/legacy")]
async fn legacy_report(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    ok(&admin.legacy_report(&caller.site).await?)
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[put("/api/admin/legacy")]
async fn set_legacy(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    body: web::Json<LegacyChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let view = if body.enabled {
        admin.enable_legacy(&caller.site).await?
    } else {
        admin.disable_legacy(&caller.site).await?
    };
    ok(&view)
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/api/admin/legacy/rotate")]
async fn rotate_legacy(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    ok(&admin.rotate_legacy(&caller.site).await?)
}
