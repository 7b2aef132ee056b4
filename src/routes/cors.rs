//! CORS for browser API tokens (spec 3.2), on `/api/` paths. A preflight is
//! answered from the `Origin` alone (browsers send no header values on
//! preflight): allowed when some active browser token of the site trusts
//! that origin. Other requests go on to their handler, and responses to a
//! trusted origin carry `Access-Control-Allow-Origin: <origin>` with
//! credentials; every answer carries `Vary: Origin`. The decision itself is
//! `tokens::browser::cors`; this only reads the request and writes headers.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

use super::extract::{DEKI_TOKEN_HEADER, app_state, request_host};
use crate::error::ApiError;
use crate::tokens::browser::cors::Headers;
use crate::tokens::browser::{CorsAnswer, CorsRequest, OriginCheck};
use crate::tokens::server;

const API_PREFIX: &str = "/api/";

fn write_headers(headers: &Headers, target: &mut header::HeaderMap) {
    for (name, value) in headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            continue;
        };
        if name == header::VARY {
            target.append(name, value);
        } else {
            target.insert(name, value);
        }
    }
}

fn vary_origin() -> Headers {
    vec![("Vary", "Origin".to_owned())]
}

pub async fn cors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if !req.path().starts_with(API_PREFIX) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let answer = decide(&req).await?;
    match answer {
        CorsAnswer::Proceed(headers) => {
            let mut response = next.call(req).await?.map_into_boxed_body();
            write_headers(&headers, response.headers_mut());
            Ok(response)
        }
        CorsAnswer::Preflight(headers) => {
            let mut response = HttpResponse::new(StatusCode::NO_CONTENT);
            write_headers(&headers, response.headers_mut());
            Ok(req.into_response(response))
        }
        CorsAnswer::OriginNotTrusted(headers) => {
            let mut response = ApiError::OriginNotTrusted.error_response();
            write_headers(&headers, response.headers_mut());
            Ok(req.into_response(response))
        }
    }
}

/// What to answer for this request's origin on its site.
async fn decide(req: &ServiceRequest) -> Result<CorsAnswer, actix_web::Error> {
    let http = req.request();
    let Some(raw_origin) = http
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(CorsAnswer::Proceed(vary_origin()));
    };
    let state = app_state(http)?;
    let host = request_host(http).unwrap_or_default();
    let Some(site) = state.sites.resolve(host).await.map_err(ApiError::from)? else {
        // The handler answers for unknown hosts.
        return Ok(CorsAnswer::Proceed(vary_origin()));
    };
    let preflight = http.method() == Method::OPTIONS
        && http
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let request = if preflight {
        CorsRequest::Preflight
    } else {
        let browser_token = http
            .headers()
            .get(&DEKI_TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|token| !token.trim().starts_with(server::PREFIX));
        CorsRequest::Actual { browser_token }
    };
    let tokens = state
        .token_kinds
        .browser_tokens(site.id)
        .await
        .map_err(ApiError::from)?;
    let check = match &site.origin {
        Some(site_origin) => OriginCheck::classify(Some(raw_origin), site_origin, |origin| {
            tokens.any_trusts(origin)
        }),
        None => OriginCheck::Untrusted,
    };
    Ok(CorsAnswer::decide(&check, request))
}
