//! `/api/admin/users…`: users of the caller's site, their sessions and
//! their grants.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};

use super::{admin_of, ok, reply};
use crate::admin::Paging;
use crate::admin::types::{
    CreatedUser, GrantView, NewUserRequest, Page, PageQuery, SessionView, UserChangeRequest,
    UserView,
};
use crate::error::{ApiError, ApiErrorBody};
use crate::routes::ApiConfig;
use crate::state::AppState;
use crate::tokens::ApiCaller;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(list_users)
        .service(create_user)
        .service(show_user)
        .service(change_user)
        .service(list_sessions)
        .service(revoke_session)
        .service(list_grants)
        .service(revoke_grant)
        .service(reset_second_factor);
}

/// List users
///
/// The site's users, by username.
#[utoipa::path(
    tag = "admin",
    params(PageQuery),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "One page of users", body = Page<UserView>),
        (status = 400, description = "`invalid_request`: `limit` out of range, or an unknown query parameter", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
    ),
)]
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

/// Create a user
///
/// A new user of the site; without a `password`, one is generated and
/// returned once.
#[utoipa::path(
    tag = "admin",
    request_body(content = NewUserRequest, description = "The new user"),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 201, description = "Created; `password` is the generated one, if any", body = CreatedUser),
        (status = 400, description = "`invalid_request`: not a username, role, email or password, or not the expected JSON", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 409, description = "`conflict`: the username is taken", body = ApiErrorBody),
    ),
)]
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

/// Show a user
#[utoipa::path(
    tag = "admin",
    params(("username" = String, Path, description = "The user's username")),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "The user", body = UserView),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 404, description = "`not_found`: no user with this username on this site", body = ApiErrorBody),
    ),
)]
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

/// Change a user
///
/// Applies the changes given, each audited; absent fields stay as they are.
/// A new password or disabling ends the user's sessions (and a new password
/// their OAuth grants).
#[utoipa::path(
    tag = "admin",
    params(("username" = String, Path, description = "The user's username")),
    request_body(content = UserChangeRequest, description = "The changes"),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "The user after the change", body = UserView),
        (status = 400, description = "`invalid_request`: not a role or password, or not the expected JSON", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 404, description = "`not_found`: no user with this username on this site", body = ApiErrorBody),
    ),
)]
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

/// List a user's sessions
///
/// The user's active sign-in sessions.
#[utoipa::path(
    tag = "admin",
    params(("username" = String, Path, description = "The user's username")),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "The active sessions", body = Vec<SessionView>),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 404, description = "`not_found`: no user with this username on this site", body = ApiErrorBody),
    ),
)]
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

/// End a user's session
///
/// Ends one session of the user at once.
#[utoipa::path(
    tag = "admin",
    params(("username" = String, Path, description = "The user's username"), ("session_id" = i64, Path, description = "The session's `id`")),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 404, description = "`not_found`: no such user, or no active session with this id", body = ApiErrorBody),
    ),
)]
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

/// List a user's grants
///
/// The OAuth clients the user authorized, and with which scopes.
#[utoipa::path(
    tag = "admin",
    params(("username" = String, Path, description = "The user's username")),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "The grants", body = Vec<GrantView>),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 404, description = "`not_found`: no user with this username on this site", body = ApiErrorBody),
    ),
)]
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

/// Revoke a user's grant
///
/// Takes the user's authorization of a client back: its consent and every
/// token of it.
#[utoipa::path(
    tag = "admin",
    params(("username" = String, Path, description = "The user's username"), ("client_id" = String, Path, description = "The client's id")),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 404, description = "`not_found`: no such user, or no grant of this client", body = ApiErrorBody),
    ),
)]
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

/// Reset a user's second factor
///
/// Removes the user's TOTP secret and recovery codes (for someone who lost
/// their authenticator app). Where the site requires a second factor, the
/// user sets a new one up at their next sign-in.
#[utoipa::path(
    tag = "admin",
    params(("username" = String, Path, description = "The user's username")),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 404, description = "`not_found`: no such user, or the user has no second factor", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[delete("/api/admin/users/{username}/second-factor")]
async fn reset_second_factor(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    admin.reset_second_factor(&caller.site, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}
