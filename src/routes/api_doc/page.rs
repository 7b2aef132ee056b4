//! `GET /docs/api`: the description rendered by Scalar, when
//! `TESSERA_API_DOCS` is on (otherwise both routes answer 404, like any
//! path not served). The page and Scalar's bundle (the standalone build of
//! the npm package `@scalar/api-reference`, vendored gzipped in
//! `static/vendor/`, see its README) are served by Tessera: nothing is
//! fetched from the internet, and the page's Content-Security-Policy keeps
//! it that way.

use actix_web::guard::GuardContext;
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use utoipa_scalar::Scalar;

use super::ApiDescription;
use crate::routes::extract::CurrentSite;

const PAGE: &str = include_str!("../../../templates/api_docs.html");
const SCALAR_JS_GZ: &[u8] = include_bytes!("../../../static/vendor/scalar-api-reference.js.gz");

/// Scalar styles itself with inline styles and may show `data:` images;
/// scripts, fonts and requests ("try it") stay on this origin.
const PAGE_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; \
     frame-ancestors 'none'";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(docs_page).service(scalar_bundle);
}

fn page_enabled(ctx: &GuardContext) -> bool {
    ctx.app_data::<web::Data<ApiDescription>>()
        .is_some_and(|description| description.page_enabled)
}

#[get("/docs/api", guard = "page_enabled")]
async fn docs_page(description: web::Data<ApiDescription>, site: CurrentSite) -> HttpResponse {
    let page = Scalar::new(description.for_site(&site.0))
        .custom_html(PAGE)
        .to_html();
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_POLICY))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(page)
}

/// Sent gzipped as stored: every browser accepts it.
#[get("/docs/api/scalar.js", guard = "page_enabled")]
async fn scalar_bundle() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CONTENT_ENCODING, "gzip"))
        .insert_header((header::VARY, "Accept-Encoding"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
        .body(SCALAR_JS_GZ)
}
