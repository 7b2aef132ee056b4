//! `POST /oauth/par` (RFC 9126).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::{authorization, limit_anonymous, no_store};
use crate::oauth::OAuthError;
use crate::ratelimit::Endpoint;
use crate::routes::bodies::{OAuthForm, PAR_FORM_LIMIT};
use crate::routes::extract::{CurrentSite, dpop_proofs};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(push);
}

#[tracing::instrument(skip_all, fields(site = %site.0.slug))]
#[post("/oauth/par")]
async fn push(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: CurrentSite,
    form: OAuthForm<HashMap<String, String>, PAR_FORM_LIMIT>,
) -> Result<HttpResponse, OAuthError> {
    let secret = form.get("client_secret").map(String::as_str);
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
