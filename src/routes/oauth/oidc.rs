//! OpenID Connect: `GET /.well-known/openid-configuration`,
//! `GET /.well-known/jwks.json` and `GET`/`POST /oauth/userinfo`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use super::{authorization, no_store};
use crate::oauth::OAuthError;
use crate::oauth::discovery::openid_configuration;
use crate::routes::extract::CurrentSite;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(discovery)
        .service(jwks)
        .service(userinfo_get)
        .service(userinfo_post);
}

fn server_error(e: impl Into<anyhow::Error>) -> OAuthError {
    OAuthError::ServerError(e.into())
}

#[tracing::instrument(skip_all, fields(site = %site.0.slug))]
#[get("/.well-known/openid-configuration")]
async fn discovery(
    state: web::Data<AppState>,
    site: CurrentSite,
) -> Result<HttpResponse, OAuthError> {
    let keys = state.signing.keys(site.0.id).await.map_err(server_error)?;
    let oauth = state.oauth.server_metadata(&site.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(openid_configuration(&site.0, oauth, keys.algorithms())))
}

#[tracing::instrument(skip_all, fields(site = %site.0.slug))]
#[get("/.well-known/jwks.json")]
async fn jwks(state: web::Data<AppState>, site: CurrentSite) -> Result<HttpResponse, OAuthError> {
    let jwks = state.signing.jwks(site.0.id).await.map_err(server_error)?;
    // Short: relying parties must see a new next key well before it signs.
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .content_type("application/jwk-set+json")
        .body(jwks))
}

#[derive(Deserialize)]
struct UserinfoForm {
    access_token: Option<String>,
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    let value = authorization(req)?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

async fn userinfo(
    state: &AppState,
    site: &CurrentSite,
    token: Option<&str>,
) -> Result<HttpResponse, OAuthError> {
    let Some(token) = token else {
        // RFC 6750 3.1: no credentials, no error code.
        let mut response = HttpResponse::Unauthorized();
        no_store(&mut response);
        return Ok(response
            .insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer realm="tessera""#),
            ))
            .finish());
    };
    let claims = state.oauth.userinfo(&site.0, token).await?;
    let mut response = HttpResponse::Ok();
    no_store(&mut response);
    Ok(response.json(claims))
}

#[tracing::instrument(skip_all, fields(site = %site.0.slug))]
#[get("/oauth/userinfo")]
async fn userinfo_get(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: CurrentSite,
) -> Result<HttpResponse, OAuthError> {
    userinfo(&state, &site, bearer(&req)).await
}

#[tracing::instrument(skip_all, fields(site = %site.0.slug))]
#[post("/oauth/userinfo")]
async fn userinfo_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: CurrentSite,
    form: Option<web::Form<UserinfoForm>>,
) -> Result<HttpResponse, OAuthError> {
    let in_body = form.as_ref().and_then(|f| f.access_token.as_deref());
    match (bearer(&req), in_body) {
        // RFC 6750 2: one method per request.
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "send the access token in one place only",
        )),
        (header, body) => userinfo(&state, &site, header.or(body)).await,
    }
}
