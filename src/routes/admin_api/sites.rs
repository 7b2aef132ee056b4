//! `/api/admin/site` (the caller's site) and `/api/admin/sites` (every
//! site: for administrators of the instance's first site only).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use super::{admin_of, ok, reply};
use crate::admin::Paging;
use crate::admin::types::{
    NewSiteRequest, Page, PageQuery, SiteSettingsRequest, SiteSettingsView, SiteView,
};
use crate::error::{ApiError, ApiErrorBody};
use crate::routes::ApiConfig;
use crate::state::AppState;
use crate::tokens::ApiCaller;

pub fn configure(cfg: &mut ApiConfig) {
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

/// Show the site's settings
///
/// The caller's site and its registration and client settings.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "The site's settings", body = SiteSettingsView),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
    ),
)]
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

/// Change the site's settings
///
/// Applies the settings given (all are checked before any is saved), each
/// recorded in the audit log; absent fields stay as they are.
#[utoipa::path(
    tag = "admin",
    request_body(content = SiteSettingsRequest, description = "The settings to change"),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "The site's settings after the change", body = SiteSettingsView),
        (status = 400, description = "`invalid_request`: an unknown policy or scope, or not the expected JSON", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
    ),
)]
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

/// List sites
///
/// Every site of the instance (administrators of its first site only).
#[utoipa::path(
    tag = "admin",
    params(PageQuery),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "One page of sites", body = Page<SiteView>),
        (status = 400, description = "`invalid_request`: `limit` out of range, or an unknown query parameter", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of the instance's first site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
    ),
)]
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

/// Create a site
///
/// A new site answering for its base URL's host and the aliases
/// (administrators of the instance's first site only).
#[utoipa::path(
    tag = "admin",
    request_body(content = NewSiteRequest, description = "The new site"),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 201, description = "Created", body = SiteView),
        (status = 400, description = "`invalid_request`: not a slug, base URL or host alias, or not the expected JSON", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of the instance's first site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 409, description = "`conflict`: a site with this slug, or answering for one of these hosts, exists", body = ApiErrorBody),
    ),
)]
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
