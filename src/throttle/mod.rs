//! Throttles for guessable secrets: passwords at sign-in, user codes on
//! `/device`, client secrets at the token endpoint, and the registration
//! endpoint. Counters live in the shared store (`throttle_counters`), so
//! every process counts the same attempts and nothing grows in memory.
//!
//! Each attempt is counted *before* the expensive or revealing work (the
//! password hash, the code lookup): the store locks the attempt's counters
//! in one write transaction and `decision::decide` says whether it may go
//! ahead. With a limit of five, forty parallel attempts on four processes
//! get exactly five through. After the limit a key is locked out for a
//! minute, doubling with each further attempt up to fifteen minutes.

pub mod decision;
mod keys;

pub use decision::{Decision, Policy};
pub use keys::{ThrottleKey, address_key};

use crate::store::{SharedStore, StoreResult, ThrottleCounter};

/// What counting an attempt said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Allowed,
    /// Some key is locked out for so many more seconds; nothing was counted.
    Refused {
        retry_after: i64,
    },
}

/// The decisions for one attempt against several keys: allowed only if
/// every key allows it, and then every key counts it.
fn decide_all(
    keys: &[ThrottleKey],
    counters: &[ThrottleCounter],
    now: i64,
) -> Result<Vec<ThrottleCounter>, i64> {
    let mut refused = None;
    let mut after = Vec::with_capacity(keys.len());
    for (key, counter) in keys.iter().zip(counters) {
        match decision::decide(*counter, key.policy(), now) {
            Decision::Allowed(next) => after.push(next),
            Decision::Refused { retry_after } => {
                refused = Some(refused.unwrap_or(0).max(retry_after));
            }
        }
    }
    refused.map_or(Ok(after), Err)
}

#[derive(Clone)]
pub struct Throttle {
    store: SharedStore,
}

impl Throttle {
    pub fn new(store: SharedStore) -> Self {
        Self { store }
    }

    /// Counts one attempt against every key, atomically across processes.
    pub async fn attempt(&self, keys: &[ThrottleKey], now: i64) -> StoreResult<Attempt> {
        let texts: Vec<String> = keys.iter().map(|k| k.as_str().to_string()).collect();
        let update = |counters: &[ThrottleCounter]| decide_all(keys, counters, now).ok();
        let before = self.store.update_throttle_counters(&texts, &update).await?;
        Ok(match decide_all(keys, &before, now) {
            Ok(_) => Attempt::Allowed,
            Err(retry_after) => Attempt::Refused { retry_after },
        })
    }

    /// After an attempt that proved good: forgets the `clear` keys (the
    /// account), and gives back the attempt to the `refund` keys (the
    /// address, which others may share).
    pub async fn succeeded(
        &self,
        clear: &[ThrottleKey],
        refund: &[ThrottleKey],
    ) -> StoreResult<()> {
        let keys: Vec<&ThrottleKey> = clear.iter().chain(refund).collect();
        let texts: Vec<String> = keys.iter().map(|k| k.as_str().to_string()).collect();
        let update = |counters: &[ThrottleCounter]| {
            Some(
                keys.iter()
                    .zip(counters)
                    .enumerate()
                    .map(|(i, (key, counter))| {
                        if i < clear.len() {
                            ThrottleCounter::default()
                        } else {
                            decision::refund(*counter, key.policy())
                        }
                    })
                    .collect(),
            )
        };
        self.store.update_throttle_counters(&texts, &update).await?;
        Ok(())
    }
}
