//! `GET /api/users/current`: who the API thinks the caller is.

use actix_web::{HttpResponse, get};
use serde::Serialize;

use crate::error::ApiErrorBody;
use crate::routes::ApiConfig;
use crate::tokens::ApiCaller;
use crate::users::Permission;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(current_user);
}

/// Who the API thinks the caller is.
#[derive(Serialize, utoipa::ToSchema)]
struct CurrentUser<'a> {
    /// `null` for anonymous callers and the legacy site key.
    id: Option<i64>,
    username: Option<&'a str>,
    display_name: Option<&'a str>,
    /// `community`, `pro`, `admin`, or `anonymous`.
    role: &'a str,
    /// `content:read`, `content:write`, `account:read`, `account:write`, `admin`.
    permissions: Vec<&'static str>,
    /// Which credential was used: `anonymous`, `authtoken`, `oauth`, `browser`, `server`, `legacy`.
    credential: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<&'static str>>,
}

/// The current caller
///
/// Who the API takes the caller to be, for every token kind; `credential`
/// names the one used.
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
        (status = 200, description = "The caller (anonymous when no credential was sent)", body = CurrentUser),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`origin_not_trusted` (browser token), `insufficient_scope` or `forbidden`", body = ApiErrorBody),
    ),
)]
#[get("/api/users/current")]
async fn current_user(caller: ApiCaller) -> HttpResponse {
    let user = caller.user.as_deref();
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(CurrentUser {
            id: user.map(|u| u.id),
            username: user.map(|u| u.username.as_str()),
            display_name: user.map(|u| u.display_name.as_str()),
            role: match user {
                Some(u) => u.role.as_str(),
                // The legacy site API key acts with admin rights and no user.
                None if caller.can(Permission::Admin) => "admin",
                None => "anonymous",
            },
            permissions: caller.permissions.names(),
            credential: caller.credential.as_str(),
            client_id: caller.client_id.as_deref(),
            scopes: caller.scopes.map(|s| s.names()),
        })
}
