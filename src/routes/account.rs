//! `/account`: who you are, your sessions, and your password.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::account_second_factor::SecondFactorSummary;
use super::pages::{
    Chrome, CsrfForm, Elsewhere, add_cookie, cleared_authtoken_cookie, html, see_other,
};
use crate::cache::CachedUser;
use crate::error::ApiError;
use crate::i18n::Locale;
use crate::routes::browser_session::BrowserSession;
use crate::signin::{PasswordCheck, check_current_password};
use crate::state::AppState;
use crate::users::{UserError, validate_password};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(account_page)
        .service(change_password)
        .service(end_session)
        .service(end_all_sessions)
        .service(revoke_app);
    super::account_language::configure(cfg);
}

/// An app the user authorized, as the account page lists it.
struct AppRow {
    client_id: String,
    name: String,
    scopes: String,
    since: String,
}

/// A passkey, as the account page lists it.
struct PasskeyRow {
    id: i64,
    name: String,
    created: String,
    last_used: String,
}

struct SessionRow {
    id: i64,
    current: bool,
    method: String,
    started: String,
    expires: String,
    ip: String,
    user_agent: String,
}

#[derive(Default)]
struct PasswordErrors {
    current: Option<String>,
    new: Option<String>,
    confirm: Option<String>,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    chrome: Chrome,
    user: &'a CachedUser,
    permissions: Vec<&'static str>,
    sessions: Vec<SessionRow>,
    apps: Vec<AppRow>,
    passkeys: Vec<PasskeyRow>,
    notice: Option<String>,
    errors: PasswordErrors,
    /// The language the user chose, and the choices.
    saved_locale: Option<Locale>,
    locales: [Locale; 2],
    /// The address and whether it is confirmed (`account_email.rs`).
    email: super::account_email::EmailStatus,
    second_factor: SecondFactorSummary,
    /// Linked upstream identities (`routes/upstream.rs`).
    upstream: super::upstream::AccountSection,
}

#[derive(Deserialize)]
struct AccountQuery {
    notice: Option<String>,
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// The message key of a notice named in the address.
fn notice_key(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "password-changed" => Some("notice-password-changed"),
        "session-ended" => Some("notice-session-ended"),
        "app-revoked" => Some("notice-app-revoked"),
        "verification-sent" => Some("notice-verification-sent"),
        "second-factor-on" => Some("notice-second-factor-on"),
        "second-factor-off" => Some("notice-second-factor-off"),
        "passkey-added" => Some("notice-passkey-added"),
        "passkey-removed" => Some("notice-passkey-removed"),
        "language-saved" => Some("notice-language-saved"),
        "upstream-linked" => Some("notice-upstream-linked"),
        "upstream-removed" => Some("notice-upstream-removed"),
        _ => None,
    }
}

const SIGN_IN_FIRST: &str = "/login?next=/account";

fn sign_in_first() -> HttpResponse {
    see_other(SIGN_IN_FIRST)
}

/// The signed-in user behind a form post with a valid CSRF token, or the
/// response to send instead.
fn signed_in_form(
    browser: &BrowserSession,
    csrf_token: &str,
) -> Result<Arc<CachedUser>, Elsewhere> {
    let Some(user) = browser.user.clone() else {
        return Err(Elsewhere(SIGN_IN_FIRST.into()));
    };
    if !browser.verify_csrf(csrf_token) {
        return Err(Elsewhere("/account".into()));
    }
    Ok(user)
}

async fn render_account(
    state: &AppState,
    browser: &BrowserSession,
    user: &CachedUser,
    status: StatusCode,
    notice: Option<&'static str>,
    errors: PasswordErrors,
) -> Result<HttpResponse, ApiError> {
    let lang = browser.locale;
    let sessions = state
        .sessions
        .list_active(&browser.site, user.id)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            current: Some(s.id) == browser.session_id,
            id: s.id,
            method: if crate::sessions::Methods::parse(&s.amr).otp {
                lang.t1("account-method-with-second-factor", "method", s.method)
            } else {
                s.method
            },
            started: lang.format_time(s.created_at),
            expires: lang.format_time(s.expires_at),
            ip: s.ip.unwrap_or_default(),
            user_agent: s.user_agent.unwrap_or_default(),
        })
        .collect();
    let apps = state
        .oauth
        .list_authorizations(&browser.site, user.id)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .into_iter()
        .map(|a| AppRow {
            scopes: crate::oauth::ScopeSet::from_stored(&a.scopes).to_string(),
            since: lang.format_time(a.created_at),
            client_id: a.client_id,
            name: a.client_name,
        })
        .collect();
    let passkeys = crate::passkeys::list(state, &browser.site, user.id)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?
        .into_iter()
        .map(|p| PasskeyRow {
            id: p.id,
            name: p.name,
            created: lang.format_time(p.created_at),
            last_used: p
                .last_used_at
                .map_or_else(|| lang.t("time-never"), |t| lang.format_time(t)),
        })
        .collect();
    let page = AccountPage {
        chrome: Chrome::new(browser),
        user,
        permissions: browser.permissions().names(),
        sessions,
        apps,
        passkeys,
        notice: notice.map(|key| lang.t(key)),
        errors,
        saved_locale: user.locale,
        locales: Locale::ALL,
        email: super::account_email::EmailStatus::of(state, browser.site.id, user.id).await?,
        second_factor: SecondFactorSummary::of(state, browser, user).await?,
        upstream: super::upstream::AccountSection::of(state, &browser.site, user.id, lang).await?,
    };
    let mut response = html(status, &page);
    browser.attach_csrf_cookie(&mut response);
    Ok(response)
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[get("/account")]
async fn account_page(
    state: web::Data<AppState>,
    browser: BrowserSession,
    query: web::Query<AccountQuery>,
) -> Result<HttpResponse, ApiError> {
    let Some(user) = browser.user.clone() else {
        return Ok(sign_in_first());
    };
    let notice = notice_key(query.notice.as_deref());
    render_account(
        &state,
        &browser,
        &user,
        StatusCode::OK,
        notice,
        PasswordErrors::default(),
    )
    .await
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/account/password")]
async fn change_password(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<PasswordForm>,
) -> Result<HttpResponse, ApiError> {
    let Some(user) = browser.user.clone() else {
        return Ok(sign_in_first());
    };
    let form = form.into_inner();
    let lang = browser.locale;
    let mut errors = PasswordErrors::default();
    if !browser.verify_csrf(&form.csrf_token) {
        errors.current = Some(browser.locale.t("error-form-expired"));
        return render_account(&state, &browser, &user, StatusCode::FORBIDDEN, None, errors).await;
    }
    let check = check_current_password(
        &state,
        &browser.site,
        user.id,
        &user.username,
        form.current_password,
    )
    .await?;
    match check {
        PasswordCheck::Correct => {}
        PasswordCheck::Wrong => errors.current = Some(lang.t("account-error-wrong-password")),
        PasswordCheck::TooLong => errors.current = Some(lang.t("error-password-far-too-long")),
        PasswordCheck::Throttled { retry_after } => {
            let minutes = (retry_after + 59) / 60;
            errors.current = Some(lang.t1("account-error-throttled", "minutes", minutes));
            let mut response = render_account(
                &state,
                &browser,
                &user,
                StatusCode::TOO_MANY_REQUESTS,
                None,
                errors,
            )
            .await?;
            if let Ok(value) = retry_after.to_string().parse() {
                response
                    .headers_mut()
                    .insert(actix_web::http::header::RETRY_AFTER, value);
            }
            return Ok(response);
        }
    }
    if validate_password(&form.new_password).is_err() {
        errors.new = Some(password_length_message(lang));
    } else if form.new_password != form.confirm_password {
        errors.confirm = Some(lang.t("account-error-new-passwords-differ"));
    }
    if errors.current.is_some() || errors.new.is_some() || errors.confirm.is_some() {
        return render_account(
            &state,
            &browser,
            &user,
            StatusCode::BAD_REQUEST,
            None,
            errors,
        )
        .await;
    }
    match state
        .users
        .set_password(
            browser.site.id,
            user.id,
            form.new_password,
            browser.session_id,
        )
        .await
    {
        Ok(()) => {
            let notice = crate::email::Notice::PasswordChanged;
            state.accounts.notify(&browser.site, user.id, notice).await;
            Ok(see_other("/account?notice=password-changed"))
        }
        Err(UserError::Internal(e)) => Err(ApiError::Internal(e)),
        Err(e) => Err(ApiError::BadRequest {
            code: "invalid_request",
            message: e.to_string(),
        }),
    }
}

/// What a password's length must be, in the page's language.
pub fn password_length_message(lang: Locale) -> String {
    use crate::users::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};
    lang.t2(
        "error-password-length",
        "min",
        MIN_PASSWORD_CHARS,
        "max",
        MAX_PASSWORD_CHARS,
    )
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/account/sessions/{id}/end")]
async fn end_session(
    state: web::Data<AppState>,
    browser: BrowserSession,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    let user = match signed_in_form(&browser, &form.csrf_token) {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    let session_id = path.into_inner();
    state
        .sessions
        .end(&browser.site, user.id, session_id)
        .await?;
    if Some(session_id) == browser.session_id {
        let mut response = see_other("/login?notice=signed-out");
        add_cookie(&mut response, &cleared_authtoken_cookie(&browser.site));
        return Ok(response);
    }
    Ok(see_other("/account?notice=session-ended"))
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/account/sessions/end-all")]
async fn end_all_sessions(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    let user = match signed_in_form(&browser, &form.csrf_token) {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    state.sessions.end_all(&browser.site, user.id, None).await?;
    let mut response = see_other("/login?notice=signed-out-everywhere");
    add_cookie(&mut response, &cleared_authtoken_cookie(&browser.site));
    Ok(response)
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/account/apps/{client_id}/revoke")]
async fn revoke_app(
    state: web::Data<AppState>,
    browser: BrowserSession,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    let Some(user) = browser.user.clone() else {
        return Ok(sign_in_first());
    };
    if !browser.verify_csrf(&form.csrf_token) {
        return Ok(see_other("/account"));
    }
    state
        .oauth
        .revoke_authorization(
            &browser.site,
            user.id,
            &path.into_inner(),
            &crate::audit::Actor::User(user.id),
        )
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(see_other("/account?notice=app-revoked"))
}
