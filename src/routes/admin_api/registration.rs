//! `POST /api/admin/registration-tokens`: initial access tokens for dynamic
//! client registration (RFC 7591) on the caller's site.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};

use super::{admin_of, reply};
use crate::admin::types::{NewRegistrationTokenRequest, RegistrationTokenView};
use crate::error::{ApiError, ApiErrorBody};
use crate::routes::ApiConfig;
use crate::state::AppState;
use crate::tokens::ApiCaller;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(mint_registration_token);
}

/// Mint a registration token
///
/// An initial access token for `POST /oauth/register`, returned once (only
/// its hash is kept). With `user`, that user owns the clients registered
/// with it.
#[utoipa::path(
    tag = "admin",
    request_body(content = NewRegistrationTokenRequest, description = "Who owns the clients registered with the token (`{}` for no one)"),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 201, description = "Minted; `initial_access_token` is shown only this once", body = RegistrationTokenView),
        (status = 400, description = "`invalid_request`: not the expected JSON", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 404, description = "`not_found`: no user with this username on this site", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/api/admin/registration-tokens")]
async fn mint_registration_token(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    body: web::Json<NewRegistrationTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let minted = admin
        .mint_registration_token(&caller.site, body.into_inner())
        .await?;
    Ok(reply(StatusCode::CREATED, &minted))
}
