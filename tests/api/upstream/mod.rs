//! Signing in with another OpenID provider (brokering): against a minimal
//! provider in the test process, and in a real browser against a second
//! Tessera acting as the provider.

mod admin;
mod browser;
mod refusals;
mod signin;
mod support;
