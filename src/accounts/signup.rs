//! Sign-up by site policy (closed, open, invitation), email verification,
//! and invitations.
//!
//! Where email is on, an account made by open sign-up may not sign in until
//! its address is verified through a single-use link; an invitation was
//! sent to the address, so accepting it verifies the address. Usernames
//! and addresses are unique per site (addresses without case).

use super::password_policy;
use super::{
    AccountError, Accounts, LinkPurpose, LinkToken, MAX_TOKEN_CHARS, SignupPolicy, recipient_locale,
};
use crate::audit::{Actor, AuditEvent, AuditKind};
use crate::crypto::password;
use crate::email::{Email, EmailError};
use crate::sites::Site;
use crate::store::{AccountLinkRecord, NewUser, SignUpRecord, StoreError, UserRecord};
use crate::throttle::{Attempt, ThrottleKey};
use crate::users::{Role, validate_email, validate_username};

/// A verification link is good for two days.
pub const VERIFY_LINK_SECS: i64 = 48 * 60 * 60;
/// An invitation is good for a week.
pub const INVITE_LINK_SECS: i64 = 7 * 24 * 60 * 60;

/// What the sign-up form sent.
#[derive(Default)]
pub struct SignUpForm {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub password: String,
    pub confirm: String,
    /// The invitation's token, on an invite-only site.
    pub invite: Option<String>,
    /// The language of the form, for its problems.
    pub lang: crate::i18n::Locale,
}

/// Each field's problem, in words for the form.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SignUpProblems {
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub confirm: Option<String>,
}

impl SignUpProblems {
    pub fn any(&self) -> bool {
        self.username.is_some()
            || self.email.is_some()
            || self.password.is_some()
            || self.confirm.is_some()
    }
}

#[derive(Debug)]
pub enum SignUpOutcome {
    /// Created; `verify` when it may sign in only after verifying.
    Created {
        user: UserRecord,
        verify: bool,
    },
    Problems(SignUpProblems),
    /// The site does not take sign-ups (or not without an invitation).
    Closed,
    /// The invitation expired, was used, or never existed.
    InviteGone,
    /// Too many sign-ups from this client address.
    Throttled {
        retry_after: i64,
    },
}

/// What an administrator's invitation did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct InviteSent {
    pub email: String,
    pub role: String,
    pub expires_at: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("email is off on this deployment: invitations are sent by email")]
    EmailOff,
    #[error("`{0}` is not an email address")]
    BadAddress(String),
    #[error("an account of this site already has the address `{0}`")]
    Taken(String),
    #[error(transparent)]
    Internal(#[from] AccountError),
}

impl From<StoreError> for InviteError {
    fn from(e: StoreError) -> Self {
        InviteError::Internal(e.into())
    }
}

impl Accounts {
    /// The live invitation behind a token (to show the form with its address).
    pub async fn live_invite(
        &self,
        site: &Site,
        token: &str,
    ) -> Result<Option<AccountLinkRecord>, StoreError> {
        if token.is_empty() || token.len() > MAX_TOKEN_CHARS {
            return Ok(None);
        }
        self.store
            .find_live_account_link(
                site.id,
                &LinkToken::hash_of(token),
                LinkPurpose::Invite.as_str(),
                self.clock.now(),
            )
            .await
    }

    /// Creates an account from the sign-up form, by the site's policy.
    pub async fn sign_up(
        &self,
        site: &Site,
        form: SignUpForm,
        ip: Option<&str>,
    ) -> Result<SignUpOutcome, AccountError> {
        let invite = match (site.accounts.signup, form.invite.as_deref()) {
            (SignupPolicy::Closed, _) | (SignupPolicy::Invite, None) => {
                return Ok(SignUpOutcome::Closed);
            }
            (_, Some(token)) => match self.live_invite(site, token).await? {
                Some(invite) => Some(invite),
                None => return Ok(SignUpOutcome::InviteGone),
            },
            (SignupPolicy::Open, None) => None,
        };
        let key = [ThrottleKey::account_address(site.id, ip.unwrap_or(""))];
        if let Attempt::Refused { retry_after } =
            self.throttle.attempt(&key, self.clock.now()).await?
        {
            return Ok(SignUpOutcome::Throttled { retry_after });
        }
        // An invitation names the address; the form cannot change it.
        let email = match &invite {
            Some(invite) => invite.email.clone(),
            None => form.email.trim().to_string(),
        };
        let username = form.username.clone();
        let lang = form.lang;
        let mut problems = SignUpProblems::default();
        if validate_username(&username).is_err() {
            problems.username = Some(lang.t("signup-error-username"));
        } else if self
            .store
            .find_user_by_username(site.id, &username)
            .await?
            .is_some()
        {
            problems.username = Some(lang.t("signup-error-username-taken"));
        }
        let email = (!email.is_empty()).then_some(email);
        let taken = match &email {
            Some(address) if validate_email(address).is_ok() => self
                .store
                .find_local_user_by_email(site.id, address)
                .await?
                .is_some(),
            _ => false,
        };
        problems.email = match &email {
            None if self.email_enabled() => Some(lang.t("signup-error-email-needed")),
            None => None,
            Some(address) if validate_email(address).is_err() => {
                Some(lang.t("signup-error-email-invalid"))
            }
            Some(_) if taken => Some(lang.t("signup-error-email-taken")),
            Some(_) => None,
        };
        if let Err(problem) = password_policy::check(&form.password, &username, email.as_deref()) {
            problems.password = Some(problem.message(lang));
        } else if form.password != form.confirm {
            problems.confirm = Some(lang.t("signup-error-passwords-differ"));
        }
        if problems.any() {
            return Ok(SignUpOutcome::Problems(problems));
        }
        let role = match &invite {
            Some(invite) => invite
                .role
                .as_deref()
                .and_then(|r| r.parse::<Role>().ok())
                .unwrap_or(Role::Community),
            None => Role::Community,
        };
        let now = self.clock.now();
        let verify = invite.is_none() && self.email_enabled();
        let record = SignUpRecord {
            user: NewUser {
                site_id: site.id,
                display_name: Some(form.display_name.trim().to_string())
                    .filter(|d| !d.is_empty() && d.chars().count() <= 200)
                    .unwrap_or_else(|| username.clone()),
                username,
                email: email.clone(),
                password_hash: Some(password::hash_password(form.password).await?),
                role: role.as_str().to_string(),
                external_issuer: None,
                external_subject: None,
                created_at: now,
            },
            awaiting_verification: verify,
            email_verified: invite.is_some(),
            invite_token_hash: form.invite.as_deref().map(LinkToken::hash_of),
        };
        let user = match self.store.create_signed_up_user(&record, now).await {
            Ok(Some(user)) => user,
            Ok(None) => return Ok(SignUpOutcome::InviteGone),
            // Taken between the check and the insert.
            Err(StoreError::Conflict) => {
                return Ok(SignUpOutcome::Problems(SignUpProblems {
                    username: Some(lang.t("signup-error-just-taken")),
                    ..SignUpProblems::default()
                }));
            }
            Err(e) => return Err(e.into()),
        };
        let event = AuditEvent::new(AuditKind::UserSignedUp, Actor::User(user.id))
            .user(user.id)
            .ip(ip)
            .detail("invited", invite.is_some())
            .detail("role", user.role.as_str());
        self.audit.record(site.id, event).await;
        if verify {
            self.send_verification(site, &user).await?;
        }
        Ok(SignUpOutcome::Created { user, verify })
    }

    /// Sends a link that verifies the user's current address.
    pub async fn send_verification(
        &self,
        site: &Site,
        user: &UserRecord,
    ) -> Result<(), AccountError> {
        let Some(address) = user.email.as_deref() else {
            return Ok(());
        };
        let (token, _) = self
            .new_link(
                site.id,
                LinkPurpose::VerifyEmail,
                Some(user.id),
                address,
                None,
                VERIFY_LINK_SECS,
            )
            .await?;
        let link = site.url(&format!("/verify-email?token={}", token.expose()));
        let mail = Email::VerifyEmail {
            link,
            hours: VERIFY_LINK_SECS / 3600,
        };
        let lang = recipient_locale(site, user);
        self.outbox.send(site, address, lang, &mail).await?;
        Ok(())
    }

    /// Uses a verification link: true when it verified an address.
    pub async fn verify_email(&self, site: &Site, token: &str) -> Result<bool, StoreError> {
        if token.is_empty() || token.len() > MAX_TOKEN_CHARS {
            return Ok(false);
        }
        let verified = self
            .store
            .verify_email_by_link(site.id, &LinkToken::hash_of(token), self.clock.now())
            .await?;
        let Some(user_id) = verified else {
            return Ok(false);
        };
        self.cache.evict_user(user_id);
        let event = AuditEvent::new(AuditKind::EmailVerified, Actor::User(user_id)).user(user_id);
        self.audit.record(site.id, event).await;
        Ok(true)
    }

    /// An administrator invites `email` to create an account with `role`.
    pub async fn invite(
        &self,
        site: &Site,
        email: &str,
        role: Role,
        actor: &Actor,
    ) -> Result<InviteSent, InviteError> {
        if !self.email_enabled() {
            return Err(InviteError::EmailOff);
        }
        let email = email.trim();
        validate_email(email).map_err(|_| InviteError::BadAddress(email.to_string()))?;
        if self
            .store
            .find_local_user_by_email(site.id, email)
            .await?
            .is_some()
        {
            return Err(InviteError::Taken(email.to_string()));
        }
        let (token, expires_at) = self
            .new_link(
                site.id,
                LinkPurpose::Invite,
                None,
                email,
                Some(role.as_str().to_string()),
                INVITE_LINK_SECS,
            )
            .await?;
        let link = site.url(&format!("/signup?invite={}", token.expose()));
        let mail = Email::Invite {
            link,
            role: role.as_str().to_string(),
            days: INVITE_LINK_SECS / 86_400,
        };
        self.outbox
            .send(site, email, site.default_locale, &mail)
            .await
            .map_err(|e| match e {
                EmailError::BadAddress(a) => InviteError::BadAddress(a),
                e => InviteError::Internal(e.into()),
            })?;
        let event = AuditEvent::new(AuditKind::UserInvited, actor.clone())
            .detail("email", email)
            .detail("role", role.as_str());
        self.audit.record(site.id, event).await;
        Ok(InviteSent {
            email: email.to_string(),
            role: role.as_str().to_string(),
            expires_at,
        })
    }
}
