//! RFC 8628: `POST /oauth/device_authorization` for the device, and the
//! `/device` pages where a signed-in user types the code and answers on the
//! code flow's consent screen.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::{OAuthErrorBody, authorization, limit_anonymous, no_store};
use crate::oauth::OAuthError;
use crate::oauth::authorize::ScopeLine;
use crate::oauth::consent::Decision;
use crate::oauth::device::{
    DeviceAuthorization, DeviceAuthorizationRequest, DeviceEntry, DeviceOutcome,
};
use crate::ratelimit::Endpoint;
use crate::routes::ApiConfig;
use crate::routes::bodies::OAuthForm;
use crate::routes::browser_session::BrowserSession;
use crate::routes::extract::{CurrentSite, client_info};
use crate::routes::pages::{Chrome, html, see_other};
use crate::routes::unavailable::UNAVAILABLE_PAGE;
use crate::state::AppState;
use crate::store::is_unavailable;

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(device_authorization)
        .map(|cfg| cfg.service(device_page).service(enter_code).service(decide));
}

/// Device authorization
///
/// RFC 8628 3.1: starts a device authorization. The user enters the
/// `user_code` at `verification_uri` (`/device`); the device polls the token
/// endpoint with the `device_code`.
#[utoipa::path(
    tag = "oauth",
    request_body(content = DeviceAuthorizationRequest, content_type = "application/x-www-form-urlencoded"),
    security((), ("client_basic" = [])),
    responses(
        (status = 200, description = "Started, `Cache-Control: no-store`", body = DeviceAuthorization),
        (status = 400, description = "`invalid_request`, `invalid_scope`, `invalid_target` (a `resource` not registered, or named twice), `unauthorized_client`", body = OAuthErrorBody),
        (status = 401, description = "`invalid_client`, with `WWW-Authenticate: Basic`", body = OAuthErrorBody),
        (status = 429, description = "`temporarily_unavailable`: too many attempts; `Retry-After`", body = OAuthErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %site.0.slug))]
#[post("/oauth/device_authorization")]
async fn device_authorization(
    req: HttpRequest,
    state: web::Data<AppState>,
    site: CurrentSite,
    form: OAuthForm<DeviceAuthorizationRequest>,
) -> Result<HttpResponse, OAuthError> {
    let secret = form
        .client_secret
        .as_deref()
        .or(form.client_assertion.as_deref());
    limit_anonymous(&req, &state, &site.0, Endpoint::Device, secret).await?;
    let started = state
        .oauth
        .start_device_authorization(&site.0, authorization(&req), &form)
        .await?;
    let mut response = HttpResponse::Ok();
    no_store(&mut response);
    Ok(response.json(started))
}

#[derive(Template)]
#[template(path = "device.html")]
struct DevicePage {
    chrome: Chrome,
    user_code: String,
    error: Option<String>,
    error_code: &'static str,
    done: Option<String>,
    outcome: &'static str,
}

/// The code flow's consent screen, posting to `/device/decide`.
#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentScreen {
    chrome: Chrome,
    client_name: String,
    client_id: String,
    homepage_url: Option<String>,
    document_host: Option<String>,
    user_name: String,
    username: String,
    scopes: Vec<ScopeLine>,
    consent_token: String,
    form_action: &'static str,
}

#[derive(Deserialize)]
struct CodeQuery {
    user_code: Option<String>,
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    user_code: String,
}

#[derive(Deserialize)]
struct DecisionForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    consent_token: String,
    #[serde(default)]
    decision: String,
}

fn render(
    browser: &BrowserSession,
    status: StatusCode,
    page: impl FnOnce(Chrome) -> DevicePage,
) -> HttpResponse {
    let mut response = html(status, &page(Chrome::new(browser)));
    browser.attach_csrf_cookie(&mut response);
    response
}

fn entry_page(
    browser: &BrowserSession,
    status: StatusCode,
    user_code: String,
    // The error's code and message key.
    error: Option<(&'static str, &'static str)>,
) -> HttpResponse {
    render(browser, status, |chrome| DevicePage {
        error: error.map(|(_, key)| chrome.t(key)),
        chrome,
        user_code,
        error_code: error.map(|(code, _)| code).unwrap_or_default(),
        done: None,
        outcome: "",
    })
}

fn sign_in_first(user_code: Option<&str>) -> HttpResponse {
    let here = match user_code {
        Some(code) => {
            let code: String = url::form_urlencoded::byte_serialize(code.as_bytes()).collect();
            format!("/device?user_code={code}")
        }
        None => "/device".to_string(),
    };
    let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
    see_other(&format!("/login?next={next}"))
}

fn server_error(browser: &BrowserSession, e: OAuthError) -> HttpResponse {
    if let OAuthError::ServerError(inner) = &e
        && is_unavailable(inner)
    {
        tracing::warn!(error = %inner, "the store is unavailable");
        return entry_page(
            browser,
            StatusCode::SERVICE_UNAVAILABLE,
            String::new(),
            Some(("temporarily_unavailable", UNAVAILABLE_PAGE)),
        );
    }
    tracing::error!(error = ?e, "device request failed");
    entry_page(
        browser,
        StatusCode::INTERNAL_SERVER_ERROR,
        String::new(),
        Some(("server_error", "error-server")),
    )
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[get("/device")]
async fn device_page(browser: BrowserSession, query: web::Query<CodeQuery>) -> HttpResponse {
    if browser.user.is_none() {
        return sign_in_first(query.user_code.as_deref());
    }
    // The code is only filled in: the user still confirms it matches the
    // one on their device (RFC 8628 5.4).
    let code = query.user_code.clone().unwrap_or_default();
    entry_page(&browser, StatusCode::OK, code, None)
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/device")]
async fn enter_code(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<CodeForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !browser.verify_csrf(&form.csrf_token) {
        let error = ("csrf_failed", "error-form-expired-reload");
        return entry_page(&browser, StatusCode::FORBIDDEN, form.user_code, Some(error));
    }
    let Some(user) = browser.user.as_deref() else {
        return sign_in_first(Some(&form.user_code));
    };
    let ip = client_info(&req).ip.unwrap_or_default();
    let entry = state
        .oauth
        .enter_user_code(&browser.site, user, &ip, &form.user_code)
        .await;
    match entry {
        Ok(DeviceEntry::Consent(page)) => {
            let screen = ConsentScreen {
                chrome: Chrome::new(&browser),
                client_name: page.client_name,
                client_id: page.client_id,
                homepage_url: page.homepage_url,
                document_host: page.document_host,
                user_name: user.display_name.clone(),
                username: user.username.clone(),
                scopes: page.scopes,
                consent_token: page.consent_token,
                form_action: "/device/decide",
            };
            let mut response = html(StatusCode::OK, &screen);
            browser.attach_csrf_cookie(&mut response);
            response
        }
        Ok(DeviceEntry::Unknown) => {
            let error = ("invalid_user_code", "device-error-unknown-code");
            entry_page(
                &browser,
                StatusCode::BAD_REQUEST,
                form.user_code,
                Some(error),
            )
        }
        Ok(DeviceEntry::Throttled(retry_after)) => {
            let error = ("throttled", "device-error-throttled");
            let mut response = entry_page(
                &browser,
                StatusCode::TOO_MANY_REQUESTS,
                form.user_code,
                Some(error),
            );
            if let Ok(value) = retry_after.to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
        Err(e) => server_error(&browser, e),
    }
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/device/decide")]
async fn decide(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<DecisionForm>,
) -> HttpResponse {
    if !browser.verify_csrf(&form.csrf_token) {
        let error = ("csrf_failed", "error-form-expired-reload");
        return entry_page(&browser, StatusCode::FORBIDDEN, String::new(), Some(error));
    }
    let (Some(user), Some(decision)) = (browser.user.as_deref(), Decision::parse(&form.decision))
    else {
        return sign_in_first(None);
    };
    let outcome = state
        .oauth
        .decide_device(&browser.site, user, &form.consent_token, decision)
        .await;
    let (status, outcome, text) = match outcome {
        Ok(DeviceOutcome::Approved) => (StatusCode::OK, "approved", "device-approved"),
        Ok(DeviceOutcome::Denied) => (StatusCode::OK, "denied", "device-denied"),
        Ok(DeviceOutcome::Expired) => {
            let error = ("consent_expired", "device-error-expired");
            return entry_page(
                &browser,
                StatusCode::BAD_REQUEST,
                String::new(),
                Some(error),
            );
        }
        Err(e) => return server_error(&browser, e),
    };
    render(&browser, status, |chrome| DevicePage {
        user_code: String::new(),
        done: Some(chrome.t(text)),
        chrome,
        error: None,
        error_code: "",
        outcome,
    })
}
