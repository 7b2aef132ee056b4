use jsonwebtoken::jwk::Jwk;
use serde_json::json;

use super::*;
use crate::identity::test_keys::{TestKey, raw_token};

const NOW: i64 = 1_700_000_000;
const ISSUER: &str = "https://auth.example";

fn claims() -> Value {
    json!({
        "iss": "tc_a", "aud": ISSUER, "client_id": "tc_a", "exp": NOW + 60, "iat": NOW,
        "response_type": "code", "scope": "profile", "state": "s1",
    })
}

fn check(key: &TestKey, claims: &Value) -> Result<OpenedRequest, RequestObjectError> {
    let object = key.sign(claims);
    let (alg, _) = read_request_header(&object)?;
    let jwk: Jwk = serde_json::from_value(key.jwk.clone()).unwrap_or_else(|e| unreachable!("{e}"));
    let decoding = DecodingKey::from_jwk(&jwk).unwrap_or_else(|e| unreachable!("{e}"));
    check_request_object(&object, alg, &decoding, "tc_a", ISSUER, NOW)
}

fn with(name: &str, value: Value) -> Value {
    let mut claims = claims();
    claims[name] = value;
    claims
}

#[test]
fn the_parameters_are_the_claims_without_the_jwt_ones() {
    let key = TestKey::ec("k");
    let opened = check(&key, &with("jti", json!("j1"))).unwrap_or_else(|e| unreachable!("{e:?}"));
    assert_eq!(opened.request.scope.as_deref(), Some("profile"));
    assert_eq!(opened.request.state.as_deref(), Some("s1"));
    assert_eq!(opened.request.client_id.as_deref(), Some("tc_a"));
    assert_eq!(opened.jti.as_deref(), Some("j1"));
    assert_eq!(opened.expires_at, NOW + 60 + CLOCK_SKEW_SECS);
}

#[test]
fn none_and_hmac_are_refused_before_any_key() {
    let unsigned = raw_token(&json!({"alg": "none"}), &claims(), b"");
    assert_eq!(
        read_request_header(&unsigned).err(),
        Some(RequestObjectError::AlgorithmRefused)
    );
    let hmac = raw_token(&json!({"alg": "HS256"}), &claims(), b"sig");
    assert_eq!(
        read_request_header(&hmac).err(),
        Some(RequestObjectError::AlgorithmRefused)
    );
}

#[test]
fn each_claim_is_checked() {
    let key = TestKey::ed("k");
    let cases = [
        (with("iss", json!("tc_b")), RequestObjectError::WrongIssuer),
        (
            with("aud", json!(["other"])),
            RequestObjectError::WrongAudience,
        ),
        (
            with("client_id", json!("tc_b")),
            RequestObjectError::ClientMismatch,
        ),
        (with("exp", json!(NOW - 31)), RequestObjectError::Expired),
        (
            with("exp", json!(NOW + 3700)),
            RequestObjectError::LivesTooLong,
        ),
        (
            with("nbf", json!(NOW + 120)),
            RequestObjectError::NotYetValid,
        ),
        (
            with("request_uri", json!("urn:x")),
            RequestObjectError::Nested,
        ),
        (
            with("scope", json!(["profile"])),
            RequestObjectError::Malformed,
        ),
        (with("jti", json!(7)), RequestObjectError::Malformed),
    ];
    for (claims, expected) in cases {
        assert_eq!(check(&key, &claims).err(), Some(expected), "{claims}");
    }
    let mut no_exp = claims();
    no_exp.as_object_mut().map(|c| c.remove("exp"));
    assert_eq!(
        check(&key, &no_exp).err(),
        Some(RequestObjectError::MissingExpiry)
    );
}
