//! Optional delivery of audit events to a webhook
//! (`TESSERA_AUDIT_WEBHOOK_URL` + `TESSERA_AUDIT_WEBHOOK_SECRET`).
//!
//! Events go out in batches, oldest first, as `POST` JSON
//! `{"events": [...]}` with `X-Tessera-Signature: sha256=<hex>`, the
//! HMAC-SHA256 of the body under the secret. The last delivered id is kept
//! in the store (`audit_delivery`), moved only after a 2xx, so a restart
//! resends at most the batch in flight (at-least-once; receivers dedupe by
//! `id`). A lease in the same row lets one process deliver at a time. A
//! failed post is retried with exponential back-off. Events younger than
//! [`SETTLE_SECS`] wait, so an event whose transaction took an id but
//! committed later is not skipped.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use url::Url;

use crate::clock::SharedClock;
use crate::outbound::{FetchError, Outbound};
use crate::store::{AuditEventRecord, SharedStore, StoreError};

pub const SIGNATURE_HEADER: &str = "X-Tessera-Signature";
const SINK: &str = "webhook";
const BATCH: i64 = 100;
pub const SETTLE_SECS: i64 = 2;
const LEASE_SECS: i64 = 30;
const IDLE: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The webhook's HMAC key; never printed.
#[derive(Clone)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    pub fn new(secret: String) -> Self {
        Self(secret)
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(…)")
    }
}

/// Where audit events are delivered.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    pub url: Url,
    pub secret: WebhookSecret,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("the webhook did not take the batch: {0}")]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Serialize)]
struct Delivered<'a> {
    id: i64,
    site: &'a str,
    occurred_at: i64,
    kind: &'a str,
    actor_user_id: Option<i64>,
    actor_client_id: Option<&'a str>,
    actor_label: Option<&'a str>,
    subject_user_id: Option<i64>,
    subject_client_id: Option<&'a str>,
    ip: Option<&'a str>,
    details: Value,
}

/// `sha256=<hex>` of the body under the secret.
pub fn signature(secret: &WebhookSecret, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(crate::crypto::hmac_sha256(secret.0.as_bytes(), body))
    )
}

pub struct WebhookDelivery {
    store: SharedStore,
    outbound: Outbound,
    clock: SharedClock,
    target: WebhookTarget,
    /// This process, as the lease names it.
    owner: String,
}

impl WebhookDelivery {
    pub fn new(
        store: SharedStore,
        outbound: Outbound,
        clock: SharedClock,
        target: WebhookTarget,
    ) -> Self {
        Self {
            store,
            outbound,
            clock,
            target,
            owner: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Delivers one batch if this process holds the lease; how many events
    /// it delivered.
    pub async fn deliver_batch(&self) -> Result<usize, DeliveryError> {
        let now = self.clock.now();
        let Some(position) = self
            .store
            .lease_audit_delivery(SINK, &self.owner, now, now + LEASE_SECS)
            .await?
        else {
            return Ok(0);
        };
        let events = self
            .store
            .audit_events_after(position, now - SETTLE_SECS, BATCH)
            .await?;
        let Some(last) = events.last().map(|e| e.id) else {
            return Ok(0);
        };
        let body = self.body(&events).await?;
        let signature = signature(&self.target.secret, &body);
        self.outbound
            .post(
                &self.target.url,
                "application/json",
                &[(SIGNATURE_HEADER, signature)],
                body,
            )
            .await?;
        self.store
            .advance_audit_delivery(SINK, &self.owner, last)
            .await?;
        Ok(events.len())
    }

    async fn body(&self, events: &[AuditEventRecord]) -> Result<Vec<u8>, StoreError> {
        let sites = self.store.list_sites().await?;
        let slug = |id: i64| {
            sites
                .iter()
                .find(|s| s.id == id)
                .map(|s| s.slug.as_str())
                .unwrap_or_default()
        };
        let delivered: Vec<Delivered<'_>> = events
            .iter()
            .map(|e| Delivered {
                id: e.id,
                site: slug(e.site_id),
                occurred_at: e.occurred_at,
                kind: &e.kind,
                actor_user_id: e.actor_user_id,
                actor_client_id: e.actor_client_id.as_deref(),
                actor_label: e.actor_label.as_deref(),
                subject_user_id: e.subject_user_id,
                subject_client_id: e.subject_client_id.as_deref(),
                ip: e.ip.as_deref(),
                details: serde_json::from_str(&e.details).unwrap_or(Value::Null),
            })
            .collect();
        Ok(serde_json::json!({ "events": delivered })
            .to_string()
            .into_bytes())
    }

    /// Delivers forever: at once while batches are full, every second when
    /// idle, with back-off from one second to a minute after a failure.
    pub async fn run(self) {
        let mut backoff = Duration::from_secs(1);
        loop {
            match self.deliver_batch().await {
                Ok(n) if n as i64 == BATCH => {
                    backoff = Duration::from_secs(1);
                    continue;
                }
                Ok(_) => {
                    backoff = Duration::from_secs(1);
                    tokio::time::sleep(IDLE).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, retry_in = ?backoff, "audit webhook delivery failed");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}
