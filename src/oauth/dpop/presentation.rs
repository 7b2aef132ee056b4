//! How a resource request presents an access token (RFC 9449 section 7):
//! `Authorization: Bearer` for unbound tokens, `Authorization: DPoP` with a
//! proof for bound ones. Used by the API's callers and by UserInfo.

use super::{Dpop, Jkt, ProofError, ProofTarget};
use crate::sites::Site;

/// The `Authorization` scheme an access token came with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Bearer,
    Dpop,
}

/// A token presented the wrong way: RFC 6750 `invalid_token`, or a proof
/// that does not check out (`invalid_dpop_proof`, `use_dpop_nonce`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresentationError {
    #[error("{0}")]
    InvalidToken(&'static str),
    #[error(transparent)]
    Proof(#[from] ProofError),
}

impl PresentationError {
    pub fn code(&self) -> &'static str {
        match self {
            PresentationError::InvalidToken(_) => "invalid_token",
            PresentationError::Proof(e) => e.code(),
        }
    }

    /// See [`ProofError::store_failure`].
    pub fn store_failure(&self) -> Option<anyhow::Error> {
        match self {
            PresentationError::Proof(e) => e.store_failure(),
            PresentationError::InvalidToken(_) => None,
        }
    }

    pub fn nonce(&self) -> Option<&str> {
        match self {
            PresentationError::Proof(e) => e.nonce(),
            PresentationError::InvalidToken(_) => None,
        }
    }
}

/// A token, how it was sent, and the request it was sent with.
#[derive(Debug, Clone, Copy)]
pub struct Presentation<'a> {
    pub token: &'a str,
    pub scheme: Scheme,
    /// The request's `DPoP` header values.
    pub proofs: &'a [&'a str],
    pub method: &'a str,
    pub path: &'a str,
}

impl Dpop {
    /// Checks a live token's presentation against its binding: a bound
    /// token needs the `DPoP` scheme and a proof for this request, with
    /// `ath` over the token, signed by the key it is bound to; an unbound
    /// token must be sent as `Bearer` (a `DPoP` header beside it is ignored).
    pub async fn check_presentation(
        &self,
        site: &Site,
        bound_to: Option<&str>,
        presented: &Presentation<'_>,
    ) -> Result<(), PresentationError> {
        match (presented.scheme, bound_to) {
            (Scheme::Bearer, None) => Ok(()),
            (Scheme::Bearer, Some(_)) => Err(PresentationError::InvalidToken(
                "this access token is DPoP-bound: send it with the DPoP scheme and a proof",
            )),
            (Scheme::Dpop, None) => Err(PresentationError::InvalidToken(
                "this access token is not DPoP-bound: send it with the Bearer scheme",
            )),
            (Scheme::Dpop, Some(bound_to)) => {
                let proof = Dpop::single(presented.proofs)?.ok_or(ProofError::Missing)?;
                let target = ProofTarget {
                    method: presented.method,
                    path: presented.path,
                    access_token: Some(presented.token),
                };
                let jkt: Jkt = self.verify(site, proof, &target).await?;
                if !jkt.matches(bound_to) {
                    return Err(ProofError::WrongKey.into());
                }
                Ok(())
            }
        }
    }
}
