//! CSRF protection for HTML forms: a random value in an HttpOnly cookie, and
//! in each form its HMAC under the site's CSRF key. A cross-site page can
//! neither read the cookie nor compute the token.

use crate::crypto::{constant_time_eq, random};
use crate::sites::Site;

pub const COOKIE: &str = "tessera_csrf";
pub const FIELD: &str = "csrf_token";

pub fn new_cookie_value() -> String {
    random::hex_128()
}

pub fn token_for(site: &Site, cookie_value: &str) -> String {
    hex::encode(site.csrf_key.mac(cookie_value.as_bytes()))
}

pub fn verify(site: &Site, cookie_value: Option<&str>, submitted: &str) -> bool {
    let Some(cookie_value) = cookie_value.filter(|v| v.len() == 32) else {
        return false;
    };
    let Ok(submitted) = hex::decode(submitted) else {
        return false;
    };
    constant_time_eq(&submitted, &site.csrf_key.mac(cookie_value.as_bytes()))
}
