//! The account page's email block: whether the address is confirmed, and
//! `POST /account/email/verify` to have a confirmation link sent.

use actix_web::{HttpResponse, post, web};

use super::pages::{CsrfForm, see_other};
use crate::error::ApiError;
use crate::routes::browser_session::BrowserSession;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(send_verification);
}

/// What the account page says about the user's address.
pub struct EmailStatus {
    pub address: Option<String>,
    pub verified: bool,
    /// A confirmation link can be sent (email is on, the address is not
    /// confirmed).
    pub can_verify: bool,
}

impl EmailStatus {
    pub async fn of(
        state: &AppState,
        site_id: i64,
        user_id: i64,
    ) -> Result<Self, crate::store::StoreError> {
        let user = state.store.find_user(site_id, user_id).await?;
        let (address, verified) =
            user.map_or((None, false), |u| (u.email, u.email_verified_at.is_some()));
        Ok(EmailStatus {
            can_verify: address.is_some() && !verified && state.accounts.email_enabled(),
            address,
            verified,
        })
    }
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/account/email/verify")]
async fn send_verification(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    let Some(user) = browser.user.clone() else {
        return Ok(see_other("/login?next=/account"));
    };
    if !browser.verify_csrf(&form.csrf_token) {
        return Ok(see_other("/account"));
    }
    let status = EmailStatus::of(&state, browser.site.id, user.id).await?;
    if !status.can_verify {
        return Ok(see_other("/account"));
    }
    let Some(record) = state.store.find_user(browser.site.id, user.id).await? else {
        return Ok(see_other("/account"));
    };
    state
        .accounts
        .send_verification(&browser.site, &record)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    Ok(see_other("/account?notice=verification-sent"))
}
