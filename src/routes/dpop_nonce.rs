//! RFC 9449 section 8.2: while a site requires DPoP nonces, every answer to a
//! request that presented a DPoP-bound token carries a fresh `DPoP-Nonce`,
//! so a client can keep its proofs fresh without first being refused. The
//! token endpoint, which sees proofs without an access token, adds its own.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

use super::extract::{app_state, request_host};
use crate::oauth::dpop;

fn presents_dpop_token(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case(dpop::TOKEN_TYPE))
}

pub async fn fresh_nonce(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let nonce = if presents_dpop_token(&req) {
        let http = req.request();
        let state = app_state(http)?;
        request_host(http)
            .and_then(|host| state.sites.by_host(host))
            .and_then(|site| state.dpop.nonce_for(&site))
    } else {
        None
    };
    let mut response = next.call(req).await?;
    if let Some(nonce) = nonce.and_then(|n| HeaderValue::from_str(&n).ok()) {
        // A refusal's `use_dpop_nonce` already carries the nonce to use.
        if !response.headers().contains_key(&dpop::NONCE_HEADER) {
            response.headers_mut().insert(dpop::NONCE_HEADER, nonce);
        }
    }
    Ok(response)
}
