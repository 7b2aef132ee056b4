//! Request bodies, queries and paths that cannot be read, answered in the
//! shape of the endpoint that received them, never with actix's plain-text
//! defaults:
//!
//! - the OAuth endpoints read their bodies with their own extractors
//!   (`OAuthForm`, `JsonBody`) that refuse with `invalid_request` as OAuth
//!   JSON with `Cache-Control: no-store` (RFC 6749 5.2, RFC 7591 3.2.2);
//! - the app-wide defaults ([`page_defaults`]) answer the JSON API's paths
//!   (`/api/`, `/auth/verify`) in the API's shape and everything else, a
//!   page or a page's form, with the HTML error page. The shape is chosen by
//!   path in the error handlers rather than by a scope around the API
//!   routes, which cost forward-auth a tenth of its rate.
//!
//! Each kind of body has its own size limit, below.

mod api;
mod oauth;
mod page;

pub use api::is_api_path;
pub use oauth::{JsonBody, OAuthForm, check_parameters};
pub use page::{FormBody, bare_error_page, page_defaults};

use actix_web::HttpRequest;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use futures_util::StreamExt;

/// Forms of the token, revocation, introspection and device authorization
/// endpoints: a few parameters, the longest a JWT or a redirect URI.
pub const OAUTH_FORM_LIMIT: usize = 16 * 1024;
/// Pushed authorization requests carry a whole authorization request.
pub const PAR_FORM_LIMIT: usize = 64 * 1024;
/// Client metadata (RFC 7591 / 7592).
pub const REGISTRATION_JSON_LIMIT: usize = 64 * 1024;
/// Forms of the HTML pages (sign-in, account, developer portal, admin).
pub const PAGE_FORM_LIMIT: usize = 64 * 1024;
/// The content API's JSON: a page body may be 1 MiB; JSON escaping and the
/// other fields need some room beyond it.
pub const API_JSON_LIMIT: usize = crate::content::MAX_BODY_BYTES + 64 * 1024;

pub const FORM_URLENCODED: &str = "application/x-www-form-urlencoded";
pub const JSON: &str = "application/json";

/// Why a body was not read.
#[derive(Debug)]
enum Unread {
    /// Not the media type the endpoint takes.
    ContentType,
    /// Larger than the endpoint's limit.
    TooLarge { limit: usize },
    /// The connection failed while the body was read.
    Broken,
}

impl Unread {
    /// The description, for OAuth JSON and the API.
    fn description(&self, wanted: &str) -> String {
        match self {
            Unread::ContentType => format!("the request body must be sent as {wanted}"),
            Unread::TooLarge { limit } => {
                format!("the request body is larger than the {limit} bytes this endpoint accepts")
            }
            Unread::Broken => "the request body could not be read".to_string(),
        }
    }
}

/// Whether the request's `Content-Type` is `wanted`, with any parameters,
/// but a charset other than UTF-8 is refused: nothing else is decoded.
fn content_type_is(req: &HttpRequest, wanted: &str) -> bool {
    let Some(value) = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case(wanted)
        && parts.all(|parameter| match parameter.split_once('=') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
                value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
            }
            _ => true,
        })
}

/// The declared length, if any (actix refuses a malformed one before us).
fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// The checks made before the body is read, so a wrong or too large body is
/// refused without reading it.
fn precheck(req: &HttpRequest, wanted: &str, limit: usize) -> Result<(), Unread> {
    if !content_type_is(req, wanted) {
        return Err(Unread::ContentType);
    }
    match declared_length(req) {
        Some(length) if length > limit => Err(Unread::TooLarge { limit }),
        _ => Ok(()),
    }
}

/// Reads the body, stopping as soon as it passes `limit` (a chunked body
/// declares no length).
async fn read_limited(mut payload: Payload, limit: usize) -> Result<Bytes, Unread> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| Unread::Broken)?;
        if body.len() + chunk.len() > limit {
            return Err(Unread::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// A parameter name as shown in an error description: short, whatever was sent.
fn shown(name: &str) -> String {
    const SHOWN: usize = 40;
    match name.char_indices().nth(SHOWN) {
        Some((end, _)) => format!("{}…", &name[..end]),
        None => name.to_string(),
    }
}

/// What serde said about a query string, without actix's prefix.
fn query_cause(e: &actix_web::error::QueryPayloadError) -> String {
    match e {
        actix_web::error::QueryPayloadError::Deserialize(cause) => cause.to_string(),
        other => other.to_string(),
    }
}

/// What serde said about a path, without actix's prefix.
fn path_cause(e: &actix_web::error::PathError) -> String {
    match e {
        actix_web::error::PathError::Deserialize(cause) => cause.to_string(),
        other => other.to_string(),
    }
}
