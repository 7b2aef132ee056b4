//! The password policy of self-chosen passwords (sign-up, reset): long
//! enough, not made of the account's own names, not one character over
//! and over. Each rule has a message a person can act on.

use crate::users::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};

/// Fewer different characters than this is a pattern, not a password.
pub const MIN_DISTINCT_CHARS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordProblem {
    #[error("Use at least {MIN_PASSWORD_CHARS} characters.")]
    TooShort,
    #[error("Use at most {MAX_PASSWORD_CHARS} characters.")]
    TooLong,
    #[error("Use at least {MIN_DISTINCT_CHARS} different characters.")]
    TooFewDistinct,
    #[error("Do not use your username in your password.")]
    ContainsUsername,
    #[error("Do not use your email address in your password.")]
    ContainsEmail,
}

impl PasswordProblem {
    /// What to do about it, in the reader's language.
    pub fn message(&self, lang: crate::i18n::Locale) -> String {
        match self {
            PasswordProblem::TooShort => lang.t1("password-too-short", "min", MIN_PASSWORD_CHARS),
            PasswordProblem::TooLong => lang.t1("password-too-long", "max", MAX_PASSWORD_CHARS),
            PasswordProblem::TooFewDistinct => {
                lang.t1("password-too-few-distinct", "min", MIN_DISTINCT_CHARS)
            }
            PasswordProblem::ContainsUsername => lang.t("password-contains-username"),
            PasswordProblem::ContainsEmail => lang.t("password-contains-email"),
        }
    }
}

/// Checks a new password of the account `username` (with `email`).
pub fn check(password: &str, username: &str, email: Option<&str>) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < MIN_DISTINCT_CHARS {
        return Err(PasswordProblem::TooFewDistinct);
    }
    let lower = password.to_lowercase();
    let username = username.trim().to_lowercase();
    if username.chars().count() >= 3 && lower.contains(&username) {
        return Err(PasswordProblem::ContainsUsername);
    }
    if let Some(email) = email {
        let email = email.trim().to_lowercase();
        let local = email.split('@').next().unwrap_or_default();
        if (!email.is_empty() && lower.contains(&email))
            || (local.chars().count() >= 3 && lower.contains(local))
        {
            return Err(PasswordProblem::ContainsEmail);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_rule_has_its_own_refusal() {
        assert_eq!(check("short", "ada", None), Err(PasswordProblem::TooShort));
        assert_eq!(
            check(&"x".repeat(2000), "ada", None),
            Err(PasswordProblem::TooLong)
        );
        assert_eq!(
            check("abababababab", "ada", None),
            Err(PasswordProblem::TooFewDistinct)
        );
        assert_eq!(
            check("my-Lovelace-2024!", "lovelace", None),
            Err(PasswordProblem::ContainsUsername)
        );
        assert_eq!(
            check("countess.ada!2024", "lin", Some("Countess.Ada@example.com")),
            Err(PasswordProblem::ContainsEmail)
        );
        assert_eq!(
            check("correct horse battery", "ada", Some("ada@example.com")),
            Ok(())
        );
    }
}
