//! Server API tokens `tkn_{key}_{epoch}_{user}_{sig}` (`tokens::server`):
//! parsing any `X-Deki-Token` value, checking it, and the signer's output
//! parsing back to what was signed.
//!
//! Input: the token as sent.

#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera::tokens::server::{self, ServerTokenRejection, ServerTokenSecret, UserRef, Window};
use tessera_fuzz::NOW;

fuzz_target!(|token: &str| {
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
});
