//! Server API tokens: `tkn_{key}_{epoch}_{user}_{sig}` (spec 3.3).
//!
//! `key` names a key/secret pair created by a site admin and never contains
//! `_`; `epoch` is Unix seconds; `user` is everything between the epoch and
//! the last `_`, either a numeric user id or `=` and a percent-encoded
//! username; `sig` is hex HMAC-SHA256 under the secret over
//! `"{key}_{epoch}_{user}"`, exactly as those appear in the token.
//!
//! Verification is two steps so that the store lookup stays outside:
//! [`parse`] the token, look its key up, then [`ParsedServerToken::verify`]
//! with the secret (or `None` when the key is unknown or revoked).

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::crypto::{constant_time_eq, random, sha256_hex};

pub const PREFIX: &str = "tkn_";
/// Generous for a long username, small enough to refuse junk cheaply.
pub const MAX_LEN: usize = 1024;
const MAX_KEY_LEN: usize = 64;
const SIG_HEX_LEN: usize = 64;

/// Characters left as they are when percent-encoding a username: RFC 3986's
/// unreserved set. Everything else, `'` included, is encoded.
const USERNAME_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// How far a signature's epoch may sit from the server clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Oldest accepted: `now - past_secs`.
    pub past_secs: i64,
    /// Newest accepted: `now + future_secs`.
    pub future_secs: i64,
}

impl Window {
    pub const DEFAULT_SECS: i64 = 300;

    pub fn symmetric(secs: i64) -> Self {
        Window {
            past_secs: secs,
            future_secs: secs,
        }
    }
}

impl Default for Window {
    fn default() -> Self {
        Window::symmetric(Self::DEFAULT_SECS)
    }
}

/// The user a server token acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserRef {
    Id(i64),
    Username(String),
}

impl UserRef {
    /// The form that goes into a token: `42` or `=percent-encoded-name`.
    pub fn to_token_form(&self) -> String {
        match self {
            UserRef::Id(id) => id.to_string(),
            UserRef::Username(name) => format!("={}", utf8_percent_encode(name, USERNAME_ENCODE)),
        }
    }

    /// Reads the `user` field of a token.
    pub fn parse(raw: &str) -> Option<UserRef> {
        if let Some(encoded) = raw.strip_prefix('=') {
            let name = percent_decode_str(encoded).decode_utf8().ok()?;
            if name.is_empty() || name.chars().any(char::is_control) {
                return None;
            }
            return Some(UserRef::Username(name.into_owned()));
        }
        if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        raw.parse().ok().map(UserRef::Id)
    }
}

/// Why a server token was refused; the 401 names the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ServerTokenRejection {
    #[error("the server token is malformed")]
    Malformed,
    #[error("the server token's key is unknown")]
    UnknownKey,
    #[error("the server token's signature is invalid")]
    BadSignature,
    #[error("the server token's signature is stale")]
    Stale,
    #[error("the server token's signature is dated in the future")]
    FromTheFuture,
    /// Decided by the caller after the user lookup, never by this module;
    /// here so every 401 reason lives in one enum.
    #[error("the server token names an unknown user")]
    UnknownUser,
}

impl ServerTokenRejection {
    /// A short machine-readable reason for the JSON error body.
    pub fn code(self) -> &'static str {
        match self {
            ServerTokenRejection::Malformed => "malformed",
            ServerTokenRejection::UnknownKey => "unknown_key",
            ServerTokenRejection::BadSignature => "bad_signature",
            ServerTokenRejection::Stale => "stale",
            ServerTokenRejection::FromTheFuture => "from_the_future",
            ServerTokenRejection::UnknownUser => "unknown_user",
        }
    }
}

/// A token split into its fields; nothing is trusted yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedServerToken<'a> {
    pub key: &'a str,
    pub epoch: i64,
    pub user: UserRef,
    /// `"{key}_{epoch}_{user}"` exactly as it appears in the token.
    signed: &'a str,
    sig: [u8; 32],
}

/// A token whose signature and time checked out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedServerToken {
    pub epoch: i64,
    pub user: UserRef,
    sig: [u8; 32],
}

impl VerifiedServerToken {
    /// What the single-use ledger remembers when this token opens a session
    /// on `site_id`: a hash of the signature, never the token. The signature
    /// as bytes, so an upper-cased copy of a used link is the same link.
    pub fn single_use_key(&self, site_id: i64) -> String {
        sha256_hex(format!("sign-in/server/{site_id}/{}", hex::encode(self.sig)).as_bytes())
    }

    /// The last second the token is accepted.
    pub fn valid_until(&self, window: Window) -> i64 {
        self.epoch.saturating_add(window.past_secs)
    }
}

/// Splits a token into its fields. Only the shape is checked here.
pub fn parse(token: &str) -> Result<ParsedServerToken<'_>, ServerTokenRejection> {
    use ServerTokenRejection::Malformed;
    if token.len() > MAX_LEN {
        return Err(Malformed);
    }
    let rest = token.strip_prefix(PREFIX).ok_or(Malformed)?;
    let (signed, sig_hex) = rest.rsplit_once('_').ok_or(Malformed)?;
    let (key, after_key) = signed.split_once('_').ok_or(Malformed)?;
    let (epoch_raw, user_raw) = after_key.split_once('_').ok_or(Malformed)?;
    if !is_valid_key(key) || epoch_raw.is_empty() || !epoch_raw.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(Malformed);
    }
    let epoch: i64 = epoch_raw.parse().map_err(|_| Malformed)?;
    let user = UserRef::parse(user_raw).ok_or(Malformed)?;
    if sig_hex.len() != SIG_HEX_LEN {
        return Err(Malformed);
    }
    // `hex` accepts either case, which the spec asks for.
    let mut sig = [0u8; 32];
    hex::decode_to_slice(sig_hex, &mut sig).map_err(|_| Malformed)?;
    Ok(ParsedServerToken {
        key,
        epoch,
        user,
        signed,
        sig,
    })
}

impl ParsedServerToken<'_> {
    /// Checks the token against its key's secret (`None` when no active key
    /// has this name), then the time window. The signature is checked first
    /// so that "stale" and "from the future" are only ever said about tokens
    /// the key's holder really made.
    pub fn verify(
        &self,
        secret: Option<&ServerTokenSecret>,
        now: i64,
        window: Window,
    ) -> Result<VerifiedServerToken, ServerTokenRejection> {
        let secret = secret.ok_or(ServerTokenRejection::UnknownKey)?;
        let expected = secret.mac(self.signed.as_bytes());
        if !constant_time_eq(&expected, &self.sig) {
            return Err(ServerTokenRejection::BadSignature);
        }
        if self.epoch < now.saturating_sub(window.past_secs) {
            return Err(ServerTokenRejection::Stale);
        }
        if self.epoch > now.saturating_add(window.future_secs) {
            return Err(ServerTokenRejection::FromTheFuture);
        }
        Ok(VerifiedServerToken {
            epoch: self.epoch,
            user: self.user.clone(),
            sig: self.sig,
        })
    }
}

/// Makes a token, as an integration would. Used by tests and admin tooling.
pub fn sign(key: &str, secret: &ServerTokenSecret, epoch: i64, user: &UserRef) -> String {
    let signed = format!("{key}_{epoch}_{}", user.to_token_form());
    let sig = hex::encode(secret.mac(signed.as_bytes()));
    format!("{PREFIX}{signed}_{sig}")
}

/// A server token's secret: shown once at creation, then stored sealed.
/// Kept with its HMAC state keyed once, so a request costs only its own
/// message.
#[derive(Clone)]
pub struct ServerTokenSecret {
    value: String,
    keyed: crate::crypto::HmacSha256,
}

impl ServerTokenSecret {
    pub fn new(value: String) -> Self {
        ServerTokenSecret {
            keyed: crate::crypto::keyed_hmac(value.as_bytes()),
            value,
        }
    }

    pub fn expose(&self) -> &str {
        &self.value
    }

    /// HMAC-SHA256 of `message` under the secret (its text as the key).
    pub fn mac(&self, message: &[u8]) -> [u8; 32] {
        use hmac::Mac;
        let mut mac = self.keyed.clone();
        mac.update(message);
        mac.finalize().into_bytes().into()
    }
}

impl PartialEq for ServerTokenSecret {
    fn eq(&self, other: &Self) -> bool {
        constant_time_eq(self.value.as_bytes(), other.value.as_bytes())
    }
}

impl Eq for ServerTokenSecret {}

impl fmt::Debug for ServerTokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerTokenSecret(<redacted>)")
    }
}

/// A new secret: 256 random bits as 64 lower-case hex characters.
pub fn generate_secret() -> ServerTokenSecret {
    ServerTokenSecret::new(random::hex_256())
}

/// A new public key name: 16 lower-case hex characters (never `_`).
pub fn generate_key() -> String {
    hex::encode(random::bytes::<8>())
}

fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_KEY_LEN
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    const KEY: &str = "8b7e3f0a2c";
    const EPOCH: i64 = 1_700_000_000;
    const ALICE: &str = "tkn_8b7e3f0a2c_1700000000_=alice_c9907e2f2c9054f1e0d6f483dc393a003af0af66510c91e7b9f77d4ff556dd4e";
    const USER_42: &str = "tkn_8b7e3f0a2c_1700000000_42_7aa6673919bc176a758b1b1dd586140a87b0bed936315b05a1ffe97ded469743";
    const JORG: &str = "tkn_8b7e3f0a2c_1700000000_=j%C3%B6rg%20o%27neil_2df17a581daa4f2320e912d614cf4ec61ab9df7e9cade3089944e1a172d58f4c";

    fn secret() -> ServerTokenSecret {
        ServerTokenSecret::new("s3cr3t-0123456789abcdef".into())
    }

    fn check(token: &str, now: i64) -> Result<VerifiedServerToken, ServerTokenRejection> {
        parse(token)?.verify(Some(&secret()), now, Window::default())
    }

    /// An HMAC computed here with the `hmac` crate directly, not via the module.
    fn independent_token(key: &str, epoch: &str, user: &str, secret: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{key}_{epoch}_{user}").as_bytes());
        let sig = hex::encode(mac.finalize().into_bytes());
        format!("tkn_{key}_{epoch}_{user}_{sig}")
    }

    #[test]
    fn the_spec_vectors_verify() {
        let alice = check(ALICE, EPOCH).unwrap();
        assert_eq!(alice.epoch, EPOCH);
        assert_eq!(alice.user, UserRef::Username("alice".into()));
        assert_eq!(check(USER_42, EPOCH).unwrap().user, UserRef::Id(42));
        assert_eq!(
            check(JORG, EPOCH).unwrap().user,
            UserRef::Username("jörg o'neil".into())
        );
    }

    #[test]
    fn signing_reproduces_the_spec_vectors() {
        assert_eq!(
            sign(KEY, &secret(), EPOCH, &UserRef::Username("alice".into())),
            ALICE
        );
        assert_eq!(sign(KEY, &secret(), EPOCH, &UserRef::Id(42)), USER_42);
        assert_eq!(
            sign(
                KEY,
                &secret(),
                EPOCH,
                &UserRef::Username("jörg o'neil".into())
            ),
            JORG
        );
    }

    #[test]
    fn the_single_use_key_is_the_signature_whatever_its_case() {
        let (body, sig) = ALICE.rsplit_once('_').unwrap();
        let upper = format!("{body}_{}", sig.to_ascii_uppercase());
        let a = check(ALICE, EPOCH).unwrap();
        let b = check(&upper, EPOCH).unwrap();
        assert_eq!(a.single_use_key(1), b.single_use_key(1));
        assert_ne!(a.single_use_key(1), a.single_use_key(2));
        assert_ne!(
            a.single_use_key(1),
            check(USER_42, EPOCH).unwrap().single_use_key(1)
        );
        assert!(!a.single_use_key(1).contains(&sig[..16]));
        assert_eq!(a.valid_until(Window::default()), EPOCH + 300);
    }

    #[test]
    fn upper_case_and_mixed_case_hex_signatures_verify() {
        let (body, sig) = ALICE.rsplit_once('_').unwrap();
        let upper = format!("{body}_{}", sig.to_ascii_uppercase());
        assert!(check(&upper, EPOCH).is_ok());
        let mixed: String = sig
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect();
        assert!(check(&format!("{body}_{mixed}"), EPOCH).is_ok());
    }

    #[test]
    fn independently_computed_tokens_verify() {
        let generated = generate_secret();
        for user in [
            "=bob",
            "7",
            "=a_name_with_underscores",
            "=%E2%9C%93",
            "=Mixed%2BCase",
        ] {
            let token = independent_token("k3y", "1700000100", user, generated.expose());
            let verified =
                parse(&token)
                    .unwrap()
                    .verify(Some(&generated), 1_700_000_000, Window::default());
            assert!(verified.is_ok(), "{user}");
        }
    }

    #[test]
    fn the_user_is_signed_exactly_as_it_appears() {
        // `%41` and `A` decode alike but are different signed bytes.
        let token = independent_token(KEY, "1700000000", "=%41lice", secret().expose());
        let verified = check(&token, EPOCH).unwrap();
        assert_eq!(verified.user, UserRef::Username("Alice".into()));
        let swapped = token.replace("=%41lice", "=Alice");
        assert_eq!(
            check(&swapped, EPOCH),
            Err(ServerTokenRejection::BadSignature)
        );
    }

    #[test]
    fn usernames_with_underscores_end_at_the_last_underscore() {
        let token = sign(KEY, &secret(), EPOCH, &UserRef::Username("a_b_c".into()));
        assert!(token.contains("_=a_b_c_"));
        assert_eq!(
            check(&token, EPOCH).unwrap().user,
            UserRef::Username("a_b_c".into())
        );
    }

    #[test]
    fn tampering_with_any_field_breaks_the_signature() {
        let tampered = [
            ALICE.replace("8b7e3f0a2c", "8b7e3f0a2d"),
            ALICE.replace("1700000000", "1700000001"),
            ALICE.replace("=alice", "=alicf"),
            ALICE.replace("=alice", "=bob"),
            USER_42.replace("_42_", "_43_"),
            ALICE.replace("c9907e2f", "c9907e2e"),
        ];
        for token in &tampered {
            let parsed = parse(token).unwrap();
            assert_eq!(
                parsed.verify(Some(&secret()), EPOCH, Window::default()),
                Err(ServerTokenRejection::BadSignature),
                "{token}"
            );
        }
    }

    #[test]
    fn the_wrong_secret_is_a_bad_signature() {
        let other = ServerTokenSecret::new("s3cr3t-0123456789abcdeg".into());
        let parsed = parse(ALICE).unwrap();
        assert_eq!(
            parsed.verify(Some(&other), EPOCH, Window::default()),
            Err(ServerTokenRejection::BadSignature)
        );
    }

    #[test]
    fn an_unknown_key_says_so() {
        let parsed = parse(ALICE).unwrap();
        assert_eq!(parsed.key, KEY);
        assert_eq!(
            parsed.verify(None, EPOCH, Window::default()),
            Err(ServerTokenRejection::UnknownKey)
        );
    }

    #[test]
    fn the_window_is_inclusive_at_both_edges() {
        assert!(check(ALICE, EPOCH + 300).is_ok());
        assert!(check(ALICE, EPOCH - 300).is_ok());
    }

    #[test]
    fn old_signatures_are_stale() {
        assert_eq!(check(ALICE, EPOCH + 301), Err(ServerTokenRejection::Stale));
        assert_eq!(
            check(ALICE, EPOCH + 86_400),
            Err(ServerTokenRejection::Stale)
        );
    }

    #[test]
    fn future_signatures_are_from_the_future() {
        assert_eq!(
            check(ALICE, EPOCH - 301),
            Err(ServerTokenRejection::FromTheFuture)
        );
    }

    #[test]
    fn the_window_is_configurable() {
        let parsed = parse(ALICE).unwrap();
        let narrow = Window {
            past_secs: 10,
            future_secs: 5,
        };
        assert!(parsed.verify(Some(&secret()), EPOCH + 10, narrow).is_ok());
        assert_eq!(
            parsed.verify(Some(&secret()), EPOCH + 11, narrow),
            Err(ServerTokenRejection::Stale)
        );
        assert_eq!(
            parsed.verify(Some(&secret()), EPOCH - 6, narrow),
            Err(ServerTokenRejection::FromTheFuture)
        );
    }

    #[test]
    fn a_forged_old_token_is_a_bad_signature_not_stale() {
        let forged = ALICE.replace("c9907e2f", "00000000");
        assert_eq!(
            check(&forged, EPOCH + 10_000),
            Err(ServerTokenRejection::BadSignature)
        );
    }

    #[test]
    fn malformed_tokens_are_refused_at_parse() {
        let sig = "c9907e2f2c9054f1e0d6f483dc393a003af0af66510c91e7b9f77d4ff556dd4e";
        let bad = [
            String::new(),
            "tkn_".into(),
            format!("tas_8b7e3f0a2c_1700000000_=alice_{sig}"),
            format!("tkn__1700000000_=alice_{sig}"),
            format!("tkn_8b7e3f0a2c__=alice_{sig}"),
            format!("tkn_8b7e3f0a2c_-1700000000_=alice_{sig}"),
            format!("tkn_8b7e3f0a2c_17e8_=alice_{sig}"),
            format!("tkn_8b7e3f0a2c_99999999999999999999_=alice_{sig}"),
            format!("tkn_8b7e3f0a2c_1700000000__{sig}"),
            format!("tkn_8b7e3f0a2c_1700000000_=_{sig}"),
            format!("tkn_8b7e3f0a2c_1700000000_alice_{sig}"),
            format!("tkn_8b7e3f0a2c_1700000000_-42_{sig}"),
            format!("tkn_8b7e3f0a2c_1700000000_=%FF_{sig}"),
            format!("tkn_8b7e3f0a2c_1700000000_=a%0Ab_{sig}"),
            format!("tkn_8b7e3f0a2c_1700000000_=alice_{}", &sig[..62]),
            format!("tkn_8b7e3f0a2c_1700000000_=alice_{}zz", &sig[..62]),
            "tkn_8b7e3f0a2c_1700000000_=alice".into(),
            "tkn_8b7e3f0a2c_1700000000".into(),
            format!("tkn_8b7e.3f0a2c_1700000000_=alice_{sig}"),
            format!("tkn_8b7e3f0a2c_1700000000_={}_{sig}", "a".repeat(MAX_LEN)),
        ];
        for token in &bad {
            assert_eq!(
                parse(token),
                Err(ServerTokenRejection::Malformed),
                "{token}"
            );
        }
    }

    #[test]
    fn user_refs_round_trip_through_the_token_form() {
        for user in [
            UserRef::Id(0),
            UserRef::Id(i64::MAX),
            UserRef::Username("alice".into()),
            UserRef::Username("jörg o'neil".into()),
            UserRef::Username("a=b&c/d%e_f".into()),
        ] {
            assert_eq!(UserRef::parse(&user.to_token_form()), Some(user.clone()));
        }
        assert_eq!(
            UserRef::Username("jörg o'neil".into()).to_token_form(),
            "=j%C3%B6rg%20o%27neil"
        );
    }

    #[test]
    fn generated_keys_and_secrets_have_the_promised_shape() {
        let key = generate_key();
        assert_eq!(key.len(), 16);
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_ne!(key, generate_key());
        let secret = generate_secret();
        assert_eq!(secret.expose().len(), 64);
        assert_ne!(secret, generate_secret());
        let token = sign(&key, &secret, EPOCH, &UserRef::Id(1));
        assert!(
            parse(&token)
                .unwrap()
                .verify(Some(&secret), EPOCH, Window::default())
                .is_ok()
        );
    }

    #[test]
    fn secrets_are_redacted_in_debug_output() {
        assert_eq!(format!("{:?}", secret()), "ServerTokenSecret(<redacted>)");
    }

    #[test]
    fn rejections_have_distinct_codes() {
        use ServerTokenRejection::*;
        let all = [
            Malformed,
            UnknownKey,
            BadSignature,
            Stale,
            FromTheFuture,
            UnknownUser,
        ];
        let codes: std::collections::HashSet<_> = all.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), all.len());
    }
}
