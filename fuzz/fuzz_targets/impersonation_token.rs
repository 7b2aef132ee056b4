//! Legacy impersonation tokens `imp_{epoch}_{md5hex}_{user}`
//! (`tokens::legacy`): checking any presented value, and tokens made for a
//! user verifying as that same user (a numeric id never read as a name,
//! nor the reverse).
//!
//! Input: the token as sent.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::tokens::legacy::{
    IMPERSONATION_PREFIX, IMPERSONATION_WINDOW, ImpersonationRejection, SiteApiKey,
    impersonation_token, verify_impersonation,
};
use tessera::tokens::server::UserRef;
use tessera_fuzz::NOW;

/// Longer tokens are refused before any parsing.
const MAX_LEN: usize = 512;

fuzz_target!(|token: &str| {
    let key = SiteApiKey::new("fuzz-site-api-key".into());
    let _ = key.matches(token);
    match verify_impersonation(token, &key, NOW, IMPERSONATION_WINDOW) {
        Ok(verified) => {
            // Only reachable by making the hash with the key: the same
            // token comes out of the maker.
            assert_eq!(
                impersonation_token(&key, verified.epoch, &verified.user),
                token
            );
        }
        Err(ImpersonationRejection::Malformed) => {}
        Err(_) => {
            // Anything past the shape check is a well-formed token.
            assert!(token.starts_with(IMPERSONATION_PREFIX) && token.len() <= MAX_LEN);
        }
    }

    // Whatever follows the prefix, as a user: a token made for that user
    // at any epoch verifies as that user, then, and expires after.
    let Some(rest) = token.strip_prefix(IMPERSONATION_PREFIX) else {
        return;
    };
    let (epoch, name) = rest.split_once('_').unwrap_or(("0", rest));
    let epoch = epoch.parse::<i64>().unwrap_or(NOW).abs();
    let mut users = vec![UserRef::Username(name.to_owned())];
    if let Ok(id) = name.parse::<i64>() {
        users.push(UserRef::Id(id));
    }
    for user in users {
        let made = impersonation_token(&key, epoch, &user);
        let usable = match &user {
            UserRef::Id(id) => *id >= 0,
            UserRef::Username(name) => !name.is_empty() && !name.chars().any(char::is_control),
        };
        let result = verify_impersonation(&made, &key, epoch, IMPERSONATION_WINDOW);
        if !usable || made.len() > MAX_LEN {
            assert!(result.is_err(), "{made:?}");
            continue;
        }
        assert_eq!(result.map(|v| v.user), Ok(user.clone()), "{made:?}");
        if epoch < i64::MAX - 61 {
            assert_eq!(
                verify_impersonation(&made, &key, epoch + 61, IMPERSONATION_WINDOW),
                Err(ImpersonationRejection::Expired)
            );
        }
    }
});
