use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::developer;
use crate::error::ApiError;
use crate::routes::browser_session::BrowserSession;
use crate::routes::pages::{Chrome, html};
use crate::state::AppState;
use crate::users::Role;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_apps);
}

struct AppRow {
    client_id: String,
    name: String,
    kind: &'static str,
    scopes: String,
    created: String,
}

#[derive(Template)]
#[template(path = "developers/list.html")]
struct ListPage {
    chrome: Chrome,
    apps: Vec<AppRow>,
    all_of_site: bool,
    notice: Option<&'static str>,
}

#[derive(Deserialize)]
struct ListQuery {
    notice: Option<String>,
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[get("/developers")]
async fn list_apps(
    state: web::Data<AppState>,
    browser: BrowserSession,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let user = match developer(&browser, "/developers") {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    let all_of_site = user.role == Role::Admin;
    let owner = (!all_of_site).then_some(user.id);
    let apps = state
        .oauth
        .clients
        .list(&browser.site, owner)
        .await?
        .into_iter()
        .map(|c| AppRow {
            kind: if c.confidential {
                "dev-type-short-confidential"
            } else {
                "dev-type-short-public"
            },
            scopes: c.scopes.to_string(),
            created: browser.locale.format_time(c.created_at),
            client_id: c.client_id,
            name: c.name,
        })
        .collect();
    let notice = match query.notice.as_deref() {
        Some("deleted") => Some("notice-app-deleted"),
        Some("saved") => Some("notice-app-saved"),
        _ => None,
    };
    let chrome = Chrome::new(&browser);
    let mut response = html(
        StatusCode::OK,
        &ListPage {
            chrome,
            apps,
            all_of_site,
            notice,
        },
    );
    browser.attach_csrf_cookie(&mut response);
    Ok(response)
}
