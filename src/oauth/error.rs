//! The protocol errors of RFC 6749 (sections 4.1.2.1 and 5.2), RFC 6750 and
//! RFC 7009, with what the client is told. The HTTP mapping lives in
//! `routes::oauth::error`.

use super::dpop::{PresentationError, ProofError};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    InvalidRequest(String),
    /// Client authentication failed: 401 with `WWW-Authenticate`.
    #[error("{0}")]
    InvalidClient(&'static str),
    #[error("{0}")]
    InvalidGrant(&'static str),
    #[error("{0}")]
    UnauthorizedClient(&'static str),
    #[error("the grant type is not supported")]
    UnsupportedGrantType,
    #[error("{0}")]
    InvalidScope(String),
    /// RFC 8707 section 2: the `resource` is not one this server issues
    /// tokens for, not an absolute URI without fragment, or not the one
    /// granted.
    #[error("{0}")]
    InvalidTarget(&'static str),
    #[error("the resource owner denied the request")]
    AccessDenied,
    #[error("only response_type=code is supported")]
    UnsupportedResponseType,
    #[error("the user is not signed in")]
    LoginRequired,
    #[error("the user has not authorized this client for these scopes")]
    ConsentRequired,
    /// OpenID Connect: `prompt=none`, but the user would have to do
    /// something (a second factor) first.
    #[error("{0}")]
    InteractionRequired(&'static str),
    /// RFC 7009: the server cannot revoke this kind of token.
    #[error("the token type is not supported")]
    UnsupportedTokenType,
    /// RFC 6750: the access token is unknown, expired or revoked.
    #[error("the access token is invalid")]
    InvalidToken,
    /// RFC 6750: the token lacks a scope the request needs.
    #[error("the access token does not carry the needed scope")]
    InsufficientScope,
    /// RFC 8628 3.5: the user has not answered yet.
    #[error("the user has not yet approved or denied the request")]
    AuthorizationPending,
    /// RFC 8628 3.5: polled faster than the interval, which grew by 5 seconds.
    #[error("polling too fast: wait the interval, which is now {0} seconds")]
    SlowDown(i64),
    /// RFC 8628 3.5: the device code expired.
    #[error("the device code expired; start again")]
    ExpiredToken,
    /// RFC 9449 at the token endpoint: a proof that does not check out
    /// (`invalid_dpop_proof`), or one without a fresh server nonce
    /// (`use_dpop_nonce`, answered with a `DPoP-Nonce` header).
    #[error(transparent)]
    Dpop(ProofError),
    /// RFC 9449 at UserInfo: a token presented against its binding (401
    /// with a `DPoP` challenge).
    #[error(transparent)]
    DpopPresentation(PresentationError),
    /// Too many failed authentications of this client id: 429 with
    /// `Retry-After` (RFC 6749's `temporarily_unavailable`).
    #[error("too many failed client authentications; retry after {0} s")]
    TemporarilyUnavailable(i64),
    /// Over a rate limit (`crate::ratelimit`): 429 with `Retry-After`, in
    /// the same shape as the throttle's refusal.
    #[error("too many requests; retry after {0} s")]
    RateLimited(i64),
    /// RFC 9101 6.3: a request object that does not check out.
    #[error("{0}")]
    InvalidRequestObject(&'static str),
    #[error("the server could not complete the request")]
    ServerError(#[from] anyhow::Error),
}

impl From<ProofError> for OAuthError {
    /// A proof whose replay check could not reach the store is no fault of
    /// the client's: that is the store being away (503), not a bad proof.
    fn from(e: ProofError) -> Self {
        match e.store_failure() {
            Some(failure) => OAuthError::ServerError(failure),
            None => OAuthError::Dpop(e),
        }
    }
}

impl From<PresentationError> for OAuthError {
    fn from(e: PresentationError) -> Self {
        match e.store_failure() {
            Some(failure) => OAuthError::ServerError(failure),
            None => OAuthError::DpopPresentation(e),
        }
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        OAuthError::ServerError(e.into())
    }
}

impl OAuthError {
    /// The `error` code of the RFCs.
    pub fn code(&self) -> &'static str {
        match self {
            OAuthError::InvalidRequest(_) => "invalid_request",
            OAuthError::InvalidClient(_) => "invalid_client",
            OAuthError::InvalidGrant(_) => "invalid_grant",
            OAuthError::UnauthorizedClient(_) => "unauthorized_client",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidScope(_) => "invalid_scope",
            OAuthError::InvalidTarget(_) => "invalid_target",
            OAuthError::AccessDenied => "access_denied",
            OAuthError::UnsupportedResponseType => "unsupported_response_type",
            OAuthError::LoginRequired => "login_required",
            OAuthError::ConsentRequired => "consent_required",
            OAuthError::InteractionRequired(_) => "interaction_required",
            OAuthError::UnsupportedTokenType => "unsupported_token_type",
            OAuthError::InvalidToken => "invalid_token",
            OAuthError::InsufficientScope => "insufficient_scope",
            OAuthError::AuthorizationPending => "authorization_pending",
            OAuthError::SlowDown(_) => "slow_down",
            OAuthError::ExpiredToken => "expired_token",
            OAuthError::Dpop(e) => e.code(),
            OAuthError::DpopPresentation(e) => e.code(),
            OAuthError::TemporarilyUnavailable(_) | OAuthError::RateLimited(_) => {
                "temporarily_unavailable"
            }
            OAuthError::InvalidRequestObject(_) => "invalid_request_object",
            OAuthError::ServerError(_) => "server_error",
        }
    }

    /// The `reason` label of the refusals metric: the error code, made
    /// more precise where the code covers several cases; `None` for a
    /// failure of ours and for a device still waiting for its user.
    pub fn refusal_reason(&self) -> Option<&'static str> {
        match self {
            OAuthError::ServerError(_) | OAuthError::AuthorizationPending => None,
            OAuthError::Dpop(ProofError::Replayed) => Some("dpop_replay"),
            OAuthError::TemporarilyUnavailable(_) => Some("throttled"),
            other => Some(other.code()),
        }
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        OAuthError::InvalidRequest(message.into())
    }
}

pub type OAuthResult<T> = Result<T, OAuthError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_reasons_name_the_case_and_skip_our_own_failures() {
        assert_eq!(
            OAuthError::InvalidGrant("used").refusal_reason(),
            Some("invalid_grant")
        );
        assert_eq!(
            OAuthError::Dpop(ProofError::Replayed).refusal_reason(),
            Some("dpop_replay")
        );
        assert_eq!(
            OAuthError::TemporarilyUnavailable(30).refusal_reason(),
            Some("throttled")
        );
        assert_eq!(OAuthError::AuthorizationPending.refusal_reason(), None);
        let failure = OAuthError::ServerError(anyhow::anyhow!("database gone"));
        assert_eq!(failure.refusal_reason(), None);
    }

    #[test]
    fn a_replay_check_that_cannot_reach_the_store_is_a_store_failure_not_a_bad_proof() {
        use actix_web::ResponseError;
        let unreachable = [
            OAuthError::from(ProofError::Unavailable),
            OAuthError::from(PresentationError::Proof(ProofError::Unavailable)),
        ];
        for e in unreachable {
            assert!(matches!(&e, OAuthError::ServerError(f) if crate::store::is_unavailable(f)));
            assert_eq!(
                e.status_code(),
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE
            );
        }
        let bad = OAuthError::from(ProofError::Replayed);
        assert_eq!(bad.code(), "invalid_dpop_proof");
        assert_eq!(bad.status_code(), actix_web::http::StatusCode::BAD_REQUEST);
    }
}
