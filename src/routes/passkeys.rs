//! The page side of passkeys: the JSON steps of the WebAuthn ceremonies
//! that `static/passkeys.js` drives on the account and sign-in pages, and
//! the form that removes a passkey.
//!
//! These are page endpoints: they know the user only from the `authtoken`
//! cookie ([`BrowserSession`]) and check the page's CSRF token (bound to the
//! session, or before sign-in to the browser's pre-session cookie). Bodies
//! are read as bytes and parsed here, so a malformed one gets this
//! endpoint's JSON error, never a framework text.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, post, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use webauthn_rs::prelude::{PublicKeyCredential, RegisterPublicKeyCredential};

use super::ApiConfig;
use super::extract::client_info;
use super::pages::{CsrfForm, add_cookie, authtoken_cookie, see_other};
use crate::error::{ApiError, ApiErrorBody};
use crate::i18n::Locale;
use crate::next_path::NextPath;
use crate::passkeys::{self, PasskeyError};
use crate::routes::browser_session::BrowserSession;
use crate::state::AppState;

/// The JSON steps, documented in `/openapi.json` (tag `passkeys`).
pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(register_begin);
    cfg.service(register_finish);
    cfg.service(sign_in_begin);
    cfg.service(sign_in_finish);
}

/// The account page's form.
pub fn configure_pages(cfg: &mut web::ServiceConfig) {
    cfg.service(remove);
}

const AFTER_SIGN_IN: &str = "/account";

#[derive(Deserialize)]
struct BeginBody {
    #[serde(default)]
    csrf_token: String,
}

#[derive(Deserialize)]
struct RegisterBody {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    ceremony: String,
    #[serde(default)]
    name: String,
    credential: RegisterPublicKeyCredential,
}

#[derive(Deserialize)]
struct SignInBody {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    ceremony: String,
    credential: PublicKeyCredential,
    next: Option<String>,
}

fn json(status: StatusCode, body: serde_json::Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body)
}

fn refusal(status: StatusCode, code: &str, message: &str) -> HttpResponse {
    json(
        status,
        serde_json::json!({ "error": code, "message": message }),
    )
}

fn answer(error: PasskeyError, lang: Locale) -> Result<HttpResponse, ApiError> {
    match error {
        PasskeyError::Refused(key) => Ok(refusal(
            StatusCode::BAD_REQUEST,
            "passkey_refused",
            &lang.t(key),
        )),
        PasskeyError::Store(e) => Err(e.into()),
        PasskeyError::Internal(e) => Err(ApiError::Internal(e)),
    }
}

/// A ceremony step's JSON body, which carries the page's CSRF token.
trait StepBody: DeserializeOwned {
    fn csrf_token(&self) -> &str;
}

impl StepBody for BeginBody {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl StepBody for RegisterBody {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

impl StepBody for SignInBody {
    fn csrf_token(&self) -> &str {
        &self.csrf_token
    }
}

/// Why a ceremony step's body was not taken.
enum StepRefusal {
    Unreadable,
    Expired,
}

impl StepRefusal {
    fn response(self, lang: Locale) -> HttpResponse {
        match self {
            StepRefusal::Unreadable => {
                let message = lang.t("passkey-error-unreadable");
                refusal(StatusCode::BAD_REQUEST, "invalid_request", &message)
            }
            StepRefusal::Expired => {
                let message = lang.t("passkey-error-page-expired");
                refusal(StatusCode::FORBIDDEN, "csrf", &message)
            }
        }
    }
}

/// The body of a ceremony step once it reads and its CSRF token matches
/// the browser's session.
fn checked<T: StepBody>(browser: &BrowserSession, body: &[u8]) -> Result<T, StepRefusal> {
    let body: T = serde_json::from_slice(body).map_err(|_| StepRefusal::Unreadable)?;
    if !browser.verify_csrf(body.csrf_token()) {
        return Err(StepRefusal::Expired);
    }
    Ok(body)
}

fn sign_in_first(lang: Locale) -> HttpResponse {
    let message = lang.t("passkey-error-sign-in-again");
    refusal(StatusCode::UNAUTHORIZED, "sign_in_required", &message)
}

#[utoipa::path(
    tag = "passkeys",
    description = "Begins adding a passkey for the signed-in user: `{csrf_token}` (the account page's) in, `{ceremony, options}` out, `options` being the `PublicKeyCredentialCreationOptions` for `navigator.credentials.create` (binary fields base64url). The challenge is kept five minutes in the shared store, bound to this session.",
    security(("authtoken_cookie" = [])),
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 200, description = "The ceremony id and the creation options", content_type = "application/json", body = Object),
        (status = 400, description = "`passkey_refused` (unknown, used or expired challenge, another origin, a bad answer) or `invalid_request` (an unreadable body)", body = ApiErrorBody),
        (status = 401, description = "`sign_in_required`: nobody is signed in", body = ApiErrorBody),
        (status = 403, description = "`csrf`: the page's CSRF token does not match", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/passkeys/register/begin")]
async fn register_begin(
    state: web::Data<AppState>,
    browser: BrowserSession,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (Some(user), Some(session_id)) = (&browser.user, browser.session_id) else {
        return Ok(sign_in_first(browser.locale));
    };
    // The body carries only the page's CSRF token.
    if let Err(refused) = checked::<BeginBody>(&browser, &body) {
        return Ok(refused.response(browser.locale));
    }
    match passkeys::begin_registration(&state, &browser.site, user, session_id).await {
        Ok(began) => Ok(json(
            StatusCode::OK,
            serde_json::json!({ "ceremony": began.ceremony.expose(), "options": began.options }),
        )),
        Err(e) => answer(e, browser.locale),
    }
}

#[utoipa::path(
    tag = "passkeys",
    description = "Finishes adding a passkey: `{csrf_token, ceremony, name, credential}`, `credential` being the browser's answer (binary fields base64url). The challenge is used once.",
    security(("authtoken_cookie" = [])),
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 200, description = "`{id, redirect}`: the new passkey's id and the page to show", content_type = "application/json", body = Object),
        (status = 400, description = "`passkey_refused` (unknown, used or expired challenge, another origin, a bad answer) or `invalid_request` (an unreadable body)", body = ApiErrorBody),
        (status = 401, description = "`sign_in_required`: nobody is signed in", body = ApiErrorBody),
        (status = 403, description = "`csrf`: the page's CSRF token does not match", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/passkeys/register/finish")]
async fn register_finish(
    state: web::Data<AppState>,
    browser: BrowserSession,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let (Some(user), Some(session_id)) = (&browser.user, browser.session_id) else {
        return Ok(sign_in_first(browser.locale));
    };
    let body: RegisterBody = match checked(&browser, &body) {
        Ok(body) => body,
        Err(refused) => return Ok(refused.response(browser.locale)),
    };
    let finished = passkeys::finish_registration(
        &state,
        &browser.site,
        user,
        session_id,
        &body.ceremony,
        &body.name,
        &body.credential,
    )
    .await;
    match finished {
        Ok(id) => Ok(json(
            StatusCode::OK,
            serde_json::json!({ "id": id, "redirect": "/account?notice=passkey-added" }),
        )),
        Err(e) => answer(e, browser.locale),
    }
}

#[utoipa::path(
    tag = "passkeys",
    description = "Begins a sign-in with a discoverable passkey: `{csrf_token}` (the sign-in page's) in, `{ceremony, options}` out (`PublicKeyCredentialRequestOptions`). The challenge is kept five minutes in the shared store.",
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 200, description = "The ceremony id and the request options", content_type = "application/json", body = Object),
        (status = 400, description = "`passkey_refused` (unknown, used or expired challenge, another origin, a bad answer) or `invalid_request` (an unreadable body)", body = ApiErrorBody),
        (status = 403, description = "`csrf`: the page's CSRF token does not match", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/passkeys/sign-in/begin")]
async fn sign_in_begin(
    state: web::Data<AppState>,
    browser: BrowserSession,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // The body carries only the page's CSRF token.
    if let Err(refused) = checked::<BeginBody>(&browser, &body) {
        return Ok(refused.response(browser.locale));
    }
    match passkeys::begin_sign_in(&state, &browser.site).await {
        Ok(began) => Ok(json(
            StatusCode::OK,
            serde_json::json!({ "ceremony": began.ceremony.expose(), "options": began.options }),
        )),
        Err(e) => answer(e, browser.locale),
    }
}

#[utoipa::path(
    tag = "passkeys",
    description = "Finishes a passkey sign-in: `{csrf_token, ceremony, credential, next}`. The challenge is used once; the passkey must be this site's (RP id and origin are the site's base URL). On success the `authtoken` cookie of a new session is set.",
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 200, description = "`{redirect}`: where to go, with the session cookie set", content_type = "application/json", body = Object),
        (status = 400, description = "`passkey_refused` (unknown, used or expired challenge, another origin, a bad answer) or `invalid_request` (an unreadable body)", body = ApiErrorBody),
        (status = 403, description = "`csrf`: the page's CSRF token does not match", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/passkeys/sign-in/finish")]
async fn sign_in_finish(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: SignInBody = match checked(&browser, &body) {
        Ok(body) => body,
        Err(refused) => return Ok(refused.response(browser.locale)),
    };
    let next = NextPath::or_default(body.next.as_deref(), AFTER_SIGN_IN);
    let finished = passkeys::finish_sign_in(
        &state,
        &browser.site,
        &body.ceremony,
        &body.credential,
        client_info(&req),
    )
    .await;
    match finished {
        Ok(session) => {
            let mut response = json(
                StatusCode::OK,
                serde_json::json!({ "redirect": next.as_str() }),
            );
            let max_age = session.record.expires_at - state.now();
            add_cookie(
                &mut response,
                &authtoken_cookie(&browser.site, session.authtoken, max_age),
            );
            Ok(response)
        }
        Err(e) => answer(e, browser.locale),
    }
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/account/passkeys/{id}/remove")]
async fn remove(
    state: web::Data<AppState>,
    browser: BrowserSession,
    path: web::Path<i64>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    let Some(user) = &browser.user else {
        return Ok(see_other("/login?next=/account"));
    };
    if !browser.verify_csrf(&form.csrf_token) {
        return Ok(see_other("/account"));
    }
    match passkeys::remove(&state, &browser.site, user.id, path.into_inner()).await {
        Ok(_) => Ok(see_other("/account?notice=passkey-removed#passkeys")),
        Err(e) => answer(e, browser.locale),
    }
}
