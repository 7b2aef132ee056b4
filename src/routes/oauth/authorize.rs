//! `GET /oauth/authorize` and the consent form's `POST /oauth/authorize`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use crate::oauth::authorize::ScopeLine;
use crate::oauth::consent::Decision;
use crate::oauth::{AuthorizationRequest, Authorize, ConsentPage, OAuthError, UserFacingError};
use crate::routes::pages::{Chrome, Csrf, html, see_other};
use crate::state::AppState;
use crate::tokens::Caller;

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
    req: &HttpRequest,
    caller: &Caller,
    status: StatusCode,
    code: &'static str,
    message: String,
) -> HttpResponse {
    let csrf = Csrf::for_request(req, &caller.site);
    let mut response = html(
        status,
        &ErrorPage {
            chrome: Chrome::new(caller, &csrf),
            code,
            message,
        },
    );
    csrf.attach(&caller.site, &mut response);
    response
}

fn shown_error(req: &HttpRequest, caller: &Caller, error: UserFacingError) -> HttpResponse {
    let status = match error {
        UserFacingError::CsrfFailed => StatusCode::FORBIDDEN,
        _ => StatusCode::BAD_REQUEST,
    };
    error_page(req, caller, status, error.code(), error.to_string())
}

fn consent_screen(req: &HttpRequest, caller: &Caller, page: ConsentPage) -> HttpResponse {
    let csrf = Csrf::for_request(req, &caller.site);
    let user = caller.user.as_deref();
    let screen = ConsentScreen {
        chrome: Chrome::new(caller, &csrf),
        client_name: page.client_name,
        client_id: page.client_id,
        homepage_url: page.homepage_url,
        user_name: user.map(|u| u.display_name.clone()).unwrap_or_default(),
        username: user.map(|u| u.username.clone()).unwrap_or_default(),
        scopes: page.scopes,
        consent_token: page.consent_token,
        form_action: "/oauth/authorize",
    };
    let mut response = html(StatusCode::OK, &screen);
    csrf.attach(&caller.site, &mut response);
    response
}

fn respond(
    req: &HttpRequest,
    caller: &Caller,
    outcome: Result<Authorize, OAuthError>,
) -> HttpResponse {
    match outcome {
        Ok(Authorize::Redirect(location)) => see_other(&location),
        Ok(Authorize::NeedsConsent(page)) => consent_screen(req, caller, page),
        Ok(Authorize::ShowError(error)) => shown_error(req, caller, error),
        Ok(Authorize::NeedsLogin) => {
            let here = match req.uri().query() {
                Some(query) => format!("{}?{query}", req.path()),
                None => req.path().to_string(),
            };
            let next: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
            see_other(&format!("/login?next={next}"))
        }
        Err(e) => {
            tracing::error!(error = ?e, "authorization request failed");
            error_page(
                req,
                caller,
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "Something went wrong on our side. Please try again.".into(),
            )
        }
    }
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/oauth/authorize")]
async fn authorize(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<AuthorizationRequest>,
) -> HttpResponse {
    let outcome = state
        .oauth
        .authorize(
            &caller.site,
            caller.user.as_deref(),
            caller.session_id,
            &query,
        )
        .await;
    respond(&req, &caller, outcome)
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[post("/oauth/authorize")]
async fn decide(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    form: web::Form<ConsentForm>,
) -> HttpResponse {
    if !Csrf::verify(&req, &caller.site, &form.csrf_token) {
        return shown_error(&req, &caller, UserFacingError::CsrfFailed);
    }
    let (Some(user), Some(decision)) = (caller.user.as_deref(), Decision::parse(&form.decision))
    else {
        return shown_error(&req, &caller, UserFacingError::ConsentExpired);
    };
    let outcome = state
        .oauth
        .decide(
            &caller.site,
            user,
            caller.session_id,
            &form.consent_token,
            decision,
        )
        .await;
    respond(&req, &caller, outcome)
}
