//! Trusting and dropping identity providers from `/admin`.

use actix_web::{HttpResponse, post, web};
use serde::Deserialize;

use super::admin_only;
use crate::error::ApiError;
use crate::identity::registration::{
    KeySource, ProviderSettings, RegistrationError, register_provider, remove_provider,
};
use crate::routes::browser_session::BrowserSession;
use crate::routes::pages::see_other;
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(add_provider).service(drop_provider);
}

#[derive(Deserialize)]
struct ProviderForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    jwks_uri: String,
    #[serde(default)]
    jwks_json: String,
    #[serde(default)]
    algorithms: String,
}

#[derive(Deserialize)]
struct RemoveForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    issuer: String,
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/admin/identity-providers")]
async fn add_provider(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<ProviderForm>,
) -> Result<HttpResponse, ApiError> {
    if let Err(refusal) = admin_only(&browser, Some(&form.csrf_token)) {
        return Ok(refusal.response(&browser));
    }
    let form = form.into_inner();
    let keys = match (form.jwks_uri.trim(), form.jwks_json.trim()) {
        (uri, "") if !uri.is_empty() => KeySource::Uri(uri.to_string()),
        ("", json) if !json.is_empty() => KeySource::Inline(json.to_string()),
        _ => {
            return Err(ApiError::BadRequest {
                code: "invalid_request",
                message: "give either a JWKS URL or the JWKS document, not both".into(),
            });
        }
    };
    let settings = ProviderSettings {
        issuer: form.issuer,
        audience: form.audience,
        keys,
        algorithms: Some(form.algorithms).filter(|a| !a.trim().is_empty()),
    };
    let policy = state.outbound.policy();
    match register_provider(&state.store, browser.site.id, settings, policy, state.now()).await {
        Ok(_) => {
            state.cache.identity.evict_site(browser.site.id);
            Ok(see_other("/admin?notice=provider-added"))
        }
        Err(RegistrationError::Store(e)) => Err(e.into()),
        Err(e) => Err(ApiError::BadRequest {
            code: "invalid_request",
            message: e.to_string(),
        }),
    }
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[post("/admin/identity-providers/remove")]
async fn drop_provider(
    state: web::Data<AppState>,
    browser: BrowserSession,
    form: web::Form<RemoveForm>,
) -> Result<HttpResponse, ApiError> {
    if let Err(refusal) = admin_only(&browser, Some(&form.csrf_token)) {
        return Ok(refusal.response(&browser));
    }
    remove_provider(&state.store, browser.site.id, &form.issuer, state.now()).await?;
    state.cache.identity.evict_site(browser.site.id);
    Ok(see_other("/admin?notice=provider-removed"))
}
