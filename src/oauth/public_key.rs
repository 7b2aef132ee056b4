//! A public key as a developer pastes it on the portal or gives the command
//! line — one JWK, a JWK Set, or a PEM public key (SubjectPublicKeyInfo
//! `PUBLIC KEY` of RSA, EC P-256 or Ed25519, or PKCS#1 `RSA PUBLIC KEY`) —
//! as the JWK Set a private_key_jwt client registers. A key converted from
//! PEM gets its RFC 7638 thumbprint as `kid`. Whether the keys are usable
//! is `client_auth::check_jwks`'s to say.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use serde_json::{Value, json};

use super::clients::ClientInputError;

fn refused(why: &str) -> ClientInputError {
    ClientInputError::Keys(format!("the public key is unusable: {why}"))
}

/// The JWK Set (JSON text) for a pasted JWK, JWK Set or PEM public key.
pub fn to_jwk_set(input: &str) -> Result<String, ClientInputError> {
    let input = input.trim();
    if input.starts_with("-----BEGIN") {
        let mut jwk = pem_to_jwk(input)?;
        let parsed: Jwk =
            serde_json::from_value(jwk.clone()).map_err(|_| refused("it cannot be read"))?;
        let kid = parsed
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|_| refused("it cannot be read"))?;
        jwk["kid"] = Value::String(kid);
        return Ok(json!({ "keys": [jwk] }).to_string());
    }
    let value: Value = serde_json::from_str(input)
        .map_err(|_| refused("paste a JWK, a JWK Set or a PEM public key"))?;
    if value.get("keys").is_some() {
        Ok(value.to_string())
    } else if value.get("kty").is_some() {
        Ok(json!({ "keys": [value] }).to_string())
    } else {
        Err(refused("paste a JWK, a JWK Set or a PEM public key"))
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn pem_to_jwk(pem: &str) -> Result<Value, ClientInputError> {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    use p256::pkcs8::DecodePublicKey;
    use rsa::pkcs1::DecodeRsaPublicKey;
    use rsa::traits::PublicKeyParts;

    if pem.contains("PRIVATE KEY") {
        return Err(refused("this is a private key; paste the public key only"));
    }
    let rsa = rsa::RsaPublicKey::from_public_key_pem(pem)
        .or_else(|_| rsa::RsaPublicKey::from_pkcs1_pem(pem));
    if let Ok(key) = rsa {
        return Ok(json!({
            "kty": "RSA",
            "use": "sig",
            "n": b64(&key.n().to_bytes_be()),
            "e": b64(&key.e().to_bytes_be()),
        }));
    }
    if let Ok(key) = p256::PublicKey::from_public_key_pem(pem) {
        let point = key.to_encoded_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(refused("the EC point is not usable"));
        };
        return Ok(json!({
            "kty": "EC",
            "use": "sig",
            "crv": "P-256",
            "x": b64(x),
            "y": b64(y),
        }));
    }
    if let Ok(key) = ed25519_dalek::VerifyingKey::from_public_key_pem(pem) {
        return Ok(json!({
            "kty": "OKP",
            "use": "sig",
            "crv": "Ed25519",
            "x": b64(key.as_bytes()),
        }));
    }
    Err(refused(
        "the PEM is not an RSA, EC P-256 or Ed25519 public key",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oauth::client_auth::check_jwks;

    #[test]
    fn a_pem_ec_key_becomes_a_jwk_with_its_thumbprint_as_kid() {
        use p256::pkcs8::{EncodePublicKey, LineEnding};
        let secret = p256::SecretKey::random(&mut rand_core::OsRng);
        let pem = secret
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_else(|e| unreachable!("{e}"));
        let set = to_jwk_set(&pem).unwrap_or_else(|e| unreachable!("{e}"));
        let value: Value = serde_json::from_str(&set).unwrap_or_default();
        assert_eq!(value["keys"][0]["crv"], "P-256");
        assert_eq!(value["keys"][0]["kid"].as_str().map(str::len), Some(43));
        assert!(check_jwks(&set, None).is_ok());
    }

    #[test]
    fn a_pem_ed25519_key_is_converted() {
        use ed25519_dalek::pkcs8::EncodePublicKey;
        use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
        let signing = ed25519_dalek::SigningKey::generate(&mut rand_core::OsRng);
        let pem = signing
            .verifying_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_else(|e| unreachable!("{e}"));
        let set = to_jwk_set(&pem).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(set.contains("Ed25519"));
        assert!(check_jwks(&set, None).is_ok());
    }

    #[test]
    fn a_single_jwk_is_wrapped_and_private_keys_are_refused() {
        let jwk = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
        let set = to_jwk_set(jwk).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(set.starts_with(r#"{"keys":["#));
        let private =
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----";
        assert!(to_jwk_set(private).is_err());
        assert!(to_jwk_set("not a key").is_err());
    }
}
