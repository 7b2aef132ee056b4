//! Legacy credentials (spec 3.6), off unless an admin enables them per site.
//!
//! - The site API key: one per-site secret granting admin rights, sent as
//!   `apikey` or `X-Deki-ApiKey`. It is kept recoverable (sealed, not hashed)
//!   because impersonation tokens are hashed with it.
//! - Impersonation tokens `imp_{epoch}_{md5hex}_{user}`, where md5hex is the
//!   hex MD5 of `"{user}:{epoch}:{site api key}"` with `user` a numeric id or
//!   a username (the token writes `=username`; the hash has no `=`). The
//!   username is taken literally: no percent-decoding, as existing
//!   integrations hash the name as they send it. Valid for 60 seconds, and
//!   a sign-in link made of one works once (`tokens::callers::sign_in`).
//!
//! Because the hash covers the bare `user`, `_42` and `=42` carry the same
//! hash: the token alone cannot say whether user id 42 or the user named
//! `42` was meant. [`ImpersonatedUser`] keeps the two readings apart, ids
//! must be written canonically (`_042` is refused), and the caller resolves
//! a digit string only when both readings agree ([`ImpersonatedUser::twin`]).
//!
//! MD5 is weak, which is one reason these stay off by default; the format is
//! fixed by the integrations that still use it.

use std::fmt;

use md5::{Digest, Md5};

use super::server::Window;
use crate::crypto::{constant_time_eq, random, sha256_hex};

pub const IMPERSONATION_PREFIX: &str = "imp_";
/// How far an impersonation token's epoch may sit from the server clock.
pub const IMPERSONATION_WINDOW: Window = Window {
    past_secs: 60,
    future_secs: 60,
};
const MAX_LEN: usize = 512;

/// A site's legacy API key. `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SiteApiKey(String);

impl SiteApiKey {
    pub fn new(value: String) -> Self {
        SiteApiKey(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether a presented key is this one. Both sides are hashed first so
    /// the comparison takes the same time whatever the presented length.
    pub fn matches(&self, presented: &str) -> bool {
        constant_time_eq(
            sha256_hex(presented.as_bytes()).as_bytes(),
            sha256_hex(self.0.as_bytes()).as_bytes(),
        )
    }
}

impl fmt::Debug for SiteApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SiteApiKey(<redacted>)")
    }
}

/// A new site API key: 256 random bits as 64 lower-case hex characters.
pub fn generate_site_api_key() -> SiteApiKey {
    SiteApiKey(random::hex_256())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ImpersonationRejection {
    #[error("the impersonation token is malformed")]
    Malformed,
    #[error("the impersonation token's hash is invalid")]
    BadHash,
    #[error("the impersonation token has expired")]
    Expired,
    #[error("the impersonation token is dated in the future")]
    FromTheFuture,
}

impl ImpersonationRejection {
    pub fn code(self) -> &'static str {
        match self {
            ImpersonationRejection::Malformed => "malformed",
            ImpersonationRejection::BadHash => "bad_signature",
            ImpersonationRejection::Expired => "stale",
            ImpersonationRejection::FromTheFuture => "from_the_future",
        }
    }
}

/// Who an impersonation token names, as written in the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImpersonatedUser {
    /// `_42`: the user whose numeric id is 42.
    Id(i64),
    /// `=alice`: the user with this username (which may be all digits).
    Username(String),
}

impl ImpersonatedUser {
    /// The other reading of the same hash, if there is one: the username
    /// `"42"` for `Id(42)`, and the id 42 for `Username("42")`. A token
    /// must be refused when its twin names a different user, or whoever
    /// holds a link for the user named `1` could sign in as user id 1.
    pub fn twin(&self) -> Option<ImpersonatedUser> {
        match self {
            ImpersonatedUser::Id(id) => Some(ImpersonatedUser::Username(id.to_string())),
            ImpersonatedUser::Username(name) => parse_canonical_id(name).map(ImpersonatedUser::Id),
        }
    }

    /// The string the MD5 covers.
    fn hashed_form(&self) -> String {
        match self {
            ImpersonatedUser::Id(id) => id.to_string(),
            ImpersonatedUser::Username(name) => name.clone(),
        }
    }

    /// The string the token carries.
    fn token_form(&self) -> String {
        match self {
            ImpersonatedUser::Id(id) => id.to_string(),
            ImpersonatedUser::Username(name) => format!("={name}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedImpersonation {
    pub epoch: i64,
    pub user: ImpersonatedUser,
    /// The MD5 as bytes: one value however the hex was cased.
    pub hash: [u8; 16],
}

impl VerifiedImpersonation {
    /// What the single-use ledger remembers for this token on `site_id`: a
    /// hash of the MD5, never the token. Keyed on the MD5 alone, so neither
    /// the hex case nor the `_42`/`=42` spelling makes a second use.
    pub fn single_use_key(&self, site_id: i64) -> String {
        sha256_hex(format!("sign-in/impersonation/{site_id}/{}", hex::encode(self.hash)).as_bytes())
    }

    /// The last second the token is accepted.
    pub fn valid_until(&self, window: Window) -> i64 {
        self.epoch.saturating_add(window.past_secs)
    }
}

/// Checks an impersonation token against the site's API key and the clock.
/// The hash is checked before the time, so "expired" is only said about
/// tokens made with the right key.
pub fn verify_impersonation(
    token: &str,
    key: &SiteApiKey,
    now: i64,
    window: Window,
) -> Result<VerifiedImpersonation, ImpersonationRejection> {
    use ImpersonationRejection::Malformed;
    if token.len() > MAX_LEN {
        return Err(Malformed);
    }
    let rest = token.strip_prefix(IMPERSONATION_PREFIX).ok_or(Malformed)?;
    let (epoch_raw, rest) = rest.split_once('_').ok_or(Malformed)?;
    let (hash_hex, user_raw) = rest.split_once('_').ok_or(Malformed)?;
    if epoch_raw.is_empty() || !epoch_raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Malformed);
    }
    let epoch: i64 = epoch_raw.parse().map_err(|_| Malformed)?;
    let user = parse_user(user_raw).ok_or(Malformed)?;
    let mut presented = [0u8; 16];
    if hash_hex.len() != 32 {
        return Err(Malformed);
    }
    hex::decode_to_slice(hash_hex, &mut presented).map_err(|_| Malformed)?;

    let expected = impersonation_hash(&user.hashed_form(), epoch_raw, key);
    if !constant_time_eq(&expected, &presented) {
        return Err(ImpersonationRejection::BadHash);
    }
    if epoch < now.saturating_sub(window.past_secs) {
        return Err(ImpersonationRejection::Expired);
    }
    if epoch > now.saturating_add(window.future_secs) {
        return Err(ImpersonationRejection::FromTheFuture);
    }
    Ok(VerifiedImpersonation {
        epoch,
        user,
        hash: presented,
    })
}

/// Makes an impersonation token, as a legacy integration would.
pub fn impersonation_token(key: &SiteApiKey, epoch: i64, user: &ImpersonatedUser) -> String {
    let epoch_raw = epoch.to_string();
    let hash = hex::encode(impersonation_hash(&user.hashed_form(), &epoch_raw, key));
    format!(
        "{IMPERSONATION_PREFIX}{epoch_raw}_{hash}_{}",
        user.token_form()
    )
}

/// MD5 of `"{user}:{epoch}:{key}"`.
fn impersonation_hash(user: &str, epoch_raw: &str, key: &SiteApiKey) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(user.as_bytes());
    md5.update(b":");
    md5.update(epoch_raw.as_bytes());
    md5.update(b":");
    md5.update(key.expose().as_bytes());
    md5.finalize().into()
}

/// `=name` is a username (digits included), a bare canonical number an id.
fn parse_user(raw: &str) -> Option<ImpersonatedUser> {
    if let Some(name) = raw.strip_prefix('=') {
        if name.is_empty() || name.chars().any(char::is_control) {
            return None;
        }
        return Some(ImpersonatedUser::Username(name.to_owned()));
    }
    parse_canonical_id(raw).map(ImpersonatedUser::Id)
}

/// A non-negative id written the one way `i64::to_string` writes it: no
/// sign, no leading zeros. `007` would hash as `007` yet name user 7.
fn parse_canonical_id(raw: &str) -> Option<i64> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id: i64 = raw.parse().ok()?;
    (id.to_string() == raw).then_some(id)
}

#[cfg(test)]
#[path = "legacy_tests.rs"]
mod tests;
