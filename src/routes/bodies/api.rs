//! The JSON API's extractor configuration: what cannot be read is an
//! `ApiError`, in the API's `{"error", "message"}` shape.

use actix_web::{Scope, guard, web};

use super::{API_JSON_LIMIT, path_cause, query_cause};
use crate::error::ApiError;

/// A scope for the routes under `prefix` whose errors are the API's. It adds
/// no path segment (the routes keep their full paths) and claims only the
/// requests under `prefix`, so the routes after it are still reached.
pub fn api_scope(prefix: &'static str) -> Scope {
    web::scope("")
        .guard(guard::fn_guard(move |ctx| {
            ctx.head().uri.path().starts_with(prefix)
        }))
        .app_data(
            web::JsonConfig::default()
                .limit(API_JSON_LIMIT)
                .error_handler(|e, _| ApiError::from_json_error(&e).into()),
        )
        .app_data(web::QueryConfig::default().error_handler(|e, _| {
            ApiError::BadRequest {
                code: "invalid_request",
                message: format!("the query string is malformed: {}", query_cause(&e)),
            }
            .into()
        }))
        .app_data(web::PathConfig::default().error_handler(|e, _| {
            ApiError::NotFound(format!("no such resource: {}", path_cause(&e))).into()
        }))
}
