//! `GET/POST /signup` (by the site's sign-up policy, with an invitation
//! where it asks for one) and `GET/POST /verify-email` (the link of the
//! verification mail: the GET only shows a button, so a mail scanner that
//! fetches links does not use it up).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::extract::client_info;
use super::pages::{Chrome, html, see_other};
use super::password_reset::{message, with_retry_after};
use crate::accounts::{SignUpForm, SignUpOutcome, SignUpProblems, SignupPolicy};
use crate::error::ApiError;
use crate::routes::browser_session::BrowserSession;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(signup_page)
        .service(signup)
        .service(verify_page)
        .service(verify);
}

#[derive(Template)]
#[template(path = "signup.html")]
struct SignUpPage {
    chrome: Chrome,
    invite: Option<String>,
    invited_email: Option<String>,
    email_required: bool,
    username: String,
    display_name: String,
    email: String,
    problems: SignUpProblems,
}

#[derive(Deserialize)]
struct SignUpQuery {
    invite: Option<String>,
}

#[derive(Deserialize)]
struct SignUpFields {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    confirm_password: String,
    invite: Option<String>,
}

fn closed(browser: &BrowserSession) -> HttpResponse {
    let text = match browser.site.accounts.signup {
        SignupPolicy::Invite => "signup-invite-only",
        _ => "signup-closed",
    };
    message(
        browser,
        StatusCode::FORBIDDEN,
        "signup-closed-title",
        "signup-closed",
        browser.locale.t(text),
        Some(("/login", "sign-in")),
    )
}

fn invite_gone(browser: &BrowserSession) -> HttpResponse {
    message(
        browser,
        StatusCode::GONE,
        "invite-gone-title",
        "invite-gone",
        browser.locale.t("signup-invite-gone"),
        Some(("/login", "sign-in")),
    )
}

fn form_page(browser: &BrowserSession, status: StatusCode, page: SignUpPage) -> HttpResponse {
    let mut response = html(status, &page);
    browser.attach_csrf_cookie(&mut response);
    response
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[get("/signup")]
async fn signup_page(
    state: web::Data<AppState>,
    browser: BrowserSession,
    query: web::Query<SignUpQuery>,
) -> Result<HttpResponse, ApiError> {
    let invite = query.into_inner().invite.filter(|t| !t.is_empty());
    let invited_email = match (browser.site.accounts.signup, &invite) {
        (SignupPolicy::Closed, _) | (SignupPolicy::Invite, None) => return Ok(closed(&browser)),
        (_, Some(token)) => match state.accounts.live_invite(&browser.site, token).await? {
            Some(link) => Some(link.email),
            None => return Ok(invite_gone(&browser)),
        },
        (SignupPolicy::Open, None) => None,
    };
    let page = SignUpPage {
        chrome: Chrome::new(&browser),
        invite,
        invited_email,
        email_required: state.accounts.email_enabled(),
        username: String::new(),
        display_name: String::new(),
        email: String::new(),
        problems: SignUpProblems::default(),
    };
    Ok(form_page(&browser, StatusCode::OK, page))
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/signup")]
async fn signup(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    fields: web::Form<SignUpFields>,
) -> Result<HttpResponse, ApiError> {
    let fields = fields.into_inner();
    let invite = fields.invite.clone().filter(|t| !t.is_empty());
    let refill = |problems: SignUpProblems, invited_email: Option<String>| SignUpPage {
        chrome: Chrome::new(&browser),
        invite: invite.clone(),
        invited_email,
        email_required: state.accounts.email_enabled(),
        username: fields.username.clone(),
        display_name: fields.display_name.clone(),
        email: fields.email.clone(),
        problems,
    };
    // The address an invitation names, to show it again on the form.
    let invited_email = match &invite {
        Some(token) => state
            .accounts
            .live_invite(&browser.site, token)
            .await?
            .map(|l| l.email),
        None => None,
    };
    if !browser.verify_csrf(&fields.csrf_token) {
        let problems = SignUpProblems {
            username: Some(browser.locale.t("error-form-expired")),
            ..SignUpProblems::default()
        };
        return Ok(form_page(
            &browser,
            StatusCode::FORBIDDEN,
            refill(problems, invited_email),
        ));
    }
    let form = SignUpForm {
        username: fields.username.clone(),
        display_name: fields.display_name.clone(),
        email: fields.email.clone(),
        password: fields.password.clone(),
        confirm: fields.confirm_password.clone(),
        invite: invite.clone(),
        lang: browser.locale,
    };
    let ip = client_info(&req).ip;
    let outcome = state
        .accounts
        .sign_up(&browser.site, form, ip.as_deref())
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(match outcome {
        SignUpOutcome::Created { verify: true, .. } => message(
            &browser,
            StatusCode::OK,
            "check-email-title",
            "verify-sent",
            browser.locale.t("signup-verify-sent"),
            None,
        ),
        SignUpOutcome::Created { verify: false, .. } => see_other("/login?notice=signed-up"),
        SignUpOutcome::Problems(problems) => form_page(
            &browser,
            StatusCode::BAD_REQUEST,
            refill(problems, invited_email),
        ),
        SignUpOutcome::Closed => closed(&browser),
        SignUpOutcome::InviteGone => invite_gone(&browser),
        SignUpOutcome::Throttled { retry_after } => with_retry_after(
            message(
                &browser,
                StatusCode::TOO_MANY_REQUESTS,
                "signup-throttled-title",
                "throttled",
                browser
                    .locale
                    .t1("signup-throttled", "minutes", (retry_after + 59) / 60),
                None,
            ),
            retry_after,
        ),
    })
}

#[derive(Template)]
#[template(path = "verify_email.html")]
struct VerifyPage {
    chrome: Chrome,
    token: String,
}

#[derive(Deserialize)]
struct VerifyQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
struct VerifyForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    token: String,
}

fn verify_gone(browser: &BrowserSession) -> HttpResponse {
    message(
        browser,
        StatusCode::GONE,
        "link-gone-title",
        "link-gone",
        browser.locale.t("verify-link-gone"),
        Some(("/login", "sign-in")),
    )
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[get("/verify-email")]
async fn verify_page(browser: BrowserSession, query: web::Query<VerifyQuery>) -> HttpResponse {
    let page = VerifyPage {
        chrome: Chrome::new(&browser),
        token: query.into_inner().token,
    };
    let mut response = html(StatusCode::OK, &page);
    browser.attach_csrf_cookie(&mut response);
    response
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/verify-email")]
async fn verify(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<VerifyForm>,
) -> Result<HttpResponse, ApiError> {
    let form = form.into_inner();
    if !browser.verify_csrf(&form.csrf_token) {
        let page = VerifyPage {
            chrome: Chrome::new(&browser),
            token: form.token,
        };
        let mut response = html(StatusCode::FORBIDDEN, &page);
        browser.attach_csrf_cookie(&mut response);
        return Ok(response);
    }
    if state
        .accounts
        .verify_email(&browser.site, &form.token)
        .await?
    {
        Ok(see_other("/login?notice=email-verified"))
    } else {
        Ok(verify_gone(&browser))
    }
}
