//! "Forgot password": a single-use link by email, good for thirty minutes,
//! that sets a new password and signs the account out everywhere (every
//! session and every OAuth grant with its refresh tokens, announced on the
//! change feed so other processes drop them too).
//!
//! Asking never says whether an account has the address: the answer is the
//! same, and the lookup and the mail happen after the answer, off the
//! request. Requests are throttled per address typed and per client
//! address in the shared store.

use std::sync::Arc;

use super::password_policy::{self, PasswordProblem};
use super::{AccountError, Accounts, LinkPurpose, LinkToken, MAX_TOKEN_CHARS, recipient_locale};
use crate::audit::{Actor, AuditEvent, AuditKind};
use crate::crypto::password;
use crate::email::{Email, Notice};
use crate::sites::Site;
use crate::store::{StoreError, UserRecord};
use crate::throttle::{Attempt, ThrottleKey};

/// A reset link is good for thirty minutes.
pub const RESET_LINK_SECS: i64 = 30 * 60;
/// Longer than any address (RFC 5321: 254).
const MAX_EMAIL_CHARS: usize = 254;

/// What asking for a reset link said (nothing about the account).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetRequest {
    /// If an account has the address, a link is on its way.
    Accepted,
    /// Too many requests for this address or from this client.
    Throttled { retry_after: i64 },
    /// Email is off on this deployment.
    Off,
}

/// What setting the new password did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResetOutcome {
    Done,
    /// Expired, used, or never issued.
    LinkGone,
    /// The new password breaks the policy.
    Weak(PasswordProblem),
    /// The two new passwords differ.
    Mismatch,
}

impl Accounts {
    /// Asks for a reset link for `email`. The lookup and the mail happen
    /// in the background, so the answer and its timing are the same for an
    /// address no account has.
    pub async fn request_password_reset(
        &self,
        site: &Arc<Site>,
        email: &str,
        ip: Option<&str>,
    ) -> Result<ResetRequest, StoreError> {
        if !self.email_enabled() {
            return Ok(ResetRequest::Off);
        }
        let email = email.trim();
        if email.is_empty() || email.chars().count() > MAX_EMAIL_CHARS {
            // Nothing to look up; the same answer as for an unknown address.
            return Ok(ResetRequest::Accepted);
        }
        let keys = [
            ThrottleKey::reset_account(site.id, email),
            ThrottleKey::account_address(site.id, ip.unwrap_or("")),
        ];
        if let Attempt::Refused { retry_after } =
            self.throttle.attempt(&keys, self.clock.now()).await?
        {
            tracing::warn!(site = %site.slug, "password reset throttled");
            return Ok(ResetRequest::Throttled { retry_after });
        }
        let (this, site, email, ip) = (
            self.clone(),
            site.clone(),
            email.to_string(),
            ip.map(str::to_string),
        );
        tokio::spawn(async move {
            if let Err(e) = this.send_reset_link(&site, &email, ip.as_deref()).await {
                tracing::warn!(site = %site.slug, error = %e, "cannot send a password reset link");
            }
        });
        Ok(ResetRequest::Accepted)
    }

    async fn send_reset_link(
        &self,
        site: &Site,
        email: &str,
        ip: Option<&str>,
    ) -> Result<(), AccountError> {
        let user = self
            .store
            .find_local_user_by_email(site.id, email)
            .await?
            .filter(|u| !u.disabled && u.password_hash.is_some());
        let Some(user) = user else {
            tracing::info!(site = %site.slug, "password reset asked for an address no account has");
            return Ok(());
        };
        let Some(address) = user.email.clone() else {
            return Ok(());
        };
        let (token, _) = self
            .new_link(
                site.id,
                LinkPurpose::PasswordReset,
                Some(user.id),
                &address,
                None,
                RESET_LINK_SECS,
            )
            .await?;
        let link = site.url(&format!("/password-reset?token={}", token.expose()));
        let mail = Email::PasswordReset {
            link,
            minutes: RESET_LINK_SECS / 60,
        };
        let lang = recipient_locale(site, &user);
        self.outbox.send(site, &address, lang, &mail).await?;
        let event = AuditEvent::new(AuditKind::PasswordResetRequested, Actor::Anonymous)
            .user(user.id)
            .ip(ip);
        self.audit.record(site.id, event).await;
        Ok(())
    }

    /// The account a live reset link is for, to show the form.
    pub async fn reset_link_user(
        &self,
        site: &Site,
        token: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        if token.is_empty() || token.len() > MAX_TOKEN_CHARS {
            return Ok(None);
        }
        let link = self
            .store
            .find_live_account_link(
                site.id,
                &LinkToken::hash_of(token),
                LinkPurpose::PasswordReset.as_str(),
                self.clock.now(),
            )
            .await?;
        let Some(user_id) = link.and_then(|l| l.user_id) else {
            return Ok(None);
        };
        Ok(self
            .store
            .find_user(site.id, user_id)
            .await?
            .filter(|u| !u.disabled))
    }

    /// Sets the new password through the link, once.
    pub async fn reset_password(
        &self,
        site: &Site,
        token: &str,
        new_password: String,
        confirm: &str,
        ip: Option<&str>,
    ) -> Result<ResetOutcome, AccountError> {
        let Some(user) = self.reset_link_user(site, token).await? else {
            return Ok(ResetOutcome::LinkGone);
        };
        if let Err(problem) =
            password_policy::check(&new_password, &user.username, user.email.as_deref())
        {
            return Ok(ResetOutcome::Weak(problem));
        }
        if new_password != confirm {
            return Ok(ResetOutcome::Mismatch);
        }
        let hash = password::hash_password(new_password).await?;
        let now = self.clock.now();
        let done = self
            .store
            .reset_password_by_link(site.id, &LinkToken::hash_of(token), &hash, now)
            .await?;
        // Another request used the link while this one hashed.
        let Some((user_id, changed)) = done else {
            return Ok(ResetOutcome::LinkGone);
        };
        // Exact in this process; other processes follow the change feed.
        self.cache.evict_user(user_id);
        for grant_id in changed.revoked_grants {
            self.cache.oauth.grant_revoked(grant_id, now);
        }
        tracing::info!(site = %site.slug, user_id, "password reset");
        let event = AuditEvent::new(AuditKind::PasswordReset, Actor::User(user_id))
            .user(user_id)
            .ip(ip);
        self.audit.record(site.id, event).await;
        self.notify(site, user_id, Notice::PasswordChanged).await;
        Ok(ResetOutcome::Done)
    }
}
