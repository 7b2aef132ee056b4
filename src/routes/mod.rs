//! HTTP only: extract, call one function, render or respond.

mod account;
mod account_email;
mod account_language;
mod account_second_factor;
mod admin;
mod admin_api;
pub mod api;
pub mod api_doc;
pub mod bodies;
pub mod browser_session;
pub mod cors;
mod developers;
pub mod dpop_nonce;
pub mod extract;
mod forward_auth;
mod health;
mod login;
pub mod metrics;
pub mod oauth;
pub mod pages;
mod passkeys;
mod password_reset;
pub mod resource_challenge;
mod second_factor;
mod signup;
mod static_files;
pub mod unavailable;
mod upstream;

/// Where routes are registered. `cfg.service(handler)` serves a JSON
/// endpoint and adds its `#[utoipa::path]` operation to `/openapi.json` in
/// one call; pages and their forms go through `cfg.map(|cfg| ...)`, outside
/// the description. How to add a documented endpoint: `api_doc`.
pub type ApiConfig<'a> = utoipa_actix_web::service_config::ServiceConfig<'a>;

/// Every route Tessera serves; the server and the API description are both
/// built from this function.
pub fn configure(cfg: &mut ApiConfig) {
    cfg.map(|cfg| {
        // A body, query or path that cannot be read: the API's JSON error on
        // API paths, the HTML error page elsewhere (OAuth endpoints read
        // their bodies with their own extractors).
        bodies::page_defaults(cfg);
        cfg
    });
    // actix tries routes in the order they are registered, and a pattern
    // with a dynamic segment costs a regex match: the hot paths (probes,
    // forward-auth, the OAuth endpoints, the user API) come first, so they
    // are found before the admin API's and the pages' patterns are tried.
    // No two of these patterns match the same path, so the order changes
    // nothing else.
    health::configure(cfg);
    forward_auth::configure(cfg);
    oauth::configure(cfg);
    api::configure(cfg);
    cfg.map(|cfg| {
        static_files::configure(cfg);
        login::configure(cfg);
        password_reset::configure(cfg);
        signup::configure(cfg);
        second_factor::configure(cfg);
        account::configure(cfg);
        account_email::configure(cfg);
        account_second_factor::configure(cfg);
        passkeys::configure_pages(cfg);
        upstream::configure(cfg);
        cfg
    });
    passkeys::configure(cfg);
    admin_api::configure(cfg);
    cfg.map(|cfg| {
        developers::configure(cfg);
        cfg
    });
    cfg.map(|cfg| {
        admin::configure(cfg);
        cfg
    });
    api_doc::configure(cfg);
}
