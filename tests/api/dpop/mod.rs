//! DPoP (RFC 9449) end to end: proofs at the token endpoint, bound tokens at
//! the API and UserInfo, and the settings that require proofs and nonces.
//! Each refusal is its own test.

mod batch;
mod refusals;
mod resource;
mod settings;
pub mod support;
mod token_endpoint;
