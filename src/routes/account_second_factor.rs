//! `/account/second-factor…`: setting up TOTP, recovery codes, turning the
//! second factor off. Regenerating codes and turning it off need the
//! password or a current code, so a session left open is not enough.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::pages::{Chrome, CsrfForm, Elsewhere, html, see_other};
use super::second_factor::{EnrolPage, RecoveryCodesPage, refusal, with_retry_after};
use crate::cache::CachedUser;
use crate::error::ApiError;
use crate::routes::browser_session::BrowserSession;
use crate::second_factor::{CodeCheck, Status, recovery};
use crate::signin::{PasswordCheck, check_current_password};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(manage_page)
        .service(start)
        .service(confirm)
        .service(regenerate)
        .service(disable);
}

const HERE: &str = "/account/second-factor";

/// What the account page says about the second factor.
pub(super) struct SecondFactorSummary {
    pub on: bool,
    pub enrolling: bool,
    pub recovery_codes_left: i64,
    /// The site's policy requires one of this user.
    pub required: bool,
}

impl SecondFactorSummary {
    pub(super) async fn of(
        state: &AppState,
        browser: &BrowserSession,
        user: &CachedUser,
    ) -> Result<Self, ApiError> {
        let status = state.second_factors.status(&browser.site, user.id).await?;
        Ok(SecondFactorSummary {
            on: matches!(status, Status::On { .. }),
            enrolling: status == Status::Enrolling,
            recovery_codes_left: match status {
                Status::On {
                    recovery_codes_left,
                } => recovery_codes_left,
                _ => 0,
            },
            required: browser.site.second_factor_policy.requires(user.role),
        })
    }
}

#[derive(Template)]
#[template(path = "account_second_factor.html")]
struct ManagePage {
    chrome: Chrome,
    summary: SecondFactorSummary,
    error: Option<String>,
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    code: String,
}

#[derive(Deserialize)]
struct ProofForm {
    #[serde(default)]
    csrf_token: String,
    /// The password, or a TOTP or recovery code.
    #[serde(default)]
    proof: String,
}

fn render(browser: &BrowserSession, status: StatusCode, page: &impl Template) -> HttpResponse {
    let mut response = html(status, page);
    browser.attach_csrf_cookie(&mut response);
    response
}

/// The signed-in user behind a form with a valid CSRF token, or where to go.
fn signed_in(browser: &BrowserSession, csrf_token: &str) -> Result<Arc<CachedUser>, Elsewhere> {
    let Some(user) = browser.user.clone() else {
        return Err(Elsewhere("/login?next=/account/second-factor".into()));
    };
    if !browser.verify_csrf(csrf_token) {
        return Err(Elsewhere(HERE.into()));
    }
    Ok(user)
}

async fn manage(
    state: &AppState,
    browser: &BrowserSession,
    user: &CachedUser,
    status: StatusCode,
    error: Option<String>,
    retry_after: Option<i64>,
) -> Result<HttpResponse, ApiError> {
    let page = ManagePage {
        chrome: Chrome::new(browser),
        summary: SecondFactorSummary::of(state, browser, user).await?,
        error,
    };
    Ok(with_retry_after(
        render(browser, status, &page),
        retry_after,
    ))
}

async fn enrol_page(
    state: &AppState,
    browser: &BrowserSession,
    user: &CachedUser,
    status: StatusCode,
    error: Option<String>,
    retry_after: Option<i64>,
) -> Result<HttpResponse, ApiError> {
    let Some(provisioning) = state.second_factors.enrolment(&browser.site, user).await? else {
        return Ok(see_other("/account"));
    };
    let page = EnrolPage {
        chrome: Chrome::new(browser),
        form_action: "/account/second-factor/confirm",
        next: "/account".into(),
        secret: provisioning.secret_base32,
        qr_svg: provisioning.qr_svg,
        error,
        required: false,
    };
    Ok(with_retry_after(
        render(browser, status, &page),
        retry_after,
    ))
}

/// Checks the password or a current code typed to confirm a change.
async fn check_proof(
    state: &AppState,
    browser: &BrowserSession,
    user: &CachedUser,
    proof: &str,
) -> Result<Result<(), (StatusCode, String, Option<i64>)>, ApiError> {
    let digits: String = proof.chars().filter(|c| !c.is_whitespace()).collect();
    let is_code = (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()))
        || recovery::normalise(proof).is_some();
    if is_code {
        return Ok(
            match state
                .second_factors
                .check_code(&browser.site, user.id, proof)
                .await?
            {
                CodeCheck::Accepted(_) => Ok(()),
                check => Err(refusal(check, browser.locale)),
            },
        );
    }
    let check = check_current_password(
        state,
        &browser.site,
        user.id,
        &user.username,
        proof.to_owned(),
    )
    .await?;
    Ok(match check {
        PasswordCheck::Correct => Ok(()),
        PasswordCheck::Throttled { retry_after } => Err((
            StatusCode::TOO_MANY_REQUESTS,
            browser.locale.t1(
                "account-error-throttled",
                "minutes",
                (retry_after + 59) / 60,
            ),
            Some(retry_after),
        )),
        PasswordCheck::Wrong | PasswordCheck::TooLong => Err((
            StatusCode::UNAUTHORIZED,
            browser.locale.t("second-factor-error-proof"),
            None,
        )),
    })
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[get("/account/second-factor")]
async fn manage_page(
    state: web::Data<AppState>,
    browser: BrowserSession,
) -> Result<HttpResponse, ApiError> {
    let Some(user) = browser.user.clone() else {
        return Ok(see_other("/login?next=/account/second-factor"));
    };
    match state.second_factors.status(&browser.site, user.id).await? {
        Status::Off => Ok(see_other("/account")),
        Status::Enrolling => enrol_page(&state, &browser, &user, StatusCode::OK, None, None).await,
        Status::On { .. } => manage(&state, &browser, &user, StatusCode::OK, None, None).await,
    }
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/account/second-factor/start")]
async fn start(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    let user = match signed_in(&browser, &form.csrf_token) {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    state
        .second_factors
        .start_enrolment(&browser.site, &user)
        .await?;
    Ok(see_other(HERE))
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/account/second-factor/confirm")]
async fn confirm(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, ApiError> {
    let user = match signed_in(&browser, &form.csrf_token) {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    match state
        .second_factors
        .confirm_enrolment(&browser.site, &user, &form.code)
        .await?
    {
        Ok(codes) => {
            let page = RecoveryCodesPage {
                chrome: Chrome::new(&browser),
                codes,
                continue_to: "/account?notice=second-factor-on".into(),
            };
            Ok(render(&browser, StatusCode::OK, &page))
        }
        Err(CodeCheck::NotEnrolled) => Ok(see_other("/account")),
        Err(check) => {
            let (status, message, retry_after) = refusal(check, browser.locale);
            enrol_page(&state, &browser, &user, status, Some(message), retry_after).await
        }
    }
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/account/second-factor/recovery-codes")]
async fn regenerate(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<ProofForm>,
) -> Result<HttpResponse, ApiError> {
    let user = match signed_in(&browser, &form.csrf_token) {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    if !state.second_factors.enabled(&browser.site, user.id).await? {
        return Ok(see_other("/account"));
    }
    if let Err((status, message, retry_after)) =
        check_proof(&state, &browser, &user, &form.proof).await?
    {
        return manage(&state, &browser, &user, status, Some(message), retry_after).await;
    }
    let codes = state
        .second_factors
        .regenerate_recovery_codes(&browser.site, user.id)
        .await?;
    let page = RecoveryCodesPage {
        chrome: Chrome::new(&browser),
        codes,
        continue_to: "/account".into(),
    };
    Ok(render(&browser, StatusCode::OK, &page))
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/account/second-factor/disable")]
async fn disable(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<ProofForm>,
) -> Result<HttpResponse, ApiError> {
    let user = match signed_in(&browser, &form.csrf_token) {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    if browser.site.second_factor_policy.requires(user.role) {
        let message = browser.locale.t("second-factor-error-required");
        return manage(
            &state,
            &browser,
            &user,
            StatusCode::FORBIDDEN,
            Some(message),
            None,
        )
        .await;
    }
    if let Err((status, message, retry_after)) =
        check_proof(&state, &browser, &user, &form.proof).await?
    {
        return manage(&state, &browser, &user, status, Some(message), retry_after).await;
    }
    state.second_factors.disable(&browser.site, user.id).await?;
    Ok(see_other("/account?notice=second-factor-off"))
}
