//! Signing in with another OpenID provider: the sign-in buttons' form
//! (`POST /login/upstream/{name}`), the provider's callback, the "link your
//! account" form, and the account page's unlink form. The protocol and the
//! linking rules live in `crate::upstream`.

use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use serde::Deserialize;

use super::extract::client_info;
use super::pages::{Chrome, CsrfForm, add_cookie, html, see_other};
use crate::error::ApiError;
use crate::next_path::NextPath;
use crate::routes::browser_session::BrowserSession;
use crate::signin::SignInOutcome;
use crate::sites::Site;
use crate::state::AppState;
use crate::upstream::{
    self, FLOW_COOKIE, FLOW_SECS, Finished, FlowId, LinkAttempt, PendingLinkView, ProviderAnswer,
    ProviderButton, UpstreamError,
};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(link_form)
        .service(begin)
        .service(callback)
        .service(unlink);
}

const AFTER_SIGN_IN: &str = "/account";
const COOKIE_PATH: &str = "/login/upstream";

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    code: &'static str,
    message: String,
}

#[derive(Template)]
#[template(path = "upstream/link.html")]
struct LinkPage {
    chrome: Chrome,
    view: PendingLinkView,
    username: String,
    error: Option<String>,
}

#[derive(Deserialize)]
struct BeginForm {
    #[serde(default)]
    csrf_token: String,
    next: Option<String>,
}

#[derive(Deserialize)]
struct LinkForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

/// An identity linked to the signed-in account, as the account page lists it.
pub struct LinkedRow {
    pub id: i64,
    pub provider: String,
    pub subject: String,
    pub email: String,
    pub linked: String,
}

/// The account page's section: linked identities, and the providers the
/// user may link.
pub struct AccountSection {
    pub linked: Vec<LinkedRow>,
    pub available: Vec<ProviderButton>,
}

impl AccountSection {
    pub async fn of(
        state: &AppState,
        site: &Site,
        user_id: i64,
        lang: crate::i18n::Locale,
    ) -> Result<Self, ApiError> {
        let linked = upstream::linked_identities(state, site, user_id)
            .await
            .map_err(internal)?;
        let available = upstream::buttons(state, site)
            .await
            .into_iter()
            .filter(|b| !linked.iter().any(|l| l.provider_name == b.name))
            .collect();
        let linked = linked
            .into_iter()
            .map(|l| LinkedRow {
                id: l.id,
                provider: l.provider_display_name,
                subject: l.subject,
                email: l.email.unwrap_or_default(),
                linked: lang.format_time(l.created_at),
            })
            .collect();
        Ok(AccountSection { linked, available })
    }
}

fn internal(e: UpstreamError) -> ApiError {
    match e {
        UpstreamError::Store(e) => ApiError::from(e),
        other => ApiError::Internal(anyhow::anyhow!("{other}")),
    }
}

fn flow_cookie(site: &Site, value: String, max_age_secs: i64) -> Cookie<'static> {
    let mut cookie = Cookie::build(FLOW_COOKIE, value)
        .path(COOKIE_PATH)
        .http_only(true)
        // Lax: the provider sends the browser back with a top-level GET.
        .same_site(SameSite::Lax)
        .secure(site.is_https())
        .finish();
    cookie.set_max_age(CookieDuration::seconds(max_age_secs.max(0)));
    cookie
}

/// The error page with the message `key` from the catalog, in the page's
/// language.
fn error_page(
    browser: &BrowserSession,
    status: StatusCode,
    code: &'static str,
    key: &str,
) -> HttpResponse {
    error_page_text(browser, status, code, &browser.locale.t(key))
}

/// The error page with a message as it is (a setting's own refusal).
fn error_page_text(
    browser: &BrowserSession,
    status: StatusCode,
    code: &'static str,
    message: &str,
) -> HttpResponse {
    let mut response = html(
        status,
        &ErrorPage {
            chrome: Chrome::new(browser),
            code,
            message: message.to_string(),
        },
    );
    browser.attach_csrf_cookie(&mut response);
    add_cookie(&mut response, &flow_cookie(&browser.site, String::new(), 0));
    response
}

/// The page for an error: a refusal people can read, or a 5xx.
fn refused(browser: &BrowserSession, e: UpstreamError) -> Result<HttpResponse, ApiError> {
    Ok(match e {
        UpstreamError::Refused(text) => {
            error_page(browser, StatusCode::BAD_REQUEST, "upstream_refused", text)
        }
        UpstreamError::UnknownProvider => error_page(
            browser,
            StatusCode::NOT_FOUND,
            "unknown_provider",
            "upstream-error-unknown-provider",
        ),
        UpstreamError::Unreachable(why) => {
            tracing::warn!(site = %browser.site.slug, why = %why, "upstream provider unusable");
            error_page(
                browser,
                StatusCode::BAD_GATEWAY,
                "upstream_unreachable",
                "upstream-error-unreachable",
            )
        }
        UpstreamError::Invalid(why) => {
            error_page_text(browser, StatusCode::BAD_REQUEST, "upstream_refused", &why)
        }
        UpstreamError::NameTaken(_) => error_page_text(
            browser,
            StatusCode::BAD_REQUEST,
            "upstream_refused",
            &e.to_string(),
        ),
        other => return Err(internal(other)),
    })
}

/// Where a sign-in goes after the provider (or the password): as after
/// the sign-in form; the flow cookie is cleared either way.
fn signed_in(state: &AppState, site: &Site, next: &str, outcome: SignInOutcome) -> HttpResponse {
    let next = NextPath::or_default(Some(next), AFTER_SIGN_IN);
    let mut response = super::login::onward(state, site, &next, outcome)
        .unwrap_or_else(|_| see_other(next.as_str()));
    add_cookie(&mut response, &flow_cookie(site, String::new(), 0));
    response
}

fn link_page(
    browser: &BrowserSession,
    status: StatusCode,
    flow: &FlowId,
    view: PendingLinkView,
    username: String,
    error: Option<String>,
) -> HttpResponse {
    let mut response = html(
        status,
        &LinkPage {
            chrome: Chrome::new(browser),
            view,
            username,
            error,
        },
    );
    browser.attach_csrf_cookie(&mut response);
    add_cookie(
        &mut response,
        &flow_cookie(&browser.site, flow.expose().to_string(), FLOW_SECS),
    );
    response
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/login/upstream/{name}")]
async fn begin(
    state: web::Data<AppState>,
    browser: BrowserSession,
    path: web::Path<String>,
    form: web::Form<BeginForm>,
) -> Result<HttpResponse, ApiError> {
    let next = NextPath::or_default(form.next.as_deref(), AFTER_SIGN_IN);
    if !browser.verify_csrf(&form.csrf_token) {
        return Ok(see_other("/login"));
    }
    let current = browser.current();
    match upstream::begin_sign_in(&state, &browser.site, &path, &next, current).await {
        Ok((url, flow)) => {
            let mut response = see_other(url.as_str());
            add_cookie(
                &mut response,
                &flow_cookie(&browser.site, flow.expose().to_string(), FLOW_SECS),
            );
            Ok(response)
        }
        Err(e) => refused(&browser, e),
    }
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[get("/login/upstream/{name}/callback")]
async fn callback(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    path: web::Path<String>,
    query: web::Query<ProviderAnswer>,
) -> Result<HttpResponse, ApiError> {
    let flow_id = req
        .cookie(FLOW_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    let finished = upstream::finish_sign_in(
        &state,
        &browser.site,
        &path,
        &flow_id,
        &query,
        browser.current(),
        client_info(&req),
    )
    .await;
    match finished {
        Ok((next, Finished::SignIn(outcome))) => {
            Ok(signed_in(&state, &browser.site, &next, outcome))
        }
        Ok((_, Finished::Linked)) => {
            let mut response = see_other("/account?notice=upstream-linked#upstream");
            add_cookie(&mut response, &flow_cookie(&browser.site, String::new(), 0));
            Ok(response)
        }
        Ok((_, Finished::NeedsPassword { flow, view })) => Ok(link_page(
            &browser,
            StatusCode::OK,
            &flow,
            view,
            String::new(),
            None,
        )),
        Err(e) => refused(&browser, e),
    }
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/login/upstream/link")]
async fn link_form(
    req: HttpRequest,
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<LinkForm>,
) -> Result<HttpResponse, ApiError> {
    let form = form.into_inner();
    if !browser.verify_csrf(&form.csrf_token) {
        return Ok(error_page(
            &browser,
            StatusCode::FORBIDDEN,
            "csrf_failed",
            "upstream-error-form-expired",
        ));
    }
    let flow_id = req
        .cookie(FLOW_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    let attempt = upstream::link_with_password(
        &state,
        &browser.site,
        &flow_id,
        &form.username,
        form.password,
        client_info(&req),
        browser.current(),
    )
    .await;
    match attempt {
        Ok(LinkAttempt::Done { next, outcome }) => {
            Ok(signed_in(&state, &browser.site, &next, outcome))
        }
        Ok(LinkAttempt::Retry {
            flow,
            view,
            refused,
        }) => {
            let lang = browser.locale;
            let (status, message) = match refused {
                SignInOutcome::Throttled { retry_after } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    lang.t1("login-error-throttled", "minutes", (retry_after + 59) / 60),
                ),
                SignInOutcome::Unverified => {
                    (StatusCode::FORBIDDEN, lang.t("login-error-unverified"))
                }
                _ => (StatusCode::UNAUTHORIZED, lang.t("login-error-refused")),
            };
            let username = if form.username.len() > crate::signin::MAX_USERNAME_BYTES {
                String::new()
            } else {
                form.username
            };
            Ok(link_page(
                &browser,
                status,
                &flow,
                view,
                username,
                Some(message),
            ))
        }
        Err(e) => refused(&browser, e),
    }
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/account/upstream/{id}/remove")]
async fn unlink(
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
    match upstream::unlink(&state, &browser.site, user.id, path.into_inner()).await {
        Ok(_) => Ok(see_other("/account?notice=upstream-removed#upstream")),
        Err(e) => refused(&browser, e),
    }
}
