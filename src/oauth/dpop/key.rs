//! The public key a DPoP proof carries in its `jwk` header: which shapes are
//! accepted, its RFC 7638 thumbprint (`jkt`), which is what tokens are bound
//! to, and the signature check.
//!
//! Signatures are checked with aws-lc-rs's public API (the backend rustls
//! and jsonwebtoken already use): a key is parsed once into a
//! `ParsedPublicKey`, which `keys.rs` keeps for keys that sign again. The
//! algorithms accepted are exactly those jsonwebtoken verifies
//! (`SIGNING_ALGS`).

use aws_lc_rs::signature::{self, ParsedPublicKey, RsaPublicKeyComponents};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::ProofError;

/// JWK members that only a private (or symmetric) key has. A proof whose
/// header carries one of them leaks its key and is refused.
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// RSA moduli outside 2048..=4096 bits are refused: weaker keys are not
/// worth binding to, larger ones only make verification expensive.
const RSA_MODULUS_BYTES: std::ops::RangeInclusive<usize> = 256..=512;

/// The base64url SHA-256 JWK thumbprint (RFC 7638) of a proof key: the
/// `jkt` of RFC 9449 that bound tokens carry in `cnf`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Jkt(String);

impl Jkt {
    /// A thumbprint read back from storage or an authorization request.
    pub fn from_stored(value: impl Into<String>) -> Self {
        Jkt(value.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }

    /// The SHA-256 itself, as an access token carries it; `None` for a
    /// value that is not one.
    pub fn to_bytes(&self) -> Option<[u8; 32]> {
        use base64::Engine;
        // The decoder wants room for its estimate, a byte or two more.
        let mut raw = [0u8; 35];
        let len = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode_slice(&self.0, &mut raw)
            .ok()?;
        raw[..len].try_into().ok()
    }

    /// Compared in constant time: cheap, and no timing signal about which
    /// key a token is bound to.
    pub fn matches(&self, other: &str) -> bool {
        crate::crypto::constant_time_eq(self.0.as_bytes(), other.as_bytes())
    }
}

impl std::fmt::Display for Jkt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `value` has the form of a SHA-256 thumbprint: 43 base64url
/// characters for 32 bytes (an authorization request's `dpop_jkt`).
pub fn is_thumbprint(value: &str) -> bool {
    value.len() == 43 && URL_SAFE_NO_PAD.decode(value).is_ok_and(|b| b.len() == 32)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyShape {
    Rsa,
    P256,
    P384,
    Ed25519,
}

impl KeyShape {
    fn fits(self, alg: Algorithm) -> bool {
        use Algorithm::*;
        match self {
            KeyShape::Rsa => matches!(alg, RS256 | RS384 | RS512 | PS256 | PS384 | PS512),
            KeyShape::P256 => alg == ES256,
            KeyShape::P384 => alg == ES384,
            KeyShape::Ed25519 => alg == EdDSA,
        }
    }
}

/// The public key's material, decoded once.
enum Material {
    /// Modulus (without leading zero bytes) and exponent, big-endian.
    Rsa { n: Vec<u8>, e: Vec<u8> },
    /// The SEC1 uncompressed point `04 || x || y`, or the Ed25519 key.
    Point(Vec<u8>),
}

/// A proof key that passed every check, with its thumbprint.
pub struct ProofKey {
    shape: KeyShape,
    material: Material,
    jkt: Jkt,
}

impl ProofKey {
    /// Reads the `jwk` header member: a public RSA, P-256, P-384 or Ed25519
    /// key, nothing private.
    pub fn from_header(jwk: &Value) -> Result<ProofKey, ProofError> {
        let Value::Object(jwk) = jwk else {
            return Err(ProofError::BadKey("the `jwk` header is not a JSON object"));
        };
        if PRIVATE_MEMBERS.iter().any(|m| jwk.contains_key(*m)) {
            return Err(ProofError::PrivateKey);
        }
        let (shape, canonical, material) = match member(jwk, "kty")? {
            "RSA" => {
                let n = member(jwk, "n")?;
                let e = member(jwk, "e")?;
                let mut modulus = decode(n)?;
                let leading = modulus.iter().take_while(|b| **b == 0).count();
                modulus.drain(..leading);
                let exponent = decode(e)?;
                if !RSA_MODULUS_BYTES.contains(&modulus.len()) {
                    return Err(ProofError::BadKey(
                        "RSA proof keys must have a 2048 to 4096-bit modulus",
                    ));
                }
                // 65537 in practice; a huge exponent only makes checks slow.
                if exponent.is_empty() || exponent.len() > 4 {
                    return Err(ProofError::BadKey("the RSA key's exponent is unusable"));
                }
                (
                    KeyShape::Rsa,
                    format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#),
                    Material::Rsa {
                        n: modulus,
                        e: exponent,
                    },
                )
            }
            "EC" => {
                let crv = member(jwk, "crv")?;
                let (shape, size) = match crv {
                    "P-256" => (KeyShape::P256, 32),
                    "P-384" => (KeyShape::P384, 48),
                    _ => return Err(ProofError::BadKey("EC proof keys must use P-256 or P-384")),
                };
                let x = member(jwk, "x")?;
                let y = member(jwk, "y")?;
                let (x_bytes, y_bytes) = (decode(x)?, decode(y)?);
                if x_bytes.len() != size || y_bytes.len() != size {
                    return Err(ProofError::BadKey(
                        "the EC key's coordinates have the wrong size",
                    ));
                }
                let mut point = Vec::with_capacity(1 + 2 * size);
                point.push(0x04);
                point.extend_from_slice(&x_bytes);
                point.extend_from_slice(&y_bytes);
                (
                    shape,
                    format!(r#"{{"crv":"{crv}","kty":"EC","x":"{x}","y":"{y}"}}"#),
                    Material::Point(point),
                )
            }
            "OKP" => {
                if member(jwk, "crv")? != "Ed25519" {
                    return Err(ProofError::BadKey("OKP proof keys must use Ed25519"));
                }
                let x = member(jwk, "x")?;
                let public = decode(x)?;
                if public.len() != 32 {
                    return Err(ProofError::BadKey("the Ed25519 key has the wrong size"));
                }
                (
                    KeyShape::Ed25519,
                    format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#),
                    Material::Point(public),
                )
            }
            _ => {
                return Err(ProofError::BadKey(
                    "the proof key must be an RSA, EC or OKP public key",
                ));
            }
        };
        Ok(ProofKey {
            shape,
            material,
            jkt: thumbprint_of(&canonical),
        })
    }

    pub fn fits(&self, alg: Algorithm) -> bool {
        self.shape.fits(alg)
    }

    /// The key parsed by aws-lc-rs for `alg`, ready to check signatures:
    /// an EC point off its curve or with coordinates out of range, or RSA
    /// components aws-lc refuses, are refused here.
    pub fn parse(&self, alg: Algorithm) -> Result<ParsedPublicKey, ProofError> {
        if !self.fits(alg) {
            return Err(ProofError::KeyAlgorithmMismatch);
        }
        let parsed = match &self.material {
            Material::Point(public) => point_algorithm(alg)
                .and_then(|algorithm| ParsedPublicKey::new(algorithm, public).ok()),
            Material::Rsa { n, e } => rsa_parameters(alg).and_then(|parameters| {
                RsaPublicKeyComponents { n, e }
                    .to_parsed_public_key(parameters)
                    .ok()
            }),
        };
        parsed.ok_or(ProofError::BadKey("the key is not a valid public key"))
    }

    pub fn jkt(&self) -> &Jkt {
        &self.jkt
    }

    pub fn into_jkt(self) -> Jkt {
        self.jkt
    }
}

/// aws-lc-rs's check for an EC or Ed25519 JWS algorithm (RFC 7518 3.4:
/// ECDSA signatures are the fixed-size `r || s`).
fn point_algorithm(alg: Algorithm) -> Option<&'static dyn signature::VerificationAlgorithm> {
    match alg {
        Algorithm::ES256 => Some(&signature::ECDSA_P256_SHA256_FIXED),
        Algorithm::ES384 => Some(&signature::ECDSA_P384_SHA384_FIXED),
        Algorithm::EdDSA => Some(&signature::ED25519),
        _ => None,
    }
}

fn rsa_parameters(alg: Algorithm) -> Option<&'static signature::RsaParameters> {
    use Algorithm::*;
    Some(match alg {
        RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
        RS384 => &signature::RSA_PKCS1_2048_8192_SHA384,
        RS512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        PS256 => &signature::RSA_PSS_2048_8192_SHA256,
        PS384 => &signature::RSA_PSS_2048_8192_SHA384,
        PS512 => &signature::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    })
}

/// A required string member. Values are then checked to be base64url (or a
/// known name), so the canonical JSON below needs no escaping.
fn member<'a>(jwk: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, ProofError> {
    jwk.get(name)
        .and_then(Value::as_str)
        .ok_or(ProofError::BadKeyMember(name))
}

fn decode(value: &str) -> Result<Vec<u8>, ProofError> {
    URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| ProofError::BadKey("a key member is not base64url"))
}

/// RFC 7638 section 3: SHA-256 over the required members in lexicographic
/// order, no whitespace, base64url without padding.
fn thumbprint_of(canonical: &str) -> Jkt {
    Jkt(URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The RSA key of RFC 7638 section 3.1 and its published thumbprint.
    const RFC7638_N: &str = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";

    #[test]
    fn thumbprint_matches_the_rfc_7638_example() {
        let jwk =
            json!({"kty": "RSA", "n": RFC7638_N, "e": "AQAB", "alg": "RS256", "kid": "2011-04-29"});
        let key = ProofKey::from_header(&jwk).map(|k| k.into_jkt().into_inner());
        assert_eq!(
            key.ok().as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }

    #[test]
    fn optional_members_do_not_change_the_thumbprint() {
        let plain = json!({"kty": "RSA", "n": RFC7638_N, "e": "AQAB"});
        let decorated =
            json!({"kty": "RSA", "n": RFC7638_N, "e": "AQAB", "use": "sig", "kid": "x"});
        let a = ProofKey::from_header(&plain).map(|k| k.into_jkt());
        let b = ProofKey::from_header(&decorated).map(|k| k.into_jkt());
        assert_eq!(a.ok(), b.ok());
    }

    #[test]
    fn private_and_symmetric_keys_are_refused() {
        let with_d = json!({"kty": "RSA", "n": RFC7638_N, "e": "AQAB", "d": "AQAB"});
        assert!(matches!(
            ProofKey::from_header(&with_d),
            Err(ProofError::PrivateKey)
        ));
        let symmetric = json!({"kty": "oct", "k": "c2VjcmV0"});
        assert!(matches!(
            ProofKey::from_header(&symmetric),
            Err(ProofError::PrivateKey)
        ));
    }

    #[test]
    fn key_shapes_fit_only_their_algorithms() {
        let x = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let ed = ProofKey::from_header(&json!({"kty": "OKP", "crv": "Ed25519", "x": x}));
        let ed = ed.ok();
        assert!(ed.as_ref().is_some_and(|k| k.fits(Algorithm::EdDSA)));
        assert!(ed.as_ref().is_some_and(|k| !k.fits(Algorithm::ES256)));
        let short = json!({"kty": "RSA", "n": "AQAB", "e": "AQAB"});
        assert!(matches!(
            ProofKey::from_header(&short),
            Err(ProofError::BadKey(_))
        ));
        let padded = json!({"kty": "OKP", "crv": "Ed25519", "x": format!("{x}=")});
        assert!(ProofKey::from_header(&padded).is_err());
    }
}
