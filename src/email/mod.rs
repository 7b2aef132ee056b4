//! Email: messages rendered from askama templates (plain text and HTML),
//! queued in the store sealed under the master key, and delivered over
//! SMTP by a worker on every node (`delivery`). A request never waits for
//! the relay: it only queues.
//!
//! Without SMTP settings ([`config`]) email is off: [`Outbox::enabled`]
//! says so, and the pages do not offer what needs it.

pub mod config;
pub mod delivery;

use std::sync::Arc;

use askama::Template;
use serde::{Deserialize, Serialize};

use crate::clock::SharedClock;
use crate::crypto::{MasterKey, aead};
use crate::i18n::Locale;
use crate::sites::Site;
use crate::store::{SharedStore, StoreError};

/// Messages that tell the user something happened to their account. More
/// will come (a new passkey); each is one variant and one template branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    PasswordChanged,
}

/// A message Tessera sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Email {
    /// A single-use link to set a new password.
    PasswordReset {
        link: String,
        minutes: i64,
    },
    /// A single-use link proving the address is the user's.
    VerifyEmail {
        link: String,
        hours: i64,
    },
    /// An invitation to create an account on the site.
    Invite {
        link: String,
        role: String,
        days: i64,
    },
    Notice(Notice),
}

impl Email {
    /// The queue's label for it (logs and metrics; never the content).
    pub fn kind(&self) -> &'static str {
        match self {
            Email::PasswordReset { .. } => "password-reset",
            Email::VerifyEmail { .. } => "verify-email",
            Email::Invite { .. } => "invite",
            Email::Notice(Notice::PasswordChanged) => "notice-password-changed",
        }
    }

    fn subject(&self, lang: Locale, site_name: &str) -> String {
        let key = match self {
            Email::PasswordReset { .. } => "email-subject-reset",
            Email::VerifyEmail { .. } => "email-subject-verify",
            Email::Invite { .. } => "email-subject-invite",
            Email::Notice(Notice::PasswordChanged) => "email-subject-password-changed",
        };
        lang.t1(key, "site", site_name)
    }
}

#[derive(Template)]
#[template(path = "email/message.txt")]
struct TextBody<'a> {
    lang: Locale,
    site_name: &'a str,
    site_url: &'a str,
    email: &'a Email,
}

#[derive(Template)]
#[template(path = "email/message.html")]
struct HtmlBody<'a> {
    lang: Locale,
    site_name: &'a str,
    site_url: &'a str,
    email: &'a Email,
}

/// A rendered message, as sealed in the queue.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendered {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl std::fmt::Debug for Rendered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rendered")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// Renders a message for a site's user, in their language.
pub fn render(
    site: &Site,
    to: &str,
    lang: Locale,
    email: &Email,
) -> Result<Rendered, askama::Error> {
    let site_url = site.url("/");
    let site_name = site.shown_name();
    let text = TextBody {
        lang,
        site_name,
        site_url: &site_url,
        email,
    }
    .render()?;
    let html = HtmlBody {
        lang,
        site_name,
        site_url: &site_url,
        email,
    }
    .render()?;
    Ok(Rendered {
        to: to.to_string(),
        subject: email.subject(lang, site_name),
        text,
        html,
    })
}

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("email is off: no SMTP relay is configured")]
    Off,
    #[error("`{0}` is not an email address")]
    BadAddress(String),
    #[error("cannot render the message: {0}")]
    Render(#[from] askama::Error),
    #[error("cannot seal the message: {0}")]
    Seal(#[from] aead::AeadError),
    #[error("cannot encode the message: {0}")]
    Encode(#[from] serde_json::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Queues messages. Cheap to clone; one per process.
#[derive(Clone)]
pub struct Outbox {
    store: SharedStore,
    master: MasterKey,
    clock: SharedClock,
    enabled: bool,
    /// Wakes this process's delivery worker at once.
    queued: Arc<tokio::sync::Notify>,
}

impl Outbox {
    pub fn new(store: SharedStore, master: MasterKey, clock: SharedClock, enabled: bool) -> Self {
        Self {
            store,
            master,
            clock,
            enabled,
            queued: Arc::default(),
        }
    }

    /// Whether an SMTP relay is configured.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    pub(crate) fn queued_signal(&self) -> Arc<tokio::sync::Notify> {
        self.queued.clone()
    }

    /// Renders (in `lang`), seals and queues a message; the worker sends it.
    pub async fn send(
        &self,
        site: &Site,
        to: &str,
        lang: Locale,
        email: &Email,
    ) -> Result<(), EmailError> {
        if !self.enabled {
            return Err(EmailError::Off);
        }
        if to.parse::<lettre::Address>().is_err() {
            return Err(EmailError::BadAddress(to.to_string()));
        }
        let rendered = render(site, to, lang, email)?;
        let sealed = aead::seal(&self.master, site.id, &serde_json::to_vec(&rendered)?)?;
        self.store
            .enqueue_email(site.id, email.kind(), &sealed, self.clock.now())
            .await?;
        tracing::info!(site = %site.slug, kind = email.kind(), "email queued");
        self.queued.notify_one();
        Ok(())
    }

    /// Opens a queued message sealed by [`Outbox::send`].
    pub(crate) fn open(&self, site_id: i64, sealed: &str) -> Result<Rendered, EmailError> {
        let plain = aead::open(&self.master, site_id, sealed)?;
        Ok(serde_json::from_slice(&plain)?)
    }
}
