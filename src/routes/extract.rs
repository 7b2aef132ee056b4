//! Extractors: the site a request is for, and the caller behind it.

use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use askama::Template;
use futures_util::future::LocalBoxFuture;

use crate::error::ApiError;
use crate::sessions::ClientInfo;
use crate::sites::Site;
use crate::state::AppState;
use crate::tokens::{self, ApiCaller, Presented};

pub const AUTHTOKEN_COOKIE: &str = "authtoken";

pub fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("application state is missing")))
}

/// The site named by the request's `Host` header.
#[derive(Debug, Clone)]
pub struct CurrentSite(pub Arc<Site>);

/// A request for a host no site claims: JSON for programs, a short page for
/// browsers that says which hosts this server answers for.
#[derive(Debug, thiserror::Error)]
#[error("no site is served at this host")]
pub struct UnknownSite {
    wants_html: bool,
    /// The language the browser asks for (no site, so no site default).
    lang: crate::i18n::Locale,
    hosts: Vec<String>,
}

#[derive(Template)]
#[template(path = "unknown_site.html")]
struct UnknownSitePage<'a> {
    lang: crate::i18n::Locale,
    hosts: &'a [String],
}

impl ResponseError for UnknownSite {
    fn status_code(&self) -> StatusCode {
        StatusCode::NOT_FOUND
    }

    fn error_response(&self) -> HttpResponse {
        if self.wants_html
            && let Ok(body) = (UnknownSitePage {
                lang: self.lang,
                hosts: &self.hosts,
            })
            .render()
        {
            return HttpResponse::NotFound()
                .content_type("text/html; charset=utf-8")
                .body(body);
        }
        ApiError::UnknownSite.error_response()
    }
}

fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// The host the request was sent to.
pub fn request_host(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
}

pub async fn resolve_site(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Arc<Site>, actix_web::Error> {
    let host = request_host(req).unwrap_or_default();
    match state.sites.resolve(host).await.map_err(ApiError::from)? {
        Some(site) => Ok(site),
        None => Err(UnknownSite {
            wants_html: wants_html(req),
            lang: crate::i18n::negotiate(
                None,
                super::browser_session::accept_language(req),
                crate::i18n::Locale::default(),
            ),
            hosts: state.sites.known_hosts(),
        }
        .into()),
    }
}

impl FromRequest for CurrentSite {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            Ok(CurrentSite(resolve_site(&req, &state).await?))
        })
    }
}

/// The token of `Authorization: <scheme> <token>`, for one scheme.
fn authorization_token<'a>(req: &'a HttpRequest, wanted: &str) -> Option<&'a str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case(wanted).then(|| token.trim())
}

/// Every `DPoP` header value (a proof; more than one is refused).
pub fn dpop_proofs(req: &HttpRequest) -> Vec<&str> {
    req.headers()
        .get_all(&crate::oauth::dpop::DPOP_HEADER)
        .map(|v| v.to_str().unwrap_or_default().trim())
        .collect()
}

fn cookie_value<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    let header = req.headers().get(header::COOKIE)?.to_str().ok()?;
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// A cookie's value read without allocating, for the hot path.
pub fn cookie<'a>(req: &'a HttpRequest, name: &str) -> Option<&'a str> {
    cookie_value(req, name)
}

// Header names are built once: a lookup by `&str` parses the name, and a
// name outside the standard set is copied into a new allocation each time.

/// `X-Deki-Token`: a browser token key or a `tkn_…` server token.
pub const DEKI_TOKEN_HEADER: HeaderName = HeaderName::from_static("x-deki-token");
/// `X-Deki-ApiKey`: the legacy site API key.
pub const DEKI_API_KEY_HEADER: HeaderName = HeaderName::from_static("x-deki-apikey");

pub fn header_value<'a>(req: &'a HttpRequest, name: &HeaderName) -> Option<&'a str> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

pub fn presented(req: &HttpRequest) -> Presented<'_> {
    Presented {
        bearer: authorization_token(req, "bearer"),
        dpop_token: authorization_token(req, crate::oauth::dpop::TOKEN_TYPE),
        dpop_proofs: dpop_proofs(req),
        method: req.method().as_str(),
        path: req.path(),
        authtoken_cookie: cookie_value(req, AUTHTOKEN_COOKIE),
        deki_token: header_value(req, &DEKI_TOKEN_HEADER),
        api_key_header: header_value(req, &DEKI_API_KEY_HEADER),
        query: Some(req.query_string()).filter(|q| !q.is_empty()),
        origin: header_value(req, &header::ORIGIN),
        client_ip: req.peer_addr().map(|a| a.ip()),
    }
}

impl FromRequest for ApiCaller {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = app_state(&req)?;
            let site = resolve_site(&req, &state).await?;
            let caller = tokens::recognise(&state, site, presented(&req))
                .await
                .map_err(ApiError::from)?;
            Ok(caller)
        })
    }
}

/// The client's address and user agent, recorded with sessions.
pub fn client_info(req: &HttpRequest) -> ClientInfo {
    ClientInfo {
        ip: req.peer_addr().map(|a| a.ip().to_string()),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
    }
}

pub fn no_store(response: &mut HttpResponse) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}
