//! `GET /login`, `POST /login` and `POST /logout`.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::extract::client_info;
use super::pages::{
    Chrome, CsrfForm, add_cookie, authtoken_cookie, cleared_authtoken_cookie, html, see_other,
};
use crate::metrics::Refusal;
use crate::next_path::NextPath;
use crate::routes::browser_session::BrowserSession;
use crate::signin::{MAX_USERNAME_BYTES, SignInOutcome, sign_in_with_password};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(login_page)
        .service(login)
        .service(logout)
        .service(home);
}

const AFTER_SIGN_IN: &str = "/account";
const REFUSED: &str = "Incorrect username or password.";
const FORM_EXPIRED: &str = "This form expired. Please try again.";
const UNVERIFIED: &str =
    "Confirm your email address first: open the link we sent you when you signed up.";
const TOO_LONG: &str = "That username or password is too long.";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    username: String,
    error: Option<String>,
    notice: Option<&'static str>,
    /// Links to password reset and sign-up, where the site offers them.
    offers: LoginOffers,
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

fn notice_text(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "signed-out" => Some("You are signed out."),
        "signed-out-everywhere" => Some("You are signed out on every device."),
        "password-reset" => Some("Your password was changed. Sign in with the new one."),
        "signed-up" => Some("Your account is ready. Sign in."),
        "email-verified" => Some("Your email address is confirmed. Sign in."),
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
    if browser.user.is_some() {
        return see_other(next.as_str());
    }
    render(&browser, StatusCode::OK, |chrome| LoginPage {
        chrome,
        next: next.as_str().to_string(),
        username: String::new(),
        error: None,
        notice: notice_text(query.notice.as_deref()),
        offers: LoginOffers::of(&state, &browser.site),
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
    let page = |status, error: &str| {
        // A username too long to be anyone's is not echoed back.
        let username = if form.username.len() > MAX_USERNAME_BYTES {
            String::new()
        } else {
            form.username.clone()
        };
        let next = next.as_str().to_string();
        let error = error.to_string();
        let offers = LoginOffers::of(&state, &browser.site);
        render(&browser, status, move |chrome| LoginPage {
            chrome,
            next,
            username,
            error: Some(error),
            notice: None,
            offers,
        })
    };
    if !browser.verify_csrf(&form.csrf_token) {
        return Ok(page(StatusCode::FORBIDDEN, FORM_EXPIRED));
    }
    let outcome = sign_in_with_password(
        &state,
        &browser.site,
        &form.username,
        form.password.clone(),
        client_info(&req),
    )
    .await
    .map_err(crate::error::ApiError::from)?;
    Ok(match outcome {
        SignInOutcome::SignedIn(session) => {
            let mut response = see_other(next.as_str());
            let max_age = session.record.expires_at - state.now();
            add_cookie(
                &mut response,
                &authtoken_cookie(&browser.site, session.authtoken, max_age),
            );
            response
        }
        SignInOutcome::Refused => {
            let mut response = page(StatusCode::UNAUTHORIZED, REFUSED);
            response.extensions_mut().insert(Refusal("bad_credentials"));
            response
        }
        SignInOutcome::TooLong => page(StatusCode::BAD_REQUEST, TOO_LONG),
        SignInOutcome::Unverified => {
            let mut response = page(StatusCode::FORBIDDEN, UNVERIFIED);
            response.extensions_mut().insert(Refusal("unverified"));
            response
        }
        SignInOutcome::Throttled { retry_after } => {
            let mut response = page(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Too many failed attempts. Try again in {} minute(s).",
                    (retry_after + 59) / 60
                ),
            );
            if let Ok(value) = retry_after.to_string().parse() {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response.extensions_mut().insert(Refusal("throttled"));
            response
        }
    })
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
