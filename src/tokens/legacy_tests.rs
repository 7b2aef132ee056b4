//! Unit tests of `tokens::legacy`: the spec vectors, the window, and ids vs usernames.
use super::*;

const EPOCH: i64 = 1_700_000_000;

fn key() -> SiteApiKey {
    SiteApiKey::new("legacy-api-key-123".into())
}

fn check(token: &str, now: i64) -> Result<VerifiedImpersonation, ImpersonationRejection> {
    verify_impersonation(token, &key(), now, IMPERSONATION_WINDOW)
}

#[test]
fn the_spec_vectors_verify() {
    let alice = "imp_1700000000_91db6f442ecaa415150984c3a1ceaabe_=alice";
    let verified = check(alice, EPOCH).unwrap();
    assert_eq!(verified.epoch, EPOCH);
    assert_eq!(verified.user, ImpersonatedUser::Username("alice".into()));
    let user_42 = "imp_1700000000_2c73a11579fe4b9791f0a90aa4714161_42";
    assert_eq!(
        check(user_42, EPOCH).map(|v| v.user),
        Ok(ImpersonatedUser::Id(42))
    );
}

#[test]
fn the_equals_sign_is_not_part_of_the_hash() {
    // The vector for user `alice` is the hash of "alice:…", and the
    // token spells that user `=alice`.
    let hash = hex::encode(impersonation_hash("alice", "1700000000", &key()));
    assert_eq!(hash, "91db6f442ecaa415150984c3a1ceaabe");
    let made = impersonation_token(&key(), EPOCH, &ImpersonatedUser::Username("alice".into()));
    assert_eq!(
        made,
        "imp_1700000000_91db6f442ecaa415150984c3a1ceaabe_=alice"
    );
    let with_equals = hex::encode(impersonation_hash("=alice", "1700000000", &key()));
    let wrong = format!("imp_1700000000_{with_equals}_=alice");
    assert_eq!(check(&wrong, EPOCH), Err(ImpersonationRejection::BadHash));
}

#[test]
fn generated_tokens_match_the_vectors() {
    assert_eq!(
        impersonation_token(&key(), EPOCH, &ImpersonatedUser::Id(42)),
        "imp_1700000000_2c73a11579fe4b9791f0a90aa4714161_42"
    );
}

#[test]
fn usernames_may_contain_underscores() {
    let user = ImpersonatedUser::Username("a_b".into());
    let token = impersonation_token(&key(), EPOCH, &user);
    assert_eq!(check(&token, EPOCH).map(|v| v.user), Ok(user));
}

#[test]
fn upper_case_hex_is_accepted() {
    let token = "imp_1700000000_91DB6F442ECAA415150984C3A1CEAABE_=alice";
    assert!(check(token, EPOCH).is_ok());
}

#[test]
fn tokens_live_for_sixty_seconds() {
    let token = "imp_1700000000_91db6f442ecaa415150984c3a1ceaabe_=alice";
    assert!(check(token, EPOCH + 60).is_ok());
    assert_eq!(
        check(token, EPOCH + 61),
        Err(ImpersonationRejection::Expired)
    );
    assert!(check(token, EPOCH - 60).is_ok());
    assert_eq!(
        check(token, EPOCH - 61),
        Err(ImpersonationRejection::FromTheFuture)
    );
}

#[test]
fn tampering_or_another_key_breaks_the_hash() {
    let good = "imp_1700000000_91db6f442ecaa415150984c3a1ceaabe_=alice";
    for token in [
        good.replace("=alice", "=alicf"),
        good.replace("=alice", "=bob"),
        good.replace("1700000000", "1700000001"),
        good.replace("91db6f44", "91db6f45"),
    ] {
        assert_eq!(
            check(&token, EPOCH),
            Err(ImpersonationRejection::BadHash),
            "{token}"
        );
    }
    let other = SiteApiKey::new("legacy-api-key-124".into());
    assert_eq!(
        verify_impersonation(good, &other, EPOCH, IMPERSONATION_WINDOW),
        Err(ImpersonationRejection::BadHash)
    );
}

#[test]
fn malformed_tokens_are_refused() {
    let hash = "91db6f442ecaa415150984c3a1ceaabe";
    for token in [
        String::new(),
        "imp_".into(),
        format!("tkn_1700000000_{hash}_=alice"),
        format!("imp__{hash}_=alice"),
        format!("imp_-1700000000_{hash}_=alice"),
        format!("imp_1700000000_{hash}_"),
        format!("imp_1700000000_{hash}_="),
        format!("imp_1700000000_{hash}_alice"),
        format!("imp_1700000000_{hash}"),
        format!("imp_1700000000_{}_=alice", &hash[..30]),
        format!("imp_1700000000_{}zz_=alice", &hash[..30]),
        format!("imp_1700000000_{hash}_={}", "a".repeat(MAX_LEN)),
        format!("imp_1700000000_{hash}_042"),
        format!("imp_1700000000_{hash}_+42"),
        format!("imp_1700000000_{hash}_-42"),
    ] {
        assert_eq!(
            check(&token, EPOCH),
            Err(ImpersonationRejection::Malformed),
            "{token}"
        );
    }
}

#[test]
fn a_digit_username_and_the_same_numeric_id_are_different_users() {
    // The MD5 is the same for both spellings; the parsed user is not.
    let by_name = impersonation_token(&key(), EPOCH, &ImpersonatedUser::Username("42".into()));
    let by_id = impersonation_token(&key(), EPOCH, &ImpersonatedUser::Id(42));
    assert_eq!(by_name, by_id.replace("_42", "_=42"));
    let name = check(&by_name, EPOCH).unwrap();
    let id = check(&by_id, EPOCH).unwrap();
    assert_eq!(name.user, ImpersonatedUser::Username("42".into()));
    assert_eq!(id.user, ImpersonatedUser::Id(42));
    // Each names the other as the reading the caller must rule out.
    assert_eq!(name.user.twin(), Some(ImpersonatedUser::Id(42)));
    assert_eq!(
        id.user.twin(),
        Some(ImpersonatedUser::Username("42".into()))
    );
    // And the ledger sees one link, whichever spelling came first.
    assert_eq!(name.single_use_key(1), id.single_use_key(1));
    assert_ne!(name.single_use_key(1), name.single_use_key(2));
}

#[test]
fn only_canonical_digit_usernames_have_an_id_twin() {
    for (name, twin) in [
        ("alice", None),
        ("007", None),
        ("4 2", None),
        ("0", Some(ImpersonatedUser::Id(0))),
        ("99999999999999999999", None),
    ] {
        assert_eq!(
            ImpersonatedUser::Username(name.into()).twin(),
            twin,
            "{name}"
        );
    }
    // `=007` hashes as `007`; the id spelling `_007` is refused outright.
    let token = impersonation_token(&key(), EPOCH, &ImpersonatedUser::Username("007".into()));
    assert!(check(&token, EPOCH).is_ok());
    assert_eq!(
        check(&token.replace("_=007", "_007"), EPOCH),
        Err(ImpersonationRejection::Malformed)
    );
}

#[test]
fn the_single_use_key_ignores_the_hex_case() {
    let lower = check(
        "imp_1700000000_91db6f442ecaa415150984c3a1ceaabe_=alice",
        EPOCH,
    )
    .unwrap();
    let upper = check(
        "imp_1700000000_91DB6F442ECAA415150984C3A1CEAABE_=alice",
        EPOCH,
    )
    .unwrap();
    assert_eq!(lower.single_use_key(1), upper.single_use_key(1));
    assert!(!lower.single_use_key(1).contains("91db6f44"));
    assert_eq!(lower.valid_until(IMPERSONATION_WINDOW), EPOCH + 60);
}

#[test]
fn site_api_keys_compare_exactly() {
    let key = generate_site_api_key();
    assert_eq!(key.expose().len(), 64);
    assert!(key.matches(key.expose()));
    assert!(!key.matches(""));
    assert!(!key.matches(&key.expose()[..63]));
    assert!(!self::key().matches("LEGACY-API-KEY-123"));
    assert!(self::key().matches("legacy-api-key-123"));
    assert_ne!(key, generate_site_api_key());
}

#[test]
fn site_api_keys_are_redacted_in_debug_output() {
    assert_eq!(format!("{:?}", key()), "SiteApiKey(<redacted>)");
}
