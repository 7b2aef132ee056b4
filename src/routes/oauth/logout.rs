//! OpenID Connect RP-Initiated Logout 1.0: `GET`/`POST /oauth/logout` (the
//! `end_session_endpoint`) and the confirmation form's
//! `POST /oauth/logout/confirm`. Pages, so errors are shown, never
//! redirected.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::oauth::logout::end_session::{
    EndSession, EndSessionError, EndSessionRequest, LogoutConfirmation,
};
use crate::routes::browser_session::BrowserSession;
use crate::routes::pages::{Chrome, add_cookie, cleared_authtoken_cookie, html, see_other};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(end_session_get)
        .service(end_session_post)
        .service(confirm);
}

#[derive(Template)]
#[template(path = "logout_confirm.html")]
struct ConfirmPage {
    chrome: Chrome,
    user_name: String,
    client_name: Option<String>,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

#[derive(Template)]
#[template(path = "signed_out.html")]
struct SignedOutPage {
    chrome: Chrome,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    code: &'static str,
    message: String,
}

#[derive(Deserialize)]
struct ConfirmForm {
    #[serde(default)]
    csrf_token: String,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
}

fn refused(browser: &BrowserSession, error: &EndSessionError) -> HttpResponse {
    let status = match error {
        EndSessionError::Internal(e) => {
            tracing::error!(error = ?e, "logout request failed");
            StatusCode::INTERNAL_SERVER_ERROR
        }
        _ => StatusCode::BAD_REQUEST,
    };
    let message = browser.locale.t(error.message_key());
    let page = ErrorPage {
        chrome: Chrome::new(browser),
        code: error.code(),
        message,
    };
    html(status, &page)
}

/// Ends the browser's session (if any) and sends it on.
async fn sign_out(
    state: &AppState,
    browser: &BrowserSession,
    redirect: Option<String>,
) -> HttpResponse {
    if let (Some(user), Some(session_id)) = (&browser.user, browser.session_id)
        && let Err(e) = state.sessions.end(&browser.site, user.id, session_id).await
    {
        return refused(browser, &EndSessionError::Internal(e.into()));
    }
    let mut response = match redirect {
        Some(location) => see_other(&location),
        None => {
            let mut chrome = Chrome::new(browser);
            chrome.username = None;
            html(StatusCode::OK, &SignedOutPage { chrome })
        }
    };
    add_cookie(&mut response, &cleared_authtoken_cookie(&browser.site));
    response
}

async fn end_session(
    state: &AppState,
    browser: &BrowserSession,
    request: &EndSessionRequest,
) -> HttpResponse {
    let signed_in = browser.user.as_ref().map(|u| u.id);
    match state
        .oauth
        .end_session(&browser.site, request, signed_in)
        .await
    {
        Ok(EndSession::SignOut { redirect }) => sign_out(state, browser, redirect).await,
        Ok(EndSession::Confirm(confirmation)) => {
            let page = ConfirmPage {
                chrome: Chrome::new(browser),
                user_name: browser
                    .user
                    .as_ref()
                    .map(|u| u.display_name.clone())
                    .unwrap_or_default(),
                client_name: confirmation.client_name,
                client_id: confirmation.client_id,
                post_logout_redirect_uri: confirmation.post_logout_redirect_uri,
                state: confirmation.state,
            };
            let mut response = html(StatusCode::OK, &page);
            browser.attach_csrf_cookie(&mut response);
            response
        }
        Err(e) => refused(browser, &e),
    }
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[get("/oauth/logout")]
async fn end_session_get(
    state: web::Data<AppState>,
    browser: BrowserSession,
    query: web::Query<EndSessionRequest>,
) -> HttpResponse {
    end_session(&state, &browser, &query).await
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/oauth/logout")]
async fn end_session_post(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<EndSessionRequest>,
) -> HttpResponse {
    end_session(&state, &browser, &form).await
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/oauth/logout/confirm")]
async fn confirm(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<ConfirmForm>,
) -> HttpResponse {
    if !browser.verify_csrf(&form.csrf_token) {
        let page = ErrorPage {
            chrome: Chrome::new(&browser),
            code: "csrf_failed",
            message: browser.locale.t("logout-error-form-expired"),
        };
        return html(StatusCode::FORBIDDEN, &page);
    }
    let confirmed = LogoutConfirmation {
        client_name: None,
        client_id: form.client_id.clone(),
        post_logout_redirect_uri: form.post_logout_redirect_uri.clone(),
        state: form.state.clone(),
    };
    match state
        .oauth
        .confirm_end_session(&browser.site, &confirmed)
        .await
    {
        Ok(redirect) => sign_out(&state, &browser, redirect).await,
        Err(e) => refused(&browser, &e),
    }
}
