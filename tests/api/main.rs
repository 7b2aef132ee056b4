//! The one integration-test binary: the real server, in process, over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod helpers;

mod accounts;
mod admin;
mod admin_api;
mod api_current;
mod audit;
mod bootstrap;
mod browser;
mod cli;
mod content;
mod developers;
mod device;
mod dpop;
mod forward_auth;
mod identity;
mod languages;
mod metrics;
mod oauth;
mod oidc;
mod oidc_independent;
mod oidc_logout;
mod openapi;
mod operations;
mod par;
mod passkeys;
mod rate_limits;
mod registration;
mod resilience;
mod second_factor;
mod security;
mod sessions;
mod signin;
mod sites;
mod third_party;
mod token_kinds;
mod upstream;
