//! `/api/admin/users…`: users of the caller's site, their sessions and
//! their grants.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use super::{admin_of, ok, reply};
use crate::admin::Paging;
use crate::admin::types::{NewUserRequest, PageQuery, UserChangeRequest};
use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens::ApiCaller;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(show_user)
        .service(change_user)
        .service(list_sessions)
        .service(revoke_session)
        .service(list_grants)
        .service(revoke_grant);
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/users")]
async fn list_users(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let paging = Paging::new(query.limit, query.offset)?;
    ok(&admin.list_users(&caller.site, paging).await?)
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/api/admin/users")]
async fn create_user(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    body: web::Json<NewUserRequest>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let created = admin.create_user(&caller.site, body.into_inner()).await?;
    Ok(reply(StatusCode::CREATED, &created))
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/users/{username}")]
async fn show_user(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let user = admin.find_user(&caller.site, &path).await?;
    ok(&crate::admin::users::view(&user))
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[patch("/api/admin/users/{username}")]
async fn change_user(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Json<UserChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    ok(&admin
        .change_user(&caller.site, &path, body.into_inner())
        .await?)
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/users/{username}/sessions")]
async fn list_sessions(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    ok(&admin.list_sessions(&caller.site, &path).await?)
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[delete("/api/admin/users/{username}/sessions/{session_id}")]
async fn revoke_session(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let (username, session_id) = path.into_inner();
    admin
        .revoke_session(&caller.site, &username, session_id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/users/{username}/grants")]
async fn list_grants(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    ok(&admin.list_grants(&caller.site, &path).await?)
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[delete("/api/admin/users/{username}/grants/{client_id}")]
async fn revoke_grant(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let (username, client_id) = path.into_inner();
    admin
        .revoke_grant(&caller.site, &username, &client_id)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
