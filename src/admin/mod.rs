//! The admin service layer: what an operator or a site administrator may do
//! to sites, users, clients, identity providers, keys, legacy credentials,
//! sessions, grants and registration tokens. The CLI (`src/cli/`) and the
//! admin API (`src/routes/admin_api/`) both call these functions, so the two
//! behave the same; each records an audit event naming who acted.
//!
//! Requests and answers are plain serde types in [`types`].

pub mod clients;
pub mod identity;
pub mod invites;
pub mod keys;
pub mod legacy;
pub mod registration;
pub mod resources;
pub mod sessions;
pub mod sites;
pub mod types;
pub mod upstream;
pub mod users;

use std::sync::Arc;

use crate::audit::{Actor, Audit, AuditEvent};
use crate::cache::AuthCache;
use crate::clock::SharedClock;
use crate::crypto::MasterKey;
use crate::oauth::Clients;
use crate::outbound::OutboundPolicy;
use crate::sessions::Sessions;
use crate::signing::SigningKeys;
use crate::sites::Site;
use crate::store::{SharedStore, StoreError};
use crate::tokens::server::Window;
use crate::tokens::stored::TokenKinds;
use crate::users::Users;

/// Why an admin operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Bad input: the CLI's usage error, the API's 400.
    #[error("{0}")]
    Input(String),
    /// No such site, user, client…: 404.
    #[error("{0}")]
    NotFound(String),
    /// It exists already: 409.
    #[error("{0}")]
    Conflict(String),
    /// Not for this caller: 403.
    #[error("{0}")]
    Forbidden(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for AdminError {
    fn from(e: StoreError) -> Self {
        AdminError::Internal(e.into())
    }
}

pub type AdminResult<T> = Result<T, AdminError>;

/// Who is acting, and the services they act through. The CLI builds one
/// with fresh caches (running servers learn of changes through the change
/// feed); the API passes the server's own caches so its changes apply at
/// once.
#[derive(Clone)]
pub struct Admin {
    pub store: SharedStore,
    cache: Arc<AuthCache>,
    clock: SharedClock,
    master: MasterKey,
    outbound: OutboundPolicy,
    actor: Actor,
    ip: Option<String>,
    audit: Audit,
    /// Queues invitations; email is off without one.
    outbox: Option<crate::email::Outbox>,
}

impl Admin {
    pub fn new(
        store: SharedStore,
        cache: Arc<AuthCache>,
        clock: SharedClock,
        master: MasterKey,
        outbound: OutboundPolicy,
        actor: Actor,
        ip: Option<String>,
    ) -> Self {
        Self {
            audit: Audit::new(store.clone(), clock.clone()),
            store,
            cache,
            clock,
            master,
            outbound,
            actor,
            ip,
            outbox: None,
        }
    }

    /// The outbox invitations are queued in (email is off without it).
    pub fn with_outbox(mut self, outbox: crate::email::Outbox) -> Self {
        self.outbox = Some(outbox);
        self
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    fn users(&self) -> Users {
        Users::new(self.store.clone(), self.cache.clone(), self.clock.clone())
    }

    fn sessions(&self) -> Sessions {
        Sessions::new(
            self.store.clone(),
            self.cache.clone(),
            self.users(),
            self.clock.clone(),
        )
    }

    fn clients(&self) -> Clients {
        Clients::new(
            self.store.clone(),
            self.cache.oauth.clone(),
            self.clock.clone(),
            self.master.clone(),
            self.outbound,
        )
    }

    fn token_kinds(&self) -> TokenKinds {
        TokenKinds::new(
            self.store.clone(),
            self.cache.token_kinds.clone(),
            self.clock.clone(),
            self.master.clone(),
            Window::default(),
        )
    }

    fn signing(&self) -> SigningKeys {
        SigningKeys::new(
            self.store.clone(),
            self.cache.signing.clone(),
            self.master.clone(),
            self.clock.clone(),
        )
    }

    /// Records what the acting admin did.
    async fn record(&self, site_id: i64, event: AuditEvent) {
        self.audit
            .record(site_id, event.ip(self.ip.as_deref()))
            .await;
    }

    fn event(&self, kind: crate::audit::AuditKind) -> AuditEvent {
        AuditEvent::new(kind, self.actor.clone())
    }

    /// The site with this slug.
    pub async fn site(&self, slug: &str) -> AdminResult<Site> {
        let record = self
            .store
            .find_site_by_slug(slug)
            .await?
            .ok_or_else(|| AdminError::NotFound(format!("no site `{slug}`")))?;
        let hosts = self
            .store
            .list_site_hosts()
            .await?
            .into_iter()
            .filter(|h| h.site_id == record.id)
            .map(|h| h.host)
            .collect();
        Site::from_record(record, hosts, &self.master)
            .ok_or_else(|| AdminError::Internal(anyhow::anyhow!("site `{slug}` is unreadable")))
    }
}

/// Bounded paging by limit and offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub limit: usize,
    pub offset: usize,
}

pub const MAX_PAGE: usize = 500;

impl Paging {
    pub const ALL: Paging = Paging {
        limit: usize::MAX,
        offset: 0,
    };

    pub fn new(limit: Option<usize>, offset: Option<usize>) -> AdminResult<Paging> {
        let limit = limit.unwrap_or(100);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(AdminError::Input(format!(
                "limit must be from 1 to {MAX_PAGE}"
            )));
        }
        Ok(Paging {
            limit,
            offset: offset.unwrap_or(0),
        })
    }

    pub fn page<T>(self, items: Vec<T>) -> types::Page<T> {
        let total = items.len();
        let items: Vec<T> = items
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect();
        let next_offset =
            (self.offset.saturating_add(items.len()) < total).then(|| self.offset + items.len());
        types::Page {
            items,
            total,
            next_offset,
        }
    }
}
