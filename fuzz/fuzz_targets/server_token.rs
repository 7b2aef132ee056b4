//! The signed tokens of `X-Deki-Token` and the legacy API: server API
//! tokens `tkn_{key}_{epoch}_{user}_{sig}` (`tokens::server`) and
//! impersonation tokens `imp_{epoch}_{md5hex}_{user}` (`tokens::legacy`).
//! Both parsers see every input. Checked: parsing and verifying any value,
//! and tokens made for a user verifying as that same user (a numeric id
//! never read as a name, nor the reverse), inside their window only.
//!
//! Input: the token as sent.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::tokens::legacy::{
    IMPERSONATION_PREFIX, IMPERSONATION_WINDOW, ImpersonatedUser, ImpersonationRejection,
    SiteApiKey, impersonation_token, verify_impersonation,
};
use tessera::tokens::server::{self, ServerTokenRejection, ServerTokenSecret, UserRef, Window};
use tessera_fuzz::NOW;

/// Longer impersonation tokens are refused before any parsing.
const IMPERSONATION_MAX_LEN: usize = 512;

fn server_token(token: &str) {
    let secret = ServerTokenSecret::new("fuzz-secret-0123456789abcdef".into());
    let _ = UserRef::parse(token);
    let Ok(parsed) = server::parse(token) else {
        return;
    };
    assert!(token.len() <= server::MAX_LEN);
    assert!(token.starts_with(&format!("{}{}_", server::PREFIX, parsed.key)));
    assert!(!parsed.key.is_empty() && !parsed.key.contains('_'));
    assert!(parsed.epoch >= 0);
    // The user's token form reads back as the same user.
    let form = parsed.user.to_token_form();
    assert_eq!(
        UserRef::parse(&form).as_ref(),
        Some(&parsed.user),
        "{form:?}"
    );
    if let UserRef::Username(name) = &parsed.user {
        assert!(!name.is_empty() && !name.chars().any(char::is_control));
    }

    // An unknown key is said to be unknown, whatever else is wrong.
    assert_eq!(
        parsed.verify(None, NOW, Window::default()),
        Err(ServerTokenRejection::UnknownKey)
    );
    let resigned = server::sign(parsed.key, &secret, parsed.epoch, &parsed.user);

    // What the signer makes from these fields parses back to them and
    // verifies inside the window, and only there.
    if resigned.len() <= server::MAX_LEN {
        let again = server::parse(&resigned).unwrap();
        assert_eq!(
            (again.key, again.epoch, &again.user),
            (parsed.key, parsed.epoch, &parsed.user)
        );
        let verified = again
            .verify(Some(&secret), parsed.epoch, Window::default())
            .unwrap();
        assert_eq!(verified.user, parsed.user);
        let late = parsed.epoch.saturating_add(Window::DEFAULT_SECS + 1);
        if late > parsed.epoch.saturating_add(Window::DEFAULT_SECS) {
            assert_eq!(
                again.verify(Some(&secret), late, Window::default()),
                Err(ServerTokenRejection::Stale)
            );
        }
    }
}

fn impersonation(token: &str) {
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
            assert!(
                token.starts_with(IMPERSONATION_PREFIX) && token.len() <= IMPERSONATION_MAX_LEN
            );
        }
    }

    // Whatever follows the prefix, as a user: a token made for that user
    // at any epoch verifies as that user, then, and expires after.
    let Some(rest) = token.strip_prefix(IMPERSONATION_PREFIX) else {
        return;
    };
    let (epoch, name) = rest.split_once('_').unwrap_or(("0", rest));
    let epoch = epoch.parse::<i64>().ok().filter(|e| *e >= 0).unwrap_or(NOW);
    let mut users = vec![ImpersonatedUser::Username(name.to_owned())];
    if let Ok(id) = name.parse::<i64>() {
        users.push(ImpersonatedUser::Id(id));
    }
    for user in users {
        let made = impersonation_token(&key, epoch, &user);
        // A token made for a user verifies, if at all, as that same user
        // (never as the other reading of an all-digit name), and only
        // within its 60 seconds.
        if let Ok(verified) = verify_impersonation(&made, &key, epoch, IMPERSONATION_WINDOW) {
            assert_eq!(verified.user, user, "{made:?}");
            if epoch < i64::MAX - 61 {
                assert_eq!(
                    verify_impersonation(&made, &key, epoch + 61, IMPERSONATION_WINDOW),
                    Err(ImpersonationRejection::Expired)
                );
            }
        }
    }
}

fuzz_target!(|token: &str| {
    server_token(token);
    impersonation(token);
});
