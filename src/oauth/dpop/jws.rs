//! A proof as a compact JWS: its form and header, before any claim is
//! looked at. The signature is checked by `keys.rs`.

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

use super::{MAX_PROOF_LEN, ProofError, ProofKey, SIGNING_ALGS};

/// The three parts of a compact JWS, and the signed part.
pub struct Parts<'a> {
    pub header: &'a str,
    pub payload: &'a str,
    pub signature: &'a str,
    /// `header.payload`.
    pub signed: &'a str,
}

/// Splits a proof of reasonable size into its parts.
pub fn split(proof: &str) -> Result<Parts<'_>, ProofError> {
    if proof.len() > MAX_PROOF_LEN {
        return Err(ProofError::Malformed("longer than the server accepts"));
    }
    let mut parts = proof.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ProofError::Malformed("not a compact JWS"));
    };
    let signed = &proof[..header.len() + 1 + payload.len()];
    Ok(Parts {
        header,
        payload,
        signature,
        signed,
    })
}

/// Checks the header (`typ`, no `crit`, an accepted `alg`, a public `jwk`
/// that fits it); its algorithm and key.
pub fn read_header(header: &str) -> Result<(Algorithm, ProofKey), ProofError> {
    let header = json_object(header)?;
    let typ = header.get("typ").and_then(Value::as_str);
    if !typ.is_some_and(|t| t.eq_ignore_ascii_case("dpop+jwt")) {
        return Err(ProofError::WrongType);
    }
    if header.contains_key("crit") {
        return Err(ProofError::Malformed(
            "critical header extensions are not supported",
        ));
    }
    let alg = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(|name| Algorithm::from_str(name).ok())
        .filter(|alg| SIGNING_ALGS.contains(alg))
        .ok_or(ProofError::UnsupportedAlgorithm)?;
    let key = ProofKey::from_header(header.get("jwk").ok_or(ProofError::MissingKey)?)?;
    if !key.fits(alg) {
        return Err(ProofError::KeyAlgorithmMismatch);
    }
    Ok((alg, key))
}

pub fn decode_signature(signature: &str) -> Result<Vec<u8>, ProofError> {
    URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| ProofError::BadSignature)
}

pub fn json_object(part: &str) -> Result<Map<String, Value>, ProofError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| ProofError::Malformed("a part is not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| ProofError::Malformed("a part is not a JSON object"))
}
