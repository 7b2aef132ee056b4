//! "Forgot password": `GET/POST /login/forgot` asks for a link by email,
//! `GET/POST /password-reset` sets the new password through it.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::extract::client_info;
use super::pages::{Chrome, html, see_other};
use crate::accounts::{ResetOutcome, ResetRequest};
use crate::error::ApiError;
use crate::routes::browser_session::BrowserSession;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(forgot_page)
        .service(forgot)
        .service(reset_page)
        .service(reset);
}

const FORM_EXPIRED: &str = "error-form-expired";

/// A page that only says something: what happened, and where to go next.
#[derive(Template)]
#[template(path = "account_message.html")]
pub(super) struct MessagePage {
    pub chrome: Chrome,
    pub title: String,
    /// A stable word for tests and scripts (`data-outcome`).
    pub outcome: &'static str,
    pub message: String,
    pub failed: bool,
    pub next: Option<(&'static str, String)>,
}

/// A message page: `title` and the link's label (`next`: where, label)
/// are message keys; `text` is already in the page's language.
pub(super) fn message(
    browser: &BrowserSession,
    status: StatusCode,
    title: &'static str,
    outcome: &'static str,
    text: String,
    next: Option<(&'static str, &'static str)>,
) -> HttpResponse {
    let lang = browser.locale;
    let page = MessagePage {
        chrome: Chrome::new(browser),
        title: lang.t(title),
        outcome,
        message: text,
        failed: !status.is_success(),
        next: next.map(|(href, label)| (href, lang.t(label))),
    };
    let mut response = html(status, &page);
    browser.attach_csrf_cookie(&mut response);
    response
}

pub(super) fn with_retry_after(mut response: HttpResponse, retry_after: i64) -> HttpResponse {
    if let Ok(value) = retry_after.to_string().parse() {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn email_off(browser: &BrowserSession) -> HttpResponse {
    message(
        browser,
        StatusCode::NOT_FOUND,
        "reset-off-title",
        "email-off",
        browser.locale.t("reset-off"),
        Some(("/login", "back-to-sign-in")),
    )
}

#[derive(Template)]
#[template(path = "forgot_password.html")]
struct ForgotPage {
    chrome: Chrome,
    email: String,
    error: Option<String>,
}

fn forgot_form(
    browser: &BrowserSession,
    status: StatusCode,
    email: String,
    error: Option<String>,
) -> HttpResponse {
    let page = ForgotPage {
        chrome: Chrome::new(browser),
        email,
        error,
    };
    let mut response = html(status, &page);
    browser.attach_csrf_cookie(&mut response);
    response
}

#[derive(Deserialize)]
struct ForgotForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    email: String,
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[get("/login/forgot")]
async fn forgot_page(state: web::Data<AppState>, browser: BrowserSession) -> HttpResponse {
    if !state.accounts.email_enabled() {
        return email_off(&browser);
    }
    forgot_form(&browser, StatusCode::OK, String::new(), None)
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/login/forgot")]
async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, ApiError> {
    let form = form.into_inner();
    if !browser.verify_csrf(&form.csrf_token) {
        return Ok(forgot_form(
            &browser,
            StatusCode::FORBIDDEN,
            String::new(),
            Some(browser.locale.t(FORM_EXPIRED)),
        ));
    }
    let ip = client_info(&req).ip;
    let asked = state
        .accounts
        .request_password_reset(&browser.site, &form.email, ip.as_deref())
        .await?;
    Ok(match asked {
        ResetRequest::Accepted => message(
            &browser,
            StatusCode::OK,
            "check-email-title",
            "reset-sent",
            browser.locale.t("reset-sent"),
            Some(("/login", "back-to-sign-in")),
        ),
        ResetRequest::Throttled { retry_after } => with_retry_after(
            forgot_form(
                &browser,
                StatusCode::TOO_MANY_REQUESTS,
                String::new(),
                Some(browser.locale.t1(
                    "reset-error-throttled",
                    "minutes",
                    (retry_after + 59) / 60,
                )),
            ),
            retry_after,
        ),
        ResetRequest::Off => email_off(&browser),
    })
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct ResetPage {
    chrome: Chrome,
    token: String,
    username: String,
    new_error: Option<String>,
    confirm_error: Option<String>,
}

#[derive(Deserialize)]
struct ResetQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
struct ResetForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

fn link_gone(browser: &BrowserSession) -> HttpResponse {
    message(
        browser,
        StatusCode::GONE,
        "link-gone-title",
        "link-gone",
        browser.locale.t("reset-link-gone"),
        Some(("/login/forgot", "reset-ask-new-link")),
    )
}

fn reset_form(
    browser: &BrowserSession,
    status: StatusCode,
    token: String,
    username: String,
    errors: (Option<String>, Option<String>),
) -> HttpResponse {
    let page = ResetPage {
        chrome: Chrome::new(browser),
        token,
        username,
        new_error: errors.0,
        confirm_error: errors.1,
    };
    let mut response = html(status, &page);
    browser.attach_csrf_cookie(&mut response);
    response
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[get("/password-reset")]
async fn reset_page(
    state: web::Data<AppState>,
    browser: BrowserSession,
    query: web::Query<ResetQuery>,
) -> Result<HttpResponse, ApiError> {
    let token = query.into_inner().token;
    let Some(user) = state
        .accounts
        .reset_link_user(&browser.site, &token)
        .await?
    else {
        return Ok(link_gone(&browser));
    };
    Ok(reset_form(
        &browser,
        StatusCode::OK,
        token,
        user.username,
        (None, None),
    ))
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/password-reset")]
async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, ApiError> {
    let form = form.into_inner();
    let Some(user) = state
        .accounts
        .reset_link_user(&browser.site, &form.token)
        .await?
    else {
        return Ok(link_gone(&browser));
    };
    if !browser.verify_csrf(&form.csrf_token) {
        return Ok(reset_form(
            &browser,
            StatusCode::FORBIDDEN,
            form.token,
            user.username,
            (Some(browser.locale.t(FORM_EXPIRED)), None),
        ));
    }
    let ip = client_info(&req).ip;
    let outcome = state
        .accounts
        .reset_password(
            &browser.site,
            &form.token,
            form.new_password,
            &form.confirm_password,
            ip.as_deref(),
        )
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let errors = match outcome {
        ResetOutcome::Done => return Ok(see_other("/login?notice=password-reset")),
        ResetOutcome::LinkGone => return Ok(link_gone(&browser)),
        ResetOutcome::Weak(problem) => (Some(problem.message(browser.locale)), None),
        ResetOutcome::Mismatch => (
            None,
            Some(browser.locale.t("account-error-new-passwords-differ")),
        ),
    };
    Ok(reset_form(
        &browser,
        StatusCode::BAD_REQUEST,
        form.token,
        user.username,
        errors,
    ))
}
