//! Tessera: a multi-site OAuth 2.0 authorization server.

pub mod bootstrap;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod content;
pub mod crypto;
pub mod csrf;
pub mod error;
pub mod identity;
pub mod invalidation;
pub mod janitor;
pub mod next_path;
pub mod oauth;
pub mod routes;
pub mod sessions;
pub mod settings;
pub mod signin;
pub mod signing;
pub mod sites;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod throttle;
pub mod tokens;
pub mod users;
