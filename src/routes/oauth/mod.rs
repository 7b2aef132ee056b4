//! The OAuth endpoints, and the one place protocol errors become HTTP
//! responses (RFC 6749 5.2, RFC 6750 3, RFC 7009 2.2.1).

mod authorize;
mod device;
mod introspect;
mod logout;
mod metadata;
mod oidc;
mod par;
mod register;
mod revoke;
mod token;
mod token_exchange;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, ResponseError};
use serde::Serialize;

use super::ApiConfig;
use crate::error::{UNAVAILABLE_MESSAGE, UNAVAILABLE_RETRY_AFTER};
use crate::metrics::Refusal;
use crate::oauth::{OAuthError, dpop};
use crate::ratelimit::{Admission, Endpoint, Subject};
use crate::sites::Site;
use crate::state::AppState;
use crate::store::is_unavailable;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.map(|cfg| {
        authorize::configure(cfg);
        logout::configure(cfg);
        cfg
    });
    token::configure(cfg);
    device::configure(cfg);
    par::configure(cfg);
    register::configure(cfg);
    revoke::configure(cfg);
    introspect::configure(cfg);
    metadata::configure(cfg);
    oidc::configure(cfg);
}

/// RFC 6749 5.2 (and RFC 7591 3.2.2): the error body of every OAuth
/// endpoint, sent with `Cache-Control: no-store`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OAuthErrorBody<'a> {
    /// `invalid_request`, `invalid_client`, `invalid_grant`,
    /// `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`,
    /// `invalid_target`,
    /// `invalid_token`, `invalid_dpop_proof`, `use_dpop_nonce`,
    /// `authorization_pending`, `slow_down`, `expired_token`,
    /// `access_denied`, `temporarily_unavailable`, `invalid_redirect_uri`,
    /// `invalid_client_metadata`, …
    pub error: &'a str,
    pub error_description: String,
}

impl ResponseError for OAuthError {
    fn status_code(&self) -> StatusCode {
        match self {
            OAuthError::InvalidClient(_)
            | OAuthError::InvalidToken
            | OAuthError::DpopPresentation(_) => StatusCode::UNAUTHORIZED,
            OAuthError::InsufficientScope => StatusCode::FORBIDDEN,
            OAuthError::TemporarilyUnavailable(_) | OAuthError::RateLimited(_) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            OAuthError::ServerError(e) if is_unavailable(e) => StatusCode::SERVICE_UNAVAILABLE,
            OAuthError::ServerError(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        no_store(&mut response);
        if let OAuthError::ServerError(e) = self {
            if is_unavailable(e) {
                // RFC 6749 4.1.2.1's `temporarily_unavailable`, as a 503.
                tracing::warn!(error = %e, "the store is unavailable");
                response.insert_header((header::RETRY_AFTER, UNAVAILABLE_RETRY_AFTER));
                return response.json(OAuthErrorBody {
                    error: "temporarily_unavailable",
                    error_description: UNAVAILABLE_MESSAGE.to_string(),
                });
            }
            tracing::error!(error = ?e, "OAuth request failed");
        }
        let challenge = match self {
            OAuthError::InvalidClient(_) => Some(r#"Basic realm="tessera", charset="UTF-8""#),
            OAuthError::InvalidToken => Some(r#"Bearer error="invalid_token""#),
            OAuthError::InsufficientScope => Some(r#"Bearer error="insufficient_scope""#),
            _ => None,
        };
        if let Some(challenge) = challenge {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            ));
        }
        match self {
            // RFC 9449 7.1: resource endpoints accept DPoP too.
            OAuthError::InvalidToken => {
                response.append_header((header::WWW_AUTHENTICATE, dpop::CHALLENGE));
            }
            OAuthError::DpopPresentation(e) => {
                let challenge = dpop::challenge(e.code(), &e.to_string());
                response.insert_header((header::WWW_AUTHENTICATE, challenge));
            }
            OAuthError::TemporarilyUnavailable(retry_after)
            | OAuthError::RateLimited(retry_after) => {
                response.insert_header((header::RETRY_AFTER, *retry_after));
            }
            _ => {}
        }
        let nonce = match self {
            OAuthError::Dpop(e) => e.nonce(),
            OAuthError::DpopPresentation(e) => e.nonce(),
            _ => None,
        };
        if let Some(nonce) = nonce {
            response.insert_header((dpop::NONCE_HEADER, nonce));
        }
        let mut response = response.json(OAuthErrorBody {
            error: self.code(),
            error_description: self.to_string(),
        });
        if let Some(reason) = self.refusal_reason() {
            response.extensions_mut().insert(Refusal(reason));
        }
        response
    }
}

/// Token responses and errors are never cached (RFC 6749 5.1).
fn no_store(response: &mut HttpResponseBuilder) {
    response
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
}

/// Counts a request against its address's rate limit at `endpoint`
/// (`crate::ratelimit`); over it, the seconds to wait.
async fn limit_address(
    req: &HttpRequest,
    state: &AppState,
    site: &Site,
    endpoint: Endpoint,
) -> Result<(), i64> {
    let ip = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    match state
        .rate_limits
        .admit(site, endpoint, Subject::Address(&ip))
        .await
    {
        Admission::Admitted => Ok(()),
        Admission::Refused { retry_after } => Err(retry_after),
    }
}

/// `limit_address` for a request that carries no client credential (in
/// the `Authorization` header, as `client_secret` or `client_assertion`):
/// one with a credential counts against its client instead, once
/// authenticated.
async fn limit_anonymous(
    req: &HttpRequest,
    state: &AppState,
    site: &Site,
    endpoint: Endpoint,
    client_credential: Option<&str>,
) -> Result<(), OAuthError> {
    if authorization(req).is_some() || client_credential.is_some() {
        return Ok(());
    }
    limit_address(req, state, site, endpoint)
        .await
        .map_err(OAuthError::RateLimited)
}

/// The raw `Authorization` header, for client authentication.
fn authorization(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
}
