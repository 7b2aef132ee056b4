//! The kinds of audit event, with the names stored and queried.

macro_rules! audit_kinds {
    ($($variant:ident => $name:literal),* $(,)?) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum AuditKind {
            $($variant),*
        }

        impl AuditKind {
            pub const ALL: &[AuditKind] = &[$(AuditKind::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(AuditKind::$variant => $name),*
                }
            }

            pub fn parse(raw: &str) -> Option<AuditKind> {
                match raw {
                    $($name => Some(AuditKind::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

audit_kinds! {
    SignInSucceeded => "signin.succeeded",
    SignInFailed => "signin.failed",
    SignInThrottled => "signin.throttled",
    ConsentGranted => "consent.granted",
    ConsentRevoked => "consent.revoked",
    ClientCreated => "client.created",
    ClientChanged => "client.changed",
    ClientDeleted => "client.deleted",
    ClientSecretRotated => "client.secret_rotated",
    TokenFamilyRevoked => "token.family_revoked",
    SigningKeyRotated => "key.rotated",
    SigningKeyConfigured => "key.configured",
    MasterKeyRotated => "master_key.rotated",
    LegacyCredentialUsed => "legacy.used",
    LegacyEnabled => "legacy.enabled",
    LegacyDisabled => "legacy.disabled",
    LegacyKeyRotated => "legacy.rotated",
    SiteCreated => "site.created",
    SiteChanged => "site.changed",
    UserCreated => "user.created",
    UserChanged => "user.changed",
    UserPasswordSet => "user.password_set",
    PasswordResetRequested => "user.password_reset_requested",
    PasswordReset => "user.password_reset",
    EmailVerified => "user.email_verified",
    UserSignedUp => "user.signed_up",
    UserInvited => "user.invited",
    IdentityProviderAdded => "idp.added",
    IdentityProviderRemoved => "idp.removed",
    SessionRevoked => "session.revoked",
    GrantRevoked => "grant.revoked",
    RegistrationTokenIssued => "registration_token.issued",
    ResourceAdded => "resource.added",
    ResourceRemoved => "resource.removed",
    SecondFactorEnabled => "second_factor.enabled",
    SecondFactorDisabled => "second_factor.disabled",
    SecondFactorReset => "second_factor.reset",
    RecoveryCodesRegenerated => "second_factor.recovery_codes_regenerated",
    RecoveryCodeUsed => "second_factor.recovery_code_used",
    PasskeyAdded => "passkey.added",
    PasskeyRemoved => "passkey.removed",
    PasskeyUsed => "passkey.used",
    UpstreamProviderAdded => "upstream.added",
    UpstreamProviderRemoved => "upstream.removed",
    UpstreamIdentityLinked => "upstream.linked",
    UpstreamIdentityUnlinked => "upstream.unlinked",
}

impl std::fmt::Display for AuditKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_parses_back_from_its_name() {
        for kind in AuditKind::ALL {
            assert_eq!(AuditKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(AuditKind::parse("signin"), None);
    }
}
