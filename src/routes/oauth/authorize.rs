//! `GET /oauth/authorize` and the consent form's `POST /oauth/authorize`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::oauth::authorize::ScopeLine;
use crate::oauth::consent::Decision;
use crate::oauth::interaction::{LOGIN_MARKER_PARAM, LoginStep};
use crate::oauth::{AuthorizationRequest, Authorize, ConsentPage, OAuthError, UserFacingError};
use crate::routes::browser_session::BrowserSession;
use crate::routes::pages::{Chrome, html, see_other};
use crate::routes::unavailable::UNAVAILABLE_PAGE;
use crate::state::AppState;
use crate::store::is_unavailable;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(authorize).service(decide);
}

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
    /// Where the form posts: this endpoint, or `/device/decide`.
    form_action: &'static str,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    code: &'static str,
    message: String,
}

/// OAuth 2.0 Form Post Response Mode: the browser posts the response to
/// the client, by script or, without it, a button.
#[derive(Template)]
#[template(path = "form_post.html")]
struct FormPostPage {
    lang: crate::i18n::Locale,
    action: String,
    fields: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct ConsentForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    consent_token: String,
    #[serde(default)]
    decision: String,
}

fn error_page(
    browser: &BrowserSession,
    status: StatusCode,
    code: &'static str,
    message: String,
) -> HttpResponse {
    let mut response = html(
        status,
        &ErrorPage {
            chrome: Chrome::new(browser),
            code,
            message,
        },
    );
    browser.attach_csrf_cookie(&mut response);
    response
}

fn shown_error(browser: &BrowserSession, error: UserFacingError) -> HttpResponse {
    let status = match error {
        UserFacingError::CsrfFailed => StatusCode::FORBIDDEN,
        _ => StatusCode::BAD_REQUEST,
    };
    let message = browser.locale.t(error.message_key());
    error_page(browser, status, error.code(), message)
}

fn consent_screen(browser: &BrowserSession, page: ConsentPage) -> HttpResponse {
    let user = browser.user.as_deref();
    let screen = ConsentScreen {
        chrome: Chrome::new(browser),
        client_name: page.client_name,
        client_id: page.client_id,
        homepage_url: page.homepage_url,
        document_host: page.document_host,
        user_name: user.map(|u| u.display_name.clone()).unwrap_or_default(),
        username: user.map(|u| u.username.clone()).unwrap_or_default(),
        scopes: page.scopes,
        consent_token: page.consent_token,
        form_action: "/oauth/authorize",
    };
    let mut response = html(StatusCode::OK, &screen);
    browser.attach_csrf_cookie(&mut response);
    response
}

/// Where a sign-in step is taken: the step's page, with the way back to
/// this request, carrying a fresh login marker (`oauth::interaction`).
fn login_step_url(
    req: &HttpRequest,
    state: &AppState,
    browser: &BrowserSession,
    step: LoginStep,
) -> String {
    let mut back = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in url::form_urlencoded::parse(req.query_string().as_bytes()) {
        if name != LOGIN_MARKER_PARAM {
            back.append_pair(&name, &value);
        }
    }
    back.append_pair(LOGIN_MARKER_PARAM, &state.oauth.login_marker(&browser.site));
    let here = format!("{}?{}", req.path(), back.finish());
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("next", &here);
    let page = match step {
        LoginStep::SignIn => "/login",
        LoginStep::Reauthenticate => {
            query.append_pair("mode", "again");
            "/login"
        }
        LoginStep::ChooseAccount => {
            query.append_pair("mode", "choose");
            "/login"
        }
        LoginStep::SecondFactor => "/login/second-factor",
    };
    format!("{page}?{}", query.finish())
}

fn respond(
    req: &HttpRequest,
    state: &AppState,
    browser: &BrowserSession,
    outcome: Result<Authorize, OAuthError>,
) -> HttpResponse {
    match outcome {
        Ok(Authorize::Redirect(location)) => see_other(&location),
        Ok(Authorize::FormPost(form)) => html(
            StatusCode::OK,
            &FormPostPage {
                lang: browser.locale,
                action: form.action,
                fields: form.fields,
            },
        ),
        Ok(Authorize::NeedsConsent(page)) => consent_screen(browser, page),
        Ok(Authorize::ShowError(error)) => shown_error(browser, error),
        Ok(Authorize::NeedsLogin(step)) => see_other(&login_step_url(req, state, browser, step)),
        Err(OAuthError::ServerError(e)) if is_unavailable(&e) => {
            tracing::warn!(error = %e, "the store is unavailable");
            error_page(
                browser,
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                browser.locale.t(UNAVAILABLE_PAGE),
            )
        }
        Err(e) => {
            tracing::error!(error = ?e, "authorization request failed");
            error_page(
                browser,
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                browser.locale.t("error-server"),
            )
        }
    }
}

/// The query of an authorization request. `resource` may come more than
/// once here: the request is refused with `invalid_target` (one audience
/// per token) once its redirect URI is known to be genuine, so the first
/// is kept and the repetition noted. `None`: the query cannot be read.
fn authorization_request(query: &str) -> Option<AuthorizationRequest> {
    let mut resources = 0;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(name, _)| {
            if name == "resource" {
                resources += 1;
            }
            name != "resource" || resources == 1
        })
        .collect();
    let encoded = serde_urlencoded::to_string(&pairs).ok()?;
    let mut request: AuthorizationRequest = serde_urlencoded::from_str(&encoded).ok()?;
    request.repeated_resource = resources > 1;
    Some(request)
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[get("/oauth/authorize")]
async fn authorize(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
) -> HttpResponse {
    let Some(query) = authorization_request(req.query_string()) else {
        return error_page(
            &browser,
            StatusCode::BAD_REQUEST,
            "invalid_request",
            browser.locale.t("authorize-error-unreadable"),
        );
    };
    let marker = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(name, _)| name == LOGIN_MARKER_PARAM)
        .map(|(_, value)| value.into_owned());
    let outcome = state
        .oauth
        .authorize(
            &browser.site,
            browser.user.as_deref(),
            browser.session_id,
            &query,
            marker.as_deref(),
        )
        .await;
    respond(&req, &state, &browser, outcome)
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/oauth/authorize")]
async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<ConsentForm>,
) -> HttpResponse {
    if !browser.verify_csrf(&form.csrf_token) {
        return shown_error(&browser, UserFacingError::CsrfFailed);
    }
    let (Some(user), Some(decision)) = (browser.user.as_deref(), Decision::parse(&form.decision))
    else {
        return shown_error(&browser, UserFacingError::ConsentExpired);
    };
    let outcome = state
        .oauth
        .decide(
            &browser.site,
            user,
            browser.session_id,
            &form.consent_token,
            decision,
        )
        .await;
    respond(&req, &state, &browser, outcome)
}
