//! `POST /oauth/introspect` (RFC 7662).

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;

use super::{OAuthErrorBody, authorization, no_store};
use crate::oauth::introspect::Introspection;
use crate::oauth::{OAuthError, PresentedClient};
use crate::routes::ApiConfig;
use crate::routes::bodies::OAuthForm;
use crate::routes::extract::CurrentSite;
use crate::state::AppState;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(introspect);
}

/// RFC 7662 2.1.
#[derive(Deserialize, utoipa::ToSchema)]
struct IntrospectForm {
    /// The token to describe.
    token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
    /// RFC 7523 2.2: private_key_jwt and client_secret_jwt.
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
}

/// Introspect a token
///
/// RFC 7662, for authenticated confidential clients: a client learns about
/// its own tokens (resource servers: every token of the site).
#[utoipa::path(
    tag = "oauth",
    request_body(content = IntrospectForm, content_type = "application/x-www-form-urlencoded"),
    security(("client_basic" = [])),
    responses(
        (status = 200, description = "`{\"active\": false}` for anything not an active token of this client", body = Introspection),
        (status = 400, description = "RFC 6749 5.2 error (`invalid_request`, …), `Cache-Control: no-store`", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`, with `WWW-Authenticate: Basic`", body = OAuthErrorBody),
        (status = 429, description = "`temporarily_unavailable`: too many failed client authentications; `Retry-After`", body = OAuthErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %site.0.slug))]
// Named after its pattern: the metrics route label, borrowed (metrics/http.rs).
#[post("/oauth/introspect", name = "/oauth/introspect")]
async fn introspect(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: CurrentSite,
    form: OAuthForm<IntrospectForm>,
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
    let answer = state.oauth.introspect(&site.0, &presented, token).await?;
    let mut response = HttpResponse::Ok();
    no_store(&mut response);
    Ok(response.json(answer))
}
