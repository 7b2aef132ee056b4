//! The scopes a client may ask for, what they mean in plain words, and the
//! permissions each one lets a token use.

use std::fmt;

use crate::users::{Permission, Permissions};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    Profile,
    ContentRead,
    ContentWrite,
    Admin,
    /// OpenID Connect: sign in with this site (an ID token, `/oauth/userinfo`).
    Openid,
    /// OpenID Connect: the user's email address.
    Email,
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Scope::Profile,
        Scope::ContentRead,
        Scope::ContentWrite,
        Scope::Admin,
        Scope::Openid,
        Scope::Email,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Profile => "profile",
            Scope::ContentRead => "content:read",
            Scope::ContentWrite => "content:write",
            Scope::Admin => "admin",
            Scope::Openid => "openid",
            Scope::Email => "email",
        }
    }

    pub fn parse(raw: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// The message key (`i18n`) of what the consent screen says the app
    /// will be able to do.
    pub fn description_key(self) -> &'static str {
        match self {
            Scope::Profile => "scope-profile",
            Scope::ContentRead => "scope-content-read",
            Scope::ContentWrite => "scope-content-write",
            Scope::Admin => "scope-admin",
            Scope::Openid => "scope-openid",
            Scope::Email => "scope-email",
        }
    }

    pub fn permissions(self) -> Permissions {
        match self {
            Scope::Profile => Permissions::of(&[Permission::AccountRead, Permission::AccountWrite]),
            Scope::ContentRead => Permissions::of(&[Permission::ContentRead]),
            Scope::ContentWrite => Permissions::of(&[Permission::ContentWrite]),
            Scope::Admin => Permissions::of(&[Permission::Admin]),
            // Identity only: what `/oauth/userinfo` and the ID token tell.
            Scope::Openid | Scope::Email => Permissions::none(),
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}`")]
pub struct UnknownScope(pub String);

/// A set of scopes; small enough to copy. Printed space-separated in the
/// RFC 6749 order-insensitive form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct ScopeSet(u8);

impl ScopeSet {
    pub fn empty() -> Self {
        Self(0)
    }

    pub fn all() -> Self {
        Self::of(&Scope::ALL)
    }

    pub fn of(scopes: &[Scope]) -> Self {
        Self(scopes.iter().fold(0, |acc, s| acc | s.bit()))
    }

    /// Parses a space-separated list (RFC 6749 section 3.3).
    pub fn parse(raw: &str) -> Result<Self, UnknownScope> {
        raw.split(' ')
            .filter(|s| !s.is_empty())
            .try_fold(Self::empty(), |set, s| {
                Scope::parse(s)
                    .map(|scope| set.with(scope))
                    .ok_or_else(|| UnknownScope(s.to_string()))
            })
    }

    /// Parses what the store wrote; unknown names (from a newer version) are dropped.
    pub fn from_stored(raw: &str) -> Self {
        raw.split(' ')
            .filter_map(Scope::parse)
            .fold(Self::empty(), |set, s| set.with(s))
    }

    /// One bit per scope, as access tokens carry the set.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// The set of [`Self::bits`]; `None` if a bit names no scope.
    pub fn from_bits(bits: u8) -> Option<Self> {
        (bits & !Self::all().0 == 0).then_some(Self(bits))
    }

    pub fn with(self, scope: Scope) -> Self {
        Self(self.0 | scope.bit())
    }

    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn is_subset_of(self, other: ScopeSet) -> bool {
        self.0 & !other.0 == 0
    }

    pub fn union(self, other: ScopeSet) -> Self {
        Self(self.0 | other.0)
    }

    pub fn intersect(self, other: ScopeSet) -> Self {
        Self(self.0 & other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Scope::as_str).collect()
    }

    /// The permissions a token with these scopes may use, before the
    /// user's own role is taken into account.
    pub fn permissions(self) -> Permissions {
        self.iter()
            .fold(Permissions::none(), |acc, s| acc.union(s.permissions()))
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_print_in_a_stable_order() {
        let set = ScopeSet::parse("content:write profile").ok();
        assert_eq!(
            set.map(|s| s.to_string()).as_deref(),
            Some("profile content:write")
        );
        assert_eq!(ScopeSet::parse("").ok(), Some(ScopeSet::empty()));
        assert_eq!(
            ScopeSet::parse("profile phone"),
            Err(UnknownScope("phone".into()))
        );
    }

    #[test]
    fn scopes_map_to_permissions() {
        let profile = ScopeSet::of(&[Scope::Profile]).permissions();
        assert_eq!(profile.names(), vec!["account:read", "account:write"]);
        let admin = ScopeSet::of(&[Scope::Admin]).permissions();
        assert_eq!(admin.names(), vec!["admin"]);
    }

    #[test]
    fn subsets_and_unions() {
        let read = ScopeSet::of(&[Scope::ContentRead]);
        let both = ScopeSet::of(&[Scope::ContentRead, Scope::ContentWrite]);
        assert!(read.is_subset_of(both));
        assert!(!both.is_subset_of(read));
        assert_eq!(read.union(both), both);
    }
}
