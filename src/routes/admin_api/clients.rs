//! `/api/admin/clients…`: OAuth clients of the caller's site.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use super::{admin_of, ok, reply};
use crate::admin::Paging;
use crate::admin::types::{
    ClientChangeRequest, ClientSecretView, ClientView, CreatedClient, NewClientRequest, Page,
    PageQuery,
};
use crate::error::{ApiError, ApiErrorBody};
use crate::routes::ApiConfig;
use crate::state::AppState;
use crate::tokens::ApiCaller;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(list_clients)
        .service(create_client)
        .service(show_client)
        .service(change_client)
        .service(delete_client)
        .service(rotate_secret);
}

/// List clients
///
/// The site's OAuth clients.
#[utoipa::path(
    tag = "admin",
    params(PageQuery),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "One page of clients", body = Page<ClientView>),
        (status = 400, description = "`invalid_request`: `limit` out of range, or an unknown query parameter", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/clients")]
async fn list_clients(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let paging = Paging::new(query.limit, query.offset)?;
    ok(&admin.list_clients(&caller.site, paging).await?)
}

/// Create a client
///
/// Registers an OAuth client owned by no user; a confidential client's
/// secret is returned once.
#[utoipa::path(
    tag = "admin",
    request_body(content = NewClientRequest, description = "The new client"),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 201, description = "Created; `client_secret` is shown only this once", body = CreatedClient),
        (status = 400, description = "`invalid_request`: a redirect URI, scope, grant type or permission that is not accepted, or not the expected JSON", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/api/admin/clients")]
async fn create_client(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    body: web::Json<NewClientRequest>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let created = admin.create_client(&caller.site, body.into_inner()).await?;
    Ok(reply(StatusCode::CREATED, &created))
}

/// Show a client
#[utoipa::path(
    tag = "admin",
    params(("client_id" = String, Path, description = "The client's id")),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "The client", body = ClientView),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 404, description = "`not_found`: no client with this id on this site", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/clients/{client_id}")]
async fn show_client(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    ok(&admin.client_view(&caller.site, &path).await?)
}

/// Change a client
///
/// Applies the changes given, each audited; absent fields stay as they are.
#[utoipa::path(
    tag = "admin",
    params(("client_id" = String, Path, description = "The client's id")),
    request_body(content = ClientChangeRequest, description = "The changes"),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "The client after the change", body = ClientView),
        (status = 400, description = "`invalid_request`: a redirect URI, scope, grant type or permission that is not accepted, or not the expected JSON", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 404, description = "`not_found`: no client with this id on this site", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[patch("/api/admin/clients/{client_id}")]
async fn change_client(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<ClientChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    ok(&admin
        .change_client(&caller.site, &path, body.into_inner())
        .await?)
}

/// Delete a client
///
/// Deletes the client and revokes every token issued to it.
#[utoipa::path(
    tag = "admin",
    params(("client_id" = String, Path, description = "The client's id")),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 404, description = "`not_found`: no client with this id on this site", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[delete("/api/admin/clients/{client_id}")]
async fn delete_client(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    admin.delete_client(&caller.site, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Rotate a client's secret
///
/// A new secret, returned once; the old one stops working at once.
#[utoipa::path(
    tag = "admin",
    params(("client_id" = String, Path, description = "The client's id")),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "The new secret, shown only this once", body = ClientSecretView),
        (status = 400, description = "`invalid_request`: a public client has no secret", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 404, description = "`not_found`: no client with this id on this site", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/api/admin/clients/{client_id}/secret")]
async fn rotate_secret(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    ok(&admin.rotate_client_secret(&caller.site, &path).await?)
}
