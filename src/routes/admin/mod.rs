//! `/admin`: a site administrator's page for the site's other token kinds —
//! browser tokens, server tokens, identity providers and legacy keys — and the legacy usage
//! report. Secrets are shown once, on the page that created them.

mod audit;
mod identity;
mod legacy;
mod overview;
mod tokens;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::pages::{Chrome, Elsewhere, html};
use crate::routes::browser_session::BrowserSession;
use crate::users::Permission;

pub fn configure(cfg: &mut web::ServiceConfig) {
    overview::configure(cfg);
    audit::configure(cfg);
    tokens::configure(cfg);
    legacy::configure(cfg);
    identity::configure(cfg);
}

/// Shown once, right after a secret was made.
#[derive(Template)]
#[template(path = "admin/secret.html")]
struct SecretPage {
    chrome: Chrome,
    heading: String,
    /// Each value with its stable name (`data-label`) and its label.
    lines: Vec<(&'static str, String, String)>,
    advice: String,
}

#[derive(Template)]
#[template(path = "error.html")]
struct DeniedPage {
    chrome: Chrome,
    code: &'static str,
    message: String,
}

/// What keeps a request from the admin pages.
enum NotAdmin {
    SignInFirst(Elsewhere),
    Forbidden,
}

impl NotAdmin {
    fn response(self, browser: &BrowserSession) -> HttpResponse {
        match self {
            NotAdmin::SignInFirst(elsewhere) => elsewhere.response(),
            NotAdmin::Forbidden => {
                let page = DeniedPage {
                    chrome: Chrome::new(browser),
                    code: "forbidden",
                    message: browser.locale.t("admin-error-not-admin"),
                };
                html(StatusCode::FORBIDDEN, &page)
            }
        }
    }
}

/// Only signed-in site admins get in; for a form post the CSRF token must
/// match too.
fn admin_only(browser: &BrowserSession, csrf_token: Option<&str>) -> Result<(), NotAdmin> {
    if browser.user.is_none() {
        return Err(NotAdmin::SignInFirst(Elsewhere(
            "/login?next=/admin".into(),
        )));
    }
    if !browser.can(Permission::Admin) {
        return Err(NotAdmin::Forbidden);
    }
    match csrf_token {
        Some(token) if !browser.verify_csrf(token) => Err(NotAdmin::SignInFirst(Elsewhere(
            "/admin?notice=expired".into(),
        ))),
        _ => Ok(()),
    }
}

/// The name scripts find a secret by, whatever the page's language.
fn secret_data_label(key: &str) -> &'static str {
    match key {
        "admin-secret-site-api-key" => "Site API key",
        "admin-secret-key" => "Key",
        _ => "Secret",
    }
}

/// A page showing new secrets once: `heading` and each line's label
/// (also its stable `data-label`) are message keys.
fn secret_page(
    browser: &BrowserSession,
    heading: &'static str,
    lines: Vec<(&'static str, String)>,
    advice: String,
) -> HttpResponse {
    let lang = browser.locale;
    let page = SecretPage {
        chrome: Chrome::new(browser),
        heading: lang.t(heading),
        lines: lines
            .into_iter()
            .map(|(key, value)| (secret_data_label(key), lang.t(key), value))
            .collect(),
        advice,
    };
    let mut response = html(StatusCode::CREATED, &page);
    browser.attach_csrf_cookie(&mut response);
    response
}
