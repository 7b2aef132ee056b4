//! Switching a site's legacy keys on, off, or to a new key from `/admin`.

use actix_web::{HttpResponse, post, web};

use super::{admin_only, secret_page};
use crate::error::ApiError;
use crate::routes::browser_session::BrowserSession;
use crate::routes::pages::{CsrfForm, see_other};
use crate::state::AppState;
use crate::tokens::stored::TokenKindError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(enable).service(disable).service(rotate);
}

fn internal(e: TokenKindError) -> ApiError {
    ApiError::Internal(anyhow::anyhow!(e))
}

const ADVICE: &str = "admin-legacy-advice";

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/admin/legacy/enable")]
async fn enable(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    if let Err(refusal) = admin_only(&browser, Some(&form.csrf_token)) {
        return Ok(refusal.response(&browser));
    }
    let (_, fresh) = state
        .token_kinds
        .enable_legacy(browser.site.id)
        .await
        .map_err(internal)?;
    tracing::warn!(site = %browser.site.slug, "legacy keys enabled from the admin page");
    Ok(match fresh {
        Some(key) => secret_page(
            &browser,
            "admin-legacy-enabled-heading",
            vec![("admin-secret-site-api-key", key.expose().to_string())],
            browser.locale.t(ADVICE),
        ),
        // The existing key was switched back on; it is not shown again.
        None => see_other("/admin"),
    })
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/admin/legacy/disable")]
async fn disable(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    if let Err(refusal) = admin_only(&browser, Some(&form.csrf_token)) {
        return Ok(refusal.response(&browser));
    }
    state.token_kinds.disable_legacy(browser.site.id).await?;
    Ok(see_other("/admin?notice=legacy-disabled"))
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/admin/legacy/rotate")]
async fn rotate(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    if let Err(refusal) = admin_only(&browser, Some(&form.csrf_token)) {
        return Ok(refusal.response(&browser));
    }
    let (_, key) = state
        .token_kinds
        .rotate_legacy(browser.site.id)
        .await
        .map_err(internal)?;
    tracing::warn!(site = %browser.site.slug, "legacy site API key rotated from the admin page");
    Ok(secret_page(
        &browser,
        "admin-legacy-new-key-heading",
        vec![("admin-secret-site-api-key", key.expose().to_string())],
        format!(
            "{} {}",
            browser.locale.t("admin-legacy-old-key-gone"),
            browser.locale.t(ADVICE)
        ),
    ))
}
