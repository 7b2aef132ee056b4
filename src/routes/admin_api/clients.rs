//! `/api/admin/clients…`: OAuth clients of the caller's site.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use super::{admin_of, ok, reply};
use crate::admin::Paging;
use crate::admin::clients::view;
use crate::admin::types::{ClientChangeRequest, NewClientRequest, PageQuery};
use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens::ApiCaller;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_clients)
        .service(create_client)
        .service(show_client)
        .service(change_client)
        .service(delete_client)
        .service(rotate_secret);
}

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

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/clients/{client_id}")]
async fn show_client(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    ok(&view(&*admin.show_client(&caller.site, &path).await?))
}

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
