mod authenticate;
mod authorizations;
mod pages;
mod users;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    users::configure(cfg);
    authenticate::configure(cfg);
    authorizations::configure(cfg);
    pages::configure(cfg);
}
