use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::{developer, page_frame};
use crate::error::ApiError;
use crate::routes::pages::{Chrome, format_time, html};
use crate::state::AppState;
use crate::tokens::Caller;
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

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[get("/developers")]
async fn list_apps(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let user = match developer(&caller, "/developers") {
        Ok(user) => user,
        Err(elsewhere) => return Ok(elsewhere.response()),
    };
    let all_of_site = user.role == Role::Admin;
    let owner = (!all_of_site).then_some(user.id);
    let apps = state
        .oauth
        .clients
        .list(&caller.site, owner)
        .await?
        .into_iter()
        .map(|c| AppRow {
            kind: if c.confidential {
                "confidential"
            } else {
                "public"
            },
            scopes: c.scopes.to_string(),
            created: format_time(c.created_at),
            client_id: c.client_id,
            name: c.name,
        })
        .collect();
    let notice = match query.notice.as_deref() {
        Some("deleted") => Some("The app was deleted and its tokens revoked."),
        Some("saved") => Some("The app was saved."),
        _ => None,
    };
    let (chrome, csrf) = page_frame(&req, &caller);
    let mut response = html(
        StatusCode::OK,
        &ListPage {
            chrome,
            apps,
            all_of_site,
            notice,
        },
    );
    csrf.attach(&caller.site, &mut response);
    Ok(response)
}
