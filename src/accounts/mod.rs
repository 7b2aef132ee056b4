//! Accounts people manage themselves: sign-up by site policy, password
//! reset and email verification through single-use links sent by email,
//! and invitations. Links are random, stored only as their SHA-256, used
//! once through a conditional update in the shared store, and expire.

pub mod password_policy;
mod reset;
mod signup;

use std::sync::Arc;

pub use reset::{RESET_LINK_SECS, ResetOutcome, ResetRequest};
pub use signup::{
    INVITE_LINK_SECS, InviteError, InviteSent, SignUpForm, SignUpOutcome, SignUpProblems,
    VERIFY_LINK_SECS,
};

use crate::audit::Audit;
use crate::cache::AuthCache;
use crate::clock::SharedClock;
use crate::crypto::{random, sha256_hex};
use crate::email::{Email, EmailError, Notice, Outbox};
use crate::sites::Site;
use crate::store::{NewAccountLink, SharedStore, SiteRecord, StoreError, UserRecord};
use crate::throttle::Throttle;

/// Who may create an account on a site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignupPolicy {
    /// Only administrators create accounts (the default).
    #[default]
    Closed,
    /// Anyone may sign up.
    Open,
    /// Only people holding an invitation sent by an administrator.
    Invite,
}

impl SignupPolicy {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "closed" => Some(SignupPolicy::Closed),
            "open" => Some(SignupPolicy::Open),
            "invite" | "invite-only" => Some(SignupPolicy::Invite),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SignupPolicy::Closed => "closed",
            SignupPolicy::Open => "open",
            SignupPolicy::Invite => "invite",
        }
    }
}

/// A site's account settings, as the request path reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSettings {
    pub signup: SignupPolicy,
    /// The "From" of the site's messages; the deployment's when `None`.
    pub email_from: Option<String>,
}

impl AccountSettings {
    pub fn from_record(record: &SiteRecord) -> Self {
        // Written only through a check: an unknown value is a hand edit,
        // and the site stays closed.
        let signup = match record.signup_policy.as_str() {
            "" => SignupPolicy::Closed,
            raw => SignupPolicy::parse(raw).unwrap_or_else(|| {
                tracing::warn!(site = %record.slug, "unknown sign-up policy; sign-up is closed");
                SignupPolicy::Closed
            }),
        };
        AccountSettings {
            signup,
            email_from: record.email_from.clone().filter(|f| !f.trim().is_empty()),
        }
    }
}

/// What a single-use link is for (`account_links.purpose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    PasswordReset,
    VerifyEmail,
    Invite,
}

impl LinkPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::PasswordReset => "password-reset",
            LinkPurpose::VerifyEmail => "verify-email",
            LinkPurpose::Invite => "invite",
        }
    }
}

/// The secret of a link: 256 random bits, hex. Only its hash is stored.
pub struct LinkToken(String);

impl LinkToken {
    fn generate() -> Self {
        LinkToken(random::hex_256())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// How a presented token is looked up.
    pub fn hash_of(presented: &str) -> String {
        sha256_hex(presented.trim().as_bytes())
    }
}

impl std::fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkToken(…)")
    }
}

/// Longer tokens than any we issue are refused before hashing.
pub const MAX_TOKEN_CHARS: usize = 128;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// The self-service account flows of every site.
#[derive(Clone)]
pub struct Accounts {
    store: SharedStore,
    cache: Arc<AuthCache>,
    outbox: Outbox,
    throttle: Throttle,
    audit: Audit,
    clock: SharedClock,
}

impl Accounts {
    pub fn new(
        store: SharedStore,
        cache: Arc<AuthCache>,
        outbox: Outbox,
        audit: Audit,
        clock: SharedClock,
    ) -> Self {
        Self {
            throttle: Throttle::new(store.clone()),
            store,
            cache,
            outbox,
            audit,
            clock,
        }
    }

    /// Whether email can be sent (an SMTP relay is configured).
    pub fn email_enabled(&self) -> bool {
        self.outbox.enabled()
    }

    pub fn outbox(&self) -> &Outbox {
        &self.outbox
    }

    /// Tells the user, at their address, that something happened to their
    /// account. Nothing when email is off or the user has no address; a
    /// failure to queue is logged, never the caller's failure.
    pub async fn notify(&self, site: &Site, user_id: i64, notice: Notice) {
        if !self.email_enabled() {
            return;
        }
        let recipient = match self.store.find_user(site.id, user_id).await {
            Ok(user) => user.and_then(|u| Some((recipient_locale(site, &u), u.email?))),
            Err(e) => {
                tracing::warn!(site = %site.slug, error = %e, "cannot look up the user to notify");
                return;
            }
        };
        let Some((lang, address)) = recipient else {
            return;
        };
        if let Err(e) = self
            .outbox
            .send(site, &address, lang, &Email::Notice(notice))
            .await
        {
            tracing::warn!(site = %site.slug, error = %e, "cannot queue a notice");
        }
    }

    /// Stores a new link and returns its token.
    async fn new_link(
        &self,
        site_id: i64,
        purpose: LinkPurpose,
        user_id: Option<i64>,
        email: &str,
        role: Option<String>,
        lifetime_secs: i64,
    ) -> Result<(LinkToken, i64), StoreError> {
        let token = LinkToken::generate();
        let now = self.clock.now();
        let expires_at = now + lifetime_secs;
        self.store
            .create_account_link(&NewAccountLink {
                site_id,
                token_hash: LinkToken::hash_of(token.expose()),
                purpose: purpose.as_str(),
                user_id,
                email: email.to_string(),
                role,
                created_at: now,
                expires_at,
            })
            .await?;
        Ok((token, expires_at))
    }
}

/// The language of a user's emails: their choice, else the site's default
/// (a message is read away from the browser that asked for it).
pub fn recipient_locale(site: &Site, user: &UserRecord) -> crate::i18n::Locale {
    user.locale
        .as_deref()
        .and_then(crate::i18n::Locale::parse)
        .unwrap_or(site.default_locale)
}
