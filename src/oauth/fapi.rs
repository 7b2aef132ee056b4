//! The FAPI 2.0 Security Profile mode: one site setting (`security_profile
//! = fapi2`) under which the site accepts only what the profile allows
//! (see `docs/fapi.md` for the sections). Each rule is enforced where the
//! request is handled and reads [`SecurityProfile`] from the site:
//!
//! - authorization requests only through PAR (`authorize.rs`);
//! - clients authenticate with `private_key_jwt` only
//!   (`client_authentication.rs`), so public clients are refused;
//! - client assertions, request objects and DPoP proofs are signed with
//!   one of [`ALGORITHMS`];
//! - every token request carries a DPoP proof: no Bearer tokens
//!   (`grants/mod.rs`);
//! - refresh tokens of confidential clients are not rotated
//!   (`grants/refresh_token.rs`, FAPI 2.0 5.3.2.1 item 10).
//!
//! The rest of the profile holds on every site: PKCE with S256 only,
//! `response_type=code` only, `iss` in authorization responses (RFC 9207)
//! and codes that live [`crate::oauth::CODE_TTL_SECS`] (60 s).

use jsonwebtoken::Algorithm;

use super::metadata::Metadata;

/// The algorithms FAPI 2.0 (5.4.1) allows for signatures.
pub const ALGORITHMS: [Algorithm; 3] = [Algorithm::PS256, Algorithm::ES256, Algorithm::EdDSA];
/// [`ALGORITHMS`] by their JOSE names, for the metadata.
pub const ALG_NAMES: [&str; 3] = ["PS256", "ES256", "EdDSA"];

// FAPI 2.0 5.3.2.1: codes live at most 60 seconds.
const _: () = assert!(super::CODE_TTL_SECS <= 60);

/// Which security profile a site follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SecurityProfile {
    /// Everything Tessera supports.
    #[default]
    Default,
    /// The FAPI 2.0 Security Profile.
    Fapi2,
}

impl SecurityProfile {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "default" => Some(SecurityProfile::Default),
            "fapi2" => Some(SecurityProfile::Fapi2),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SecurityProfile::Default => "default",
            SecurityProfile::Fapi2 => "fapi2",
        }
    }

    pub fn is_fapi2(self) -> bool {
        self == SecurityProfile::Fapi2
    }

    /// Whether a signature with `alg` is accepted (client assertions,
    /// request objects, DPoP proofs).
    pub fn allows(self, alg: Algorithm) -> bool {
        !self.is_fapi2() || ALGORITHMS.contains(&alg)
    }

    /// Narrows the RFC 8414 document to what the profile accepts.
    pub fn restrict(self, document: &mut Metadata) {
        if !self.is_fapi2() {
            return;
        }
        let keep_allowed = |names: &mut Vec<&'static str>| names.retain(|n| ALG_NAMES.contains(n));
        document.require_pushed_authorization_requests = true;
        document.token_endpoint_auth_methods_supported = vec!["private_key_jwt"];
        document.revocation_endpoint_auth_methods_supported = vec!["private_key_jwt"];
        document.introspection_endpoint_auth_methods_supported = vec!["private_key_jwt"];
        keep_allowed(&mut document.token_endpoint_auth_signing_alg_values_supported);
        keep_allowed(&mut document.revocation_endpoint_auth_signing_alg_values_supported);
        keep_allowed(&mut document.introspection_endpoint_auth_signing_alg_values_supported);
        keep_allowed(&mut document.request_object_signing_alg_values_supported);
        keep_allowed(&mut document.dpop_signing_alg_values_supported);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_round_trip_and_unknown_names_are_refused() {
        for profile in [SecurityProfile::Default, SecurityProfile::Fapi2] {
            assert_eq!(SecurityProfile::parse(profile.as_str()), Some(profile));
        }
        assert_eq!(SecurityProfile::parse("fapi1"), None);
    }

    #[test]
    fn fapi2_allows_only_ps256_es256_and_eddsa() {
        let fapi = SecurityProfile::Fapi2;
        assert!(fapi.allows(Algorithm::PS256));
        assert!(fapi.allows(Algorithm::ES256));
        assert!(fapi.allows(Algorithm::EdDSA));
        assert!(!fapi.allows(Algorithm::RS256));
        assert!(!fapi.allows(Algorithm::HS256));
        assert!(SecurityProfile::Default.allows(Algorithm::RS256));
        let names: Vec<String> = ALGORITHMS.iter().map(|a| format!("{a:?}")).collect();
        assert_eq!(names, ALG_NAMES);
    }
}
