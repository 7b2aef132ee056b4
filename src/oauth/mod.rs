//! OAuth 2.0 (RFC 6749 with PKCE, RFC 7009, 7662, 8414, 9207): the protocol,
//! with no HTTP in it. Each endpoint's logic returns a value that says what
//! happened; `routes::oauth` turns it into a response.
//!
//! Why not oxide-auth's flows: see `docs/oauth-design.md`.

pub mod access;
pub mod authorization_parameters;
pub mod authorize;
pub mod cache;
pub mod client_assertion;
pub mod client_auth;
pub mod client_authentication;
pub mod client_powers;
pub mod clients;
pub mod consent;
pub mod device;
pub mod discovery;
pub mod dpop;
pub mod error;
pub mod fapi;
pub mod grants;
pub mod id_token;
pub mod interaction;
pub mod introspect;
pub mod issued_codes;
pub mod jwt_access;
pub mod logout;
pub mod metadata;
pub mod metadata_document;
pub mod par;
pub mod pkce;
pub mod protected_resource;
pub mod public_key;
pub mod registration;
pub mod request_object;
pub mod resources;
pub mod response;
pub mod revocations;
pub mod revoke;
pub mod scopes;
pub mod tokens;
pub mod userinfo;
pub mod writer;

use std::sync::Arc;

pub use authorize::{AuthorizationRequest, Authorize, ConsentPage, UserFacingError};
pub use client_authentication::PresentedClient;
pub use clients::{
    Client, ClientError, ClientInputError, ClientSettings, Clients, RegisteredClient,
};
pub use error::{OAuthError, OAuthResult};
pub use scopes::{Scope, ScopeSet};

use self::cache::OAuthCache;
use self::writer::{GrantWriter, Redeemer};
use crate::clock::SharedClock;
use crate::signing::SigningKeys;
use crate::store::SharedStore;
use crate::throttle::Throttle;
use crate::users::Users;

/// Authorization codes live this long (RFC 6749 recommends at most ten minutes).
pub const CODE_TTL_SECS: i64 = 60;

/// The OAuth service: clients, consent, grants and tokens of every site.
#[derive(Clone)]
pub struct OAuth {
    pub clients: Clients,
    store: SharedStore,
    cache: Arc<OAuthCache>,
    users: Users,
    clock: SharedClock,
    writer: GrantWriter,
    redeemer: Redeemer,
    /// Signs ID tokens and JWT access tokens.
    pub signing: SigningKeys,
    /// Throttles user codes on `/device` (RFC 8628 5.1) and registrations,
    /// in the shared store.
    throttle: Throttle,
    /// Codes this process issued and not yet saw redeemed.
    issued_codes: Arc<issued_codes::IssuedCodes>,
}

impl OAuth {
    /// Writes and code redemptions queued or being stored (group commit).
    pub fn pending_writes(&self) -> usize {
        self.writer.pending() + self.redeemer.pending()
    }

    /// Starts the group-commit writers, so it must run inside the runtime
    /// (the main one: see `Store::group_commit_store`), with the store's
    /// writers' store where it has one. `clients` is built by the caller, with its rate
    /// limits and the outbound client that fetches client keys.
    pub fn new(
        store: SharedStore,
        cache: Arc<OAuthCache>,
        users: Users,
        clock: SharedClock,
        signing: SigningKeys,
        metrics: &crate::metrics::Metrics,
        mut clients: Clients,
    ) -> Self {
        let commit_store = store.group_commit_store().unwrap_or_else(|| store.clone());
        let writer = GrantWriter::spawn(commit_store.clone(), metrics.grant_writer.clone());
        clients.jti_writer = Some(writer.clone());
        Self {
            clients,
            writer,
            redeemer: Redeemer::spawn(commit_store, metrics.redeemer.clone()),
            signing,
            throttle: Throttle::new(store.clone()),
            issued_codes: Arc::default(),
            store,
            cache,
            users,
            clock,
        }
    }

    /// The group commit of new codes and tokens, which DPoP proof uses
    /// share (`dpop::Dpop::new`).
    pub fn writer(&self) -> GrantWriter {
        self.writer.clone()
    }
}
