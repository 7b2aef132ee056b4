//! `GET /api/users/current/authorizations` and
//! `DELETE /api/users/current/authorizations/{client_id}`: the apps the
//! caller authorized, and taking that back.

use actix_web::{HttpResponse, delete, get, web};
use serde::Serialize;

use crate::audit::Actor;
use crate::error::ApiError;
use crate::oauth::ScopeSet;
use crate::state::AppState;
use crate::tokens::ApiCaller;
use crate::users::Permission;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_authorizations)
        .service(revoke_authorization);
}

#[derive(Serialize)]
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
