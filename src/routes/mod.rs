//! HTTP only: extract, call one function, render or respond.

mod account;
mod admin;
mod admin_api;
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
    // A body, query or path that cannot be read: the API's JSON error on API
    // paths, the HTML error page elsewhere (OAuth endpoints read their
    // bodies with their own extractors).
    bodies::page_defaults(cfg);
    health::configure(cfg);
    static_files::configure(cfg);
    login::configure(cfg);
    account::configure(cfg);
    admin_api::configure(cfg);
    api::configure(cfg);
    oauth::configure(cfg);
    developers::configure(cfg);
    forward_auth::configure(cfg);
    admin::configure(cfg);
}
