//! `POST /account/language`: the language the user wants their pages and
//! emails in, or none (as the browser asks).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};
use serde::Deserialize;

use super::pages::{error_page, see_other};
use crate::error::ApiError;
use crate::i18n::Locale;
use crate::routes::browser_session::BrowserSession;
use crate::state::AppState;
use crate::users::UserError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(save_language);
}

#[derive(Deserialize)]
struct LanguageForm {
    #[serde(default)]
    csrf_token: String,
    /// A tag of `Locale::ALL`, or empty for "as my browser asks".
    #[serde(default)]
    locale: String,
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/account/language")]
async fn save_language(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<LanguageForm>,
) -> Result<HttpResponse, ApiError> {
    let Some(user) = browser.user.clone() else {
        return Ok(see_other("/login?next=/account"));
    };
    if !browser.verify_csrf(&form.csrf_token) {
        return Ok(see_other("/account"));
    }
    let locale = match form.locale.as_str() {
        "" => None,
        raw => match Locale::parse(raw) {
            Some(locale) => Some(locale),
            None => {
                let message = browser
                    .locale
                    .t1("account-error-unknown-language", "tag", raw);
                let status = StatusCode::BAD_REQUEST;
                return Ok(error_page(&browser, status, "invalid_request", message));
            }
        },
    };
    match state
        .users
        .set_locale(browser.site.id, user.id, locale)
        .await
    {
        Ok(()) => Ok(see_other("/account?notice=language-saved#language")),
        // The user was deleted since the session was read.
        Err(UserError::NotFound(_)) => Ok(see_other("/login?next=/account")),
        Err(e) => Err(ApiError::Internal(e.into())),
    }
}
