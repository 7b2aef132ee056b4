//! DPoP proofs (RFC 9449): the compact JWS, its header and `jwk`
//! (`ProofKeys::verify`, `ProofKey::from_header`), and the claim checks a
//! proof's payload goes through (`htu`, `ath`, `nonce`).
//!
//! Input, by its first character:
//! - `h` then a header (JSON text), signed with a fixed payload by the
//!   fuzz key: the header and key checks with a valid signature;
//! - `p` then a payload (JSON text) under a good header, signed: the
//!   payload parsing and the claim checks;
//! - anything else: the whole input is the proof as sent.

#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use std::sync::OnceLock;

use tessera::oauth::dpop::{
    self, Jkt, ProofError, ProofKey, ProofKeys, access_token_hash, is_thumbprint, nonce,
    same_resource,
};
use tessera_fuzz::{NOW, nonce_key, public_jwk, sign_compact, site};

const PAYLOAD: &str =
    r#"{"htm":"POST","htu":"https://wiki.example.org/oauth/token","iat":1700000000,"jti":"j"}"#;

fn good_header() -> String {
    format!(
        r#"{{"typ":"dpop+jwt","alg":"EdDSA","jwk":{}}}"#,
        public_jwk()
    )
}

/// The RFC 7638 thumbprint of the fuzz key, computed here.
fn fuzz_key_thumbprint() -> String {
    access_token_hash(&format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        tessera_fuzz::public_x()
    ))
}

fn check_key(jkt: &Jkt) {
    assert!(is_thumbprint(jkt.as_str()), "{}", jkt.as_str());
    assert!(Jkt::from_stored(jkt.as_str()).matches(jkt.as_str()));
}

/// The verifier the token endpoint uses, with its memory of proof keys kept
/// across inputs as a server's is across requests.
fn verify_signature(proof: &str) -> Result<(Jkt, Map<String, Value>), ProofError> {
    static KEYS: OnceLock<ProofKeys> = OnceLock::new();
    KEYS.get_or_init(ProofKeys::new).verify(proof)
}

/// The claim checks `Dpop::verify` makes, on whatever the payload holds.
fn check_claims(claims: &Map<String, Value>) {
    let site = site();
    if let Some(htu) = claims.get("htu").and_then(Value::as_str) {
        if same_resource(htu, &site.base_url, "/oauth/token") {
            let url = url::Url::parse(htu).unwrap();
            assert_eq!(url.host_str(), site.base_url.host_str(), "{htu:?}");
            assert_eq!(url.scheme(), site.base_url.scheme());
            assert_eq!(url.path(), "/oauth/token");
        }
    }
    if let Some(ath) = claims.get("ath").and_then(Value::as_str) {
        let _ = access_token_hash(ath);
    }
    if let Some(n) = claims.get("nonce").and_then(Value::as_str) {
        let key = nonce_key();
        if nonce::is_fresh(&key, n, NOW) {
            // Only what the server minted is fresh.
            let minted = [
                nonce::mint(&key, NOW),
                nonce::mint(&key, NOW - nonce::NONCE_SLOT_SECS),
            ];
            assert!(minted.iter().any(|m| m == n), "{n:?}");
        }
    }
}

fuzz_target!(|data: &str| {
    let _ = dpop::Dpop::single(&[data]);
    match data.split_at_checked(1) {
        Some(("h", header)) => {
            if let Ok(jwk) = serde_json::from_str::<Value>(header) {
                if let Ok(key) = ProofKey::from_header(&jwk) {
                    check_key(key.jkt());
                }
                if let Some(jwk) = jwk.get("jwk") {
                    if let Ok(key) = ProofKey::from_header(jwk) {
                        check_key(key.jkt());
                    }
                }
            }
            let proof = sign_compact(header.as_bytes(), PAYLOAD.as_bytes());
            if let Ok((jkt, claims)) = verify_signature(&proof) {
                // Only the fuzz key signed it, so only the fuzz key passes.
                assert_eq!(jkt.as_str(), fuzz_key_thumbprint());
                check_claims(&claims);
            }
        }
        Some(("p", payload)) => {
            let proof = sign_compact(good_header().as_bytes(), payload.as_bytes());
            let object = serde_json::from_str::<Map<String, Value>>(payload).is_ok();
            match verify_signature(&proof) {
                Ok((jkt, claims)) => {
                    assert!(object);
                    assert_eq!(jkt.as_str(), fuzz_key_thumbprint());
                    check_claims(&claims);
                }
                Err(ProofError::Malformed(_)) => {
                    assert!(!object || proof.len() > dpop::MAX_PROOF_LEN)
                }
                Err(e) => panic!("a good header and signature refused: {e}"),
            }
        }
        _ => {
            let _ = is_thumbprint(data);
            if let Ok((jkt, claims)) = verify_signature(data) {
                check_key(&jkt);
                check_claims(&claims);
            }
        }
    }
});
