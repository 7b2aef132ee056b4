//! Codes this process issued, kept in memory until their first redemption
//! attempt or expiry. A client usually redeems its code within milliseconds,
//! at the process that issued it, so the exchange then reads nothing before
//! it claims the code.
//!
//! This is a copy of immutable data, not the truth about the code: whether it
//! is still unused is decided by the claim in the database, every time. A
//! code redeemed at another process, or presented a second time (its entry
//! is taken by the first attempt), is read from the database as before, and
//! a code whose client or user was deleted fails the claim.

use dashmap::DashMap;

use crate::store::{CodeRecord, NewCode};

/// Entries at most; past it, expired entries are swept, and if the map is
/// still full a code is simply not remembered (the exchange reads it).
const MAX_ENTRIES: usize = 50_000;

#[derive(Default)]
pub struct IssuedCodes {
    /// By the code's hash.
    codes: DashMap<String, CodeRecord>,
}

impl IssuedCodes {
    pub fn remember(&self, code: &NewCode, now: i64) {
        if self.codes.len() >= MAX_ENTRIES {
            self.codes.retain(|_, c| c.expires_at > now);
            if self.codes.len() >= MAX_ENTRIES {
                return;
            }
        }
        self.codes
            .insert(code.code_hash.clone(), CodeRecord::from(code.clone()));
    }

    /// Takes the code issued under `code_hash` on `site_id`, if this process
    /// still holds it. One attempt only: a second one reads the database.
    pub fn take(&self, site_id: i64, code_hash: &str) -> Option<CodeRecord> {
        let (_, code) = self.codes.remove(code_hash)?;
        (code.site_id == site_id).then_some(code)
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.codes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(hash: &str, site_id: i64, expires_at: i64) -> NewCode {
        NewCode {
            site_id,
            code_hash: hash.into(),
            client_pk: 1,
            user_id: 2,
            redirect_uri: "https://app.example/cb".into(),
            scopes: "profile".into(),
            code_challenge: "challenge".into(),
            nonce: None,
            auth_time: None,
            dpop_jkt: None,
            resource: None,
            session_id: None,
            amr: None,
            acr: None,
            created_at: expires_at - 60,
            expires_at,
        }
    }

    #[test]
    fn a_code_is_handed_out_once_and_only_on_its_site() {
        let codes = IssuedCodes::default();
        codes.remember(&code("a", 1, 100), 40);
        codes.remember(&code("b", 1, 100), 40);
        let taken = codes.take(1, "a");
        assert_eq!(taken.map(|c| (c.user_id, c.consumed_at)), Some((2, None)));
        assert!(codes.take(1, "a").is_none());
        assert!(codes.take(2, "b").is_none());
        assert_eq!(codes.len(), 0);
    }

    #[test]
    fn a_full_map_sweeps_expired_codes_first() {
        let codes = IssuedCodes::default();
        for i in 0..MAX_ENTRIES {
            codes.remember(&code(&i.to_string(), 1, 100), 40);
        }
        codes.remember(&code("late", 1, 200), 150);
        assert_eq!(codes.len(), 1);
        assert!(codes.take(1, "late").is_some());
    }
}
