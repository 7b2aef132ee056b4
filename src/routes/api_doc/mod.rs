//! `GET /openapi.json`: the OpenAPI 3.1 description of every JSON endpoint,
//! and the `/docs/api` page that renders it.
//!
//! The document is generated from the handlers: each JSON endpoint carries
//! `#[utoipa::path(...)]` next to its actix route attribute (method and path
//! are read from the latter), and its request and response types derive
//! `utoipa::ToSchema`. Routes are registered through
//! [`ApiConfig`](super::ApiConfig), utoipa-actix-web's `ServiceConfig`, whose
//! `cfg.service(handler)` both serves the handler and adds its operation to
//! the document, so the two are made by the same call and cannot drift
//! apart. A handler without `#[utoipa::path]` does not compile there; HTML
//! pages and their forms, which are not part of the API, are registered
//! through `cfg.map(|cfg| cfg.service(page))`.
//!
//! Adding a documented endpoint (e.g. under `/api/admin/`):
//!
//! 1. annotate the handler with `#[utoipa::path(tag = "...", security(...),
//!    responses(...))]` above its `#[get("/api/admin/...")]` (the security
//!    scheme names are in [`security`]; errors are
//!    [`ApiErrorBody`](crate::error::ApiErrorBody) under `/api`);
//! 2. derive `utoipa::ToSchema` on its request and response types;
//! 3. register it with `cfg.service(handler)` in its module's
//!    `configure(cfg: &mut ApiConfig)`, called from `routes::configure`.
//!
//! `tests/api/openapi.rs` fails when a route that answers JSON is missing
//! from the document, or a documented path is not served.
//!
//! The document is served by every site, with `servers` naming the site's
//! base URL, so a client reads the description at the issuer it talks to.

mod page;
pub mod security;

use actix_web::{App, HttpResponse, get, web};
use utoipa::OpenApi;
use utoipa::openapi::server::Server;
use utoipa_actix_web::AppExt;

use self::security::SecuritySchemes;
use super::ApiConfig;
use crate::routes::extract::CurrentSite;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tessera",
        description = "A multi-site OAuth 2.0 authorization server. Every site (tenant) serves \
            this API at its own base URL; a token issued on one site is never accepted on another. \
            OAuth endpoints take `application/x-www-form-urlencoded` bodies in UTF-8 (registration: \
            JSON) and answer errors as RFC 6749 JSON with `Cache-Control: no-store`; the API under \
            `/api` and `/auth/verify` answer errors as `{\"error\", \"message\"}`.",
    ),
    tags(
        (name = "oauth", description = "OAuth 2.0 endpoints (RFC 6749, 7009, 7662, 8628, 8693, 9126, 9449)"),
        (name = "registration", description = "Dynamic client registration (RFC 7591, RFC 7592)"),
        (name = "openid", description = "OpenID Connect and server metadata (RFC 8414)"),
        (name = "api", description = "The user and content API: any token kind of the site"),
        (name = "forward-auth", description = "One decision point for reverse proxies"),
        (name = "admin", description = "The admin REST API: the caller's site, its users, clients, identity \
            providers, keys, legacy credentials and audit log (and every site, for administrators of the \
            instance's first site). The caller is an administrator of the site presenting an OAuth access \
            token with the `admin` scope (bearer or DPoP-bound) or a server token acting as one; anyone \
            else gets a 403. The same operations as the `tessera` command line, each recorded in the audit \
            log under the acting administrator's name. Answers are `Cache-Control: no-store`; secrets are \
            shown once."),
        (name = "passkeys", description = "The JSON steps of the passkey (WebAuthn) ceremonies that the \
            account and sign-in pages drive: page endpoints, known only from the `authtoken` cookie and \
            the page's CSRF token, never from API credentials"),
        (name = "operations", description = "Health and this description"),
    ),
    modifiers(&SecuritySchemes),
)]
struct ApiDoc;

/// The document generated from the same registrations the server is built
/// from (`routes::configure`), without `servers`: each site adds its own.
pub fn description() -> utoipa::openapi::OpenApi {
    let (_, document) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(super::configure)
        .split_for_parts();
    document
}

/// The generated document, built once at start-up, and whether the page
/// that renders it is served.
pub struct ApiDescription {
    document: utoipa::openapi::OpenApi,
    page_enabled: bool,
}

impl ApiDescription {
    pub fn new(page_enabled: bool) -> Self {
        Self {
            document: description(),
            page_enabled,
        }
    }

    /// The document as a site serves it: `servers` is the site's base URL.
    fn for_site(&self, site: &crate::sites::Site) -> utoipa::openapi::OpenApi {
        let mut document = self.document.clone();
        document.servers = Some(vec![Server::new(site.issuer.as_str())]);
        document
    }
}

pub fn configure(cfg: &mut ApiConfig) {
    cfg.service(openapi_json);
    cfg.map(|cfg| {
        page::configure(cfg);
        cfg
    });
}

/// This OpenAPI document
///
/// This document, with `servers` naming the site that serves it.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of this site", content_type = "application/json", body = Object),
        (status = 404, description = "No site is served at this host", body = crate::error::ApiErrorBody),
    ),
)]
#[get("/openapi.json")]
async fn openapi_json(description: web::Data<ApiDescription>, site: CurrentSite) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=300"))
        .json(description.for_site(&site.0))
}
