//! `POST /oauth/revoke` (RFC 7009).

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;

use super::{OAuthErrorBody, authorization, no_store};
use crate::oauth::{OAuthError, PresentedClient};
use crate::routes::ApiConfig;
use crate::routes::bodies::OAuthForm;
use crate::routes::extract::CurrentSite;
use crate::state::AppState;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(revoke);
}

/// RFC 7009 2.1.
#[derive(Deserialize, utoipa::ToSchema)]
struct RevokeForm {
    /// The access or refresh token to revoke (`token_type_hint` is not
    /// needed: the prefix names the kind).
    token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    /// RFC 7523 2.2: private_key_jwt and client_secret_jwt.
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
}

/// Revoke a token
///
/// RFC 7009: revokes one of the client's own tokens (resource servers: any
/// token of the site); revoking a refresh token revokes its family. An
/// unknown token is answered 200 too.
#[utoipa::path(
    tag = "oauth",
    request_body(content = RevokeForm, content_type = "application/x-www-form-urlencoded"),
    security((), ("client_basic" = [])),
    responses(
        (status = 200, description = "Revoked, or not a token of this client"),
        (status = 400, description = "RFC 6749 5.2 error (`invalid_request`, …), `Cache-Control: no-store`", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`, with `WWW-Authenticate: Basic`", body = OAuthErrorBody),
        (status = 429, description = "`temporarily_unavailable`: too many failed client authentications; `Retry-After`", body = OAuthErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %site.0.slug))]
#[post("/oauth/revoke")]
async fn revoke(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: CurrentSite,
    form: OAuthForm<RevokeForm>,
) -> Result<HttpResponse, OAuthError> {
    let presented = PresentedClient {
        authorization: authorization(&req),
        client_id: form.client_id.as_deref(),
        client_secret: form.client_secret.as_deref(),
        client_assertion_type: form.client_assertion_type.as_deref(),
        client_assertion: form.client_assertion.as_deref(),
    };
    let token = form
        .token
        .as_deref()
        .ok_or_else(|| OAuthError::invalid_request("token is required"))?;
    state.oauth.revoke(&site.0, &presented, token).await?;
    let mut response = HttpResponse::Ok();
    no_store(&mut response);
    Ok(response.finish())
}
