//! `GET /api/admin/audit`: the caller's site's audit events, newest first,
//! paged by `before_id` (the `next_before_id` of the previous page).

use actix_web::{HttpRequest, HttpResponse, get, web};

use super::{admin_of, ok};
use crate::admin::types::AuditQueryParams;
use crate::audit::query::{AuditFilter, AuditPage, FilterError, query_events};
use crate::error::{ApiError, ApiErrorBody};
use crate::routes::ApiConfig;
use crate::state::AppState;
use crate::tokens::ApiCaller;

/// Read the audit log
///
/// The site's audit events, newest first, paged by `before_id` (the
/// `next_before_id` of the previous page).
#[utoipa::path(
    tag = "admin",
    params(AuditQueryParams),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "One page of events", body = AuditPage),
        (status = 400, description = "`invalid_request`: a time, event kind, user or `limit` that is not accepted, or an unknown query parameter", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/audit")]
async fn audit_events(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    query: web::Query<AuditQueryParams>,
) -> Result<HttpResponse, ApiError> {
    admin_of(&state, &caller, &req)?;
    let params = query.into_inner();
    let filter = AuditFilter {
        since: params.since,
        until: params.until,
        user: params.user,
        client: params.client,
        kind: params.kind,
        before_id: params.before_id,
        limit: params.limit,
    };
    let query = match filter
        .resolve(&state.store, caller.site.id, state.now())
        .await
    {
        Ok(query) => query,
        Err(FilterError::Store(e)) => return Err(e.into()),
        Err(e) => {
            return Err(ApiError::BadRequest {
                code: "invalid_request",
                message: e.to_string(),
            });
        }
    };
    ok(&query_events(&state.store, &query).await?)
}

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(audit_events);
}
