//! Roles and the permissions they grant (spec section 2).

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Community,
    Pro,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Community => "community",
            Role::Pro => "pro",
            Role::Admin => "admin",
        }
    }

    pub fn permissions(self) -> Permissions {
        use Permission::*;
        match self {
            Role::Community => Permissions::of(&[AccountRead, AccountWrite]),
            Role::Pro => Permissions::of(&[AccountRead, AccountWrite, ContentRead, ContentWrite]),
            Role::Admin => Permissions::all(),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role `{0}` (expected community, pro or admin)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "community" => Ok(Role::Community),
            "pro" => Ok(Role::Pro),
            "admin" => Ok(Role::Admin),
            other => Err(UnknownRole(other.to_string())),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    ContentRead,
    ContentWrite,
    AccountRead,
    AccountWrite,
    Admin,
}

impl Permission {
    pub const ALL: [Permission; 5] = [
        Permission::ContentRead,
        Permission::ContentWrite,
        Permission::AccountRead,
        Permission::AccountWrite,
        Permission::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::ContentRead => "content:read",
            Permission::ContentWrite => "content:write",
            Permission::AccountRead => "account:read",
            Permission::AccountWrite => "account:write",
            Permission::Admin => "admin",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    pub fn parse(s: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

/// A set of permissions, small enough to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Permissions(u8);

impl Permissions {
    pub fn none() -> Self {
        Self(0)
    }

    pub fn all() -> Self {
        Self::of(&Permission::ALL)
    }

    pub fn of(list: &[Permission]) -> Self {
        Self(list.iter().fold(0, |acc, p| acc | p.bit()))
    }

    pub fn contains(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    pub fn intersect(self, other: Permissions) -> Self {
        Self(self.0 & other.0)
    }

    pub fn union(self, other: Permissions) -> Self {
        Self(self.0 | other.0)
    }

    pub fn iter(self) -> impl Iterator<Item = Permission> {
        Permission::ALL
            .into_iter()
            .filter(move |p| self.contains(*p))
    }

    pub fn names(self) -> Vec<&'static str> {
        self.iter().map(Permission::as_str).collect()
    }

    /// The names, space-separated: one string per set, made once.
    pub fn spaced(self) -> &'static str {
        static SPACED: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
            (0..=Permissions::all().0)
                .map(|bits| Permissions(bits).names().join(" "))
                .collect()
        });
        SPACED.get(usize::from(self.0)).map_or("", String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaced_names_are_the_names_joined() {
        for bits in 0..=Permissions::all().0 {
            let set = Permissions(bits);
            assert_eq!(set.spaced(), set.names().join(" "));
        }
    }

    #[test]
    fn roles_grant_growing_permission_sets() {
        assert_eq!(
            Role::Community.permissions().names(),
            vec!["account:read", "account:write"]
        );
        assert!(Role::Pro.permissions().contains(Permission::ContentWrite));
        assert!(!Role::Pro.permissions().contains(Permission::Admin));
        assert_eq!(Role::Admin.permissions(), Permissions::all());
    }

    #[test]
    fn roles_parse_from_their_names() {
        assert_eq!("pro".parse::<Role>().ok(), Some(Role::Pro));
        assert!("root".parse::<Role>().is_err());
    }
}
