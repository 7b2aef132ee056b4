mod authenticate;
mod authorizations;
mod pages;
mod users;

use super::ApiConfig;

pub fn configure(cfg: &mut ApiConfig) {
    users::configure(cfg);
    authenticate::configure(cfg);
    authorizations::configure(cfg);
    pages::configure(cfg);
}
