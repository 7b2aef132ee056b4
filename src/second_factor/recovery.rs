//! Recovery codes: ten random codes, each usable once instead of a TOTP
//! code, shown to the user once and stored only as a hash.
//!
//! Each code carries 80 random bits (16 characters of a 32-letter
//! alphabet), so a fast hash is enough: guessing a code from its hash is a
//! 2^80 search, the same reasoning as for the SHA-256 of OAuth tokens.
//! The site and the user are hashed in with the code, so one search cannot
//! aim at every user's codes at once. A hash keyed with the master key
//! would add nothing against that search and would make every code
//! unusable after `tessera keys rotate-master` (codes cannot be re-hashed
//! without knowing them); argon2 would add seconds of CPU per sign-in to
//! protect what needs no protection from guessing.

use sha2::{Digest, Sha256};

use crate::crypto::random;

/// How many codes a user gets at a time.
pub const RECOVERY_CODE_COUNT: usize = 10;
/// Characters per code, before the dashes that group them for reading.
const CODE_LEN: usize = 16;
/// Lower-case letters and digits without look-alikes (no 0/o, 1/l/i, u).
const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstvwxyz0123456789";

/// One code as shown: four groups of four (`abcd-efgh-jkmn-pqrs`).
pub fn generate() -> String {
    // 32 letters: each random byte's low five bits pick one, uniformly.
    let raw = random::bytes::<CODE_LEN>();
    let letters: Vec<char> = raw
        .iter()
        .map(|b| ALPHABET[usize::from(b & 31)] as char)
        .collect();
    letters
        .chunks(4)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The code a person typed, in the form that is hashed: lower case,
/// without spaces or dashes. `None` when it cannot be a recovery code.
pub fn normalise(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (code.len() == CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// The stored form of a normalised code of this user.
pub fn hash(site_id: i64, user_id: i64, normalised: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(format!("tessera/recovery-code/v1/{site_id}/{user_id}/").as_bytes());
    digest.update(normalised.as_bytes());
    hex::encode(digest.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_code_reads_back_in_any_case_and_spacing() {
        let code = generate();
        assert_eq!(code.len(), CODE_LEN + 3);
        let normalised = normalise(&code).unwrap();
        assert_eq!(
            normalise(&code.to_uppercase().replace('-', " ")),
            Some(normalised.clone())
        );
        assert_ne!(generate(), code, "codes are random");
        assert_ne!(
            hash(1, 2, &normalised),
            hash(1, 3, &normalised),
            "bound to the user"
        );
        assert_eq!(hash(1, 2, &normalised), hash(1, 2, &normalised));
    }

    #[test]
    fn what_cannot_be_a_code_is_not_one() {
        assert_eq!(normalise("123456"), None);
        assert_eq!(normalise("abcd-efgh-jkmn-pqr0-x"), None);
        assert_eq!(
            normalise("abcd-efgh-jkmn-pqri"),
            None,
            "i is not in the alphabet"
        );
    }
}
