//! `GET /api/users/authenticate`: a sign-in link. `x-deki-token=<tkn_…>` (a
//! server token) or `authtoken=<imp_…>` (a legacy impersonation token)
//! becomes an `authtoken` session cookie and a redirect to a path on the
//! same site.

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Deserialize;

use crate::error::{ApiError, ApiErrorBody};
use crate::next_path::NextPath;
use crate::routes::ApiConfig;
use crate::routes::extract::{CurrentSite, client_info};
use crate::routes::pages::{add_cookie, authtoken_cookie, see_other};
use crate::state::AppState;
use crate::tokens::callers::sign_in::{SignInLink, start_session};

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(authenticate);
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AuthenticateQuery {
    /// A server token `tkn_{key}_{epoch}_{user}_{sig}`.
    #[serde(rename = "x-deki-token")]
    server_token: Option<String>,
    /// A legacy impersonation token `imp_{epoch}_{md5hex}_{user}`.
    authtoken: Option<String>,
    /// A path on this site to go to afterwards (default `/`).
    redirect: Option<String>,
}

/// Sign in with a link
///
/// A sign-in link: a valid server token or impersonation token becomes an
/// `authtoken` session cookie and a redirect. Each link works once.
#[utoipa::path(
    tag = "api",
    params(AuthenticateQuery),
    responses(
        (status = 303, description = "Signed in: `Set-Cookie: authtoken=…` and `Location` the `redirect` path on this site"),
        (status = 400, description = "`invalid_request`: neither token given", body = ApiErrorBody),
        (status = 401, description = "The token does not check out: `stale`, `from_the_future`, `bad_signature`, `unknown_user`, `already_used`, `legacy_disabled`, …", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %site.0.slug))]
#[get("/api/users/authenticate")]
async fn authenticate(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: CurrentSite,
    query: web::Query<AuthenticateQuery>,
) -> Result<HttpResponse, ApiError> {
    let site = site.0;
    let link = match (&query.server_token, &query.authtoken) {
        (Some(token), _) => SignInLink::ServerToken(token),
        (None, Some(token)) => SignInLink::Impersonation(token),
        (None, None) => {
            return Err(ApiError::BadRequest {
                code: "invalid_request",
                message:
                    "give `x-deki-token` (a server token) or `authtoken` (an impersonation token)"
                        .into(),
            });
        }
    };
    let session = start_session(&state, &site, link, client_info(&req)).await?;
    let next = NextPath::or_default(query.redirect.as_deref(), "/");
    let mut response = see_other(next.as_str());
    let max_age = session.record.expires_at - state.now();
    add_cookie(
        &mut response,
        &authtoken_cookie(&site, session.authtoken, max_age),
    );
    Ok(response)
}
