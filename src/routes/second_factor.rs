//! The second step of signing in: `GET/POST /login/second-factor` (a TOTP
//! or recovery code, after the password or to step up a session for an
//! application that asked for a second factor) and `GET/POST /login/enrol`
//! (setting one up first, when the site's policy requires it).
//!
//! Who is signing in comes from the pending sign-in cookie (a token whose
//! hash names a row in the shared store, `second_factor::pending`), or,
//! for a step-up, from the `authtoken` session: never from the form.

use std::sync::Arc;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::extract::cookie;
use super::pages::{Chrome, add_cookie, authtoken_cookie, html, pending_signin_cookie, see_other};
use crate::audit::{Actor, AuditEvent, AuditKind};
use crate::cache::CachedUser;
use crate::error::ApiError;
use crate::i18n::Locale;
use crate::metrics::Refusal;
use crate::next_path::NextPath;
use crate::routes::browser_session::BrowserSession;
use crate::second_factor::{CodeCheck, CodeKind, PENDING_COOKIE, PendingPurpose};
use crate::sessions::Methods;
use crate::signin::end_previous_session;
use crate::state::AppState;
use crate::store::PendingSigninRecord;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(code_page)
        .service(submit_code)
        .service(enrol_page)
        .service(submit_enrolment);
}

const AFTER_SIGN_IN: &str = "/account";
const FORM_EXPIRED: &str = "error-form-expired";

#[derive(Template)]
#[template(path = "second_factor.html")]
struct CodePage {
    chrome: Chrome,
    next: String,
    error: Option<String>,
    /// Signed in already: the application asked for a second factor.
    step_up: bool,
    /// The user has a TOTP (the code form is shown).
    totp: bool,
    /// The user has passkeys (the passkey button is shown).
    passkey: bool,
}

/// The second factors a user can prove on this page.
#[derive(Debug, Clone, Copy)]
struct Offered {
    totp: bool,
    passkey: bool,
}

impl Offered {
    async fn of(
        state: &AppState,
        site: &crate::sites::Site,
        user_id: i64,
    ) -> Result<Self, ApiError> {
        Ok(Offered {
            totp: state.second_factors.enabled(site, user_id).await?,
            passkey: crate::passkeys::has_any(&state.store, site.id, user_id).await?,
        })
    }

    fn any(self) -> bool {
        self.totp || self.passkey
    }
}

#[derive(Template)]
#[template(path = "totp_enrol.html")]
pub(super) struct EnrolPage {
    pub chrome: Chrome,
    pub form_action: &'static str,
    pub next: String,
    pub secret: String,
    pub qr_svg: String,
    pub error: Option<String>,
    /// The site requires a second factor before signing in.
    pub required: bool,
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
pub(super) struct RecoveryCodesPage {
    pub chrome: Chrome,
    pub codes: Vec<String>,
    pub continue_to: String,
}

#[derive(Deserialize)]
struct NextQuery {
    next: Option<String>,
}

#[derive(Deserialize)]
struct CodeForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    csrf_token: String,
    next: Option<String>,
}

/// The words for a refused code, with the status and the metrics label.
pub(super) fn refusal(check: CodeCheck, lang: Locale) -> (StatusCode, String, Option<i64>) {
    match check {
        CodeCheck::Reused => (StatusCode::UNAUTHORIZED, lang.t("code-error-reused"), None),
        CodeCheck::Throttled { retry_after } => (
            StatusCode::TOO_MANY_REQUESTS,
            lang.t1("code-error-throttled", "minutes", (retry_after + 59) / 60),
            Some(retry_after),
        ),
        _ => (StatusCode::UNAUTHORIZED, lang.t("code-error-wrong"), None),
    }
}

pub(super) fn with_retry_after(
    mut response: HttpResponse,
    retry_after: Option<i64>,
) -> HttpResponse {
    if let Some(value) = retry_after.and_then(|r| r.to_string().parse().ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The open pending sign-in of this browser for `purpose`, with its user.
pub(super) async fn pending_of(
    state: &AppState,
    req: &HttpRequest,
    browser: &BrowserSession,
    purpose: PendingPurpose,
) -> Result<Option<(PendingSigninRecord, Arc<CachedUser>)>, ApiError> {
    let Some(token) = cookie(req, PENDING_COOKIE).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let Some((pending, found)) = state.second_factors.pending(&browser.site, token).await? else {
        return Ok(None);
    };
    if found != purpose {
        return Ok(None);
    }
    let user = state
        .users
        .cached(browser.site.id, pending.user_id)
        .await?
        .filter(|u| !u.disabled);
    Ok(user.map(|user| (pending, user)))
}

fn back_to_login(next: &NextPath, notice: Option<&str>) -> HttpResponse {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("next", next.as_str());
    if let Some(notice) = notice {
        query.append_pair("notice", notice);
    }
    see_other(&format!("/login?{}", query.finish()))
}

fn render(browser: &BrowserSession, status: StatusCode, page: &impl Template) -> HttpResponse {
    let mut response = html(status, page);
    browser.attach_csrf_cookie(&mut response);
    response
}

/// Completes a pending sign-in with a second factor proved, and sends the
/// browser on (with its new session's cookie, the pending cookie cleared).
pub(super) async fn finish_pending(
    state: &AppState,
    browser: &BrowserSession,
    pending: &PendingSigninRecord,
    kind: CodeKind,
    mut response: HttpResponse,
    next: &NextPath,
) -> Result<HttpResponse, ApiError> {
    let site = &browser.site;
    let methods = with_factor(Methods::parse(&pending.amr), kind);
    let Some(done) = state
        .sessions
        .complete_pending(site, pending, methods)
        .await?
    else {
        return Ok(back_to_login(next, Some("signin-expired")));
    };
    if let Some(authtoken) = done.authtoken {
        let current = browser.current();
        end_previous_session(state, site, current, pending.user_id).await?;
        let max_age = done.record.expires_at - state.now();
        add_cookie(&mut response, &authtoken_cookie(site, authtoken, max_age));
    }
    add_cookie(
        &mut response,
        &pending_signin_cookie(site, String::new(), 0),
    );
    tracing::info!(site = %site.slug, user_id = pending.user_id, "signed in with a second factor");
    let event = AuditEvent::new(AuditKind::SignInSucceeded, Actor::User(pending.user_id))
        .user(pending.user_id)
        .ip(pending.ip.as_deref())
        .detail("method", format!("password+{}", kind.as_str()));
    state.audit.record(site.id, event).await;
    Ok(response)
}

/// `methods` and the second factor of `kind`.
fn with_factor(methods: Methods, kind: CodeKind) -> Methods {
    match kind {
        CodeKind::Passkey => methods.with_passkey(),
        CodeKind::Totp | CodeKind::RecoveryCode => methods.with_otp(),
    }
}

/// A step-up: the signed-in session gains the second factor of `kind`,
/// now.
pub(super) async fn step_up(
    state: &AppState,
    site: &crate::sites::Site,
    user_id: i64,
    session_id: i64,
    kind: CodeKind,
) -> Result<(), ApiError> {
    let before = state
        .store
        .session_authentication(site.id, session_id)
        .await?
        .map(|a| Methods::parse(&a.amr))
        .unwrap_or_default();
    state
        .sessions
        .reauthenticate(site, user_id, session_id, with_factor(before, kind))
        .await?;
    tracing::info!(site = %site.slug, user_id, factor = kind.as_str(), "stepped up with a second factor");
    Ok(())
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[get("/login/second-factor")]
async fn code_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, ApiError> {
    let next = NextPath::or_default(query.next.as_deref(), AFTER_SIGN_IN);
    let (step_up, offered) =
        match pending_of(&state, &req, &browser, PendingPurpose::Verify).await? {
            Some((_, user)) => (false, Offered::of(&state, &browser.site, user.id).await?),
            None => match &browser.user {
                Some(user) => (true, Offered::of(&state, &browser.site, user.id).await?),
                None => return Ok(back_to_login(&next, None)),
            },
        };
    if !offered.any() {
        return Ok(back_to_login(&next, None));
    }
    let page = CodePage {
        chrome: Chrome::new(&browser),
        next: next.as_str().to_string(),
        error: None,
        step_up,
        totp: offered.totp,
        passkey: offered.passkey,
    };
    Ok(render(&browser, StatusCode::OK, &page))
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/login/second-factor")]
async fn submit_code(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, ApiError> {
    let next = NextPath::or_default(form.next.as_deref(), AFTER_SIGN_IN);
    let site = &browser.site;
    let pending = pending_of(&state, &req, &browser, PendingPurpose::Verify).await?;
    let step_up_user = match (&pending, &browser.user) {
        (Some(_), _) => None,
        (None, Some(user)) => Some(user.clone()),
        (None, None) => return Ok(back_to_login(&next, Some("signin-expired"))),
    };
    let user_id = match (&pending, &step_up_user) {
        (Some((_, user)), _) | (None, Some(user)) => user.id,
        (None, None) => return Ok(back_to_login(&next, Some("signin-expired"))),
    };
    let offered = Offered::of(&state, site, user_id).await?;
    let page = |status, error: String| {
        let page = CodePage {
            chrome: Chrome::new(&browser),
            next: next.as_str().to_string(),
            error: Some(error),
            step_up: step_up_user.is_some(),
            totp: offered.totp,
            passkey: offered.passkey,
        };
        render(&browser, status, &page)
    };
    if !browser.verify_csrf(&form.csrf_token) {
        return Ok(page(StatusCode::FORBIDDEN, browser.locale.t(FORM_EXPIRED)));
    }
    let check = state
        .second_factors
        .check_code(site, user_id, &form.code)
        .await?;
    let CodeCheck::Accepted(kind) = check else {
        if check == CodeCheck::NotEnrolled {
            return Ok(back_to_login(&next, Some("signin-expired")));
        }
        let event = AuditEvent::new(AuditKind::SignInFailed, Actor::Anonymous)
            .user(user_id)
            .ip(super::extract::client_info(&req).ip.as_deref())
            .detail("reason", "wrong_second_factor");
        state.audit.record(site.id, event).await;
        let (status, message, retry_after) = refusal(check, browser.locale);
        let mut response = with_retry_after(page(status, message), retry_after);
        let label = if retry_after.is_some() {
            "throttled"
        } else {
            "bad_second_factor"
        };
        response.extensions_mut().insert(Refusal(label));
        return Ok(response);
    };
    match (pending, step_up_user) {
        (Some((pending, _)), _) => {
            finish_pending(
                &state,
                &browser,
                &pending,
                kind,
                see_other(next.as_str()),
                &next,
            )
            .await
        }
        (None, Some(user)) => {
            let Some(session_id) = browser.session_id else {
                return Ok(back_to_login(&next, None));
            };
            step_up(&state, site, user.id, session_id, kind).await?;
            Ok(see_other(next.as_str()))
        }
        (None, None) => Ok(back_to_login(&next, None)),
    }
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[get("/login/enrol")]
async fn enrol_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, ApiError> {
    let next = NextPath::or_default(query.next.as_deref(), AFTER_SIGN_IN);
    let Some((_, user)) = pending_of(&state, &req, &browser, PendingPurpose::Enrol).await? else {
        return Ok(back_to_login(&next, Some("signin-expired")));
    };
    let factors = &state.second_factors;
    let provisioning = match factors.enrolment(&browser.site, &user).await? {
        Some(p) => Some(p),
        None => factors.start_enrolment(&browser.site, &user).await?,
    };
    let Some(provisioning) = provisioning else {
        return Ok(back_to_login(&next, Some("signin-expired")));
    };
    let page = EnrolPage {
        chrome: Chrome::new(&browser),
        form_action: "/login/enrol",
        next: next.as_str().to_string(),
        secret: provisioning.secret_base32,
        qr_svg: provisioning.qr_svg,
        error: None,
        required: true,
    };
    Ok(render(&browser, StatusCode::OK, &page))
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/login/enrol")]
async fn submit_enrolment(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, ApiError> {
    let next = NextPath::or_default(form.next.as_deref(), AFTER_SIGN_IN);
    let Some((pending, user)) = pending_of(&state, &req, &browser, PendingPurpose::Enrol).await?
    else {
        return Ok(back_to_login(&next, Some("signin-expired")));
    };
    let site = &browser.site;
    let outcome = if browser.verify_csrf(&form.csrf_token) {
        state
            .second_factors
            .confirm_enrolment(site, &user, &form.code)
            .await?
    } else {
        Err(CodeCheck::Wrong)
    };
    match outcome {
        Ok(codes) => {
            let page = RecoveryCodesPage {
                chrome: Chrome::new(&browser),
                codes,
                continue_to: next.as_str().to_string(),
            };
            let response = render(&browser, StatusCode::OK, &page);
            finish_pending(&state, &browser, &pending, CodeKind::Totp, response, &next).await
        }
        Err(CodeCheck::NotEnrolled) => Ok(back_to_login(&next, Some("signin-expired"))),
        Err(check) => {
            let Some(provisioning) = state.second_factors.enrolment(site, &user).await? else {
                return Ok(back_to_login(&next, Some("signin-expired")));
            };
            let (status, message, retry_after) = refusal(check, browser.locale);
            let page = EnrolPage {
                chrome: Chrome::new(&browser),
                form_action: "/login/enrol",
                next: next.as_str().to_string(),
                secret: provisioning.secret_base32,
                qr_svg: provisioning.qr_svg,
                error: Some(message),
                required: true,
            };
            Ok(with_retry_after(
                render(&browser, status, &page),
                retry_after,
            ))
        }
    }
}
