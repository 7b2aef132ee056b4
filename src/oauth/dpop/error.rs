//! Why a DPoP proof was refused, with the RFC 9449 error code of each.

use super::SIGNING_ALG_NAMES;

/// Why a proof was refused. All but [`ProofError::UseNonce`] are
/// `invalid_dpop_proof`; the description says which check failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("a DPoP proof is required")]
    Missing,
    #[error("send at most one DPoP header")]
    Multiple,
    #[error("the DPoP proof is malformed: {0}")]
    Malformed(&'static str),
    #[error("the DPoP proof's typ must be dpop+jwt")]
    WrongType,
    #[error("the DPoP proof's alg is not supported (supported: {SIGNING_ALG_NAMES})")]
    UnsupportedAlgorithm,
    #[error(
        "this site follows the FAPI 2.0 Security Profile: DPoP proofs must be signed with PS256, ES256 or EdDSA"
    )]
    AlgorithmNotInProfile,
    #[error("the DPoP proof has no jwk header")]
    MissingKey,
    #[error("the DPoP proof's jwk contains private key material")]
    PrivateKey,
    #[error("the DPoP proof's jwk is unusable: {0}")]
    BadKey(&'static str),
    #[error("the DPoP proof's jwk lacks the `{0}` member")]
    BadKeyMember(&'static str),
    #[error("the DPoP proof's alg does not fit its key")]
    KeyAlgorithmMismatch,
    #[error("the DPoP proof's signature is invalid")]
    BadSignature,
    #[error("the DPoP proof lacks the `{0}` claim")]
    MissingClaim(&'static str),
    #[error("the DPoP proof's `{0}` claim is invalid")]
    InvalidClaim(&'static str),
    #[error("the DPoP proof's htm does not match the request method")]
    WrongMethod,
    #[error("the DPoP proof's htu does not match the request URL")]
    WrongUrl,
    #[error("the DPoP proof is too old (iat outside the accepted window)")]
    Stale,
    #[error("the DPoP proof's iat is in the future")]
    FromTheFuture,
    #[error("the DPoP proof was used before (jti replayed)")]
    Replayed,
    #[error("the DPoP proof lacks ath, the hash of the access token")]
    MissingAth,
    #[error("the DPoP proof's ath does not match the access token")]
    WrongAth,
    #[error("the DPoP proof is signed with another key than the token is bound to")]
    WrongKey,
    /// The replay check could not reach the store: refused, since the
    /// proof may be a replay.
    #[error("the DPoP replay check is unavailable; retry shortly")]
    Unavailable,
    /// The site requires a server nonce and the proof had none, or a stale
    /// one. Carries the nonce to retry with.
    #[error("a DPoP nonce is required: retry with the one in the DPoP-Nonce header")]
    UseNonce(String),
}

impl ProofError {
    /// The RFC 9449 error code.
    pub fn code(&self) -> &'static str {
        match self {
            ProofError::UseNonce(_) => "use_dpop_nonce",
            _ => "invalid_dpop_proof",
        }
    }

    /// [`ProofError::Unavailable`] as what it is: the store being away,
    /// answered `503` like every other such failure, not a bad proof.
    pub fn store_failure(&self) -> Option<anyhow::Error> {
        matches!(self, ProofError::Unavailable)
            .then(|| anyhow::Error::from(crate::store::StoreUnavailable).context(self.to_string()))
    }

    /// The nonce a `use_dpop_nonce` answer hands out.
    pub fn nonce(&self) -> Option<&str> {
        match self {
            ProofError::UseNonce(nonce) => Some(nonce),
            _ => None,
        }
    }
}
