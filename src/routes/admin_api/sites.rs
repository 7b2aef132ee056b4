//! `/api/admin/site` (the caller's site) and `/api/admin/sites` (every
//! site: for administrators of the instance's first site only).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use super::{admin_of, ok, reply};
use crate::admin::Paging;
use crate::admin::types::{NewSiteRequest, PageQuery, SiteSettingsRequest};
use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens::ApiCaller;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(show_site)
        .service(change_site)
        .service(list_sites)
        .service(create_site);
}

/// Sites are the instance's business: only admins of its first site (the
/// one created at first start) list or create them.
async fn instance_admin(state: &AppState, caller: &ApiCaller) -> Result<(), ApiError> {
    let first = state.store.list_sites().await?.iter().map(|s| s.id).min();
    if first == Some(caller.site.id) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only administrators of the instance's first site manage sites".into(),
        ))
    }
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/site")]
async fn show_site(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    ok(&admin.site_settings(&caller.site).await?)
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[patch("/api/admin/site")]
async fn change_site(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    body: web::Json<SiteSettingsRequest>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    admin.change_site(&caller.site, body.into_inner()).await?;
    state.sites.reload().await?;
    ok(&admin.site_settings(&caller.site).await?)
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/sites")]
async fn list_sites(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    instance_admin(&state, &caller).await?;
    let paging = Paging::new(query.limit, query.offset)?;
    ok(&admin.list_sites(paging).await?)
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/api/admin/sites")]
async fn create_site(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    body: web::Json<NewSiteRequest>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    instance_admin(&state, &caller).await?;
    let site = admin.create_site(body.into_inner()).await?;
    state.sites.reload().await?;
    Ok(reply(StatusCode::CREATED, &site))
}
