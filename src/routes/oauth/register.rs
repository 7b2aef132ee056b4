//! `POST /oauth/register` (RFC 7591) and `GET/PUT/DELETE
//! /oauth/register/{client_id}` (RFC 7592), with their error responses.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, ResponseError, delete, get, post, put, web};
use serde::Serialize;

use super::{authorization, limit_address, no_store};
use crate::oauth::registration::{ClientMetadata, RegistrationError};
use crate::ratelimit::Endpoint;
use crate::routes::bodies::{JsonBody, REGISTRATION_JSON_LIMIT};
use crate::routes::extract::{CurrentSite, client_info};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(register)
        .service(read)
        .service(update)
        .service(remove);
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    error_description: String,
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
            RegistrationError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let RegistrationError::Internal(e) = self {
            tracing::error!(error = ?e, "client registration failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        no_store(&mut response);
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
        response.json(ErrorBody {
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
