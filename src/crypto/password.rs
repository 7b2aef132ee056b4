//! Argon2id for user passwords, always run on the blocking pool.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// A hash of a password nobody knows, verified when the user does not exist
/// so unknown users and wrong passwords cost the same.
static DUMMY_HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Computes the dummy hash up front so the first unknown-user sign-in is not
/// slower than the others.
pub fn dummy_hash() -> &'static str {
    DUMMY_HASH.get_or_init(|| hash_password_blocking(&super::random::hex_128()).unwrap_or_default())
}

fn hasher() -> Argon2<'static> {
    Argon2::default()
}

pub fn hash_password_blocking(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::encode_b64(&super::random::bytes::<16>())
        .map_err(|e| anyhow::anyhow!("salt encoding failed: {e}"))?;
    let hash = hasher()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))?;
    Ok(hash.to_string())
}

/// `None` stands for "no such user": the dummy hash is checked instead.
pub fn verify_password_blocking(stored: Option<&str>, password: &str) -> bool {
    match stored {
        Some(stored) => check(stored, password),
        None => {
            // Same work as a real check; the answer is always no.
            let _ = check(dummy_hash(), password);
            false
        }
    }
}

fn check(stored: &str, password: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

pub async fn hash_password(password: String) -> anyhow::Result<String> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password)).await?
}

pub async fn verify_password(stored: Option<String>, password: String) -> bool {
    tokio::task::spawn_blocking(move || verify_password_blocking(stored.as_deref(), &password))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let hash = hash_password_blocking("correct horse").unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password_blocking(Some(&hash), "correct horse"));
        assert!(!verify_password_blocking(Some(&hash), "wrong horse"));
        assert!(!verify_password_blocking(None, "anything"));
    }
}
