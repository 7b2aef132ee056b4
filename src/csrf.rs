//! CSRF protection for HTML forms. Every form carries an HMAC, under the
//! site's CSRF key, of what the token is bound to:
//!
//! - a signed-in browser: its sign-in session, so a token issued to one
//!   session is refused in every other (and a token leaked before sign-in
//!   is useless after it);
//! - a browser that is not signed in (the sign-in form): a random value in
//!   an HttpOnly cookie, which a cross-site page can neither read nor set.
//!
//! The two bindings carry different labels, so one can never stand in for
//! the other.

use crate::crypto::{constant_time_eq, random};
use crate::sites::Site;

pub const COOKIE: &str = "tessera_csrf";
pub const FIELD: &str = "csrf_token";

/// Length of the pre-session cookie's value (128 bits in hex).
const COOKIE_LEN: usize = 32;

/// What a CSRF token is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding<'a> {
    /// The sign-in session behind the `authtoken` cookie.
    Session(i64),
    /// The pre-session cookie of a browser nobody is signed in on.
    Browser(&'a str),
}

impl Binding<'_> {
    fn mac(self, site: &Site) -> [u8; 32] {
        match self {
            Binding::Session(id) => {
                let mut message = *b"session:\0\0\0\0\0\0\0\0";
                message[8..].copy_from_slice(&id.to_be_bytes());
                site.csrf_key.mac(&message)
            }
            Binding::Browser(cookie) => {
                let mut message = Vec::with_capacity(8 + cookie.len());
                message.extend_from_slice(b"browser:");
                message.extend_from_slice(cookie.as_bytes());
                site.csrf_key.mac(&message)
            }
        }
    }
}

pub fn new_cookie_value() -> String {
    random::hex_128()
}

/// Whether a `tessera_csrf` cookie has the shape this module issues.
pub fn is_cookie_value(value: &str) -> bool {
    value.len() == COOKIE_LEN && value.bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn token_for(site: &Site, binding: Binding<'_>) -> String {
    hex::encode(binding.mac(site))
}

pub fn verify(site: &Site, binding: Binding<'_>, submitted: &str) -> bool {
    if let Binding::Browser(cookie) = binding
        && !is_cookie_value(cookie)
    {
        return false;
    }
    let Ok(submitted) = hex::decode(submitted) else {
        return false;
    };
    constant_time_eq(&submitted, &binding.mac(site))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::MasterKey;
    use crate::oauth::tokens::tests::site;

    #[test]
    fn a_session_token_is_refused_in_another_session_and_on_another_site() {
        let master = MasterKey::generate();
        let (a, b) = (site(1, &master), site(2, &master));
        let token = token_for(&a, Binding::Session(7));
        assert!(verify(&a, Binding::Session(7), &token));
        assert!(!verify(&a, Binding::Session(8), &token));
        assert!(!verify(&b, Binding::Session(7), &token));
    }

    #[test]
    fn a_pre_session_token_never_stands_in_for_a_session_token() {
        let master = MasterKey::generate();
        let a = site(1, &master);
        let cookie = new_cookie_value();
        let token = token_for(&a, Binding::Browser(&cookie));
        assert!(verify(&a, Binding::Browser(&cookie), &token));
        assert!(!verify(&a, Binding::Browser(&new_cookie_value()), &token));
        assert!(!verify(&a, Binding::Session(1), &token));
        // Only cookies of the shape we issue count.
        let short = "abc";
        let forged = token_for(&a, Binding::Browser(short));
        assert!(!verify(&a, Binding::Browser(short), &forged));
        assert!(!verify(&a, Binding::Session(1), "not hex"));
    }
}
