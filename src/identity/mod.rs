//! Identity tokens from trusted identity providers, for RFC 8693 token
//! exchange (spec 3.5). This module only decides whether an ID token is
//! good and what it says; finding or creating the user and issuing the
//! session belong to the token-exchange grant.
//!
//! - [`IdentityProvider`]: what a site admin registered (issuer, audience,
//!   allowed algorithms; asymmetric only, whatever is configured).
//! - [`jwks`]: the provider's keys, cached by `kid`, refetched on an unknown
//!   `kid` at most once a minute, fetched through [`JwksFetcher`].
//! - [`validate`]: [`IdentityValidator::validate`] checks one token.
//! - [`http`]: the fetcher for a `jwks_uri`, through the SSRF-guarded
//!   [`crate::outbound::Outbound`] client (public https only, no redirects,
//!   bounded time and size).
//! - [`registration`]: checking and storing what an admin registers.
//! - [`registry`]: each site's providers as validators, cached until the
//!   change feed says they changed.

pub mod http;
pub mod jwks;
pub mod registration;
pub mod registry;
#[cfg(test)]
pub(crate) mod test_keys;
pub mod validate;

use std::fmt;
use std::str::FromStr;

pub use jsonwebtoken::Algorithm;
pub use jwks::{InlineJwks, JwksCache, JwksFetchError, JwksFetcher, RefetchPolicy};
pub use validate::{IdentityClaims, IdentityError, IdentityValidator, peek_issuer};

/// Every algorithm Tessera will accept for ID tokens: the asymmetric ones
/// jsonwebtoken implements. `none` and HMAC are absent on purpose: with an
/// HMAC algorithm a public key could be used as a shared secret.
pub const ASYMMETRIC_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// A trusted identity provider as a site admin registered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityProvider {
    issuer: String,
    audience: String,
    algorithms: Vec<Algorithm>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("the issuer is empty")]
    EmptyIssuer,
    #[error("the audience is empty")]
    EmptyAudience,
    #[error("`{0}` is refused: only asymmetric algorithms (RS, PS, ES, EdDSA) are allowed")]
    AlgorithmRefused(String),
    #[error("`{0}` is not a known signing algorithm")]
    UnknownAlgorithm(String),
}

impl IdentityProvider {
    /// `algorithms` empty means every asymmetric algorithm. HMAC algorithms
    /// are refused here, so no configuration can let them through.
    pub fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        algorithms: &[Algorithm],
    ) -> Result<IdentityProvider, ProviderError> {
        let issuer = issuer.into();
        let audience = audience.into();
        if issuer.trim().is_empty() {
            return Err(ProviderError::EmptyIssuer);
        }
        if audience.trim().is_empty() {
            return Err(ProviderError::EmptyAudience);
        }
        let mut allowed = Vec::new();
        for alg in algorithms {
            if !ASYMMETRIC_ALGORITHMS.contains(alg) {
                return Err(ProviderError::AlgorithmRefused(format!("{alg:?}")));
            }
            if !allowed.contains(alg) {
                allowed.push(*alg);
            }
        }
        if allowed.is_empty() {
            allowed = ASYMMETRIC_ALGORITHMS.to_vec();
        }
        Ok(IdentityProvider {
            issuer,
            audience,
            algorithms: allowed,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    pub fn algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    pub fn allows(&self, alg: Algorithm) -> bool {
        self.algorithms.contains(&alg)
    }
}

/// Parses an admin's `--algorithms` list (`RS256,ES256`; case-sensitive as
/// in JOSE). An empty list means every asymmetric algorithm.
pub fn parse_algorithms(list: &str) -> Result<Vec<Algorithm>, ProviderError> {
    let mut algorithms = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let alg = parse_algorithm(name)?;
        if !algorithms.contains(&alg) {
            algorithms.push(alg);
        }
    }
    Ok(algorithms)
}

/// One algorithm name: `none` and HMAC names are refused, not just unknown.
pub fn parse_algorithm(name: &str) -> Result<Algorithm, ProviderError> {
    if name.eq_ignore_ascii_case("none") || name.to_ascii_uppercase().starts_with("HS") {
        return Err(ProviderError::AlgorithmRefused(name.to_owned()));
    }
    let alg =
        Algorithm::from_str(name).map_err(|_| ProviderError::UnknownAlgorithm(name.into()))?;
    if ASYMMETRIC_ALGORITHMS.contains(&alg) {
        Ok(alg)
    } else {
        Err(ProviderError::AlgorithmRefused(name.to_owned()))
    }
}

/// The JOSE name of an algorithm (`RS256`), for listings.
pub fn algorithm_name(alg: Algorithm) -> String {
    format!("{alg:?}")
}

impl fmt::Display for IdentityProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<String> = self.algorithms.iter().map(|a| algorithm_name(*a)).collect();
        write!(
            f,
            "{} (audience {}, algorithms {})",
            self.issuer,
            self.audience,
            names.join(",")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_algorithm_list_allows_every_asymmetric_algorithm() {
        let provider = IdentityProvider::new("https://idp.example", "tessera", &[]).unwrap();
        assert_eq!(provider.algorithms(), ASYMMETRIC_ALGORITHMS);
        assert!(!provider.allows(Algorithm::HS256));
    }

    #[test]
    fn hmac_algorithms_can_never_be_configured() {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let refused = IdentityProvider::new("iss", "aud", &[Algorithm::RS256, alg]);
            assert!(
                matches!(refused, Err(ProviderError::AlgorithmRefused(_))),
                "{alg:?}"
            );
        }
    }

    #[test]
    fn algorithm_lists_parse_and_refuse_none_and_hmac() {
        assert_eq!(
            parse_algorithms("RS256, ES256,EdDSA,RS256"),
            Ok(vec![Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA])
        );
        assert_eq!(parse_algorithms(""), Ok(vec![]));
        for bad in ["none", "NONE", "HS256", "hs512", "RS256,none"] {
            assert!(
                matches!(
                    parse_algorithms(bad),
                    Err(ProviderError::AlgorithmRefused(_))
                ),
                "{bad}"
            );
        }
        assert_eq!(
            parse_algorithms("RS999"),
            Err(ProviderError::UnknownAlgorithm("RS999".into()))
        );
    }

    #[test]
    fn issuer_and_audience_are_required() {
        assert_eq!(
            IdentityProvider::new(" ", "aud", &[]),
            Err(ProviderError::EmptyIssuer)
        );
        assert_eq!(
            IdentityProvider::new("iss", "", &[]),
            Err(ProviderError::EmptyAudience)
        );
    }

    #[test]
    fn providers_display_their_configuration() {
        let provider =
            IdentityProvider::new("https://idp.example", "tessera", &[Algorithm::ES256]).unwrap();
        assert_eq!(
            provider.to_string(),
            "https://idp.example (audience tessera, algorithms ES256)"
        );
    }
}
