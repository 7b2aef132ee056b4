//! Errors of the JSON API, mapped to HTTP in one place. Internal details are
//! logged with their cause chain and never sent.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::metrics::Refusal;
use crate::oauth::dpop;
use crate::store::{StoreError, is_unavailable};
use crate::tokens::{Denied, RecogniseError};

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("no site is served at this host")]
    UnknownSite,
    #[error("{0}")]
    Unauthorized(&'static str),
    /// RFC 6750: a bearer OAuth token that is invalid, expired or revoked.
    #[error("the access token is invalid, expired or revoked")]
    InvalidToken,
    /// RFC 6750: the OAuth token's scopes do not allow this.
    #[error("the access token does not carry the scope this needs")]
    InsufficientScope,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// It exists already (409).
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A server token, browser token or legacy key that does not check out
    /// (401); `code` says why: `stale`, `from_the_future`, `unknown_key`,
    /// `bad_signature`, `unknown_user`, `legacy_disabled`, …
    #[error("{message}")]
    CredentialRejected { code: &'static str, message: String },
    /// RFC 9449: a DPoP-bound token sent without its proof, or an unbound
    /// one sent with the DPoP scheme (`invalid_token`), or a proof that does
    /// not check out (`invalid_dpop_proof`, `use_dpop_nonce` with a nonce).
    #[error("{message}")]
    DpopRefused {
        code: &'static str,
        message: String,
        nonce: Option<String>,
    },
    /// A browser token used from an origin it does not trust (403).
    #[error("the request's origin is not trusted by this site's browser token")]
    OriginNotTrusted,
    #[error("too many attempts; try again in {retry_after} seconds")]
    TooManyRequests { retry_after: i64 },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::Internal(e.into())
    }
}

impl From<crate::admin::AdminError> for ApiError {
    fn from(e: crate::admin::AdminError) -> Self {
        use crate::admin::AdminError;
        match e {
            AdminError::Input(message) => ApiError::BadRequest {
                code: "invalid_request",
                message,
            },
            AdminError::NotFound(message) => ApiError::NotFound(message),
            AdminError::Conflict(message) => ApiError::Conflict(message),
            AdminError::Forbidden(message) => ApiError::Forbidden(message),
            AdminError::Internal(e) => ApiError::Internal(e),
        }
    }
}

impl From<RecogniseError> for ApiError {
    fn from(e: RecogniseError) -> Self {
        match e {
            RecogniseError::InvalidToken => ApiError::InvalidToken,
            RecogniseError::Rejected { code, message } => {
                ApiError::CredentialRejected { code, message }
            }
            RecogniseError::OriginNotTrusted => ApiError::OriginNotTrusted,
            RecogniseError::Dpop(e) => match e.store_failure() {
                Some(failure) => ApiError::Internal(failure),
                None => ApiError::DpopRefused {
                    code: e.code(),
                    nonce: e.nonce().map(str::to_owned),
                    message: e.to_string(),
                },
            },
            RecogniseError::Store(e) => e.into(),
        }
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::NotSignedIn => ApiError::Unauthorized("sign in first"),
            Denied::InsufficientScope => ApiError::InsufficientScope,
            Denied::Forbidden => ApiError::Forbidden("you may not do this".into()),
        }
    }
}

/// The body of every JSON API error: a stable code and a sentence for people.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiErrorBody<'a> {
    /// A stable code, e.g. `unauthorized`, `forbidden`, `not_found`,
    /// `invalid_request`, `invalid_token`, `too_many_requests`.
    pub error: &'a str,
    pub message: String,
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::UnknownSite => "unknown_site",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::InvalidToken => "invalid_token",
            ApiError::InsufficientScope => "insufficient_scope",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::BadRequest { code, .. } => code,
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::CredentialRejected { code, .. } => code,
            ApiError::DpopRefused { code, .. } => code,
            ApiError::OriginNotTrusted => "origin_not_trusted",
            ApiError::TooManyRequests { .. } => "too_many_requests",
            ApiError::Internal(e) if is_unavailable(e) => "temporarily_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::UnknownSite | ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unauthorized(_)
            | ApiError::InvalidToken
            | ApiError::DpopRefused { .. }
            | ApiError::CredentialRejected { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) | ApiError::InsufficientScope | ApiError::OriginNotTrusted => {
                StatusCode::FORBIDDEN
            }
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(e) if is_unavailable(e) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let unavailable = self.store_unavailable();
        match self {
            ApiError::Internal(e) if unavailable => {
                tracing::warn!(error = %e, "the store is unavailable")
            }
            ApiError::Internal(e) => tracing::error!(error = ?e, "request failed"),
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        if let ApiError::TooManyRequests { retry_after } = self {
            response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
        }
        if unavailable {
            response.insert_header((header::RETRY_AFTER, UNAVAILABLE_RETRY_AFTER));
            return response.json(ApiErrorBody {
                error: self.code(),
                message: UNAVAILABLE_MESSAGE.to_string(),
            });
        }
        let challenge = match self {
            ApiError::Unauthorized(_) => Some("Bearer"),
            ApiError::InvalidToken => Some(
                r#"Bearer error="invalid_token", error_description="the access token is invalid, expired or revoked""#,
            ),
            ApiError::InsufficientScope => Some(r#"Bearer error="insufficient_scope""#),
            _ => None,
        };
        if let Some(challenge) = challenge {
            response.insert_header((
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            ));
            // RFC 9449 7.1: DPoP is accepted too, with these algorithms.
            if self.status_code() == StatusCode::UNAUTHORIZED {
                response.append_header((header::WWW_AUTHENTICATE, dpop::CHALLENGE));
            }
        }
        if let ApiError::DpopRefused {
            code,
            message,
            nonce,
        } = self
        {
            response.insert_header((header::WWW_AUTHENTICATE, dpop::challenge(code, message)));
            if let Some(nonce) = nonce {
                response.insert_header((dpop::NONCE_HEADER, nonce.as_str()));
            }
        }
        let mut response = response.json(ApiErrorBody {
            error: self.code(),
            message: self.to_string(),
        });
        if let Some(reason) = self.refusal_reason() {
            response.extensions_mut().insert(Refusal(reason));
        }
        response
    }
}

/// What a request is told while the database cannot be reached, and when
/// to try again (seconds).
pub const UNAVAILABLE_MESSAGE: &str =
    "the service is temporarily unavailable (its database cannot be reached); retry shortly";
pub const UNAVAILABLE_RETRY_AFTER: &str = "1";

impl ApiError {
    /// The `reason` label of the refusals metric; `None` for what is not a
    /// refusal (a failure of ours, a missing thing).
    fn refusal_reason(&self) -> Option<&'static str> {
        match self {
            ApiError::Internal(_) | ApiError::NotFound(_) => None,
            ApiError::TooManyRequests { .. } => Some("throttled"),
            other => Some(other.code()),
        }
    }

    /// An internal error that is the store being unreachable (answered 503).
    pub fn store_unavailable(&self) -> bool {
        matches!(self, ApiError::Internal(e) if is_unavailable(e))
    }

    /// A JSON body that could not be read, in the API's error shape.
    pub fn from_json_error(e: &actix_web::error::JsonPayloadError) -> Self {
        use actix_web::error::JsonPayloadError;
        match e {
            JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
                ApiError::PayloadTooLarge("the request body is larger than the API accepts".into())
            }
            other => ApiError::BadRequest {
                code: "invalid_request",
                message: format!("the request body is not the expected JSON: {other}"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::dpop::{PresentationError, ProofError};

    #[test]
    fn a_dpop_replay_check_without_the_store_is_answered_503() {
        let unreachable = RecogniseError::Dpop(PresentationError::Proof(ProofError::Unavailable));
        let e = ApiError::from(unreachable);
        assert_eq!(e.status_code(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.code(), "temporarily_unavailable");
        let replayed = ApiError::from(RecogniseError::Dpop(PresentationError::Proof(
            ProofError::Replayed,
        )));
        assert_eq!(replayed.status_code(), StatusCode::UNAUTHORIZED);
        assert_eq!(replayed.code(), "invalid_dpop_proof");
    }
}
