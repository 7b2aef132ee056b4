//! Pages and their forms: a form, query or path that cannot be read is
//! answered with the HTML error page, never actix's plain text.

use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::error::{InternalError, UrlencodedError};
use actix_web::http::StatusCode;
use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::future::LocalBoxFuture;

use super::{FORM_URLENCODED, PAGE_FORM_LIMIT, Unread, api, precheck, query_cause, read_limited};
use crate::i18n::{Locale, negotiate};
use crate::routes::browser_session::accept_language;
use crate::routes::extract::request_host;
use crate::routes::pages::{Chrome, html};
use crate::state::AppState;

/// The app-wide extractor configuration: queries and paths that cannot be
/// read are the API's error on API paths ([`api::is_api_path`]) and the
/// HTML error page everywhere else; JSON bodies are only read by the API.
pub fn page_defaults(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::FormConfig::default()
            .limit(PAGE_FORM_LIMIT)
            .error_handler(|e, req| {
                let (status, key) = form_problem(&e);
                refused(req, status, |lang| lang.t(key), e)
            }),
    )
    .app_data(api::json_config())
    .app_data(web::QueryConfig::default().error_handler(|e, req| {
        if api::is_api_path(req.path()) {
            return api::query_error(&e);
        }
        let cause = query_cause(&e);
        let message = |lang: Locale| lang.t1("error-malformed-address", "cause", cause);
        refused(req, StatusCode::BAD_REQUEST, message, e)
    }))
    .app_data(web::PathConfig::default().error_handler(|e, req| {
        if api::is_api_path(req.path()) {
            return api::path_error(&e);
        }
        refused(
            req,
            StatusCode::NOT_FOUND,
            |lang| lang.t("error-no-such-page"),
            e,
        )
    }))
    // Raw bodies (`FormBody` reads its own; this is for any other).
    .app_data(web::PayloadConfig::new(PAGE_FORM_LIMIT));
}

/// A page form's raw body, for handlers that read repeated fields
/// themselves (the developer portal): checked and limited like any form.
pub struct FormBody(pub Bytes);

impl Deref for FormBody {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl FromRequest for FormBody {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = precheck(req, FORM_URLENCODED, PAGE_FORM_LIMIT);
        let payload = payload.take();
        let req = req.clone();
        Box::pin(async move {
            let body = match checked {
                Ok(()) => read_limited(payload, PAGE_FORM_LIMIT).await,
                Err(unread) => Err(unread),
            };
            body.map(FormBody).map_err(|unread| {
                let (status, key) = unread_problem(&unread);
                refused(&req, status, |lang| lang.t(key), UnreadBody(unread))
            })
        })
    }
}

/// The cause kept with the page, for the logs.
#[derive(Debug, thiserror::Error)]
#[error("page form not read: {0:?}")]
struct UnreadBody(Unread);

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    code: &'static str,
    message: String,
}

const UNREADABLE_FORM: &str = "error-unreadable-form";

/// The status and the message key of a form that cannot be read.
fn form_problem(e: &UrlencodedError) -> (StatusCode, &'static str) {
    match e {
        UrlencodedError::Overflow { .. } => unread_problem(&Unread::TooLarge {
            limit: PAGE_FORM_LIMIT,
        }),
        UrlencodedError::ContentType => unread_problem(&Unread::ContentType),
        _ => (StatusCode::BAD_REQUEST, UNREADABLE_FORM),
    }
}

fn unread_problem(unread: &Unread) -> (StatusCode, &'static str) {
    match unread {
        Unread::TooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "error-form-too-large"),
        Unread::ContentType | Unread::Broken => (StatusCode::BAD_REQUEST, UNREADABLE_FORM),
    }
}

/// The error page, in the frame of the site the request is for. The frame
/// shows no one signed in: an unread request is not worth a session lookup.
fn refused(
    req: &HttpRequest,
    status: StatusCode,
    message: impl FnOnce(Locale) -> String,
    cause: impl std::fmt::Debug + std::fmt::Display + 'static,
) -> actix_web::Error {
    let response = bare_error_page(req, status, "invalid_request", message);
    InternalError::from_response(cause, response).into()
}

/// The HTML error page in the frame of the request's site, showing no one
/// signed in (no session lookup: used when none can be made), in the
/// language the browser asks for or else the site's.
pub fn bare_error_page(
    req: &HttpRequest,
    status: StatusCode,
    code: &'static str,
    message: impl FnOnce(Locale) -> String,
) -> HttpResponse {
    let site = req
        .app_data::<web::Data<AppState>>()
        .and_then(|state| state.sites.by_host(request_host(req).unwrap_or_default()));
    let accept_language = accept_language(req);
    let chrome = match site {
        Some(site) => {
            let lang = negotiate(None, accept_language, site.default_locale);
            Chrome::of_site(&site, lang)
        }
        None => Chrome {
            site_name: "Tessera".to_string(),
            username: None,
            csrf_token: String::new(),
            lang: negotiate(None, accept_language, Locale::default()),
            logo_url: None,
            accent: None,
        },
    };
    let message = message(chrome.lang);
    let page = ErrorPage {
        chrome,
        code,
        message,
    };
    html(status, &page)
}
