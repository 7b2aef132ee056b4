//! `/api/admin/resources`: the resources (RFC 8707) the caller's site
//! issues tokens for.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::Deserialize;

use super::{admin_of, ok, reply};
use crate::admin::resources::view;
use crate::admin::types::{NewResourceRequest, ResourceView};
use crate::error::{ApiError, ApiErrorBody};
use crate::routes::ApiConfig;
use crate::state::AppState;
use crate::tokens::ApiCaller;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(list_resources)
        .service(add_resource)
        .service(remove_resource);
}

/// List resources
///
/// The APIs this site issues access tokens for (RFC 8707 `resource`),
/// besides its own.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "The registered resources", body = Vec<ResourceView>),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/resources")]
async fn list_resources(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let resources: Vec<ResourceView> = admin
        .list_resources(&caller.site)
        .await?
        .iter()
        .map(view)
        .collect();
    ok(&resources)
}

/// Register a resource
///
/// An API the site's tokens may be issued for: its URI (the tokens'
/// audience), the scopes its tokens may carry, and their format.
#[utoipa::path(
    tag = "admin",
    request_body(content = NewResourceRequest, description = "The resource"),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 201, description = "Registered", body = ResourceView),
        (status = 400, description = "`invalid_request`: not an absolute URI without fragment, the site's own URL, an unknown scope or token format, or not the expected JSON", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 409, description = "`conflict`: the site has this resource already", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/api/admin/resources")]
async fn add_resource(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    body: web::Json<NewResourceRequest>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let resource = admin.add_resource(&caller.site, body.into_inner()).await?;
    Ok(reply(StatusCode::CREATED, &view(&resource)))
}

/// The resource is a URI, so it travels in the query, not the path.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ResourceQuery {
    /// The resource's URI, exactly as it was registered.
    uri: String,
}

/// Remove a resource
///
/// No new tokens are issued for it, and those issued for it are refused
/// from now on.
#[utoipa::path(
    tag = "admin",
    params(ResourceQuery),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 400, description = "`invalid_request`: no `uri`, or an unknown query parameter", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 404, description = "`not_found`: the site has no such resource", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[delete("/api/admin/resources")]
async fn remove_resource(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    query: web::Query<ResourceQuery>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    admin.remove_resource(&caller.site, &query.uri).await?;
    Ok(HttpResponse::NoContent().finish())
}
