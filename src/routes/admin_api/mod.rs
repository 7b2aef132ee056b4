//! `/api/admin/…`: the admin REST API. JSON in and out, `ApiCaller` only
//! (never the browser session). The caller must be an administrator of the
//! site the request is for, presenting an OAuth access token with the
//! `admin` scope or a server token; everyone else gets a 403. Handlers call
//! the admin service (`crate::admin`), the same functions the CLI calls, as
//! the acting user, so every change is audited with their name. Every
//! handler is described in `/openapi.json` (tag `admin`, see `api_doc`).

mod access;
mod audit;
mod clients;
mod invites;
mod registration;
mod resources;
mod sites;
mod upstream;
mod users;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use crate::admin::Admin;
use crate::audit::Actor;
use crate::error::ApiError;
use crate::routes::ApiConfig;
use crate::routes::extract::client_info;
use crate::state::AppState;
use crate::tokens::{ApiCaller, CredentialKind};
use crate::users::Permission;

pub fn configure(cfg: &mut ApiConfig) {
    sites::configure(cfg);
    users::configure(cfg);
    invites::configure(cfg);
    clients::configure(cfg);
    access::configure(cfg);
    registration::configure(cfg);
    resources::configure(cfg);
    audit::configure(cfg);
    upstream::configure(cfg);
}

const NOT_ADMIN: &str = "the admin API needs an OAuth access token with the admin scope, \
                         or a server token, of an administrator of this site";

/// The admin service acting as the caller, if they may use the admin API.
fn admin_of(state: &AppState, caller: &ApiCaller, req: &HttpRequest) -> Result<Admin, ApiError> {
    let by_token = matches!(
        caller.credential,
        CredentialKind::OAuth | CredentialKind::Server
    );
    let user = caller
        .user
        .as_ref()
        .filter(|_| by_token && caller.can(Permission::Admin))
        .ok_or_else(|| ApiError::Forbidden(NOT_ADMIN.into()))?;
    Ok(Admin::new(
        state.store.clone(),
        state.cache.clone(),
        state.clock.clone(),
        state.settings.master_key.clone(),
        state.outbound.policy(),
        Actor::User(user.id),
        client_info(req).ip,
    )
    .with_outbox(state.accounts.outbox().clone()))
}

/// A JSON answer that no cache keeps (some carry secrets shown once).
fn reply<T: Serialize>(status: StatusCode, value: &T) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(("Cache-Control", "no-store"))
        .json(value)
}

fn ok<T: Serialize>(value: &T) -> Result<HttpResponse, ApiError> {
    Ok(reply(StatusCode::OK, value))
}
