use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::admin_only;
use crate::error::ApiError;
use crate::identity::registration::{inline_key_count, list_providers};
use crate::routes::browser_session::BrowserSession;
use crate::routes::pages::{Chrome, html};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(overview);
}

struct BrowserRow {
    key: String,
    name: String,
    origins: String,
    created: String,
    active: bool,
}

struct ServerRow {
    key: String,
    name: String,
    user: String,
    /// No user restriction: may act as anyone, administrators included.
    any_user: bool,
    jit: bool,
    created: String,
    active: bool,
}

struct ProviderRow {
    issuer: String,
    audience: String,
    keys: String,
    algorithms: String,
}

struct UsageRow {
    kind: String,
    client_ip: String,
    count: i64,
    last_seen: String,
}

#[derive(Template)]
#[template(path = "admin/overview.html")]
struct OverviewPage {
    chrome: Chrome,
    notice: Option<&'static str>,
    browser_tokens: Vec<BrowserRow>,
    server_tokens: Vec<ServerRow>,
    providers: Vec<ProviderRow>,
    legacy_state: &'static str,
    usage: Vec<UsageRow>,
}

#[derive(Deserialize)]
struct OverviewQuery {
    notice: Option<String>,
}

fn notice_text(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "browser-created" => Some("notice-browser-token-created"),
        "revoked" => Some("notice-token-revoked"),
        "provider-added" => Some("notice-provider-added"),
        "provider-removed" => Some("notice-provider-removed"),
        "legacy-disabled" => Some("notice-legacy-disabled"),
        "expired" => Some("error-form-expired"),
        _ => None,
    }
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[get("/admin")]
async fn overview(
    state: web::Data<AppState>,
    browser: BrowserSession,
    query: web::Query<OverviewQuery>,
) -> Result<HttpResponse, ApiError> {
    if let Err(refusal) = admin_only(&browser, None) {
        return Ok(refusal.response(&browser));
    }
    let site = browser.site.id;
    let kinds = &state.token_kinds;
    let browser_tokens = kinds
        .list_browser_tokens(site)
        .await?
        .into_iter()
        .map(|t| BrowserRow {
            active: t.revoked_at.is_none(),
            created: browser.locale.format_time(t.created_at),
            key: t.token_key,
            name: t.name,
            origins: t.origins,
        })
        .collect();
    let users = state
        .users
        .list(site)
        .await
        .map_err(|e| ApiError::Internal(e.into()))?;
    let server_tokens = kinds
        .list_server_tokens(site)
        .await?
        .into_iter()
        .map(|t| ServerRow {
            active: t.revoked_at.is_none(),
            any_user: t.user_id.is_none(),
            user: t
                .user_id
                .and_then(|id| users.iter().find(|u| u.id == id))
                .map_or_else(String::new, |u| u.username.clone()),
            jit: t.jit,
            created: browser.locale.format_time(t.created_at),
            key: t.token_key,
            name: t.name,
        })
        .collect();
    let providers = list_providers(&state.store, site)
        .await?
        .into_iter()
        .map(|p| ProviderRow {
            keys: p
                .jwks_uri
                .clone()
                .unwrap_or_else(|| format!("{} inline key(s)", inline_key_count(&p))),
            issuer: p.issuer,
            audience: p.audience,
            algorithms: p.algorithms,
        })
        .collect();
    let legacy_state = match kinds.current_legacy_key(site).await? {
        None => "never enabled",
        Some(key) if key.enabled => "enabled",
        Some(_) => "disabled",
    };
    let usage = kinds
        .legacy_report(site)
        .await?
        .into_iter()
        .map(|u| UsageRow {
            kind: u.kind,
            client_ip: u.client_ip,
            count: u.count,
            last_seen: browser.locale.format_time(u.last_seen),
        })
        .collect();
    let page = OverviewPage {
        chrome: Chrome::new(&browser),
        notice: notice_text(query.notice.as_deref()),
        browser_tokens,
        server_tokens,
        providers,
        legacy_state,
        usage,
    };
    let mut response = html(StatusCode::OK, &page);
    browser.attach_csrf_cookie(&mut response);
    Ok(response)
}
