//! Creating and revoking browser and server tokens from `/admin`.

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;

use super::{admin_only, secret_page};
use crate::error::ApiError;
use crate::routes::browser_session::BrowserSession;
use crate::routes::pages::{CsrfForm, see_other};
use crate::state::AppState;
use crate::tokens::stored::TokenKindError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(create_browser_token)
        .service(revoke_browser_token)
        .service(create_server_token)
        .service(revoke_server_token);
}

#[derive(Deserialize)]
struct BrowserTokenForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    origins: String,
}

#[derive(Deserialize)]
struct ServerTokenForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    username: String,
    /// The explicit choice of a key that may act as anyone.
    any_user: Option<String>,
    jit: Option<String>,
}

fn bad_input(e: TokenKindError) -> ApiError {
    match e {
        TokenKindError::Store(e) => e.into(),
        TokenKindError::Seal(e) => ApiError::Internal(anyhow::anyhow!(e)),
        other => ApiError::BadRequest {
            code: "invalid_request",
            message: other.to_string(),
        },
    }
}

fn optional(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/admin/browser-tokens")]
async fn create_browser_token(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<BrowserTokenForm>,
) -> Result<HttpResponse, ApiError> {
    if let Err(refusal) = admin_only(&browser, Some(&form.csrf_token)) {
        return Ok(refusal.response(&browser));
    }
    state
        .token_kinds
        .create_browser_token(browser.site.id, optional(&form.name), &form.origins)
        .await
        .map_err(bad_input)?;
    Ok(see_other("/admin?notice=browser-created"))
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/admin/browser-tokens/{key}/revoke")]
async fn revoke_browser_token(
    state: web::Data<AppState>,
    browser: BrowserSession,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    if let Err(refusal) = admin_only(&browser, Some(&form.csrf_token)) {
        return Ok(refusal.response(&browser));
    }
    state
        .token_kinds
        .revoke_browser_token(browser.site.id, &path)
        .await?;
    Ok(see_other("/admin?notice=revoked"))
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/admin/server-tokens")]
async fn create_server_token(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<ServerTokenForm>,
) -> Result<HttpResponse, ApiError> {
    if let Err(refusal) = admin_only(&browser, Some(&form.csrf_token)) {
        return Ok(refusal.response(&browser));
    }
    let user_id = match (optional(&form.username), form.any_user.is_some()) {
        (None, true) => None,
        (None, false) => {
            return Err(ApiError::BadRequest {
                code: "invalid_request",
                message: "name the user this token acts as, or choose \"may act as any user\""
                    .into(),
            });
        }
        (Some(_), true) => {
            return Err(ApiError::BadRequest {
                code: "invalid_request",
                message: "choose either one user or \"may act as any user\", not both".into(),
            });
        }
        (Some(username), false) => Some(
            state
                .users
                .find_by_username(browser.site.id, &username)
                .await
                .map_err(|e| ApiError::BadRequest {
                    code: "invalid_request",
                    message: e.to_string(),
                })?
                .id,
        ),
    };
    let created = state
        .token_kinds
        .create_server_token(
            browser.site.id,
            optional(&form.name),
            user_id,
            form.jit.is_some(),
        )
        .await
        .map_err(bad_input)?;
    let key = created.record.token_key.clone();
    Ok(secret_page(
        &browser,
        "admin-server-token-heading",
        vec![
            ("admin-secret-key", key.clone()),
            ("admin-secret-secret", created.secret.expose().to_string()),
        ],
        browser.locale.t1("admin-server-token-advice", "key", &key),
    ))
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/admin/server-tokens/{key}/revoke")]
async fn revoke_server_token(
    state: web::Data<AppState>,
    browser: BrowserSession,
    path: web::Path<String>,
    form: web::Form<CsrfForm>,
) -> Result<HttpResponse, ApiError> {
    if let Err(refusal) = admin_only(&browser, Some(&form.csrf_token)) {
        return Ok(refusal.response(&browser));
    }
    state
        .token_kinds
        .revoke_server_token(browser.site.id, &path)
        .await?;
    Ok(see_other("/admin?notice=revoked"))
}
