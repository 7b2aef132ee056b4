//! Attacks from the security review (issue 10), one module per hole: each
//! test failed on the code before the fix.

mod anonymous_clients;
mod browser_session;
mod dpop_replay;
mod introspection;
mod malformed_bodies;
mod one_time;
mod ssrf;
mod throttling;
