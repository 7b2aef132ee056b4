//! `GET /admin/audit`: the site's audit events, filtered and paged.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use askama::Template;
use serde::Deserialize;

use super::admin_only;
use crate::audit::query::{AuditEventView, AuditFilter, FilterError, query_events};
use crate::error::ApiError;
use crate::i18n::Locale;
use crate::routes::browser_session::BrowserSession;
use crate::routes::pages::{Chrome, html};
use crate::state::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(audit_page);
}

struct EventRow {
    time: String,
    kind: String,
    actor: String,
    subject: String,
    ip: String,
    details: String,
}

impl EventRow {
    fn new(e: &AuditEventView, lang: Locale) -> Self {
        EventRow {
            time: lang.format_time(e.occurred_at),
            kind: e.kind.clone(),
            actor: e.actor_text(),
            subject: e.subject_text(),
            ip: e.ip.clone().unwrap_or_default(),
            details: e.details_text(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    chrome: Chrome,
    filter: AuditQueryForm,
    problem: Option<String>,
    events: Vec<EventRow>,
    /// The query string of the next (older) page, if there is one.
    older: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize, serde::Serialize)]
struct AuditQueryForm {
    #[serde(default)]
    since: String,
    #[serde(default)]
    user: String,
    #[serde(default)]
    client: String,
    #[serde(default)]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    before: Option<i64>,
}

impl AuditQueryForm {
    fn filter(&self) -> AuditFilter {
        let text = |s: &str| Some(s.trim().to_string()).filter(|s| !s.is_empty());
        AuditFilter {
            since: text(&self.since),
            until: None,
            user: text(&self.user),
            client: text(&self.client),
            kind: text(&self.kind),
            before_id: self.before,
            limit: None,
        }
    }
}

#[tracing::instrument(skip_all, fields(site = %browser.site.slug))]
#[get("/admin/audit")]
async fn audit_page(
    state: web::Data<AppState>,
    browser: BrowserSession,
    query: web::Query<AuditQueryForm>,
) -> Result<HttpResponse, ApiError> {
    if let Err(refusal) = admin_only(&browser, None) {
        return Ok(refusal.response(&browser));
    }
    let form = query.into_inner();
    let resolved = form
        .filter()
        .resolve(&state.store, browser.site.id, state.now())
        .await;
    let (events, older, problem) = match resolved {
        Ok(query) => {
            let page = query_events(&state.store, &query).await?;
            let older = page.next_before_id.and_then(|before| {
                let next = AuditQueryForm {
                    before: Some(before),
                    ..form.clone()
                };
                serde_urlencoded::to_string(&next).ok()
            });
            (
                page.events
                    .iter()
                    .map(|e| EventRow::new(e, browser.locale))
                    .collect(),
                older,
                None,
            )
        }
        Err(FilterError::Store(e)) => return Err(e.into()),
        Err(e) => (Vec::new(), None, Some(e.to_string())),
    };
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = AuditPage {
        chrome: Chrome::new(&browser),
        filter: form,
        problem,
        events,
        older,
    };
    let mut response = html(status, &page);
    browser.attach_csrf_cookie(&mut response);
    Ok(response)
}
