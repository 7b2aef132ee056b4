//! `POST /oauth/register` (RFC 7591) and `GET/PUT/DELETE
//! /oauth/register/{client_id}` (RFC 7592), with their error responses.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, delete, get, post, put, web};

use super::{OAuthErrorBody, authorization, limit_address, no_store};
use crate::error::{UNAVAILABLE_MESSAGE, UNAVAILABLE_RETRY_AFTER};
use crate::oauth::registration::{ClientInformation, ClientMetadata, RegistrationError};
use crate::ratelimit::Endpoint;
use crate::routes::ApiConfig;
use crate::routes::bodies::{JsonBody, REGISTRATION_JSON_LIMIT};
use crate::routes::extract::{CurrentSite, client_info};
use crate::state::AppState;
use crate::store::is_unavailable;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(register)
        .service(read)
        .service(update)
        .service(remove);
}

impl ResponseError for RegistrationError {
    fn status_code(&self) -> StatusCode {
        match self {
            RegistrationError::InvalidRedirectUri(_)
            | RegistrationError::InvalidClientMetadata(_) => StatusCode::BAD_REQUEST,
            RegistrationError::Closed => StatusCode::FORBIDDEN,
            RegistrationError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
            RegistrationError::Throttled(_) | RegistrationError::RateLimited(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            RegistrationError::Internal(e) if is_unavailable(e) => StatusCode::SERVICE_UNAVAILABLE,
            RegistrationError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        no_store(&mut response);
        if let RegistrationError::Internal(e) = self {
            if is_unavailable(e) {
                tracing::warn!(error = %e, "the store is unavailable");
                response.insert_header((header::RETRY_AFTER, UNAVAILABLE_RETRY_AFTER));
                return response.json(OAuthErrorBody {
                    error: "temporarily_unavailable",
                    error_description: UNAVAILABLE_MESSAGE.to_string(),
                });
            }
            tracing::error!(error = ?e, "client registration failed");
        }
        match self {
            RegistrationError::InvalidToken(_) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static(r#"Bearer error="invalid_token""#),
                ));
            }
            RegistrationError::Throttled(retry_after)
            | RegistrationError::RateLimited(retry_after) => {
                response.insert_header((header::RETRY_AFTER, *retry_after));
            }
            _ => {}
        }
        response.json(OAuthErrorBody {
            error: self.code(),
            error_description: self.to_string(),
        })
    }
}

fn metadata_of(body: &[u8]) -> Result<ClientMetadata, RegistrationError> {
    serde_json::from_slice(body).map_err(|e| {
        RegistrationError::InvalidClientMetadata(format!("the client metadata is not valid: {e}"))
    })
}

/// Register a client
///
/// RFC 7591: registers a client, under the site's registration policy
/// (closed by default; open, or behind an initial access token).
#[utoipa::path(
    tag = "registration",
    request_body(content = ClientMetadata, content_type = "application/json"),
    security((), ("registration_token" = [])),
    responses(
        (status = 201, description = "Registered: the client's secret (confidential clients) and registration access token are shown this once", body = ClientInformation),
        (status = 400, description = "`invalid_redirect_uri` or `invalid_client_metadata`", body = OAuthErrorBody),
        (status = 401, description = "`invalid_token`: a missing or wrong initial access token, with `WWW-Authenticate: Bearer`", body = OAuthErrorBody),
        (status = 403, description = "`access_denied`: this site does not accept registrations", body = OAuthErrorBody),
        (status = 429, description = "`temporarily_unavailable`: too many registrations from this address; `Retry-After`", body = OAuthErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %site.0.slug))]
#[post("/oauth/register")]
async fn register(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: CurrentSite,
    body: JsonBody<REGISTRATION_JSON_LIMIT>,
) -> Result<HttpResponse, RegistrationError> {
    limit_address(&req, &state, &site.0, Endpoint::Register)
        .await
        .map_err(RegistrationError::RateLimited)?;
    let ip = client_info(&req).ip.unwrap_or_default();
    state.oauth.count_registration_attempt(&site.0, &ip).await?;
    let metadata = metadata_of(&body)?;
    let info = state
        .oauth
        .register_client(&site.0, authorization(&req), &metadata)
        .await?;
    let mut response = HttpResponse::Created();
    no_store(&mut response);
    Ok(response.json(info))
}

/// Read a client registration
///
/// RFC 7592 2.1: reads a client's registration.
#[utoipa::path(
    tag = "registration",
    params(("client_id" = String, Path, description = "The registered client's id")),
    security(("registration_token" = [])),
    responses(
        (status = 200, description = "The registration", body = ClientInformation),
        (status = 401, description = "`invalid_token`: a missing or wrong registration access token, with `WWW-Authenticate: Bearer`", body = OAuthErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %site.0.slug))]
#[get("/oauth/register/{client_id}")]
async fn read(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: CurrentSite,
    client_id: web::Path<String>,
) -> Result<HttpResponse, RegistrationError> {
    let info = state
        .oauth
        .read_registration(&site.0, &client_id, authorization(&req))
        .await?;
    let mut response = HttpResponse::Ok();
    no_store(&mut response);
    Ok(response.json(info))
}

/// Update a client registration
///
/// RFC 7592 2.2: replaces a client's metadata.
#[utoipa::path(
    tag = "registration",
    request_body(content = ClientMetadata, content_type = "application/json"),
    params(("client_id" = String, Path, description = "The registered client's id")),
    security(("registration_token" = [])),
    responses(
        (status = 200, description = "Updated", body = ClientInformation),
        (status = 400, description = "`invalid_redirect_uri` or `invalid_client_metadata`", body = OAuthErrorBody),
        (status = 401, description = "`invalid_token`: a missing or wrong registration access token, with `WWW-Authenticate: Bearer`", body = OAuthErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %site.0.slug))]
#[put("/oauth/register/{client_id}")]
async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: CurrentSite,
    client_id: web::Path<String>,
    body: JsonBody<REGISTRATION_JSON_LIMIT>,
) -> Result<HttpResponse, RegistrationError> {
    let metadata = metadata_of(&body)?;
    let info = state
        .oauth
        .update_registration(&site.0, &client_id, authorization(&req), &metadata)
        .await?;
    let mut response = HttpResponse::Ok();
    no_store(&mut response);
    Ok(response.json(info))
}

/// Delete a client registration
///
/// RFC 7592 2.3: deletes the client and every token of it.
#[utoipa::path(
    tag = "registration",
    params(("client_id" = String, Path, description = "The registered client's id")),
    security(("registration_token" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "`invalid_token`: a missing or wrong registration access token, with `WWW-Authenticate: Bearer`", body = OAuthErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %site.0.slug))]
#[delete("/oauth/register/{client_id}")]
async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: CurrentSite,
    client_id: web::Path<String>,
) -> Result<HttpResponse, RegistrationError> {
    state
        .oauth
        .delete_registration(&site.0, &client_id, authorization(&req))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
