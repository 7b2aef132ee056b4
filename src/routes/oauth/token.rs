//! `POST /oauth/token` (RFC 6749 section 3.2).

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::{OAuthErrorBody, authorization, no_store};
use crate::metrics::labels;
use crate::oauth::OAuthError;
use crate::oauth::dpop;
use crate::oauth::grants::token_exchange::ExchangeResponse;
use crate::oauth::grants::{TokenRequest, TokenResponse, token_exchange};
use crate::routes::ApiConfig;
use crate::routes::bodies::OAuthForm;
use crate::routes::extract::{CurrentSite, dpop_proofs};
use crate::state::AppState;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(token);
}

/// What the token endpoint answers: tokens (RFC 6749 5.1), or for token
/// exchange an `authtoken` session (RFC 8693 2.2.1). Describes the two
/// bodies [`token`] sends; never built.
#[derive(utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code, clippy::large_enum_variant)]
enum TokenEndpointResponse {
    Tokens(TokenResponse),
    Session(ExchangeResponse),
}

/// Token endpoint
///
/// RFC 6749 3.2. Grants: `authorization_code` (with PKCE `code_verifier`),
/// `refresh_token` (rotated on every use), `client_credentials`,
/// `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628) and
/// `urn:ietf:params:oauth:grant-type:token-exchange` (RFC 8693, an ID token
/// for a session: the response also sets the `authtoken` cookie). With a
/// `DPoP` proof header the tokens are bound to its key (`token_type: DPoP`).
#[utoipa::path(
    tag = "oauth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    params(("DPoP" = Option<String>, Header, description = "RFC 9449 proof: binds the issued tokens to its key")),
    security((), ("client_basic" = [])),
    responses(
        (status = 200, description = "Issued, `Cache-Control: no-store` (token exchange: an `authtoken` session, also set as the cookie)", body = TokenEndpointResponse),
        (status = 400, description = "`invalid_request`, `invalid_grant`, `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`, `invalid_dpop_proof`, `use_dpop_nonce` (with `DPoP-Nonce`), `authorization_pending`, `slow_down`, `expired_token`, `access_denied`", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`, with `WWW-Authenticate: Basic`", body = OAuthErrorBody),
        (status = 429, description = "`temporarily_unavailable`: too many failed client authentications; `Retry-After`", body = OAuthErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %site.0.slug))]
// Named after its pattern: the metrics route label, borrowed (metrics/http.rs).
#[post("/oauth/token", name = "/oauth/token")]
async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: CurrentSite,
    form: OAuthForm<TokenRequest>,
) -> Result<HttpResponse, OAuthError> {
    let grant_type = labels::grant_type(form.grant_type.as_deref());
    if form.grant_type.as_deref() == Some(token_exchange::GRANT_TYPE) {
        let response = super::token_exchange::respond(&req, &state, &site.0, &form).await?;
        state.metrics.token_issued(grant_type, &site.0);
        return Ok(response);
    }
    let proof = state.dpop.check_request(
        &site.0,
        &dpop_proofs(&req),
        req.method().as_str(),
        req.path(),
    )?;
    let issued = state
        .oauth
        .token(&site.0, authorization(&req), &form, proof.as_ref())
        .await?;
    state.metrics.token_issued(grant_type, &site.0);
    let mut response = HttpResponse::Ok();
    no_store(&mut response);
    if let Some(nonce) = state.dpop.nonce_for(&site.0) {
        response.insert_header((dpop::NONCE_HEADER, nonce));
    }
    Ok(response.json(issued))
}
