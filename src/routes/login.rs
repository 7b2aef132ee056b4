//! `GET /login`, `POST /login` and `POST /logout`.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::extract::client_info;
use super::pages::{
    Chrome, CsrfForm, add_cookie, authtoken_cookie, cleared_authtoken_cookie, html,
    pending_signin_cookie, see_other,
};
use crate::metrics::Refusal;
use crate::next_path::NextPath;
use crate::routes::browser_session::BrowserSession;
use crate::second_factor::{PENDING_TTL_SECS, PendingPurpose};
use crate::signin::{MAX_USERNAME_BYTES, SignInOutcome, sign_in_with_password};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login_page)
        .service(login)
        .service(logout)
        .service(home);
}

const AFTER_SIGN_IN: &str = "/account";
const REFUSED: &str = "login-error-refused";
const FORM_EXPIRED: &str = "error-form-expired";
const UNVERIFIED: &str = "login-error-unverified";
const TOO_LONG: &str = "login-error-too-long";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    username: String,
    error: Option<String>,
    notice: Option<String>,
    /// Links to password reset and sign-up, where the site offers them.
    offers: LoginOffers,
    /// Buttons of the site's upstream OpenID providers (`routes/upstream.rs`).
    upstream: Vec<crate::upstream::ProviderButton>,
}

/// What the login page links to besides signing in.
#[derive(Clone, Copy)]
pub struct LoginOffers {
    pub reset: bool,
    pub signup: bool,
}

impl LoginOffers {
    pub fn of(state: &AppState, site: &crate::sites::Site) -> Self {
        LoginOffers {
            reset: state.accounts.email_enabled(),
            signup: site.accounts.signup == crate::accounts::SignupPolicy::Open,
        }
    }
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    notice: Option<String>,
    /// `again`: sign in again although signed in (`prompt=login`,
    /// `max_age`); `switch`: sign in as someone else; `choose`: offer both
    /// (`prompt=select_account`).
    mode: Option<String>,
}

#[derive(Template)]
#[template(path = "choose_account.html")]
struct ChooseAccountPage {
    chrome: Chrome,
    display_name: String,
    username: String,
    next: String,
    switch_url: String,
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    csrf_token: String,
    next: Option<String>,
}

/// The message key of a notice named in the address.
fn notice_key(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "signed-out" => Some("notice-signed-out"),
        "signed-out-everywhere" => Some("notice-signed-out-everywhere"),
        "password-reset" => Some("notice-password-reset"),
        "signed-up" => Some("notice-signed-up"),
        "email-verified" => Some("notice-email-verified"),
        "sign-in-again" => Some("notice-sign-in-again"),
        "signin-expired" => Some("notice-signin-expired"),
        _ => None,
    }
}

fn render(
    browser: &BrowserSession,
    status: StatusCode,
    page: impl FnOnce(Chrome) -> LoginPage,
) -> HttpResponse {
    let mut response = html(status, &page(Chrome::new(browser)));
    browser.attach_csrf_cookie(&mut response);
    response
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[get("/login")]
async fn login_page(
    state: web::Data<AppState>,
    browser: BrowserSession,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    let next = NextPath::or_default(query.next.as_deref(), AFTER_SIGN_IN);
    let mut notice = notice_key(query.notice.as_deref());
    let mut username = String::new();
    if let Some(user) = &browser.user {
        match query.mode.as_deref() {
            Some("choose") => {
                let switch: String = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("next", next.as_str())
                    .append_pair("mode", "switch")
                    .finish();
                let page = ChooseAccountPage {
                    chrome: Chrome::new(&browser),
                    display_name: user.display_name.clone(),
                    username: user.username.clone(),
                    next: next.as_str().to_string(),
                    switch_url: format!("/login?{switch}"),
                };
                let mut response = html(StatusCode::OK, &page);
                browser.attach_csrf_cookie(&mut response);
                return response;
            }
            Some("again") => {
                username = user.username.clone();
                notice = notice.or(notice_key(Some("sign-in-again")));
            }
            Some("switch") => {}
            _ => return see_other(next.as_str()),
        }
    }
    let upstream = crate::upstream::buttons(&state, &browser.site).await;
    render(&browser, StatusCode::OK, |chrome| LoginPage {
        chrome,
        next: next.as_str().to_string(),
        username,
        error: None,
        notice: notice.map(|key| browser.locale.t(key)),
        offers: LoginOffers::of(&state, &browser.site),
        upstream,
    })
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/login")]
async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<LoginForm>,
) -> actix_web::Result<HttpResponse> {
    let form = form.into_inner();
    let next = NextPath::or_default(form.next.as_deref(), AFTER_SIGN_IN);
    let upstream = crate::upstream::buttons(&state, &browser.site).await;
    let lang = browser.locale;
    let page = |status, error: String| {
        // A username too long to be anyone's is not echoed back.
        let username = if form.username.len() > MAX_USERNAME_BYTES {
            String::new()
        } else {
            form.username.clone()
        };
        let next = next.as_str().to_string();
        let offers = LoginOffers::of(&state, &browser.site);
        let upstream = upstream.clone();
        render(&browser, status, move |chrome| LoginPage {
            chrome,
            next,
            username,
            error: Some(error),
            notice: None,
            offers,
            upstream,
        })
    };
    if !browser.verify_csrf(&form.csrf_token) {
        return Ok(page(StatusCode::FORBIDDEN, lang.t(FORM_EXPIRED)));
    }
    let current = browser.current();
    let outcome = sign_in_with_password(
        &state,
        &browser.site,
        &form.username,
        form.password.clone(),
        client_info(&req),
        current,
    )
    .await
    .map_err(crate::error::ApiError::from)?;
    let outcome = match onward(&state, &browser.site, &next, outcome) {
        Ok(response) => return Ok(response),
        Err(refused) => *refused,
    };
    Ok(match outcome {
        // `onward` answered these already.
        SignInOutcome::Reauthenticated
        | SignInOutcome::SecondStep { .. }
        | SignInOutcome::SignedIn(_) => see_other(next.as_str()),
        SignInOutcome::Refused => {
            let mut response = page(StatusCode::UNAUTHORIZED, lang.t(REFUSED));
            response.extensions_mut().insert(Refusal("bad_credentials"));
            response
        }
        SignInOutcome::TooLong => page(StatusCode::BAD_REQUEST, lang.t(TOO_LONG)),
        SignInOutcome::Unverified => {
            let mut response = page(StatusCode::FORBIDDEN, lang.t(UNVERIFIED));
            response.extensions_mut().insert(Refusal("unverified"));
            response
        }
        SignInOutcome::Throttled { retry_after } => {
            let minutes = (retry_after + 59) / 60;
            let message = lang.t1("login-error-throttled", "minutes", minutes);
            let mut response = page(StatusCode::TOO_MANY_REQUESTS, message);
            if let Ok(value) = retry_after.to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response.extensions_mut().insert(Refusal("throttled"));
            response
        }
    })
}

/// Where a sign-in that got through goes on to: `next` with the new
/// session's cookie, `next` for a re-authentication, or the second step
/// with the pending sign-in's cookie. A refusal comes back for the caller
/// to word.
pub(super) fn onward(
    state: &AppState,
    site: &crate::sites::Site,
    next: &NextPath,
    outcome: SignInOutcome,
) -> Result<HttpResponse, Box<SignInOutcome>> {
    match outcome {
        SignInOutcome::Reauthenticated => Ok(see_other(next.as_str())),
        SignInOutcome::SecondStep { token, purpose } => {
            let step = match purpose {
                PendingPurpose::Verify => "/login/second-factor",
                PendingPurpose::Enrol => "/login/enrol",
            };
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("next", next.as_str())
                .finish();
            let mut response = see_other(&format!("{step}?{query}"));
            add_cookie(
                &mut response,
                &pending_signin_cookie(site, token, PENDING_TTL_SECS),
            );
            Ok(response)
        }
        SignInOutcome::SignedIn(session) => {
            let mut response = see_other(next.as_str());
            let max_age = session.record.expires_at - state.now();
            add_cookie(
                &mut response,
                &authtoken_cookie(site, session.authtoken, max_age),
            );
            Ok(response)
        }
        refused => Err(Box::new(refused)),
    }
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/logout")]
async fn logout(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<CsrfForm>,
) -> actix_web::Result<HttpResponse> {
    if !browser.verify_csrf(&form.csrf_token) {
        return Ok(see_other("/account"));
    }
    if let (Some(user), Some(session_id)) = (&browser.user, browser.session_id) {
        state
            .sessions
            .end(&browser.site, user.id, session_id)
            .await
            .map_err(crate::error::ApiError::from)?;
    }
    let mut response = see_other("/login?notice=signed-out");
    add_cookie(&mut response, &cleared_authtoken_cookie(&browser.site));
    Ok(response)
}

#[get("/")]
async fn home(browser: BrowserSession) -> HttpResponse {
    if browser.user.is_some() {
        see_other("/account")
    } else {
        see_other("/login")
    }
}
