//! Unit tests of the proof checks that need no server.

use super::*;

#[test]
fn the_published_algorithm_names_are_the_checked_ones() {
    let names: Vec<String> = SIGNING_ALGS.iter().map(|a| format!("{a:?}")).collect();
    assert_eq!(signing_alg_names(), names);
}

#[test]
fn the_challenge_lists_the_same_algorithms() {
    assert_eq!(CHALLENGE, format!(r#"DPoP algs="{SIGNING_ALG_NAMES}""#));
}

#[test]
fn fapi2_sites_advertise_only_the_profiles_algorithms() {
    assert_eq!(
        site_alg_names(SecurityProfile::Default),
        signing_alg_names()
    );
    assert_eq!(
        site_alg_names(SecurityProfile::Fapi2),
        ["ES256", "EdDSA", "PS256"]
    );
    assert_eq!(
        narrow_challenge(CHALLENGE, SecurityProfile::Fapi2).as_deref(),
        Some(r#"DPoP algs="ES256 EdDSA PS256""#)
    );
    let refused = challenge("invalid_dpop_proof", "the DPoP proof is too old");
    assert_eq!(
        narrow_challenge(&refused, SecurityProfile::Fapi2).as_deref(),
        Some(
            r#"DPoP error="invalid_dpop_proof", error_description="the DPoP proof is too old", algs="ES256 EdDSA PS256""#
        )
    );
    assert_eq!(narrow_challenge(CHALLENGE, SecurityProfile::Default), None);
    assert_eq!(
        narrow_challenge(r#"Bearer error="invalid_token""#, SecurityProfile::Fapi2),
        None
    );
}

#[test]
fn htu_ignores_case_default_ports_query_and_fragment() {
    let base = Url::parse("https://docs.example.com").unwrap_or_else(|_| unreachable!());
    for htu in [
        "https://docs.example.com/oauth/token",
        "HTTPS://Docs.Example.COM/oauth/token",
        "https://docs.example.com:443/oauth/token",
        "https://docs.example.com/oauth/token?x=1#frag",
    ] {
        assert!(same_resource(htu, &base, "/oauth/token"), "{htu}");
    }
    for htu in [
        "http://docs.example.com/oauth/token",
        "https://docs.example.com:8443/oauth/token",
        "https://evil.example.com/oauth/token",
        "https://docs.example.com/oauth/token/",
        "https://docs.example.com/OAUTH/token",
        "https://user@docs.example.com/oauth/token",
        "/oauth/token",
    ] {
        assert!(!same_resource(htu, &base, "/oauth/token"), "{htu}");
    }
    let dev = Url::parse("http://localhost:8080").unwrap_or_else(|_| unreachable!());
    assert!(same_resource(
        "http://LOCALHOST:8080/api/users/current",
        &dev,
        "/api/users/current"
    ));
    assert!(!same_resource(
        "http://localhost/api/users/current",
        &dev,
        "/api/users/current"
    ));
}

#[test]
fn ath_is_the_base64url_sha256_of_the_token() {
    // SHA-256("abc"), base64url without padding.
    assert_eq!(
        access_token_hash("abc"),
        "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
    );
}

/// A proof signed by jsonwebtoken, as a
/// client library would, with `key`'s public JWK in the header.
fn signed_by(key: &crate::identity::test_keys::TestKey, alg: Algorithm) -> String {
    let mut header = jsonwebtoken::Header::new(alg);
    header.typ = Some("dpop+jwt".into());
    header.jwk = serde_json::from_value(key.jwk.clone()).ok();
    let claims =
        serde_json::json!({"jti": "j", "htm": "POST", "htu": "https://x.example/t", "iat": 1});
    key.sign_with_header(&header, &claims)
}

#[test]
fn signatures_made_by_jsonwebtoken_verify_for_every_key_shape() {
    use crate::identity::test_keys::TestKey;
    let rsa = TestKey::rsa("r", 0);
    let cases = [
        (&rsa, Algorithm::RS256),
        (&rsa, Algorithm::RS384),
        (&rsa, Algorithm::RS512),
        (&rsa, Algorithm::PS256),
        (&rsa, Algorithm::PS384),
        (&rsa, Algorithm::PS512),
        (&TestKey::ec("e"), Algorithm::ES256),
        (&TestKey::ed("d"), Algorithm::EdDSA),
    ];
    for (key, alg) in cases {
        let proof = signed_by(key, alg);
        let verified = ProofKeys::new().verify(&proof);
        assert!(verified.is_ok(), "{alg:?}: {verified:?}");
        // Another payload under the same signature.
        let mut parts: Vec<&str> = proof.split('.').collect();
        let other = URL_SAFE_NO_PAD.encode(br#"{"jti":"k"}"#);
        parts[1] = &other;
        assert_eq!(
            ProofKeys::new().verify(&parts.join(".")).err(),
            Some(ProofError::BadSignature),
            "{alg:?}"
        );
    }
    // A key used with an algorithm of another shape.
    let ec = TestKey::ec("e");
    let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
    header.typ = Some("dpop+jwt".into());
    header.jwk = serde_json::from_value(rsa.jwk.clone()).ok();
    let mismatched = ec.sign_with_header(&header, &serde_json::json!({"jti": "j"}));
    assert_eq!(
        ProofKeys::new().verify(&mismatched).err(),
        Some(ProofError::KeyAlgorithmMismatch)
    );
}

#[test]
fn proofs_that_are_not_signed_dpop_jwts_are_refused_before_any_key_work() {
    assert_eq!(
        ProofKeys::new().verify("a.b").err(),
        Some(ProofError::Malformed("not a compact JWS"))
    );
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
    assert_eq!(
        ProofKeys::new().verify(&format!("{header}.e30.sig")).err(),
        Some(ProofError::WrongType)
    );
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"dpop+jwt","alg":"HS256","jwk":{}}"#);
    assert_eq!(
        ProofKeys::new().verify(&format!("{header}.e30.sig")).err(),
        Some(ProofError::UnsupportedAlgorithm)
    );
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"dpop+jwt","alg":"none"}"#);
    assert_eq!(
        ProofKeys::new().verify(&format!("{header}.e30.")).err(),
        Some(ProofError::UnsupportedAlgorithm)
    );
    let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"dpop+jwt","alg":"ES256"}"#);
    assert_eq!(
        ProofKeys::new().verify(&format!("{header}.e30.sig")).err(),
        Some(ProofError::MissingKey)
    );
}

#[test]
fn a_remembered_key_is_checked_just_as_strictly() {
    use crate::identity::test_keys::TestKey;
    let (key, impostor) = (TestKey::ec("e"), TestKey::ec("i"));
    let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
    header.typ = Some("dpop+jwt".into());
    header.jwk = serde_json::from_value(key.jwk.clone()).ok();
    let keys = ProofKeys::new();
    for i in 0..8 {
        let claims = serde_json::json!({"jti": format!("j{i}"), "htm": "POST"});
        let proof = key.sign_with_header(&header, &claims);
        assert!(keys.verify(&proof).is_ok(), "proof {i}");
        assert_eq!(keys.remembered(), (1, 1));
        let mut parts: Vec<&str> = proof.split('.').collect();
        let other = URL_SAFE_NO_PAD.encode(br#"{"jti":"k"}"#);
        parts[1] = &other;
        assert_eq!(
            keys.verify(&parts.join(".")).err(),
            Some(ProofError::BadSignature),
            "altered proof {i}"
        );
        // The key's jwk in the header, signed by another key.
        let forged = impostor.sign_with_header(&header, &claims);
        assert_eq!(
            keys.verify(&forged).err(),
            Some(ProofError::BadSignature),
            "forged proof {i}"
        );
    }
}

#[test]
fn a_header_is_remembered_only_once_a_signature_verified() {
    use crate::identity::test_keys::TestKey;
    let (key, impostor) = (TestKey::ec("e"), TestKey::ec("i"));
    let mut header = jsonwebtoken::Header::new(Algorithm::ES256);
    header.typ = Some("dpop+jwt".into());
    header.jwk = serde_json::from_value(key.jwk.clone()).ok();
    let keys = ProofKeys::new();
    let forged = impostor.sign_with_header(&header, &serde_json::json!({"jti": "j"}));
    assert_eq!(keys.verify(&forged).err(), Some(ProofError::BadSignature));
    assert_eq!(keys.remembered(), (0, 0));
    // The same key with other header bytes: found by its thumbprint.
    let good = key.sign_with_header(&header, &serde_json::json!({"jti": "j"}));
    assert!(keys.verify(&good).is_ok());
    header.kid = Some("k1".into());
    let with_kid = key.sign_with_header(&header, &serde_json::json!({"jti": "j"}));
    let (first, _) = keys.verify(&good).unwrap_or_else(|e| panic!("{e}"));
    let (second, _) = keys.verify(&with_kid).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first, second);
    assert_eq!(keys.remembered(), (2, 1));
}
