//! Identity-token exchange (RFC 8693, spec 3.5) end to end: a fake IdP
//! serving its JWKS over HTTP, tokens signed with RSA, EC and Ed25519 keys
//! made in the test, every refusal, and the `tessera idp` commands.

mod cli;
mod exchange;
mod refusals;
pub mod support;
