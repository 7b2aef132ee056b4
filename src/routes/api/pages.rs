//! The content API: `GET/PUT/DELETE /api/pages/{path}` and `GET /api/pages`.

use actix_web::{HttpResponse, delete, get, put, web};
use serde::Serialize;

use crate::content::{self, ContentError, PageInput, PagePath};
use crate::error::{ApiError, ApiErrorBody};
use crate::routes::ApiConfig;
use crate::state::AppState;
use crate::store::PageRecord;
use crate::tokens::ApiCaller;

pub fn configure(cfg: &mut ApiConfig) {
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

/// A page of the content API.
#[derive(Serialize, utoipa::ToSchema)]
struct PageBody<'a> {
    path: &'a str,
    title: &'a str,
    body: &'a str,
    public: bool,
    author_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

/// One entry of `GET /api/pages`.
#[derive(Serialize, utoipa::ToSchema)]
struct PageSummary<'a> {
    path: &'a str,
    title: &'a str,
    public: bool,
    updated_at: i64,
}

/// The pages the caller may read.
#[derive(Serialize, utoipa::ToSchema)]
struct PageList<'a> {
    pages: Vec<PageSummary<'a>>,
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

/// List pages
///
/// The pages the caller may read: public ones for anyone, private ones
/// with `content:read`.
#[utoipa::path(
    tag = "api",
    security(
        (),
        ("bearer" = []),
        ("dpop" = []),
        ("authtoken_cookie" = []),
        ("browser_token" = []),
        ("server_token" = []),
        ("legacy_api_key" = []),
    ),
    responses(
        (status = 200, description = "The readable pages", body = PageList),
        (status = 401, description = "Not signed in, or a credential that does not check out: `unauthorized`, `invalid_token`, `invalid_dpop_proof`, `stale`, `bad_signature`, …", body = ApiErrorBody),
        (status = 403, description = "`origin_not_trusted` (browser token), `insufficient_scope` or `forbidden`", body = ApiErrorBody),
    ),
)]
#[get("/api/pages")]
async fn list_pages(
    state: web::Data<AppState>,
    caller: ApiCaller,
) -> Result<HttpResponse, ApiError> {
    let pages = content::list_pages(&state.store, &caller).await?;
    let pages = pages
        .iter()
        .map(|p| PageSummary {
            path: &p.path,
            title: &p.title,
            public: p.public,
            updated_at: p.updated_at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(PageList { pages }))
}

/// Read a page
///
/// One page: public pages for anyone, private ones with `content:read`.
#[utoipa::path(
    tag = "api",
    params(("path" = String, Path, description = "The page's path: segments of letters, digits, `-`, `_`, `.`, `~` joined by `/`")),
    security(
        (),
        ("bearer" = []),
        ("dpop" = []),
        ("authtoken_cookie" = []),
        ("browser_token" = []),
        ("server_token" = []),
        ("legacy_api_key" = []),
    ),
    responses(
        (status = 200, description = "The page", body = PageBody),
        (status = 400, description = "`invalid_request`: not a page path", body = ApiErrorBody),
        (status = 401, description = "Not signed in, or a credential that does not check out: `unauthorized`, `invalid_token`, `invalid_dpop_proof`, `stale`, `bad_signature`, …", body = ApiErrorBody),
        (status = 403, description = "`origin_not_trusted` (browser token), `insufficient_scope` or `forbidden`", body = ApiErrorBody),
        (status = 404, description = "`not_found`: no page at this path", body = ApiErrorBody),
    ),
)]
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

/// Write a page
///
/// Creates or replaces a page (needs `content:write`).
#[utoipa::path(
    tag = "api",
    params(("path" = String, Path, description = "The page's path: segments of letters, digits, `-`, `_`, `.`, `~` joined by `/`")),
    request_body(content = PageInput, description = "The page; `body` at most 1 MiB"),
    security(
        (),
        ("bearer" = []),
        ("dpop" = []),
        ("authtoken_cookie" = []),
        ("browser_token" = []),
        ("server_token" = []),
        ("legacy_api_key" = []),
    ),
    responses(
        (status = 200, description = "Replaced", body = PageBody),
        (status = 201, description = "Created", body = PageBody),
        (status = 400, description = "`invalid_request`: not a page path or title, or not the expected JSON", body = ApiErrorBody),
        (status = 401, description = "Not signed in, or a credential that does not check out: `unauthorized`, `invalid_token`, `invalid_dpop_proof`, `stale`, `bad_signature`, …", body = ApiErrorBody),
        (status = 403, description = "`origin_not_trusted` (browser token), `insufficient_scope` or `forbidden`", body = ApiErrorBody),
        (status = 413, description = "`payload_too_large`: the body is over 1 MiB", body = ApiErrorBody),
    ),
)]
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

/// Delete a page
///
/// Deletes a page (needs `content:write`).
#[utoipa::path(
    tag = "api",
    params(("path" = String, Path, description = "The page's path: segments of letters, digits, `-`, `_`, `.`, `~` joined by `/`")),
    security(
        (),
        ("bearer" = []),
        ("dpop" = []),
        ("authtoken_cookie" = []),
        ("browser_token" = []),
        ("server_token" = []),
        ("legacy_api_key" = []),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "`invalid_request`: not a page path", body = ApiErrorBody),
        (status = 401, description = "Not signed in, or a credential that does not check out: `unauthorized`, `invalid_token`, `invalid_dpop_proof`, `stale`, `bad_signature`, …", body = ApiErrorBody),
        (status = 403, description = "`origin_not_trusted` (browser token), `insufficient_scope` or `forbidden`", body = ApiErrorBody),
        (status = 404, description = "`not_found`: no page at this path", body = ApiErrorBody),
    ),
)]
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
