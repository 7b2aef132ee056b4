//! While the database cannot be reached, requests are answered `503` in
//! their endpoint's own error shape. The OAuth and API error types do that
//! themselves; pages share the API's error type for their failures, so a
//! page's `503` is turned into the HTML error page here.

use actix_web::body::EitherBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;

use super::bodies::{bare_error_page, is_api_path};
use crate::error::ApiError;

/// The message key of the pages' answer while the database is unreachable.
pub const UNAVAILABLE_PAGE: &str = "error-unavailable";

/// A page whose request failed because the store is unreachable gets the
/// HTML error page; every other response passes as it is. Only answers with
/// status 503 are looked at, so this costs nothing on the way of others.
pub fn in_page_shape<B>(response: ServiceResponse<B>) -> ServiceResponse<EitherBody<B>> {
    if response.status() != StatusCode::SERVICE_UNAVAILABLE
        || is_api_path(response.request().path())
        || !response
            .response()
            .error()
            .and_then(|e| e.as_error::<ApiError>())
            .is_some_and(ApiError::store_unavailable)
    {
        return response.map_into_left_body();
    }
    let page = bare_error_page(
        response.request(),
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        |lang| lang.t(UNAVAILABLE_PAGE),
    );
    response.into_response(page).map_into_right_body()
}
