//! A proof as a compact JWS: its form, header, key and signature, before any
//! claim is looked at.

use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};

use super::{MAX_PROOF_LEN, ProofError, ProofKey, SIGNING_ALGS};

/// Checks the proof's form, header and signature; its key and claims.
pub fn verify_signature(proof: &str) -> Result<(ProofKey, Map<String, Value>), ProofError> {
    if proof.len() > MAX_PROOF_LEN {
        return Err(ProofError::Malformed("longer than the server accepts"));
    }
    let mut parts = proof.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ProofError::Malformed("not a compact JWS"));
    };
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
    let signed = &proof[..header_len(proof, payload)];
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| ProofError::BadSignature)?;
    if !key.verifies(alg, signed.as_bytes(), &signature) {
        return Err(ProofError::BadSignature);
    }
    Ok((key, json_object(payload)?))
}

/// The length of `header.payload`, the signed part of a compact JWS.
fn header_len(proof: &str, payload: &str) -> usize {
    proof.find('.').map_or(0, |dot| dot + 1 + payload.len())
}

fn json_object(part: &str) -> Result<Map<String, Value>, ProofError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| ProofError::Malformed("a part is not base64url"))?;
    serde_json::from_slice(&bytes).map_err(|_| ProofError::Malformed("a part is not a JSON object"))
}
