//! `POST /oauth/token` (RFC 6749 section 3.2).

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::{authorization, no_store};
use crate::metrics::labels;
use crate::oauth::OAuthError;
use crate::oauth::dpop;
use crate::oauth::grants::{TokenRequest, token_exchange};
use crate::routes::bodies::OAuthForm;
use crate::routes::extract::{CurrentSite, dpop_proofs};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(token);
}

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
