//! `POST /api/admin/invites`: invite someone to create an account.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, post, web};

use super::{admin_of, reply};
use crate::accounts::InviteSent;
use crate::admin::types::InviteRequest;
use crate::error::{ApiError, ApiErrorBody};
use crate::routes::ApiConfig;
use crate::state::AppState;
use crate::tokens::ApiCaller;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(invite);
}

/// Invite a user
///
/// Sends a single-use sign-up link (good for a week) to the address, for
/// an account with the given role; accepting it verifies the address. The
/// link is only ever in the email. Needs an SMTP relay.
#[utoipa::path(
    tag = "admin",
    request_body(content = InviteRequest, description = "Whom to invite, and as what"),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 201, description = "The invitation is queued for sending", body = InviteSent),
        (status = 400, description = "`invalid_request`: not an email address or role, email is off on this deployment, or not the expected JSON", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 409, description = "`conflict`: an account of the site already has the address", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/api/admin/invites")]
async fn invite(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    body: web::Json<InviteRequest>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let sent = admin.invite_user(&caller.site, body.into_inner()).await?;
    Ok(reply(StatusCode::CREATED, &sent))
}
