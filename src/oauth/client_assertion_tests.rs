use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::json;

use super::*;

const SECRET: &[u8] = b"tcs_0123456789abcdef0123456789abcdef";
const NOW: i64 = 1_700_000_000;
const AUD: &str = "https://auth.example/oauth/token";

fn sign(claims: &Value) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(SECRET),
    )
    .unwrap_or_else(|e| unreachable!("{e}"))
}

fn claims() -> Value {
    json!({"iss": "tc_a", "sub": "tc_a", "aud": AUD, "exp": NOW + 60, "iat": NOW, "jti": "j1"})
}

fn check(claims: &Value) -> Result<CheckedAssertion, AssertionError> {
    check_for(claims, &Audiences::any_of(vec![AUD.to_string()]))
}

fn check_for(claims: &Value, audiences: &Audiences) -> Result<CheckedAssertion, AssertionError> {
    check_assertion(
        &sign(claims),
        Algorithm::HS256,
        &DecodingKey::from_secret(SECRET),
        "tc_a",
        audiences,
        NOW,
    )
}

fn with(name: &str, value: Value) -> Value {
    let mut claims = claims();
    claims[name] = value;
    claims
}

#[test]
fn a_good_assertion_gives_its_jti_and_expiry() {
    assert_eq!(
        check(&claims()),
        Ok(CheckedAssertion {
            jti: "j1".into(),
            expires_at: NOW + 60 + CLOCK_SKEW_SECS,
        })
    );
    assert!(check(&with("aud", json!(["other", AUD]))).is_ok());
}

#[test]
fn each_claim_is_checked() {
    let cases = [
        (with("iss", json!("tc_b")), AssertionError::WrongIssuer),
        (with("sub", json!("tc_b")), AssertionError::WrongIssuer),
        (
            with("aud", json!("https://elsewhere")),
            AssertionError::WrongAudience,
        ),
        (
            with("exp", json!(NOW - CLOCK_SKEW_SECS)),
            AssertionError::Expired,
        ),
        (
            with("exp", json!(NOW + MAX_LIFETIME_SECS + CLOCK_SKEW_SECS + 1)),
            AssertionError::LivesTooLong,
        ),
        (
            with("nbf", json!(NOW + CLOCK_SKEW_SECS + 1)),
            AssertionError::NotYetValid,
        ),
        (
            with("iat", json!(NOW + CLOCK_SKEW_SECS + 1)),
            AssertionError::NotYetValid,
        ),
        (with("jti", json!("")), AssertionError::MissingJti),
        (with("exp", json!("soon")), AssertionError::Malformed),
    ];
    for (claims, expected) in cases {
        assert_eq!(check(&claims), Err(expected), "{claims}");
    }
    let mut no_exp = claims();
    no_exp.as_object_mut().map(|c| c.remove("exp"));
    assert_eq!(check(&no_exp), Err(AssertionError::MissingExpiry));
}

#[test]
fn issuer_only_audiences_take_the_issuer_as_a_string_and_nothing_else() {
    const ISSUER: &str = "https://auth.example";
    let fapi = Audiences::issuer_only(ISSUER);
    assert!(check_for(&with("aud", json!(ISSUER)), &fapi).is_ok());
    for aud in [
        json!(AUD),
        json!([ISSUER]),
        json!([ISSUER, AUD]),
        json!(null),
    ] {
        assert_eq!(
            check_for(&with("aud", aud.clone()), &fapi),
            Err(AssertionError::AudienceNotInProfile),
            "{aud}"
        );
    }
    let any = Audiences::any_of(vec![ISSUER.to_string(), AUD.to_string()]);
    assert!(check_for(&with("aud", json!([ISSUER])), &any).is_ok());
    assert!(check_for(&with("aud", json!(AUD)), &any).is_ok());
}

#[test]
fn algorithms_are_held_to_the_method_and_the_registration() {
    let hs256 = sign(&claims());
    let key_client = read_assertion_header(&hs256, ClientAuthMethod::PrivateKeyJwt, None);
    assert_eq!(key_client, Err(AssertionError::AlgorithmRefused));
    let secret_client = read_assertion_header(&hs256, ClientAuthMethod::ClientSecretJwt, None);
    assert!(secret_client.is_ok());
    let none = format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64("{}"));
    for method in [
        ClientAuthMethod::PrivateKeyJwt,
        ClientAuthMethod::ClientSecretJwt,
    ] {
        assert_eq!(
            read_assertion_header(&none, method, None),
            Err(AssertionError::AlgorithmRefused)
        );
    }
    let es256 = format!("{}.{}.sig", b64(r#"{"alg":"ES256"}"#), b64("{}"));
    assert_eq!(
        read_assertion_header(
            &es256,
            ClientAuthMethod::PrivateKeyJwt,
            Some(Algorithm::RS256)
        ),
        Err(AssertionError::AlgorithmNotRegistered)
    );
}

#[test]
fn the_client_id_is_read_from_sub() {
    assert_eq!(peek_client_id(&sign(&claims())).as_deref(), Some("tc_a"));
    assert_eq!(peek_client_id("not a jwt"), None);
}

fn b64(raw: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}
