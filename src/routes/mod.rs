//! HTTP only: extract, call one function, render or respond.

mod account;
mod admin;
pub mod api;
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
    health::configure(cfg);
    static_files::configure(cfg);
    login::configure(cfg);
    account::configure(cfg);
    api::configure(cfg);
    oauth::configure(cfg);
    developers::configure(cfg);
    forward_auth::configure(cfg);
    admin::configure(cfg);
}
