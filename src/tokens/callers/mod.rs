//! How each stored token kind becomes a `ApiCaller`: the browser token (origin
//! check, then the cookie's user), the signed server token (signature, time,
//! then the named user) and the legacy site API key (admin, or the user it
//! impersonates). The pure checks live in `tokens::{browser, server, legacy}`;
//! here they meet the cached keys and users.

pub mod browser;
pub mod legacy;
pub mod server;
pub mod sign_in;

use super::RecogniseError;

/// A 401 naming what was wrong with the credential.
pub fn rejected(code: &'static str, message: impl Into<String>) -> RecogniseError {
    RecogniseError::Rejected {
        code,
        message: message.into(),
    }
}
