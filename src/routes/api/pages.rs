//! The content API: `GET/PUT/DELETE /api/pages/{path}` and `GET /api/pages`.

use actix_web::{HttpResponse, delete, get, put, web};
use serde::Serialize;

use crate::content::{self, ContentError, PageInput, PagePath};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::PageRecord;
use crate::tokens::ApiCaller;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(list_pages)
        .service(get_page)
        .service(put_page)
        .service(delete_page);
}

impl From<ContentError> for ApiError {
    fn from(e: ContentError) -> Self {
        match e {
            ContentError::InvalidPath | ContentError::InvalidTitle => ApiError::BadRequest {
                code: "invalid_request",
                message: e.to_string(),
            },
            ContentError::BodyTooLarge => ApiError::PayloadTooLarge(e.to_string()),
            ContentError::NotFound => ApiError::NotFound(e.to_string()),
            ContentError::Denied(denied) => denied.into(),
            ContentError::Store(e) => e.into(),
        }
    }
}

#[derive(Serialize)]
struct PageBody<'a> {
    path: &'a str,
    title: &'a str,
    body: &'a str,
    public: bool,
    author_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

fn page_json(page: &PageRecord) -> PageBody<'_> {
    PageBody {
        path: &page.path,
        title: &page.title,
        body: &page.body,
        public: page.public,
        author_id: page.author_id,
        created_at: page.created_at,
        updated_at: page.updated_at,
    }
}

#[get("/api/pages")]
async fn list_pages(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let pages = content::list_pages(&state.store, &caller).await?;
    let list: Vec<_> = pages
        .iter()
        .map(|p| serde_json::json!({"path": p.path, "title": p.title, "public": p.public, "updated_at": p.updated_at}))
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "pages": list })))
}

#[get("/api/pages/{path:.+}")]
async fn get_page(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let path = PagePath::parse(&path)?;
    let page = content::read_page(&state.store, &caller, &path).await?;
    Ok(HttpResponse::Ok().json(page_json(&page)))
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[put("/api/pages/{path:.+}")]
async fn put_page(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
    input: web::Json<PageInput>,
) -> Result<HttpResponse, ApiError> {
    let path = PagePath::parse(&path)?;
    let (page, created) = content::put_page(
        &state.store,
        &caller,
        &path,
        input.into_inner(),
        state.now(),
    )
    .await?;
    let mut response = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.json(page_json(&page)))
}

#[tracing::instrument(skip_all, fields(site = %caller.site.slug))]
#[delete("/api/pages/{path:.+}")]
async fn delete_page(
    state: web::Data<AppState>,
    caller: ApiCaller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let path = PagePath::parse(&path)?;
    content::delete_page(&state.store, &caller, &path).await?;
    Ok(HttpResponse::NoContent().finish())
}
