//! Issue 13 items 4 and 5: email (SMTP), password reset, email
//! verification, sign-up by site policy and invitations. The relay is an
//! SMTP receiver in this process (`smtp.rs`), so the tests read the mail.

mod browser;
mod delivery;
mod reset;
mod settings;
mod signup;
pub mod smtp;
pub mod support;
mod verification;
