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
use crate::passkeys::{self, PasskeyError, SecondFactorFor};
use crate::ratelimit::{Admission, Endpoint, Subject};
use crate::routes::browser_session::BrowserSession;
use crate::routes::second_factor::{finish_pending, pending_of, step_up};
use crate::second_factor::{CodeKind, PendingPurpose};
use crate::state::AppState;
use crate::store::PendingSigninRecord;
use crate::throttle::{Attempt, ThrottleKey};

/// The JSON steps, documented in `/openapi.json` (tag `passkeys`).
pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(register_begin);
    cfg.service(register_finish);
    cfg.service(sign_in_begin);
    cfg.service(sign_in_finish);
    cfg.service(second_factor_begin);
    cfg.service(second_factor_finish);
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

/// A 429 with `Retry-After`, in the steps' JSON error shape.
fn too_many(code: &str, message: &str, retry_after: i64) -> HttpResponse {
    let mut response = refusal(StatusCode::TOO_MANY_REQUESTS, code, message);
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from(retry_after.max(1)),
    );
    response
}

/// Counts a step against its address's `passkey` rate limit (every step
/// that begins a ceremony writes its challenge to the shared store); over
/// the limit, the answer to send instead.
async fn over_limit(
    req: &HttpRequest,
    state: &AppState,
    browser: &BrowserSession,
) -> Option<HttpResponse> {
    let site = &browser.site;
    let ip = client_info(req).ip.unwrap_or_default();
    match state
        .rate_limits
        .admit(site, Endpoint::Passkey, Subject::Address(&ip))
        .await
    {
        Admission::Admitted => None,
        Admission::Refused { retry_after } => Some(too_many(
            "rate_limited",
            &browser.locale.t("passkey-error-rate-limited"),
            retry_after,
        )),
    }
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

#[derive(Deserialize)]
struct SecondFactorBody {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    ceremony: String,
    credential: PublicKeyCredential,
    next: Option<String>,
}

impl StepBody for SecondFactorBody {
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

/// The body of a ceremony step once its address is within the `passkey`
/// rate limit, it reads, and its CSRF token matches the browser's session;
/// otherwise the answer to send.
async fn step_body<T: StepBody>(
    req: &HttpRequest,
    state: &AppState,
    browser: &BrowserSession,
    body: &[u8],
) -> Result<T, HttpResponse> {
    if let Some(refused) = over_limit(req, state, browser).await {
        return Err(refused);
    }
    let body: T = serde_json::from_slice(body)
        .map_err(|_| StepRefusal::Unreadable.response(browser.locale))?;
    if !browser.verify_csrf(body.csrf_token()) {
        return Err(StepRefusal::Expired.response(browser.locale));
    }
    Ok(body)
}

/// The answer to a begin step: the ceremony id and the browser's options.
fn began<T: serde::Serialize>(
    result: Result<passkeys::Began<T>, PasskeyError>,
    lang: Locale,
) -> Result<HttpResponse, ApiError> {
    match result {
        Ok(began) => Ok(json(
            StatusCode::OK,
            serde_json::json!({ "ceremony": began.ceremony.expose(), "options": began.options }),
        )),
        Err(e) => answer(e, lang),
    }
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
        (status = 429, description = "`rate_limited`: too many passkey requests from this address (the `passkey` rate limit), with `Retry-After`", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/passkeys/register/begin")]
async fn register_begin(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // The body carries only the page's CSRF token.
    if let Err(refused) = step_body::<BeginBody>(&req, &state, &browser, &body).await {
        return Ok(refused);
    }
    let (Some(user), Some(session_id)) = (&browser.user, browser.session_id) else {
        return Ok(sign_in_first(browser.locale));
    };
    began(
        passkeys::begin_registration(&state, &browser.site, user, session_id).await,
        browser.locale,
    )
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
        (status = 429, description = "`rate_limited`: too many passkey requests from this address (the `passkey` rate limit), with `Retry-After`", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/passkeys/register/finish")]
async fn register_finish(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: RegisterBody = match step_body(&req, &state, &browser, &body).await {
        Ok(body) => body,
        Err(refused) => return Ok(refused),
    };
    let (Some(user), Some(session_id)) = (&browser.user, browser.session_id) else {
        return Ok(sign_in_first(browser.locale));
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
        (status = 429, description = "`rate_limited`: too many passkey requests from this address (the `passkey` rate limit), with `Retry-After`", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/passkeys/sign-in/begin")]
async fn sign_in_begin(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // The body carries only the page's CSRF token.
    if let Err(refused) = step_body::<BeginBody>(&req, &state, &browser, &body).await {
        return Ok(refused);
    }
    began(
        passkeys::begin_sign_in(&state, &browser.site).await,
        browser.locale,
    )
}

#[utoipa::path(
    tag = "passkeys",
    description = "Finishes a passkey sign-in: `{csrf_token, ceremony, credential, next}`. The challenge is used once; the passkey must be this site's (RP id and origin are the site's base URL). On success the `authtoken` cookie of a new session is set.",
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 200, description = "`{redirect}`: where to go, with the session cookie set", content_type = "application/json", body = Object),
        (status = 400, description = "`passkey_refused` (unknown, used or expired challenge, another origin, a bad answer) or `invalid_request` (an unreadable body)", body = ApiErrorBody),
        (status = 403, description = "`csrf`: the page's CSRF token does not match", body = ApiErrorBody),
        (status = 429, description = "`rate_limited`: too many passkey requests from this address (the `passkey` rate limit); `throttled`: too many failed sign-ins from this address (passwords and passkeys count together); both with `Retry-After`", body = ApiErrorBody),
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
    let body: SignInBody = match step_body(&req, &state, &browser, &body).await {
        Ok(body) => body,
        Err(refused) => return Ok(refused),
    };
    let next = NextPath::or_default(body.next.as_deref(), AFTER_SIGN_IN);
    let client = client_info(&req);
    // A refused answer is a failed sign-in from this address: it counts
    // toward the same throttle as wrong passwords, and a good one gives
    // its attempt back.
    let address = ThrottleKey::signin_address(
        browser.site.id,
        client.ip.as_deref().unwrap_or(""),
        state.settings.login_failures_before_throttle,
    );
    let attempts = std::slice::from_ref(&address);
    if let Attempt::Refused { retry_after } = state.throttle.attempt(attempts, state.now()).await? {
        tracing::warn!(site = %browser.site.slug, "passkey sign-in throttled");
        return Ok(too_many(
            "throttled",
            &browser.locale.t("passkey-error-throttled"),
            retry_after,
        ));
    }
    let finished = passkeys::finish_sign_in(
        &state,
        &browser.site,
        &body.ceremony,
        &body.credential,
        client,
    )
    .await;
    match finished {
        Ok(session) => {
            state.throttle.succeeded(&[], attempts).await?;
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

/// Whom a second-factor step is for: this browser's pending sign-in (the
/// password was right), or else its signed-in session stepping up. Never
/// the body's word.
async fn second_factor_subject(
    state: &AppState,
    req: &HttpRequest,
    browser: &BrowserSession,
) -> Result<Option<(i64, SecondFactorFor, Option<PendingSigninRecord>)>, ApiError> {
    if let Some((pending, user)) = pending_of(state, req, browser, PendingPurpose::Verify).await? {
        return Ok(Some((
            user.id,
            SecondFactorFor::Pending(pending.id),
            Some(pending),
        )));
    }
    Ok(match (&browser.user, browser.session_id) {
        (Some(user), Some(session_id)) => {
            Some((user.id, SecondFactorFor::StepUp(session_id), None))
        }
        _ => None,
    })
}

#[utoipa::path(
    tag = "passkeys",
    description = "Begins proving one of the user's own passkeys as the second step of a sign-in (after the password, from the pending sign-in cookie) or to step up the signed-in session: `{csrf_token}` (the second-factor page's) in, `{ceremony, options}` out (`PublicKeyCredentialRequestOptions` naming the user's passkeys). The challenge is kept five minutes in the shared store, bound to that sign-in or session.",
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 200, description = "The ceremony id and the request options", content_type = "application/json", body = Object),
        (status = 400, description = "`passkey_refused` (the user has no passkey) or `invalid_request` (an unreadable body)", body = ApiErrorBody),
        (status = 401, description = "`sign_in_required`: no pending sign-in and nobody signed in", body = ApiErrorBody),
        (status = 403, description = "`csrf`: the page's CSRF token does not match", body = ApiErrorBody),
        (status = 429, description = "`rate_limited`: too many passkey requests from this address (the `passkey` rate limit), with `Retry-After`", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/login/second-factor/passkey/begin")]
async fn second_factor_begin(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // The body carries only the page's CSRF token.
    if let Err(refused) = step_body::<BeginBody>(&req, &state, &browser, &body).await {
        return Ok(refused);
    }
    let Some((user_id, bound, _)) = second_factor_subject(&state, &req, &browser).await? else {
        return Ok(sign_in_first(browser.locale));
    };
    began(
        passkeys::begin_second_factor(&state, &browser.site, user_id, bound).await,
        browser.locale,
    )
}

#[utoipa::path(
    tag = "passkeys",
    description = "Finishes a passkey second factor: `{csrf_token, ceremony, credential, next}`. The challenge is used once, by the sign-in or session that began it. A pending sign-in completes (the `authtoken` cookie of its new session is set, the pending cookie cleared); a signed-in session is stepped up. Either way the session's `amr` gains `hwk` and its `acr` becomes `urn:tessera:acr:passkey`.",
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 200, description = "`{redirect}`: where to go", content_type = "application/json", body = Object),
        (status = 303, description = "The pending sign-in expired meanwhile: back to the sign-in page"),
        (status = 400, description = "`passkey_refused` (unknown, used, expired or another sign-in's challenge, a passkey not the user's, a bad answer) or `invalid_request` (an unreadable body)", body = ApiErrorBody),
        (status = 401, description = "`sign_in_required`: no pending sign-in and nobody signed in", body = ApiErrorBody),
        (status = 403, description = "`csrf`: the page's CSRF token does not match", body = ApiErrorBody),
        (status = 429, description = "`rate_limited`: too many passkey requests from this address (the `passkey` rate limit), with `Retry-After`", body = ApiErrorBody),
    ),
)]
#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/login/second-factor/passkey/finish")]
async fn second_factor_finish(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let body: SecondFactorBody = match step_body(&req, &state, &browser, &body).await {
        Ok(body) => body,
        Err(refused) => return Ok(refused),
    };
    let Some((user_id, bound, pending)) = second_factor_subject(&state, &req, &browser).await?
    else {
        return Ok(sign_in_first(browser.locale));
    };
    let site = &browser.site;
    let proved = passkeys::finish_second_factor(
        &state,
        site,
        user_id,
        bound,
        &body.ceremony,
        &body.credential,
    )
    .await;
    if let Err(e) = proved {
        return answer(e, browser.locale);
    }
    let next = NextPath::or_default(body.next.as_deref(), AFTER_SIGN_IN);
    let done = json(
        StatusCode::OK,
        serde_json::json!({ "redirect": next.as_str() }),
    );
    match (bound, pending) {
        (SecondFactorFor::Pending(_), Some(pending)) => {
            finish_pending(&state, &browser, &pending, CodeKind::Passkey, done, &next).await
        }
        (SecondFactorFor::StepUp(session_id), _) => {
            step_up(&state, site, user_id, session_id, CodeKind::Passkey).await?;
            Ok(done)
        }
        (SecondFactorFor::Pending(_), None) => Ok(sign_in_first(browser.locale)),
    }
}
