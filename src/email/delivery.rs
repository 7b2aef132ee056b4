//! Delivers queued messages over SMTP (lettre, tokio, rustls), from every
//! node: a message is claimed with a lease, sent, deleted once the relay
//! accepted it, and otherwise retried with the back-off of back-channel
//! logout deliveries, at most [`MAX_ATTEMPTS`] times. A permanent refusal
//! (an SMTP 5xx) is not retried.

use std::sync::Arc;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::config::{SmtpSettings, SmtpTls};
use super::{EmailError, Outbox};
use crate::clock::SharedClock;
use crate::oauth::logout::backchannel::retry_delay_secs;
use crate::sites::{Site, SiteRegistry};
use crate::store::{QueuedEmailRecord, SharedStore, StoreError};

/// Attempts per message before it is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// How long a claimed message is this node's (a send times out sooner).
const LEASE_SECS: i64 = 120;
const SEND_TIMEOUT: Duration = Duration::from_secs(60);
const BATCH: i64 = 20;
const POLL: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
enum SendError {
    /// Not in this process's registry yet (created a moment ago by another
    /// process); a deleted site takes its queued messages with it.
    #[error("the site is not known here yet")]
    NoSite,
    #[error(transparent)]
    Message(#[from] EmailError),
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("the relay refused the message: {0}")]
    Refused(lettre::transport::smtp::Error),
    #[error("cannot reach the relay: {0}")]
    Transient(lettre::transport::smtp::Error),
}

impl SendError {
    /// Whether trying again later cannot help.
    fn is_final(&self) -> bool {
        !matches!(self, SendError::Transient(_) | SendError::NoSite)
    }
}

/// Builds the SMTP client for the relay.
pub fn transport(
    settings: &SmtpSettings,
) -> Result<AsyncSmtpTransport<Tokio1Executor>, lettre::transport::smtp::Error> {
    let host = settings.host.clone();
    let tls = match settings.tls {
        SmtpTls::Implicit => Tls::Wrapper(TlsParameters::new(host.clone())?),
        SmtpTls::StartTls => Tls::Required(TlsParameters::new(host.clone())?),
        SmtpTls::None => Tls::None,
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(settings.port)
        .tls(tls)
        .timeout(Some(SEND_TIMEOUT));
    if let Some((user, password)) = &settings.credentials {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            password.expose().to_string(),
        ));
    }
    Ok(builder.build())
}

/// The sender of a site's messages: the site's own, the deployment's, or
/// `no-reply@` the site's host.
fn sender(site: &Site, default_from: Option<&str>) -> Result<Mailbox, SendError> {
    let configured = site.accounts.email_from.as_deref().or(default_from);
    let raw = match configured {
        Some(from) => from.to_string(),
        None => format!(
            "{} <no-reply@{}>",
            site.name.replace(['<', '>', '"'], ""),
            site.base_url.host_str().unwrap_or("localhost")
        ),
    };
    raw.parse::<Mailbox>()
        .map_err(|e| SendError::Build(format!("the sender `{raw}`: {e}")))
}

#[derive(Clone)]
pub struct EmailDelivery {
    store: SharedStore,
    sites: Arc<SiteRegistry>,
    outbox: Outbox,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    default_from: Option<String>,
    clock: SharedClock,
}

impl EmailDelivery {
    pub fn new(
        store: SharedStore,
        sites: Arc<SiteRegistry>,
        outbox: Outbox,
        settings: &SmtpSettings,
        clock: SharedClock,
    ) -> Result<Self, lettre::transport::smtp::Error> {
        Ok(Self {
            transport: transport(settings)?,
            default_from: settings.default_from.clone(),
            store,
            sites,
            outbox,
            clock,
        })
    }

    /// Sends every message due now; how many were sent.
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let due = self
            .store
            .claim_emails(now, now + LEASE_SECS, BATCH)
            .await?;
        let mut sent = 0;
        for message in due {
            match self.send(&message).await {
                Ok(()) => {
                    sent += 1;
                    tracing::info!(kind = %message.kind, "email sent");
                    self.store.finish_email(message.id).await?;
                }
                Err(e) if e.is_final() || message.attempts >= MAX_ATTEMPTS => {
                    tracing::warn!(
                        kind = %message.kind,
                        attempts = message.attempts,
                        error = %e,
                        "email given up"
                    );
                    self.store.finish_email(message.id).await?;
                }
                Err(e) => {
                    let retry_at = now + retry_delay_secs(message.attempts);
                    tracing::info!(
                        kind = %message.kind,
                        attempts = message.attempts,
                        retry_at,
                        error = %e,
                        "email not sent; will retry"
                    );
                    self.store
                        .retry_email(message.id, retry_at, &e.to_string())
                        .await?;
                }
            }
        }
        Ok(sent)
    }

    async fn send(&self, queued: &QueuedEmailRecord) -> Result<(), SendError> {
        let site = self.sites.by_id(queued.site_id).ok_or(SendError::NoSite)?;
        let rendered = self.outbox.open(queued.site_id, &queued.sealed_message)?;
        let to = rendered
            .to
            .parse::<Mailbox>()
            .map_err(|e| SendError::Build(format!("the recipient: {e}")))?;
        let message = lettre::Message::builder()
            .from(sender(&site, self.default_from.as_deref())?)
            .to(to)
            .subject(rendered.subject)
            .multipart(MultiPart::alternative_plain_html(
                rendered.text,
                rendered.html,
            ))
            .map_err(|e| SendError::Build(e.to_string()))?;
        match self.transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Refused(e)),
            Err(e) => Err(SendError::Transient(e)),
        }
    }

    /// Delivers forever: every second, and at once when this process
    /// queued a message.
    pub async fn run(self) {
        let queued = self.outbox.queued_signal();
        loop {
            if let Err(e) = self.deliver_due().await {
                tracing::warn!(error = %e, "email delivery failed");
            }
            tokio::select! {
                () = tokio::time::sleep(POLL) => {}
                () = queued.notified() => {}
            }
        }
    }
}
