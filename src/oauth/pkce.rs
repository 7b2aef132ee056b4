//! PKCE (RFC 7636), `S256` only: `plain` would let anyone who sees the
//! authorization request redeem the code.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::crypto::constant_time_eq;

fn is_unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')
}

/// `BASE64URL(SHA256(verifier))` as sent in the authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// An S256 challenge is exactly 43 base64url characters.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 43
            && raw
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .then(|| CodeChallenge(raw.to_string()))
    }

    pub fn from_stored(raw: String) -> Self {
        CodeChallenge(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_met_by(&self, verifier: &CodeVerifier) -> bool {
        let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.0.as_bytes()));
        constant_time_eq(computed.as_bytes(), self.0.as_bytes())
    }
}

/// The secret the client keeps until the token request.
pub struct CodeVerifier(String);

impl CodeVerifier {
    /// 43 to 128 unreserved characters.
    pub fn parse(raw: &str) -> Option<Self> {
        ((43..=128).contains(&raw.len()) && raw.chars().all(is_unreserved))
            .then(|| CodeVerifier(raw.to_string()))
    }
}

impl std::fmt::Debug for CodeVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeVerifier(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rfc_7636_example_verifies() {
        let verifier = CodeVerifier::parse("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        let challenge = CodeChallenge::parse("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
        assert!(matches!((challenge, verifier), (Some(c), Some(v)) if c.is_met_by(&v)));
    }

    #[test]
    fn short_or_odd_values_are_refused() {
        assert!(CodeVerifier::parse("short").is_none());
        assert!(CodeChallenge::parse("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-c=").is_none());
    }
}
