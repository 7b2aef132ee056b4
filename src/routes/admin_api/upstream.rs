//! `/api/admin/upstream-providers`: the other OpenID providers people may
//! sign in to the caller's site with (`crate::upstream`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};

use super::{admin_of, ok, reply};
use crate::admin::upstream::NewUpstreamProviderRequest;
use crate::error::{ApiError, ApiErrorBody};
use crate::routes::ApiConfig;
use crate::state::AppState;
use crate::tokens::ApiCaller;
use crate::upstream::ProviderView;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(list_upstream_providers)
        .service(add_upstream_provider)
        .service(remove_upstream_provider);
}

/// List upstream providers
///
/// The OpenID providers whose buttons this site's sign-in page shows.
/// Client secrets are never shown.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "The upstream providers", body = Vec<ProviderView>),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/upstream-providers")]
async fn list_upstream_providers(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    ok(&admin.list_upstream_providers(&caller.site).await?)
}

/// Add an upstream provider
///
/// An OpenID provider people may sign in with: its issuer (found by
/// discovery on each sign-in), and the client id and secret Tessera was
/// given there; register the answer's `redirect_uri` at the provider.
#[utoipa::path(
    tag = "admin",
    request_body(content = NewUpstreamProviderRequest, description = "The provider"),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 201, description = "Added", body = ProviderView),
        (status = 400, description = "`invalid_request`: a bad name, a refused issuer URL, an empty client id or secret, or not the expected JSON", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 409, description = "`conflict`: the site has a provider of this name", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/api/admin/upstream-providers")]
async fn add_upstream_provider(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    body: web::Json<NewUpstreamProviderRequest>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let provider = admin
        .add_upstream_provider(&caller.site, body.into_inner())
        .await?;
    Ok(reply(StatusCode::CREATED, &provider))
}

/// Remove an upstream provider
///
/// Its button goes, and the identities linked through it are unlinked.
#[utoipa::path(
    tag = "admin",
    params(("name" = String, Path, description = "The provider's name")),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 404, description = "`not_found`: no provider of this name on this site", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[delete("/api/admin/upstream-providers/{name}")]
async fn remove_upstream_provider(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    admin.remove_upstream_provider(&caller.site, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}
