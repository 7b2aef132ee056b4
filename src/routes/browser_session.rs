//! `BrowserSession`: who is signed in in this browser, for HTML pages and
//! form POSTs.
//!
//! It is built from the `authtoken` cookie alone: never from
//! `Authorization`, a query parameter, `X-Deki-Token` or a legacy key. An
//! OAuth access token (however it is sent) therefore never counts as a
//! signed-in user on a page, and the consent screen, the developer portal,
//! the account and admin pages only act for the person at the browser.
//!
//! It is a different type from the JSON APIs' [`ApiCaller`]
//! (`crate::tokens::ApiCaller`), and neither converts into the other. The
//! page frame ([`Chrome`](super::pages::Chrome)) and CSRF checks need a
//! `BrowserSession`, so a page handler cannot be written with an API
//! caller:
//!
//! ```compile_fail
//! use tessera::routes::pages::Chrome;
//! use tessera::tokens::ApiCaller;
//!
//! fn frame(caller: &ApiCaller) -> Chrome {
//!     Chrome::new(caller)
//! }
//! ```
//!
//! [`ApiCaller`]: crate::tokens::ApiCaller

use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;

use super::extract::{AUTHTOKEN_COOKIE, app_state, cookie, resolve_site};
use super::pages::base_cookie;
use crate::cache::CachedUser;
use crate::csrf::{self, Binding};
use crate::error::ApiError;
use crate::i18n::Locale;
use crate::sites::Site;
use crate::users::{Permission, Permissions};

pub struct BrowserSession {
    pub site: Arc<Site>,
    /// The signed-in user, if the cookie names a live session.
    pub user: Option<Arc<CachedUser>>,
    /// The sign-in session behind the cookie.
    pub session_id: Option<i64>,
    /// The language of this browser's pages: the user's choice, else what
    /// the browser asks for, else the site's default.
    pub locale: Locale,
    csrf: PageCsrf,
}

/// The CSRF token this browser's forms carry, and the pre-session cookie
/// to set when the token is bound to a cookie this request created.
struct PageCsrf {
    token: String,
    new_cookie: Option<String>,
    /// The pre-session cookie the request carried, for verifying forms of
    /// a browser nobody is signed in on.
    cookie: Option<String>,
}

impl BrowserSession {
    /// The session signed in in this browser, if any.
    pub fn current(&self) -> Option<crate::signin::CurrentSession> {
        self.session_id
            .zip(self.user.as_ref())
            .map(|(session_id, user)| crate::signin::CurrentSession {
                session_id,
                user_id: user.id,
            })
    }

    async fn recognise(req: &HttpRequest) -> Result<Self, actix_web::Error> {
        let state = app_state(req)?;
        let site = resolve_site(req, &state).await?;
        let session = match cookie(req, AUTHTOKEN_COOKIE).filter(|v| !v.is_empty()) {
            Some(token) => state
                .sessions
                .recognise(&site, token)
                .await
                .map_err(ApiError::from)?,
            None => None,
        };
        let saved_locale = session.as_ref().and_then(|s| s.user.locale);
        let locale =
            crate::i18n::negotiate(saved_locale, accept_language(req), site.default_locale);
        let pre_session = cookie(req, csrf::COOKIE)
            .filter(|v| csrf::is_cookie_value(v))
            .map(str::to_owned);
        Ok(match session {
            Some(session) => BrowserSession {
                csrf: PageCsrf {
                    token: csrf::token_for(&site, Binding::Session(session.session_id)),
                    new_cookie: None,
                    cookie: pre_session,
                },
                user: Some(session.user),
                session_id: Some(session.session_id),
                locale,
                site,
            },
            None => {
                let (value, new_cookie) = match pre_session.clone() {
                    Some(value) => (value, None),
                    None => {
                        let value = csrf::new_cookie_value();
                        (value.clone(), Some(value))
                    }
                };
                BrowserSession {
                    csrf: PageCsrf {
                        token: csrf::token_for(&site, Binding::Browser(&value)),
                        new_cookie,
                        cookie: pre_session,
                    },
                    user: None,
                    session_id: None,
                    locale,
                    site,
                }
            }
        })
    }

    /// What the signed-in user's role allows (nothing when nobody is).
    pub fn permissions(&self) -> Permissions {
        self.user
            .as_ref()
            .map_or_else(Permissions::none, |u| u.role.permissions())
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.permissions().contains(permission)
    }

    /// The token this browser's forms carry.
    pub fn csrf_token(&self) -> &str {
        &self.csrf.token
    }

    /// Whether a submitted form token was issued to this session (or, when
    /// nobody is signed in, to this browser's pre-session cookie).
    pub fn verify_csrf(&self, submitted: &str) -> bool {
        let binding = match (self.session_id, self.csrf.cookie.as_deref()) {
            (Some(id), _) => Binding::Session(id),
            (None, Some(cookie)) => Binding::Browser(cookie),
            (None, None) => return false,
        };
        csrf::verify(&self.site, binding, submitted)
    }

    /// Sets the pre-session cookie on a page's response when this request
    /// created it.
    pub fn attach_csrf_cookie(&self, response: &mut HttpResponse) {
        if let Some(value) = &self.csrf.new_cookie {
            super::pages::add_cookie(
                response,
                &base_cookie(&self.site, csrf::COOKIE, value.clone()),
            );
        }
    }
}

/// The request's `Accept-Language`, when it is readable text.
pub fn accept_language(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
}

impl FromRequest for BrowserSession {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { BrowserSession::recognise(&req).await })
    }
}
