//! `GET /api/users/current/authorizations` and
//! `DELETE /api/users/current/authorizations/{client_id}`: the apps the
//! caller authorized, and taking that back.

use actix_web::{HttpResponse, delete, get, web};
use serde::Serialize;

use crate::audit::Actor;
use crate::error::{ApiError, ApiErrorBody};
use crate::oauth::ScopeSet;
use crate::routes::ApiConfig;
use crate::state::AppState;
use crate::tokens::ApiCaller;
use crate::users::Permission;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(list_authorizations)
        .service(revoke_authorization);
}

/// An OAuth client the user authorized, and what it may do.
#[derive(Serialize, utoipa::ToSchema)]
struct AuthorizedApp {
    client_id: String,
    client_name: String,
    homepage_url: Option<String>,
    scopes: Vec<&'static str>,
    authorized_at: i64,
    updated_at: i64,
}

fn user_id(caller: &ApiCaller, permission: Permission) -> Result<i64, ApiError> {
    caller.check(permission)?;
    caller
        .user
        .as_ref()
        .map(|u| u.id)
        .ok_or(ApiError::Forbidden(
            "this needs a user, not a client".into(),
        ))
}

/// List authorized apps
///
/// The apps the caller authorized (needs `account:read`).
#[utoipa::path(
    tag = "api",
    security(
        (),
        ("bearer" = []),
        ("dpop" = []),
        ("authtoken_cookie" = []),
        ("browser_token" = []),
        ("server_token" = []),
        ("legacy_api_key" = []),
    ),
    responses(
        (status = 200, description = "The caller's authorized apps", body = Vec<AuthorizedApp>),
        (status = 401, description = "Not signed in, or a credential that does not check out: `unauthorized`, `invalid_token`, `invalid_dpop_proof`, `stale`, `bad_signature`, …", body = ApiErrorBody),
        (status = 403, description = "`origin_not_trusted` (browser token), `insufficient_scope` or `forbidden`", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/users/current/authorizations")]
async fn list_authorizations(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let user_id = user_id(&caller, Permission::AccountRead)?;
    let apps: Vec<AuthorizedApp> = state
        .oauth
        .list_authorizations(&caller.site, user_id)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .into_iter()
        .map(|a| AuthorizedApp {
            scopes: ScopeSet::from_stored(&a.scopes).names(),
            client_id: a.client_id,
            client_name: a.client_name,
            homepage_url: a.homepage_url,
            authorized_at: a.created_at,
            updated_at: a.updated_at,
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(apps))
}

/// Revoke an authorized app
///
/// Takes an authorization back: deletes the consent and every token of it
/// (needs `account:write`).
#[utoipa::path(
    tag = "api",
    params(("client_id" = String, Path, description = "The client's id")),
    security(
        (),
        ("bearer" = []),
        ("dpop" = []),
        ("authtoken_cookie" = []),
        ("browser_token" = []),
        ("server_token" = []),
        ("legacy_api_key" = []),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "Not signed in, or a credential that does not check out: `unauthorized`, `invalid_token`, `invalid_dpop_proof`, `stale`, `bad_signature`, …", body = ApiErrorBody),
        (status = 403, description = "`origin_not_trusted` (browser token), `insufficient_scope` or `forbidden`", body = ApiErrorBody),
        (status = 404, description = "`not_found`: the caller has not authorized this client", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[delete("/api/users/current/authorizations/{client_id}")]
async fn revoke_authorization(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let user_id = user_id(&caller, Permission::AccountWrite)?;
    let client_id = path.into_inner();
    let revoked = state
        .oauth
        .revoke_authorization(&caller.site, user_id, &client_id, &Actor::User(user_id))
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    if revoked {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound(format!(
            "you have not authorized `{client_id}`"
        )))
    }
}
