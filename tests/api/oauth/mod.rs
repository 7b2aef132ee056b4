//! The OAuth 2.0 server end to end: authorization with PKCE and consent,
//! the token endpoint's grants, revocation, introspection, metadata and the
//! API's use of the tokens. Each nasty case is its own test.

mod authorize_errors;
mod cimd;
mod client_assertion;
mod codes;
mod fapi;
mod flow;
mod jar;
mod metadata;
mod refresh;
mod resources;
mod revocation;
pub mod support;
mod token_endpoint;
