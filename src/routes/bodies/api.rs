//! The JSON API's extractor configuration: what cannot be read is an
//! `ApiError`, in the API's `{"error", "message"}` shape.

use actix_web::error::{PathError, QueryPayloadError};
use actix_web::web;

use super::{API_JSON_LIMIT, path_cause, query_cause};
use crate::error::ApiError;

/// Paths whose extractor errors are the API's: the JSON API and
/// forward-auth. Chosen by path inside the app-wide error handlers, not by a
/// scope around the routes: a scope costs every request on the hot path
/// (forward-auth lost a tenth of its rate to one), an error handler only
/// the requests that fail.
pub fn is_api_path(path: &str) -> bool {
    path.starts_with("/api/") || path == "/auth/verify"
}

/// The JSON API's body configuration (the only routes that read JSON with
/// actix's extractor; registration reads its own).
pub fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(API_JSON_LIMIT)
        .error_handler(|e, _| ApiError::from_json_error(&e).into())
}

pub fn query_error(e: &QueryPayloadError) -> actix_web::Error {
    ApiError::BadRequest {
        code: "invalid_request",
        message: format!("the query string is malformed: {}", query_cause(e)),
    }
    .into()
}

pub fn path_error(e: &PathError) -> actix_web::Error {
    ApiError::NotFound(format!("no such resource: {}", path_cause(e))).into()
}
