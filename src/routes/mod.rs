//! HTTP only: extract, call one function, render or respond.

mod account;
mod admin;
pub mod api;
pub mod bodies;
pub mod browser_session;
pub mod cors;
mod developers;
pub mod dpop_nonce;
pub mod extract;
mod forward_auth;
mod health;
mod login;
pub mod oauth;
pub mod pages;
mod static_files;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // A body, query or path that cannot be read: the HTML error page, unless
    // the route is in a scope below or reads its body with its own extractor.
    bodies::page_defaults(cfg);
    health::configure(cfg);
    static_files::configure(cfg);
    login::configure(cfg);
    account::configure(cfg);
    cfg.service(bodies::api_scope("/api/").configure(api::configure));
    oauth::configure(cfg);
    developers::configure(cfg);
    cfg.service(bodies::api_scope("/auth/verify").configure(forward_auth::configure));
    admin::configure(cfg);
}
