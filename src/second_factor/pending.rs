//! Half-finished sign-ins: the password was right and a second factor (or,
//! under a policy that requires one, its enrolment) is still to come.
//!
//! The state lives in the shared store, not in process memory: the browser
//! holds a random token in a short-lived cookie and the store keeps only
//! its hash, with the user, the methods proved so far and an expiry. The
//! row is used up (once) when the sign-in completes.

use super::SecondFactors;
use crate::crypto::{random, sha256_hex};
use crate::sessions::{ClientInfo, Methods};
use crate::sites::Site;
use crate::store::{NewPendingSignin, PendingSigninRecord, StoreResult};

/// The cookie that carries a pending sign-in's token.
pub const PENDING_COOKIE: &str = "tessera_signin";
/// How long the second step may take.
pub const PENDING_TTL_SECS: i64 = 300;

/// What the second step of a sign-in is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PendingPurpose {
    /// Type a TOTP or recovery code.
    Verify,
    /// Set up a second factor first (the site's policy requires one).
    Enrol,
}

impl PendingPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            PendingPurpose::Verify => "verify",
            PendingPurpose::Enrol => "enrol",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "verify" => Some(PendingPurpose::Verify),
            "enrol" => Some(PendingPurpose::Enrol),
            _ => None,
        }
    }
}

impl SecondFactors {
    /// Records a pending sign-in and returns the token for its cookie.
    /// `session_id`: the browser's session of the same user, to be
    /// re-authenticated in place.
    pub async fn begin_pending(
        &self,
        site: &Site,
        user_id: i64,
        purpose: PendingPurpose,
        methods: Methods,
        session_id: Option<i64>,
        client: ClientInfo,
    ) -> StoreResult<String> {
        let token = random::hex_256();
        let now = self.clock.now();
        self.store
            .create_pending_signin(&NewPendingSignin {
                site_id: site.id,
                user_id,
                token_hash: sha256_hex(token.as_bytes()),
                purpose: purpose.as_str().to_string(),
                amr: methods.to_stored(),
                session_id,
                ip: client.ip,
                user_agent: client.user_agent.map(|ua| ua.chars().take(300).collect()),
                created_at: now,
                expires_at: now + PENDING_TTL_SECS,
            })
            .await?;
        Ok(token)
    }

    /// The pending sign-in behind a cookie's token, if still open.
    pub async fn pending(
        &self,
        site: &Site,
        token: &str,
    ) -> StoreResult<Option<(PendingSigninRecord, PendingPurpose)>> {
        if token.len() != 64 {
            return Ok(None);
        }
        let record = self
            .store
            .find_pending_signin(site.id, &sha256_hex(token.as_bytes()), self.clock.now())
            .await?;
        Ok(record.and_then(|r| PendingPurpose::parse(&r.purpose).map(|p| (r, p))))
    }
}
