//! `POST /oauth/par` (RFC 9126).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::{OAuthErrorBody, authorization, limit_anonymous, no_store};
use crate::oauth::par::PushedRequest;
use crate::oauth::{AuthorizationRequest, OAuthError};
use crate::ratelimit::Endpoint;
use crate::routes::ApiConfig;
use crate::routes::bodies::{OAuthForm, PAR_FORM_LIMIT};
use crate::routes::extract::{CurrentSite, dpop_proofs};
use crate::state::AppState;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(push);
}

/// Pushed authorization request
///
/// RFC 9126: pushes the parameters of an authorization request (those of
/// `GET /oauth/authorize`, plus client authentication); the answer's
/// `request_uri` then stands for them at the authorization endpoint.
#[utoipa::path(
    tag = "oauth",
    request_body(content = AuthorizationRequest, content_type = "application/x-www-form-urlencoded", description = "The authorization request's parameters, and `client_id` / `client_secret` for `client_secret_post`"),
    params(("DPoP" = Option<String>, Header, description = "RFC 9449 proof: binds the code's tokens to its key")),
    security((), ("client_basic" = [])),
    responses(
        (status = 201, description = "Stored, `Cache-Control: no-store`", body = PushedRequest),
        (status = 400, description = "`invalid_request`, `invalid_scope`, `invalid_redirect_uri`, `unauthorized_client`, `invalid_dpop_proof`, …", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`, with `WWW-Authenticate: Basic`", body = OAuthErrorBody),
        (status = 429, description = "`temporarily_unavailable`: too many attempts; `Retry-After`", body = OAuthErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %site.0.slug))]
#[post("/oauth/par")]
async fn push(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: CurrentSite,
    form: OAuthForm<HashMap<String, String>, PAR_FORM_LIMIT>,
) -> Result<HttpResponse, OAuthError> {
    let secret = form
        .get("client_secret")
        .or_else(|| form.get("client_assertion"))
        .map(String::as_str);
    limit_anonymous(&req, &state, &site.0, Endpoint::Par, secret).await?;
    let proof = state
        .dpop
        .verify_request(
            &site.0,
            &dpop_proofs(&req),
            req.method().as_str(),
            req.path(),
        )
        .await?;
    let pushed = state
        .oauth
        .push_authorization_request(&site.0, authorization(&req), &form, proof.as_ref())
        .await?;
    let mut response = HttpResponse::Created();
    no_store(&mut response);
    Ok(response.json(pushed))
}
