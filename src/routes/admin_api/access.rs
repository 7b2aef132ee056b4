//! `/api/admin/identity-providers`, `/api/admin/keys` and
//! `/api/admin/legacy`: what lets callers in to the caller's site.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use serde::Deserialize;

use super::{admin_of, ok, reply};
use crate::admin::identity::view;
use crate::admin::types::{
    IdentityProviderView, LegacyChangeRequest, LegacyView, NewIdentityProviderRequest,
    RotatedKeysView, SigningKeyView,
};
use crate::error::{ApiError, ApiErrorBody};
use crate::routes::ApiConfig;
use crate::state::AppState;
use crate::tokens::ApiCaller;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(list_providers)
        .service(add_provider)
        .service(remove_provider)
        .service(list_keys)
        .service(rotate_keys)
        .service(legacy_report)
        .service(set_legacy)
        .service(rotate_legacy);
}

/// List identity providers
///
/// The issuers whose tokens this site trusts for token exchange.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "The trusted identity providers", body = Vec<IdentityProviderView>),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/identity-providers")]
async fn list_providers(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let providers: Vec<IdentityProviderView> = admin
        .list_identity_providers(&caller.site)
        .await?
        .iter()
        .map(view)
        .collect();
    ok(&providers)
}

/// Trust an identity provider
///
/// An issuer whose tokens this site accepts for token exchange, with its
/// keys at a JWKS URL (fetched by Tessera's outbound policy) or inline.
#[utoipa::path(
    tag = "admin",
    request_body(content = NewIdentityProviderRequest, description = "The provider"),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 201, description = "Trusted", body = IdentityProviderView),
        (status = 400, description = "`invalid_request`: not exactly one of `jwks_uri` and `jwks`, a refused JWKS URL, unusable keys or algorithms, or not the expected JSON", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 409, description = "`conflict`: this site already trusts the issuer", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/api/admin/identity-providers")]
async fn add_provider(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    body: web::Json<NewIdentityProviderRequest>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let provider = admin
        .add_identity_provider(&caller.site, body.into_inner())
        .await?;
    Ok(reply(StatusCode::CREATED, &view(&provider)))
}

/// The issuer is a URL, so it travels in the query, not the path.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct IssuerQuery {
    /// The provider's issuer, exactly as it was added.
    issuer: String,
}

/// Stop trusting an identity provider
#[utoipa::path(
    tag = "admin",
    params(IssuerQuery),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 204, description = "No longer trusted"),
        (status = 400, description = "`invalid_request`: no `issuer`, or an unknown query parameter", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 404, description = "`not_found`: the site does not trust this issuer", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[delete("/api/admin/identity-providers")]
async fn remove_provider(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    query: web::Query<IssuerQuery>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    admin
        .remove_identity_provider(&caller.site, &query.issuer)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// List signing keys
///
/// The site's published signing keys: current, next and retired (made on
/// first use).
#[utoipa::path(
    tag = "admin",
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "The signing keys", body = Vec<SigningKeyView>),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/keys")]
async fn list_keys(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    ok(&admin.list_signing_keys(&caller.site).await?)
}

/// Rotate the signing keys
///
/// Promotes the next key, retires the current one and publishes a new
/// next one.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "The key ids after the rotation", body = RotatedKeysView),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/api/admin/keys/rotate")]
async fn rotate_keys(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    ok(&admin.rotate_signing_keys(&caller.site).await?)
}

/// Show legacy credentials
///
/// Whether the site accepts legacy credentials, and who still uses them.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "The state and usage; `api_key` is `null`", body = LegacyView),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/api/admin/legacy")]
async fn legacy_report(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    ok(&admin.legacy_report(&caller.site).await?)
}

/// Turn legacy credentials on or off
///
/// Turning them on makes a site API key when there is none, returned once.
#[utoipa::path(
    tag = "admin",
    request_body(content = LegacyChangeRequest, description = "Whether legacy credentials are accepted"),
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "The state after the change; `api_key` is a key made now, shown only this once", body = LegacyView),
        (status = 400, description = "`invalid_request`: not the expected JSON", body = ApiErrorBody),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
        (status = 404, description = "`not_found`: turning off what was never turned on", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[put("/api/admin/legacy")]
async fn set_legacy(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
    body: web::Json<LegacyChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    let view = if body.enabled {
        admin.enable_legacy(&caller.site).await?
    } else {
        admin.disable_legacy(&caller.site).await?
    };
    ok(&view)
}

/// Rotate the site API key
///
/// A new legacy site API key, returned once; the old one stops working.
#[utoipa::path(
    tag = "admin",
    security(("bearer" = ["admin"]), ("dpop" = ["admin"]), ("server_token" = [])),
    responses(
        (status = 200, description = "The state after the rotation; `api_key` is the new key, shown only this once", body = LegacyView),
        (status = 401, description = "A credential that does not check out: `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`, `stale`, `bad_signature`, `unknown_user`, …", body = ApiErrorBody),
        (status = 403, description = "`forbidden`: not an administrator of this site calling with an `admin`-scoped access token or a server token", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/api/admin/legacy/rotate")]
async fn rotate_legacy(
    state: web::Data<AppState>,
    caller: ApiCaller,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let admin = admin_of(&state, &caller, &req)?;
    ok(&admin.rotate_legacy(&caller.site).await?)
}
