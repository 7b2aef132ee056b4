//! Audit events: an append-only record of security-relevant events per site
//! (sign-ins, consents, client and key changes, token families revoked on
//! reuse, legacy credentials used, admin actions), queried by the CLI, the
//! admin API and the admin page, purged by the janitor after the retention
//! period, and optionally delivered to a webhook (`webhook.rs`).
//!
//! Events are written where they happen, in the request that caused them:
//! none of them sits on the token endpoint's hot path (reuse detection is
//! rare), and legacy-credential uses are written in batches with the usage
//! counts. A failed write is logged and does not fail the request.

pub mod kinds;
pub mod query;
pub mod webhook;

use serde_json::{Map, Value};

use crate::clock::SharedClock;
use crate::store::{NewAuditEvent, SharedStore};

pub use kinds::AuditKind;

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in user (their own action, or an admin's).
    User(i64),
    /// An OAuth client (RFC 7592 management of its own registration).
    Client(String),
    /// An operator at the command line.
    Cli,
    /// Tessera itself (scheduled key rotation, reuse detection).
    System,
    /// Nobody we know (a refused sign-in, open registration).
    Anonymous,
}

impl Actor {
    fn columns(&self) -> (Option<i64>, Option<String>, Option<String>) {
        match self {
            Actor::User(id) => (Some(*id), None, None),
            Actor::Client(id) => (None, Some(id.clone()), None),
            Actor::Cli => (None, None, Some("cli".into())),
            Actor::System => (None, None, Some("system".into())),
            Actor::Anonymous => (None, None, None),
        }
    }
}

/// One event, built up and then recorded.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    kind: AuditKind,
    actor: Actor,
    subject_user_id: Option<i64>,
    subject_client_id: Option<String>,
    ip: Option<String>,
    details: Map<String, Value>,
}

impl AuditEvent {
    pub fn new(kind: AuditKind, actor: Actor) -> Self {
        Self {
            kind,
            actor,
            subject_user_id: None,
            subject_client_id: None,
            ip: None,
            details: Map::new(),
        }
    }

    pub fn user(mut self, user_id: i64) -> Self {
        self.subject_user_id = Some(user_id);
        self
    }

    pub fn maybe_user(mut self, user_id: Option<i64>) -> Self {
        self.subject_user_id = user_id;
        self
    }

    pub fn client(mut self, client_id: &str) -> Self {
        self.subject_client_id = Some(client_id.to_string());
        self
    }

    pub fn ip(mut self, ip: Option<&str>) -> Self {
        self.ip = ip.filter(|ip| !ip.is_empty()).map(str::to_string);
        self
    }

    /// A detail; never a secret.
    pub fn detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_string(), value.into());
        self
    }

    pub fn into_new(self, site_id: i64, now: i64) -> NewAuditEvent {
        let (actor_user_id, actor_client_id, actor_label) = self.actor.columns();
        NewAuditEvent {
            site_id,
            occurred_at: now,
            kind: self.kind.as_str().to_string(),
            actor_user_id,
            actor_client_id,
            actor_label,
            subject_user_id: self.subject_user_id,
            subject_client_id: self.subject_client_id,
            ip: self.ip,
            details: Value::Object(self.details).to_string(),
        }
    }
}

/// Records events. Cheap to clone.
#[derive(Clone)]
pub struct Audit {
    store: SharedStore,
    clock: SharedClock,
}

impl Audit {
    pub fn new(store: SharedStore, clock: SharedClock) -> Self {
        Self { store, clock }
    }

    /// Appends the event; a failure is logged, never the caller's problem.
    pub async fn record(&self, site_id: i64, event: AuditEvent) {
        let kind = event.kind;
        let row = event.into_new(site_id, self.clock.now());
        if let Err(e) = self.store.append_audit_events(&[row]).await {
            tracing::error!(error = %e, kind = kind.as_str(), site_id, "cannot write an audit event");
        }
    }
}
