//! How a person proved who they are: the RFC 8176 authentication method
//! references (`amr`) of a session's last authentication, and the
//! authentication context class (`acr`) they add up to.
//!
//! The `acr` values are Tessera's own URNs, from weakest to strongest:
//!
//! - `urn:tessera:acr:password`: one factor, a password;
//! - `urn:tessera:acr:mfa`: a password and a second factor (a TOTP code or
//!   a recovery code);
//! - `urn:tessera:acr:passkey`: a passkey, alone or after the password.
//!   Tessera asks every passkey to verify its user (a PIN or a biometric
//!   on the authenticator), so a passkey is itself two factors, and the
//!   only one here that a phishing site cannot replay.
//!
//! A passkey is recorded as `hwk` (proof of possession of a key) and, for
//! the user verification that came with it, counts toward `mfa`.

/// RFC 8176 section 2: the method names a session can record.
pub const AMR_PASSWORD: &str = "pwd";
pub const AMR_OTP: &str = "otp";
pub const AMR_KEY: &str = "hwk";
pub const AMR_MFA: &str = "mfa";

/// The methods of one authentication.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Methods {
    pub password: bool,
    /// A TOTP code or a (single-use) recovery code.
    pub otp: bool,
    /// A passkey that verified its user.
    pub passkey: bool,
}

impl Methods {
    pub const NONE: Methods = Methods {
        password: false,
        otp: false,
        passkey: false,
    };
    pub const PASSWORD: Methods = Methods {
        password: true,
        ..Methods::NONE
    };
    pub const PASSKEY: Methods = Methods {
        passkey: true,
        ..Methods::NONE
    };

    /// These methods and a one-time code.
    pub fn with_otp(self) -> Self {
        Methods { otp: true, ..self }
    }

    /// These methods and a passkey.
    pub fn with_passkey(self) -> Self {
        Methods {
            passkey: true,
            ..self
        }
    }

    /// Reads the stored form (unknown names are ignored).
    pub fn parse(stored: &str) -> Self {
        let mut methods = Methods::NONE;
        for name in stored.split(' ') {
            match name {
                AMR_PASSWORD => methods.password = true,
                AMR_OTP => methods.otp = true,
                AMR_KEY => methods.passkey = true,
                _ => {}
            }
        }
        methods
    }

    /// RFC 8176 names, `mfa` included when more than one factor was used.
    pub fn amr(self) -> Vec<&'static str> {
        let mut amr = Vec::new();
        if self.password {
            amr.push(AMR_PASSWORD);
        }
        if self.otp {
            amr.push(AMR_OTP);
        }
        if self.passkey {
            amr.push(AMR_KEY);
        }
        if amr.len() > 1 || self.passkey {
            amr.push(AMR_MFA);
        }
        amr
    }

    /// The stored form: the `amr` names, space-separated.
    pub fn to_stored(self) -> String {
        self.amr().join(" ")
    }

    /// The class these methods reach; `None` for sessions begun without a
    /// password (server tokens, identity-token exchange), whose strength
    /// Tessera cannot vouch for.
    pub fn acr(self) -> Option<Acr> {
        match self {
            Methods { passkey: true, .. } => Some(Acr::Passkey),
            Methods {
                password: true,
                otp: true,
                ..
            } => Some(Acr::SecondFactor),
            Methods { password: true, .. } => Some(Acr::Password),
            _ => None,
        }
    }
}

/// An authentication context class, ordered from weakest to strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Acr {
    Password,
    SecondFactor,
    Passkey,
}

impl Acr {
    /// What discovery lists as `acr_values_supported`.
    pub const SUPPORTED: [&'static str; 3] = [
        "urn:tessera:acr:password",
        "urn:tessera:acr:mfa",
        "urn:tessera:acr:passkey",
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Acr::Password => Self::SUPPORTED[0],
            Acr::SecondFactor => Self::SUPPORTED[1],
            Acr::Passkey => Self::SUPPORTED[2],
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "urn:tessera:acr:password" => Some(Acr::Password),
            "urn:tessera:acr:mfa" => Some(Acr::SecondFactor),
            "urn:tessera:acr:passkey" => Some(Acr::Passkey),
            _ => None,
        }
    }

    /// The class an `acr_values` parameter asks for: its first value that
    /// is supported (they come in order of preference; OpenID Connect Core
    /// 3.1.2.1). Unknown values are passed over: `acr_values` is a wish, and
    /// the ID token's `acr` says what was done.
    pub fn requested(acr_values: Option<&str>) -> Option<Self> {
        acr_values?.split(' ').find_map(Self::parse)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_and_a_code_make_multi_factor() {
        let methods = Methods::PASSWORD.with_otp();
        assert_eq!(methods.amr(), vec!["pwd", "otp", "mfa"]);
        assert_eq!(methods.acr(), Some(Acr::SecondFactor));
        assert_eq!(Methods::parse(&methods.to_stored()), methods);
        assert_eq!(Methods::PASSWORD.amr(), vec!["pwd"]);
        assert_eq!(Methods::PASSWORD.acr(), Some(Acr::Password));
        assert_eq!(Methods::parse("").acr(), None);
        assert!(Methods::NONE.amr().is_empty());
    }

    #[test]
    fn a_passkey_reaches_the_strongest_class_alone_or_after_a_password() {
        assert_eq!(Methods::PASSKEY.amr(), vec!["hwk", "mfa"]);
        assert_eq!(Methods::PASSKEY.acr(), Some(Acr::Passkey));
        let both = Methods::PASSWORD.with_passkey();
        assert_eq!(both.amr(), vec!["pwd", "hwk", "mfa"]);
        assert_eq!(both.acr(), Some(Acr::Passkey));
        assert_eq!(Methods::parse(&both.to_stored()), both);
        assert!(Acr::SecondFactor < Acr::Passkey);
        assert_eq!(
            Acr::requested(Some("urn:tessera:acr:passkey")),
            Some(Acr::Passkey)
        );
    }

    #[test]
    fn the_first_supported_acr_value_is_the_one_asked_for() {
        assert_eq!(
            Acr::requested(Some(
                "urn:other:gold urn:tessera:acr:mfa urn:tessera:acr:password"
            )),
            Some(Acr::SecondFactor)
        );
        assert_eq!(Acr::requested(Some("urn:other:gold")), None);
        assert_eq!(Acr::requested(None), None);
        assert!(Acr::Password < Acr::SecondFactor);
    }
}
