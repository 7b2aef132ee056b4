//! Second factors: TOTP (RFC 6238) with single-use recovery codes, the
//! per-site policy that may require them, and the half-finished sign-ins
//! that wait for one (`pending.rs`).
//!
//! TOTP secrets are sealed at rest under the master key (`crypto::aead`),
//! since they must be read back to check a code. A code is accepted once:
//! the last accepted time step is stored per user and only a later step is
//! accepted after it (one conditional UPDATE, so two processes agree).
//! Wrong codes count against a per-account throttle in the shared store,
//! with the same allowance as wrong passwords.

mod pending;
mod policy;
pub mod recovery;
pub mod totp;

use crate::audit::{Actor, Audit, AuditEvent, AuditKind};
use crate::cache::CachedUser;
use crate::clock::SharedClock;
use crate::crypto::{MasterKey, aead};
use crate::sites::Site;
use crate::store::{SharedStore, StoreError, StoreResult};
use crate::throttle::{Attempt, Throttle, ThrottleKey};

pub use pending::{PENDING_COOKIE, PENDING_TTL_SECS, PendingPurpose};
pub use policy::SecondFactorPolicy;

/// Where a user stands with their second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Off,
    /// A secret was made but not yet confirmed with a code.
    Enrolling,
    On {
        recovery_codes_left: i64,
    },
}

/// Which second factor was accepted: a kind of code, or a passkey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    Totp,
    RecoveryCode,
    Passkey,
}

impl CodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CodeKind::Totp => "totp",
            CodeKind::RecoveryCode => "recovery_code",
            CodeKind::Passkey => "passkey",
        }
    }
}

/// What checking a typed code said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    Accepted(CodeKind),
    /// Right code, but of a time step already used: wait for the next one.
    Reused,
    Wrong,
    /// Too many wrong codes for this account: nothing was checked.
    Throttled {
        retry_after: i64,
    },
    /// The user has no (confirmed) second factor.
    NotEnrolled,
}

#[derive(Clone)]
pub struct SecondFactors {
    store: SharedStore,
    clock: SharedClock,
    master: MasterKey,
    throttle: Throttle,
    audit: Audit,
    /// Wrong codes allowed before the throttle locks (the password limit).
    limit: u32,
}

/// The error of a sealed secret that no longer opens (another master key,
/// tampering): the store's error type carries it as an internal failure.
fn unreadable(e: aead::AeadError) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(
        format!("a TOTP secret cannot be opened: {e}").into(),
    ))
}

impl SecondFactors {
    pub fn new(
        store: SharedStore,
        clock: SharedClock,
        master: MasterKey,
        throttle: Throttle,
        audit: Audit,
        limit: u32,
    ) -> Self {
        Self {
            store,
            clock,
            master,
            throttle,
            audit,
            limit,
        }
    }

    pub async fn status(&self, site: &Site, user_id: i64) -> StoreResult<Status> {
        Ok(match self.store.find_totp(site.id, user_id).await? {
            None => Status::Off,
            Some(totp) if totp.confirmed_at.is_none() => Status::Enrolling,
            Some(_) => Status::On {
                recovery_codes_left: self.store.count_recovery_codes(site.id, user_id).await?,
            },
        })
    }

    /// Whether the user has a confirmed second factor.
    pub async fn enabled(&self, site: &Site, user_id: i64) -> StoreResult<bool> {
        Ok(matches!(
            self.status(site, user_id).await?,
            Status::On { .. }
        ))
    }

    /// Makes a new secret for the user to enrol (replacing an unconfirmed
    /// one). `None` when the user already has a confirmed second factor.
    pub async fn start_enrolment(
        &self,
        site: &Site,
        user: &CachedUser,
    ) -> StoreResult<Option<totp::Provisioning>> {
        let secret = totp::new_secret();
        let sealed = aead::seal(&self.master, site.id, &secret).map_err(unreadable)?;
        let started = self
            .store
            .start_totp_enrolment(site.id, user.id, &sealed, self.clock.now())
            .await?;
        if !started {
            return Ok(None);
        }
        Ok(totp::provisioning(&secret, &site.name, &user.username))
    }

    /// The enrolment under way (the same secret, shown again), if any.
    pub async fn enrolment(
        &self,
        site: &Site,
        user: &CachedUser,
    ) -> StoreResult<Option<totp::Provisioning>> {
        match self.store.find_totp(site.id, user.id).await? {
            Some(totp) if totp.confirmed_at.is_none() => {
                let secret =
                    aead::open(&self.master, site.id, &totp.sealed_secret).map_err(unreadable)?;
                Ok(totp::provisioning(&secret, &site.name, &user.username))
            }
            _ => Ok(None),
        }
    }

    /// Confirms the enrolment with a first code; returns the recovery
    /// codes, to be shown once. `Err` says why the code was refused.
    pub async fn confirm_enrolment(
        &self,
        site: &Site,
        user: &CachedUser,
        code: &str,
    ) -> StoreResult<Result<Vec<String>, CodeCheck>> {
        let now = self.clock.now();
        let key = [ThrottleKey::second_factor(site.id, user.id, self.limit)];
        if let Attempt::Refused { retry_after } = self.throttle.attempt(&key, now).await? {
            return Ok(Err(CodeCheck::Throttled { retry_after }));
        }
        let Some(record) = self
            .store
            .find_totp(site.id, user.id)
            .await?
            .filter(|t| t.confirmed_at.is_none())
        else {
            return Ok(Err(CodeCheck::NotEnrolled));
        };
        let secret =
            aead::open(&self.master, site.id, &record.sealed_secret).map_err(unreadable)?;
        let Some(step) = totp::matching_step(&secret, code, now) else {
            return Ok(Err(CodeCheck::Wrong));
        };
        let (codes, hashes) = new_recovery_codes(site.id, user.id);
        if !self
            .store
            .confirm_totp(site.id, user.id, step, &hashes, now)
            .await?
        {
            return Ok(Err(CodeCheck::NotEnrolled));
        }
        self.throttle.succeeded(&key, &[]).await?;
        let event = AuditEvent::new(AuditKind::SecondFactorEnabled, Actor::User(user.id))
            .user(user.id)
            .detail("method", "totp");
        self.audit.record(site.id, event).await;
        Ok(Ok(codes))
    }

    /// Checks a TOTP code or a recovery code of the user (throttled); an
    /// accepted code is used up.
    pub async fn check_code(
        &self,
        site: &Site,
        user_id: i64,
        typed: &str,
    ) -> StoreResult<CodeCheck> {
        let now = self.clock.now();
        let key = [ThrottleKey::second_factor(site.id, user_id, self.limit)];
        if let Attempt::Refused { retry_after } = self.throttle.attempt(&key, now).await? {
            tracing::warn!(site = %site.slug, user_id, "second-factor code throttled");
            return Ok(CodeCheck::Throttled { retry_after });
        }
        let Some(record) = self
            .store
            .find_totp(site.id, user_id)
            .await?
            .filter(|t| t.confirmed_at.is_some())
        else {
            return Ok(CodeCheck::NotEnrolled);
        };
        let check = if let Some(code) = recovery::normalise(typed) {
            let hash = recovery::hash(site.id, user_id, &code);
            if self
                .store
                .use_recovery_code(site.id, user_id, &hash, now)
                .await?
            {
                CodeCheck::Accepted(CodeKind::RecoveryCode)
            } else {
                CodeCheck::Wrong
            }
        } else {
            let secret =
                aead::open(&self.master, site.id, &record.sealed_secret).map_err(unreadable)?;
            match totp::matching_step(&secret, typed, now) {
                None => CodeCheck::Wrong,
                Some(step) if self.store.use_totp_step(site.id, user_id, step).await? => {
                    CodeCheck::Accepted(CodeKind::Totp)
                }
                Some(_) => CodeCheck::Reused,
            }
        };
        if let CodeCheck::Accepted(kind) = check {
            self.throttle.succeeded(&key, &[]).await?;
            if kind == CodeKind::RecoveryCode {
                let event = AuditEvent::new(AuditKind::RecoveryCodeUsed, Actor::User(user_id))
                    .user(user_id);
                self.audit.record(site.id, event).await;
            }
        }
        Ok(check)
    }

    /// Replaces the user's recovery codes; returns the new ones, to be
    /// shown once.
    pub async fn regenerate_recovery_codes(
        &self,
        site: &Site,
        user_id: i64,
    ) -> StoreResult<Vec<String>> {
        let (codes, hashes) = new_recovery_codes(site.id, user_id);
        self.store
            .replace_recovery_codes(site.id, user_id, &hashes, self.clock.now())
            .await?;
        let event = AuditEvent::new(AuditKind::RecoveryCodesRegenerated, Actor::User(user_id))
            .user(user_id);
        self.audit.record(site.id, event).await;
        Ok(codes)
    }

    /// Removes the user's own TOTP secret and recovery codes (audited).
    /// False when the user had none.
    pub async fn disable(&self, site: &Site, user_id: i64) -> StoreResult<bool> {
        let removed = self.store.remove_second_factor(site.id, user_id).await?;
        if removed {
            let event = AuditEvent::new(AuditKind::SecondFactorDisabled, Actor::User(user_id))
                .user(user_id);
            self.audit.record(site.id, event).await;
        }
        Ok(removed)
    }
}

/// Ten fresh codes and their stored hashes.
fn new_recovery_codes(site_id: i64, user_id: i64) -> (Vec<String>, Vec<String>) {
    let codes: Vec<String> = (0..recovery::RECOVERY_CODE_COUNT)
        .map(|_| recovery::generate())
        .collect();
    let hashes = codes
        .iter()
        .filter_map(|c| recovery::normalise(c))
        .map(|c| recovery::hash(site_id, user_id, &c))
        .collect();
    (codes, hashes)
}
