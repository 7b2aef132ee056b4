//! `POST /oauth/introspect` (RFC 7662).

use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;

use super::{authorization, no_store};
use crate::oauth::{OAuthError, PresentedClient};
use crate::routes::bodies::OAuthForm;
use crate::routes::extract::CurrentSite;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(introspect);
}

#[derive(Deserialize)]
struct IntrospectForm {
    token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

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
