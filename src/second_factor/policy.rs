//! A site's second-factor policy.

use crate::users::Role;

/// Who must use a second factor on a site.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SecondFactorPolicy {
    /// Anyone may set one up; no one must (the default).
    #[default]
    Optional,
    /// Administrators must; others may.
    Admins,
    /// Everyone must.
    Everyone,
}

impl SecondFactorPolicy {
    pub const NAMES: &'static str = "optional, admins or everyone";

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "optional" => Some(Self::Optional),
            "admins" => Some(Self::Admins),
            "everyone" => Some(Self::Everyone),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Optional => "optional",
            Self::Admins => "admins",
            Self::Everyone => "everyone",
        }
    }

    /// Whether a user of this role must have a second factor to sign in.
    pub fn requires(self, role: Role) -> bool {
        match self {
            Self::Optional => false,
            Self::Admins => role == Role::Admin,
            Self::Everyone => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_policy_requires_a_second_factor_of_whom_it_says() {
        for role in [Role::Community, Role::Pro, Role::Admin] {
            assert!(!SecondFactorPolicy::Optional.requires(role));
            assert!(SecondFactorPolicy::Everyone.requires(role));
            assert_eq!(
                SecondFactorPolicy::Admins.requires(role),
                role == Role::Admin
            );
        }
        for policy in ["optional", "admins", "everyone"] {
            assert_eq!(
                SecondFactorPolicy::parse(policy).map(|p| p.as_str()),
                Some(policy)
            );
        }
        assert_eq!(SecondFactorPolicy::parse("sometimes"), None);
    }
}
