//! OpenID Connect: `GET /.well-known/openid-configuration`,
//! `GET /.well-known/jwks.json` and `GET`/`POST /oauth/userinfo`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::Deserialize;

use super::{OAuthErrorBody, authorization, no_store};
use crate::oauth::OAuthError;
use crate::oauth::discovery::{OpenIdConfiguration, openid_configuration};
use crate::oauth::dpop::{self, Presentation, Scheme};
use crate::oauth::id_token::UserClaims;
use crate::routes::ApiConfig;
use crate::routes::extract::{CurrentSite, dpop_proofs};
use crate::signing::JwkSet;
use crate::state::AppState;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(discovery)
        .service(jwks)
        .service(userinfo_get)
        .service(userinfo_post);
}

fn server_error(e: impl Into<anyhow::Error>) -> OAuthError {
    OAuthError::ServerError(e.into())
}

/// OpenID provider configuration
///
/// OpenID Connect Discovery 1.0: the RFC 8414 document plus what OpenID
/// Connect adds.
#[utoipa::path(
    tag = "openid",
    responses(
        (status = 200, description = "The site's OpenID provider configuration", body = OpenIdConfiguration),
        (status = 500, description = "`server_error`", body = OAuthErrorBody),
    ),
)]
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

/// JSON Web Key Set
///
/// The site's ID-token signing keys: current, next and recently retired.
#[utoipa::path(
    tag = "openid",
    responses(
        (status = 200, description = "RFC 7517 JWK set", content_type = "application/jwk-set+json", body = JwkSet),
        (status = 500, description = "`server_error`", body = OAuthErrorBody),
    ),
)]
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

/// RFC 6750 2.2: the access token in the body instead of the header.
#[derive(Deserialize, utoipa::ToSchema)]
struct UserinfoForm {
    access_token: Option<String>,
}

/// The access token of the `Authorization` header, with its scheme.
fn header_token(req: &HttpRequest) -> Option<(&str, Scheme)> {
    let value = authorization(req)?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    let scheme = if scheme.eq_ignore_ascii_case("bearer") {
        Scheme::Bearer
    } else if scheme.eq_ignore_ascii_case(dpop::TOKEN_TYPE) {
        Scheme::Dpop
    } else {
        return None;
    };
    (!token.is_empty()).then_some((token, scheme))
}

async fn userinfo(
    req: &HttpRequest,
    state: &AppState,
    site: &CurrentSite,
    token: Option<(&str, Scheme)>,
) -> Result<HttpResponse, OAuthError> {
    let Some((token, scheme)) = token else {
        // RFC 6750 3.1: no credentials, no error code. RFC 9449 7.1: DPoP
        // is accepted too, with these algorithms.
        let mut response = HttpResponse::Unauthorized();
        no_store(&mut response);
        return Ok(response
            .insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(r#"Bearer realm="tessera""#),
            ))
            .append_header((header::WWW_AUTHENTICATE, dpop::CHALLENGE))
            .finish());
    };
    let proofs = dpop_proofs(req);
    let presented = Presentation {
        token,
        scheme,
        proofs: &proofs,
        method: req.method().as_str(),
        path: req.path(),
    };
    let claims = state
        .oauth
        .userinfo(&site.0, &state.dpop, &presented)
        .await?;
    let mut response = HttpResponse::Ok();
    no_store(&mut response);
    Ok(response.json(claims))
}

/// UserInfo
///
/// OpenID Connect Core 5.3: the user behind an access token.
#[utoipa::path(
    tag = "openid",
    security(("bearer" = []), ("dpop" = [])),
    responses(
        (status = 200, description = "The claims the token's scopes release (`openid` required; `profile`, `email`), `Cache-Control: no-store`", body = UserClaims),
        (status = 400, description = "`invalid_request`", body = OAuthErrorBody),
        (status = 401, description = "No token (no body; `WWW-Authenticate: Bearer`), or `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`", body = OAuthErrorBody),
        (status = 403, description = "`insufficient_scope`: no `openid` scope, or a token without a user", body = OAuthErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %site.0.slug))]
#[get("/oauth/userinfo")]
async fn userinfo_get(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: CurrentSite,
) -> Result<HttpResponse, OAuthError> {
    userinfo(&req, &state, &site, header_token(&req)).await
}

/// UserInfo (POST)
///
/// OpenID Connect Core 5.3, the token in the header or (Bearer only) in
/// the form, never both.
#[utoipa::path(
    tag = "openid",
    request_body(content = Option<UserinfoForm>, content_type = "application/x-www-form-urlencoded"),
    security(("bearer" = []), ("dpop" = [])),
    responses(
        (status = 200, description = "The claims the token's scopes release (`openid` required; `profile`, `email`), `Cache-Control: no-store`", body = UserClaims),
        (status = 400, description = "`invalid_request`", body = OAuthErrorBody),
        (status = 401, description = "No token (no body; `WWW-Authenticate: Bearer`), or `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`", body = OAuthErrorBody),
        (status = 403, description = "`insufficient_scope`: no `openid` scope, or a token without a user", body = OAuthErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %site.0.slug))]
#[post("/oauth/userinfo")]
async fn userinfo_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: CurrentSite,
    form: Option<web::Form<UserinfoForm>>,
) -> Result<HttpResponse, OAuthError> {
    let in_body = form.as_ref().and_then(|f| f.access_token.as_deref());
    match (header_token(&req), in_body) {
        // RFC 6750 2: one method per request.
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "send the access token in one place only",
        )),
        (header, body) => {
            let token = header.or(body.map(|t| (t, Scheme::Bearer)));
            userinfo(&req, &state, &site, token).await
        }
    }
}
