use std::sync::Arc;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::*;
use crate::identity::jwks::{InlineJwks, JwksCache, RefetchPolicy, parse_jwks};
use crate::identity::test_keys::{FakeIdp, TestKey, jwks, raw_token};

const ISS: &str = "https://idp.example.com";
const AUD: &str = "tessera-site-1";
const NOW: i64 = 1_700_000_000;

fn claims() -> Value {
    json!({
        "iss": ISS,
        "aud": AUD,
        "sub": "u-123",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": "ada@example.com",
        "iat": NOW,
        "exp": NOW + 300,
    })
}

fn with(changes: Value) -> Value {
    let mut claims = claims();
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

fn validator_for(
    issuer: &str,
    algorithms: &[Algorithm],
    keys: &[&TestKey],
) -> (IdentityValidator, Arc<FakeIdp>) {
    let idp = Arc::new(FakeIdp::new(jwks(keys)));
    let provider = IdentityProvider::new(issuer, AUD, algorithms).unwrap();
    let cache = JwksCache::new(idp.clone(), RefetchPolicy::default());
    (IdentityValidator::new(provider, cache), idp)
}

fn validator(keys: &[&TestKey]) -> (IdentityValidator, Arc<FakeIdp>) {
    validator_for(ISS, &[], keys)
}

#[tokio::test]
async fn an_rs256_token_gives_its_claims() {
    let key = TestKey::rsa("rsa-1", 0);
    let (v, _) = validator(&[&key]);
    let claims = v.validate(&key.sign(&claims()), NOW).await.unwrap();
    assert_eq!(
        claims,
        IdentityClaims {
            issuer: ISS.into(),
            sub: "u-123".into(),
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            email: Some("ada@example.com".into()),
        }
    );
}

#[tokio::test]
async fn every_rsa_algorithm_verifies_with_an_rsa_key() {
    let key = TestKey::rsa("rsa-1", 0);
    let (v, _) = validator(&[&key]);
    for alg in [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ] {
        let token = key.sign_as(alg, Some("rsa-1"), &claims());
        assert!(v.validate(&token, NOW).await.is_ok(), "{alg:?}");
    }
}

#[tokio::test]
async fn es256_and_eddsa_tokens_validate() {
    let ec = TestKey::ec("ec-1");
    let ed = TestKey::ed("ed-1");
    let (v, _) = validator(&[&ec, &ed]);
    assert_eq!(
        v.validate(&ec.sign(&claims()), NOW).await.unwrap().sub,
        "u-123"
    );
    assert_eq!(
        v.validate(&ed.sign(&claims()), NOW).await.unwrap().sub,
        "u-123"
    );
}

#[tokio::test]
async fn alg_none_is_refused() {
    let ec = TestKey::ec("ec-1");
    let (v, idp) = validator(&[&ec]);
    for alg in ["none", "None", "NONE"] {
        let token = raw_token(&json!({"alg": alg, "kid": "ec-1"}), &claims(), b"");
        assert_eq!(
            v.validate(&token, NOW).await,
            Err(IdentityError::AlgorithmRefused(alg.into()))
        );
    }
    assert_eq!(idp.fetches(), 0, "refused before any key was looked at");
}

#[tokio::test]
async fn hmac_tokens_are_refused_even_when_the_jwks_publishes_a_secret() {
    let secret = b"a-shared-secret-that-should-never-work";
    let mut oct = TestKey::ec("oct-1");
    oct.jwk = json!({"kty": "oct", "kid": "oct-1", "k": URL_SAFE_NO_PAD.encode(secret)});
    let (v, _) = validator(&[&oct]);
    for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        let mut header = Header::new(alg);
        header.kid = Some("oct-1".into());
        let token =
            jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(secret)).unwrap();
        assert_eq!(
            v.validate(&token, NOW).await,
            Err(IdentityError::AlgorithmRefused(format!("{alg:?}")))
        );
    }
}

#[tokio::test]
async fn an_rsa_public_key_used_as_an_hmac_secret_is_refused() {
    let rsa = TestKey::rsa("rsa-1", 0);
    let (v, _) = validator(&[&rsa]);
    let public = rsa.jwk["n"].as_str().unwrap().as_bytes().to_vec();
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("rsa-1".into());
    let token =
        jsonwebtoken::encode(&header, &claims(), &EncodingKey::from_secret(&public)).unwrap();
    assert_eq!(
        v.validate(&token, NOW).await,
        Err(IdentityError::AlgorithmRefused("HS256".into()))
    );
}

#[tokio::test]
async fn an_algorithm_the_provider_does_not_allow_is_refused() {
    let rsa = TestKey::rsa("rsa-1", 0);
    let (v, _) = validator_for(ISS, &[Algorithm::ES256], &[&rsa]);
    assert_eq!(
        v.validate(&rsa.sign(&claims()), NOW).await,
        Err(IdentityError::AlgorithmNotAllowed(Algorithm::RS256))
    );
}

#[tokio::test]
async fn an_algorithm_that_does_not_fit_the_key_is_refused() {
    let rsa = TestKey::rsa("rsa-1", 0);
    let ec = TestKey::ec("ec-1");
    let (v, _) = validator(&[&rsa, &ec]);
    // Signed by the EC key, but naming the RSA key.
    let token = ec.sign_as(Algorithm::ES256, Some("rsa-1"), &claims());
    assert_eq!(
        v.validate(&token, NOW).await,
        Err(IdentityError::KeyAlgorithmMismatch)
    );
}

#[tokio::test]
async fn a_jwk_pinned_to_one_algorithm_refuses_another() {
    let mut rsa = TestKey::rsa("rsa-1", 0);
    rsa.jwk["alg"] = json!("RS384");
    let (v, _) = validator(&[&rsa]);
    assert_eq!(
        v.validate(
            &rsa.sign_as(Algorithm::RS256, Some("rsa-1"), &claims()),
            NOW
        )
        .await,
        Err(IdentityError::KeyAlgorithmMismatch)
    );
    assert!(
        v.validate(
            &rsa.sign_as(Algorithm::RS384, Some("rsa-1"), &claims()),
            NOW
        )
        .await
        .is_ok()
    );
}

#[tokio::test]
async fn expired_tokens_are_refused_after_the_leeway() {
    let ec = TestKey::ec("ec-1");
    let (v, _) = validator(&[&ec]);
    let token = ec.sign(&with(json!({"exp": NOW - 100})));
    assert!(v.validate(&token, NOW - 100 + 59).await.is_ok());
    assert_eq!(
        v.validate(&token, NOW - 100 + 60).await,
        Err(IdentityError::Expired)
    );
    assert_eq!(v.validate(&token, NOW).await, Err(IdentityError::Expired));
}

#[tokio::test]
async fn exp_is_required_and_must_be_a_number() {
    let ec = TestKey::ec("ec-1");
    let (v, _) = validator(&[&ec]);
    let missing = ec.sign(&with(json!({"exp": null})));
    assert_eq!(
        v.validate(&missing, NOW).await,
        Err(IdentityError::MissingClaim("exp"))
    );
    let text = ec.sign(&with(json!({"exp": "tomorrow"})));
    assert_eq!(
        v.validate(&text, NOW).await,
        Err(IdentityError::InvalidClaim("exp"))
    );
    let fractional = ec.sign(&with(json!({"exp": (NOW + 10) as f64 + 0.5})));
    assert!(v.validate(&fractional, NOW).await.is_ok());
}

#[tokio::test]
async fn tokens_not_yet_valid_are_refused_after_the_leeway() {
    let ec = TestKey::ec("ec-1");
    let (v, _) = validator(&[&ec]);
    let nbf_near = ec.sign(&with(json!({"nbf": NOW + 60})));
    assert!(v.validate(&nbf_near, NOW).await.is_ok());
    let nbf_far = ec.sign(&with(json!({"nbf": NOW + 61})));
    assert_eq!(
        v.validate(&nbf_far, NOW).await,
        Err(IdentityError::NotYetValid)
    );
    let iat_future = ec.sign(&with(json!({"iat": NOW + 120})));
    assert_eq!(
        v.validate(&iat_future, NOW).await,
        Err(IdentityError::NotYetValid)
    );
    let no_iat = ec.sign(&with(json!({"iat": null})));
    assert!(v.validate(&no_iat, NOW).await.is_ok());
}

#[tokio::test]
async fn the_audience_must_contain_ours() {
    let ec = TestKey::ec("ec-1");
    let (v, _) = validator(&[&ec]);
    let listed = ec.sign(&with(json!({"aud": ["other", AUD]})));
    assert!(v.validate(&listed, NOW).await.is_ok());
    for aud in [
        json!("other"),
        json!(["other", "more"]),
        json!([]),
        json!(42),
    ] {
        let token = ec.sign(&with(json!({ "aud": aud })));
        assert_eq!(
            v.validate(&token, NOW).await,
            Err(IdentityError::WrongAudience),
            "{aud}"
        );
    }
    let missing = ec.sign(&with(json!({"aud": null})));
    assert_eq!(
        v.validate(&missing, NOW).await,
        Err(IdentityError::WrongAudience)
    );
}

#[tokio::test]
async fn the_issuer_must_match_exactly() {
    let ec = TestKey::ec("ec-1");
    let (v, _) = validator(&[&ec]);
    for iss in [
        json!("https://idp.example.com/"),
        json!("https://IDP.example.com"),
        json!("https://evil.example.com"),
        json!([ISS]),
    ] {
        let token = ec.sign(&with(json!({ "iss": iss })));
        assert_eq!(
            v.validate(&token, NOW).await,
            Err(IdentityError::WrongIssuer),
            "{iss}"
        );
    }
    let missing = ec.sign(&with(json!({"iss": null})));
    assert_eq!(
        v.validate(&missing, NOW).await,
        Err(IdentityError::WrongIssuer)
    );
}

#[tokio::test]
async fn profile_claims_are_required() {
    let ec = TestKey::ec("ec-1");
    let (v, _) = validator(&[&ec]);
    for name in ["sub", "given_name", "family_name"] {
        for value in [Value::Null, json!(""), json!("   ")] {
            let token = ec.sign(&with(json!({ name: value })));
            assert_eq!(
                v.validate(&token, NOW).await,
                Err(IdentityError::MissingClaim(name)),
                "{name} = {value}"
            );
        }
        let token = ec.sign(&with(json!({ name: 7 })));
        assert_eq!(
            v.validate(&token, NOW).await,
            Err(IdentityError::InvalidClaim(name))
        );
    }
}

#[tokio::test]
async fn email_is_optional() {
    let ec = TestKey::ec("ec-1");
    let (v, _) = validator(&[&ec]);
    for email in [Value::Null, json!(""), json!(false)] {
        let token = ec.sign(&with(json!({ "email": email })));
        assert_eq!(v.validate(&token, NOW).await.unwrap().email, None);
    }
}

#[tokio::test]
async fn a_tampered_token_or_another_keys_signature_is_refused() {
    let ec = TestKey::ec("ec-1");
    let (v, _) = validator(&[&ec]);
    let token = ec.sign(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    let forged_claims = URL_SAFE_NO_PAD.encode(with(json!({"sub": "admin"})).to_string());
    let tampered = format!("{}.{}.{}", parts[0], forged_claims, parts[2]);
    assert_eq!(
        v.validate(&tampered, NOW).await,
        Err(IdentityError::BadSignature)
    );
    let impostor = TestKey::ec("ec-1");
    assert_eq!(
        v.validate(&impostor.sign(&claims()), NOW).await,
        Err(IdentityError::BadSignature)
    );
}

#[tokio::test]
async fn a_key_embedded_in_the_header_is_never_trusted() {
    let ec = TestKey::ec("ec-1");
    let attacker = TestKey::ec("ec-1");
    let (v, _) = validator(&[&ec]);
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some("ec-1".into());
    header.jwk = Some(serde_json::from_value(attacker.jwk.clone()).unwrap());
    header.jku = Some("https://attacker.example/jwks.json".into());
    let token = attacker.sign_with_header(&header, &claims());
    assert_eq!(
        v.validate(&token, NOW).await,
        Err(IdentityError::BadSignature)
    );
}

#[tokio::test]
async fn a_key_from_another_issuer_is_refused() {
    let a_key = TestKey::ec("a-1");
    let b_key = TestKey::ed("b-1");
    let (a, _) = validator_for(ISS, &[], &[&a_key]);
    let (b, _) = validator_for("https://other-idp.example.net", &[], &[&b_key]);
    // B's key signing a token that claims to be from A.
    let claims_a = b_key.sign(&claims());
    assert_eq!(
        a.validate(&claims_a, NOW).await,
        Err(IdentityError::UnknownKey)
    );
    // B's own good token is still B's: A refuses it.
    let from_b = b_key.sign(&with(json!({"iss": "https://other-idp.example.net"})));
    assert!(b.validate(&from_b, NOW).await.is_ok());
    assert_eq!(
        a.validate(&from_b, NOW).await,
        Err(IdentityError::UnknownKey)
    );
    // A's key with B's issuer: the signature is good, the issuer is not.
    let a_as_b = a_key.sign(&with(json!({"iss": "https://other-idp.example.net"})));
    assert_eq!(
        a.validate(&a_as_b, NOW).await,
        Err(IdentityError::WrongIssuer)
    );
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_once_the_refetch_interval_has_passed() {
    let old = TestKey::ec("2024-01");
    let new = TestKey::rsa("2024-02", 1);
    let (v, idp) = validator(&[&old]);
    assert!(v.validate(&old.sign(&claims()), NOW).await.is_ok());
    assert_eq!(idp.fetches(), 1);

    idp.publish(jwks(&[&old, &new]));
    let token = new.sign(&claims());
    // Within a minute of the last fetch the unknown kid causes no fetch.
    assert_eq!(
        v.validate(&token, NOW + 30).await,
        Err(IdentityError::UnknownKey)
    );
    assert_eq!(idp.fetches(), 1);
    assert!(v.validate(&token, NOW + 60).await.is_ok());
    assert_eq!(idp.fetches(), 2);
    // Both keys are now known without more fetching.
    assert!(v.validate(&old.sign(&claims()), NOW + 61).await.is_ok());
    assert!(v.validate(&token, NOW + 62).await.is_ok());
    assert_eq!(idp.fetches(), 2);
}

#[tokio::test]
async fn unknown_kids_refetch_at_most_once_a_minute() {
    let key = TestKey::ec("ec-1");
    let (v, idp) = validator(&[&key]);
    assert!(v.validate(&key.sign(&claims()), NOW).await.is_ok());
    for i in 0..50 {
        let token = key.sign_as(Algorithm::ES256, Some(&format!("made-up-{i}")), &claims());
        assert_eq!(
            v.validate(&token, NOW + 1 + i).await,
            Err(IdentityError::UnknownKey)
        );
    }
    assert_eq!(idp.fetches(), 1);
    let token = key.sign_as(Algorithm::ES256, Some("made-up"), &claims());
    assert_eq!(
        v.validate(&token, NOW + 61).await,
        Err(IdentityError::UnknownKey)
    );
    assert_eq!(idp.fetches(), 2);
    assert_eq!(
        v.validate(&token, NOW + 62).await,
        Err(IdentityError::UnknownKey)
    );
    assert_eq!(idp.fetches(), 2);
}

#[tokio::test]
async fn a_withdrawn_key_stops_working_once_the_keys_are_stale() {
    let old = TestKey::ec("old");
    let new = TestKey::ec("new");
    let (v, idp) = validator(&[&old]);
    let later = with(json!({"exp": NOW + 7200}));
    assert!(v.validate(&old.sign(&later), NOW).await.is_ok());
    idp.publish(jwks(&[&new]));
    assert!(v.validate(&old.sign(&later), NOW + 3599).await.is_ok());
    assert_eq!(
        v.validate(&old.sign(&later), NOW + 3600).await,
        Err(IdentityError::UnknownKey)
    );
    assert_eq!(idp.fetches(), 2);
}

#[tokio::test]
async fn an_unreachable_idp_is_a_temporary_failure_and_stale_keys_survive_it() {
    let key = TestKey::ec("ec-1");
    let (v, idp) = validator(&[&key]);
    let later = with(json!({"exp": NOW + 7200}));
    idp.set_down(true);
    let refused = v.validate(&key.sign(&later), NOW).await.unwrap_err();
    assert!(matches!(refused, IdentityError::KeysUnavailable(_)));
    assert!(refused.is_temporary());
    // Still down, and within the minute: no new attempt, same answer.
    let again = v.validate(&key.sign(&later), NOW + 10).await.unwrap_err();
    assert!(matches!(again, IdentityError::KeysUnavailable(_)));
    assert_eq!(idp.fetches(), 1);

    idp.set_down(false);
    assert!(v.validate(&key.sign(&later), NOW + 60).await.is_ok());
    idp.set_down(true);
    // Stale after an hour, the refetch fails, the cached key still works.
    assert!(v.validate(&key.sign(&later), NOW + 60 + 3600).await.is_ok());
    assert_eq!(idp.fetches(), 3);
}

#[tokio::test]
async fn a_token_without_kid_uses_the_only_fitting_key() {
    let ec = TestKey::ec("ec-1");
    let rsa = TestKey::rsa("rsa-1", 0);
    let (v, _) = validator(&[&ec, &rsa]);
    let token = ec.sign_as(Algorithm::ES256, None, &claims());
    assert!(v.validate(&token, NOW).await.is_ok());

    let second_ec = TestKey::ec("ec-2");
    let (two, _) = validator(&[&ec, &second_ec]);
    assert_eq!(
        two.validate(&token, NOW).await,
        Err(IdentityError::AmbiguousKey)
    );
}

#[tokio::test]
async fn encryption_keys_are_not_used_for_signatures() {
    let mut ec = TestKey::ec("ec-1");
    ec.jwk["use"] = json!("enc");
    let (v, _) = validator(&[&ec]);
    assert_eq!(
        v.validate(&ec.sign(&claims()), NOW).await,
        Err(IdentityError::UnknownKey)
    );
}

#[tokio::test]
async fn critical_header_extensions_are_refused() {
    let ec = TestKey::ec("ec-1");
    let (v, _) = validator(&[&ec]);
    let token = raw_token(
        &json!({"alg": "ES256", "kid": "ec-1", "crit": ["exp"], "exp": 1}),
        &claims(),
        b"sig",
    );
    assert_eq!(
        v.validate(&token, NOW).await,
        Err(IdentityError::UnsupportedCriticalHeader)
    );
}

#[tokio::test]
async fn malformed_tokens_are_refused() {
    let ec = TestKey::ec("ec-1");
    let (v, _) = validator(&[&ec]);
    let good = ec.sign(&claims());
    let bad = [
        String::new(),
        "not-a-jwt".into(),
        "a.b".into(),
        format!("{good}.extra"),
        "!!!.e30.sig".into(),
        format!("{}.e30.sig", URL_SAFE_NO_PAD.encode("not json")),
        format!("{}.e30.sig", URL_SAFE_NO_PAD.encode(r#"{"kid":"ec-1"}"#)),
        format!(
            "{}.e30.sig",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256","kid":7}"#)
        ),
        "a".repeat(MAX_TOKEN_LEN + 1),
    ];
    for token in &bad {
        assert_eq!(
            v.validate(token, NOW).await,
            Err(IdentityError::Malformed),
            "{token:.60}"
        );
    }
}

#[test]
fn the_issuer_can_be_read_before_validation_to_pick_the_provider() {
    let ec = TestKey::ec("ec-1");
    assert_eq!(peek_issuer(&ec.sign(&claims())), Some(ISS.into()));
    assert_eq!(peek_issuer("nonsense"), None);
    assert_eq!(peek_issuer(&ec.sign(&with(json!({"iss": null})))), None);
}

#[tokio::test]
async fn inline_keys_work_and_a_useless_document_is_refused() {
    let ed = TestKey::ed("ed-1");
    let inline = InlineJwks::new(jwks(&[&ed])).unwrap();
    let provider = IdentityProvider::new(ISS, AUD, &[Algorithm::EdDSA]).unwrap();
    let v = IdentityValidator::new(
        provider,
        JwksCache::new(Arc::new(inline), RefetchPolicy::default()),
    );
    assert!(v.validate(&ed.sign(&claims()), NOW).await.is_ok());

    assert!(InlineJwks::new("{}").is_err());
    assert!(InlineJwks::new("not json").is_err());
    assert!(InlineJwks::new(r#"{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}"#).is_err());
}

#[test]
fn unusable_jwks_entries_are_skipped_not_fatal() {
    let ec = TestKey::ec("ec-1");
    let document = json!({"keys": [
        {"kty": "oct", "kid": "s", "k": "c2VjcmV0"},
        {"kty": "EC", "kid": "k1", "crv": "secp256k1", "x": "AA", "y": "AA"},
        {"kty": "RSA", "kid": "enc", "alg": "RSA-OAEP", "n": "AQAB", "e": "AQAB"},
        {"kty": "OKP", "kid": "short", "crv": "Ed25519", "x": "AAAA"},
        {"something": "else"},
        ec.jwk.clone(),
    ]});
    let keys = parse_jwks(&document.to_string()).unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].kid.as_deref(), Some("ec-1"));
}
