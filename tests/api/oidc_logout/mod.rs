//! OpenID Connect RP-Initiated Logout 1.0 and Back-Channel Logout 1.0,
//! end to end.

mod admin;
mod backchannel;
mod portal;
mod registration;
mod rp_initiated;
pub(crate) mod support;
