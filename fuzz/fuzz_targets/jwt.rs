//! JWTs an attacker presents: ID tokens at the token-exchange grant
//! (`IdentityValidator::validate`, `peek_issuer`) and JWT access tokens at
//! the API (`looks_like_jwt`, the header and claims `Signing::verify` reads).
//!
//! Input, by its first character:
//! - `h` then a JOSE header (JSON text), signed over good claims with the
//!   provider's key: the header checks (`alg`, `kid`, `crit`);
//! - `p` then a payload (JSON text) under a good header, signed: the
//!   claim checks (`iss`, `aud`, `exp`, `nbf`, `iat`, `sub`, names);
//! - anything else: the whole input is the token as sent.

#![no_main]

use std::sync::{Arc, OnceLock};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use tessera::identity::validate::LEEWAY_SECS;
use tessera::identity::{
    IdentityError, IdentityProvider, IdentityValidator, InlineJwks, JwksCache, RefetchPolicy,
    peek_issuer,
};
use tessera::oauth::jwt_access::{AccessTokenClaims, looks_like_jwt};
use tessera_fuzz::{NOW, block_on, public_x, sign_compact};

const ISSUER: &str = "https://idp.example.com";
const AUDIENCE: &str = "tessera-wiki";
const HEADER: &str = r#"{"alg":"EdDSA","typ":"JWT","kid":"k1"}"#;
const CLAIMS: &str = r#"{"iss":"https://idp.example.com","aud":"tessera-wiki","exp":1700000600,"iat":1700000000,"sub":"s","given_name":"G","family_name":"F"}"#;

fn validator() -> &'static IdentityValidator {
    static VALIDATOR: OnceLock<IdentityValidator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let jwks = format!(
            r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","use":"sig","kid":"k1","x":"{}"}}]}}"#,
            public_x()
        );
        let fetcher = Arc::new(InlineJwks::new(jwks).unwrap());
        let provider = IdentityProvider::new(ISSUER, AUDIENCE, &[]).unwrap();
        IdentityValidator::new(provider, JwksCache::new(fetcher, RefetchPolicy::default()))
    })
}

/// What `Signing::verify` does with a JWT access token, against the fuzz key.
fn verify_access_token(token: &str) {
    let Ok(header) = jsonwebtoken::decode_header(token) else {
        return;
    };
    if header.typ.as_deref() != Some("at+jwt") || header.alg != Algorithm::EdDSA {
        return;
    }
    let key = DecodingKey::from_ed_components(&public_x()).unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[ISSUER]);
    validation.leeway = 0;
    validation.validate_aud = false;
    let _ = jsonwebtoken::decode::<AccessTokenClaims>(token, &key, &validation);
}

fn validate(token: &str) -> Result<tessera::identity::IdentityClaims, IdentityError> {
    let _ = looks_like_jwt(token);
    let _ = peek_issuer(token);
    verify_access_token(token);
    block_on(validator().validate(token, NOW))
}

fn time(claims: &Map<String, Value>, name: &str) -> Option<i64> {
    let n = claims.get(name)?.as_number()?;
    n.as_i64().or_else(|| n.as_f64().map(|f| f.floor() as i64))
}

fuzz_target!(|data: &str| {
    match data.split_at_checked(1) {
        Some(("h", header)) => {
            let token = sign_compact(header.as_bytes(), CLAIMS.as_bytes());
            if validate(&token).is_ok() {
                // Only the provider's one key fits, and only by its kid (or none).
                let header: Map<String, Value> = serde_json::from_str(header).unwrap();
                assert_eq!(header.get("alg").and_then(Value::as_str), Some("EdDSA"));
                assert!(matches!(header.get("kid"), None | Some(Value::String(_))));
                assert!(!header.contains_key("crit"));
            }
        }
        Some(("p", payload)) => {
            let token = sign_compact(HEADER.as_bytes(), payload.as_bytes());
            let Ok(identity) = validate(&token) else {
                return;
            };
            // Everything the claim checks promise holds in the payload.
            let claims: Map<String, Value> = serde_json::from_str(payload).unwrap();
            assert_eq!(claims.get("iss").and_then(Value::as_str), Some(ISSUER));
            let audience = match claims.get("aud") {
                Some(Value::String(aud)) => aud == AUDIENCE,
                Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(AUDIENCE)),
                _ => false,
            };
            assert!(audience, "{payload:?}");
            let exp = time(&claims, "exp").unwrap();
            assert!(NOW < exp.saturating_add(LEEWAY_SECS));
            for name in ["nbf", "iat"] {
                if claims.contains_key(name) {
                    assert!(time(&claims, name).unwrap() <= NOW + LEEWAY_SECS);
                }
            }
            for value in [&identity.sub, &identity.given_name, &identity.family_name] {
                assert!(!value.trim().is_empty());
            }
            assert_eq!(identity.issuer, ISSUER);
        }
        _ => {
            let _ = validate(data);
        }
    }
});
