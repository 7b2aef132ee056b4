//! Shared pieces of the HTML pages: rendering, the page chrome, cookies.

use actix_web::HttpResponse;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::StatusCode;
use actix_web::http::header;
use askama::Template;
use serde::Deserialize;

use super::browser_session::BrowserSession;
use super::extract::AUTHTOKEN_COOKIE;
use crate::i18n::Locale;
use crate::sites::Site;
use crate::sites::look::Accent;

/// What every page's frame shows: the site and its look, who is signed in,
/// the CSRF token for the sign-out button, and the language of every
/// string. Only a [`BrowserSession`] can frame a page.
pub struct Chrome {
    pub site_name: String,
    pub username: Option<String>,
    pub csrf_token: String,
    pub lang: Locale,
    pub logo_url: Option<String>,
    pub accent: Option<Accent>,
}

impl Chrome {
    pub fn new(browser: &BrowserSession) -> Self {
        Chrome {
            username: browser.user.as_ref().map(|u| u.display_name.clone()),
            csrf_token: browser.csrf_token().to_owned(),
            ..Chrome::of_site(&browser.site, browser.locale)
        }
    }

    /// The frame of a site's page with no one signed in and no form (an
    /// error answered before any session lookup).
    pub fn of_site(site: &Site, lang: Locale) -> Self {
        Chrome {
            site_name: site.shown_name().to_string(),
            username: None,
            csrf_token: String::new(),
            lang,
            logo_url: site.look.logo_url.clone(),
            accent: site.look.accent.clone(),
        }
    }

    /// The message `key` in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    /// The message `key` with one argument.
    pub fn t1(&self, key: &str, name: &'static str, value: impl std::fmt::Display) -> String {
        self.lang.t1(key, name, value)
    }

    /// The message `key` with two arguments.
    pub fn t2(
        &self,
        key: &str,
        name_a: &'static str,
        value_a: impl std::fmt::Display,
        name_b: &'static str,
        value_b: impl std::fmt::Display,
    ) -> String {
        self.lang.t2(key, name_a, value_a, name_b, value_b)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    code: &'static str,
    message: String,
}

/// The error page in the browser's frame and language.
pub fn error_page(
    browser: &BrowserSession,
    status: StatusCode,
    code: &'static str,
    message: String,
) -> HttpResponse {
    let page = ErrorPage {
        chrome: Chrome::new(browser),
        code,
        message,
    };
    let mut response = html(status, &page);
    browser.attach_csrf_cookie(&mut response);
    response
}

/// Renders a page with a status. Pages are never cached and never framed.
pub fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "template failed to render");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// A page guard's answer when the page is not to be served: send the
/// browser elsewhere (usually to sign in).
#[derive(Debug)]
pub struct Elsewhere(pub String);

impl Elsewhere {
    pub fn response(&self) -> HttpResponse {
        see_other(&self.0)
    }
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// A form that carries nothing but its CSRF token (sign-out buttons).
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    pub csrf_token: String,
}

pub(super) fn base_cookie(site: &Site, name: &'static str, value: String) -> Cookie<'static> {
    Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(site.is_https())
        .finish()
}

pub fn authtoken_cookie(site: &Site, value: String, max_age_secs: i64) -> Cookie<'static> {
    let mut cookie = base_cookie(site, AUTHTOKEN_COOKIE, value);
    cookie.set_max_age(CookieDuration::seconds(max_age_secs.max(0)));
    cookie
}

/// The cookie of a sign-in waiting for its second step
/// (`second_factor::pending`).
pub fn pending_signin_cookie(site: &Site, value: String, max_age_secs: i64) -> Cookie<'static> {
    let mut cookie = base_cookie(site, crate::second_factor::PENDING_COOKIE, value);
    cookie.set_max_age(CookieDuration::seconds(max_age_secs.max(0)));
    cookie
}

pub fn cleared_authtoken_cookie(site: &Site) -> Cookie<'static> {
    authtoken_cookie(site, String::new(), 0)
}

pub fn add_cookie(response: &mut HttpResponse, cookie: &Cookie<'_>) {
    if let Err(e) = response.add_cookie(cookie) {
        tracing::error!(error = %e, "cannot set a cookie");
    }
}

/// Formats Unix seconds for people (UTC).
pub fn format_time(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| unix.to_string())
}
