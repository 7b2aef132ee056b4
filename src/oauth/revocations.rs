//! Which access tokens no longer hold. Access tokens are never stored
//! (`tokens::AccessClaims`), so what revokes them lives here, in memory, in
//! every process:
//!
//! - single tokens revoked at the revocation endpoint (RFC 7009), by id;
//! - grants revoked (consent taken back, a replayed code or refresh token,
//!   signing out a session, a password change, an admin's action): every
//!   access token of the grant.
//!
//! A user disabled or a client deleted needs nothing here: every use of a
//! token reads the (cached) user and client. Each revocation is written to
//! the store with a change-feed entry in one transaction; the process that
//! makes it records it here at once, every other process when it reads the
//! feed (`invalidation.rs`), so the bound is the feed's poll interval. At
//! start-up the set is loaded from the store before the server answers.
//!
//! A process that cannot read the feed for longer than
//! [`Revocations::stale_after`] (ten seconds, or eight poll intervals if
//! that is more) could be missing revocations: it then refuses to vouch for
//! any access token (`503`) until it reads the feed again, so the bound
//! holds even while a process is cut off from the database.
//!
//! Entries are kept [`KEEP_SECS`] after the revocation: no access token
//! lives longer than `tokens::MAX_ACCESS_TTL_SECS`, which is shorter, so by
//! then every token an entry refuses has expired by itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use dashmap::DashMap;

use super::tokens::{AccessClaims, MAX_ACCESS_TTL_SECS};
use crate::invalidation::FeedProgress;
use crate::store::RevokedAccess;

/// How long a revocation is remembered; the janitor keeps revoked grants
/// in the store as long.
pub const KEEP_SECS: i64 = 24 * 60 * 60;

const _: () = assert!(MAX_ACCESS_TTL_SECS < KEEP_SECS);

/// How long the feed may go unread before access tokens are refused, at
/// least.
const MIN_STALE_AFTER: Duration = Duration::from_secs(10);

pub struct Revocations {
    /// (site, token id) -> when it was revoked.
    tokens: DashMap<(i64, i64), i64>,
    /// Grant id (unique across sites) -> when it was revoked.
    grants: DashMap<i64, i64>,
    /// When this process last read the change feed in full.
    pub feed: Arc<FeedProgress>,
    stale_after_millis: AtomicU64,
}

impl Default for Revocations {
    fn default() -> Self {
        Self {
            tokens: DashMap::new(),
            grants: DashMap::new(),
            feed: Arc::default(),
            stale_after_millis: AtomicU64::new(millis(MIN_STALE_AFTER)),
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Revocations {
    /// Sets the bound from the feed's poll interval.
    pub fn set_poll_interval(&self, poll: Duration) {
        let after = (poll * 8).max(MIN_STALE_AFTER);
        self.stale_after_millis
            .store(millis(after), Ordering::Relaxed);
    }

    pub fn stale_after(&self) -> Duration {
        Duration::from_millis(self.stale_after_millis.load(Ordering::Relaxed))
    }

    /// Whether the feed went unread for too long to trust this set.
    pub fn is_stale(&self) -> bool {
        self.feed.lag() > self.stale_after()
    }

    /// Whether nothing revoked the token of `claims`.
    pub fn allows(&self, claims: &AccessClaims) -> bool {
        if let Some(grant) = claims.grant_id
            && self.grants.contains_key(&grant)
        {
            return false;
        }
        self.tokens.is_empty() || !self.tokens.contains_key(&(claims.site_id, claims.token_id))
    }

    pub fn revoke_token(&self, site_id: i64, token_id: i64, at: i64) {
        self.tokens.insert((site_id, token_id), at);
    }

    pub fn revoke_grant(&self, grant_id: i64, at: i64) {
        self.grants.insert(grant_id, at);
    }

    /// Adds what the store says is revoked (at start-up, which counts as
    /// a read of the feed).
    pub fn load(&self, revoked: RevokedAccess) {
        self.feed.mark_read();
        for (site_id, token_id, at) in revoked.tokens {
            self.revoke_token(site_id, token_id, at);
        }
        for (grant_id, at) in revoked.grants {
            self.revoke_grant(grant_id, at);
        }
    }

    /// Forgets revocations older than [`KEEP_SECS`].
    pub fn prune(&self, now: i64) {
        let horizon = now - KEEP_SECS;
        self.tokens.retain(|_, at| *at >= horizon);
        self.grants.retain(|_, at| *at >= horizon);
    }

    pub fn len(&self) -> usize {
        self.tokens.len() + self.grants.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::scopes::ScopeSet;

    fn claims(token_id: i64, grant_id: Option<i64>) -> AccessClaims {
        AccessClaims {
            token_id,
            site_id: 1,
            client_pk: 7,
            user_id: Some(3),
            grant_id,
            scopes: ScopeSet::empty(),
            issued_at: 1_000,
            expires_at: 2_000,
            jkt: None,
            resource_id: None,
        }
    }

    #[test]
    fn a_revoked_token_or_grant_no_longer_holds() {
        let revoked = Revocations::default();
        assert!(revoked.allows(&claims(10, Some(5))));
        revoked.revoke_token(1, 10, 1_500);
        assert!(!revoked.allows(&claims(10, None)));
        assert!(revoked.allows(&claims(11, Some(5))));
        // The same id on another site is another token.
        let mut other_site = claims(10, None);
        other_site.site_id = 2;
        assert!(revoked.allows(&other_site));
        revoked.revoke_grant(5, 1_500);
        assert!(!revoked.allows(&claims(11, Some(5))));
        assert!(revoked.allows(&claims(11, Some(6))));
    }

    #[test]
    fn revocations_are_forgotten_only_after_every_token_expired() {
        let revoked = Revocations::default();
        revoked.revoke_token(1, 10, 1_000);
        revoked.revoke_grant(5, 1_000);
        revoked.prune(1_000 + KEEP_SECS);
        assert_eq!(revoked.len(), 2);
        revoked.prune(1_001 + KEEP_SECS);
        assert!(revoked.is_empty());
    }
}
