//! The throttle's rule, as a pure function of a counter, a policy and the
//! time: the store locks the counter, this decides, the store saves.

use crate::store::ThrottleCounter;

/// The first lock-out after the limit; each further counted attempt doubles it.
pub const BASE_LOCK_SECS: i64 = 60;
/// No lock-out is longer than this.
pub const MAX_LOCK_SECS: i64 = 15 * 60;
/// A counter quiet this long after its last attempt and its last lock-out
/// starts again from zero. The janitor deletes counters older than this.
pub const FORGET_AFTER_SECS: i64 = 15 * 60;

/// How many attempts one key may make before it is locked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub limit: i64,
}

impl Policy {
    pub const fn new(limit: i64) -> Self {
        Self { limit }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The attempt may go ahead; save this counter.
    Allowed(ThrottleCounter),
    /// Locked out for so many more seconds; nothing changes.
    Refused { retry_after: i64 },
}

/// The lock-out after the `over`-th attempt past the limit (0: the attempt
/// that reached it): a minute, doubling, at most fifteen.
pub fn lock_secs(over: i64) -> i64 {
    let shift = u32::try_from(over.clamp(0, 10)).unwrap_or(10);
    (BASE_LOCK_SECS << shift).min(MAX_LOCK_SECS)
}

/// Counts one attempt against `counter`, unless it is locked out. The
/// attempt that reaches the limit is still allowed, and locks the key.
pub fn decide(counter: ThrottleCounter, policy: Policy, now: i64) -> Decision {
    if now < counter.next_at {
        return Decision::Refused {
            retry_after: counter.next_at - now,
        };
    }
    let quiet_since = counter.last_hit_at.max(counter.next_at);
    let hits = if now - quiet_since >= FORGET_AFTER_SECS {
        1
    } else {
        counter.hits + 1
    };
    let next_at = if hits >= policy.limit {
        now + lock_secs(hits - policy.limit)
    } else {
        0
    };
    Decision::Allowed(ThrottleCounter {
        hits,
        last_hit_at: now,
        next_at,
    })
}

/// Gives back one attempt that turned out good (a right password from an
/// address shared with others). A lock-out already set by the others stays.
pub fn refund(counter: ThrottleCounter, policy: Policy) -> ThrottleCounter {
    let hits = (counter.hits - 1).max(0);
    ThrottleCounter {
        hits,
        last_hit_at: counter.last_hit_at,
        next_at: if hits < policy.limit {
            0
        } else {
            counter.next_at
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000;
    const FIVE: Policy = Policy::new(5);

    fn allowed(decision: Decision) -> ThrottleCounter {
        match decision {
            Decision::Allowed(counter) => counter,
            Decision::Refused { retry_after } => panic!("refused for {retry_after} s"),
        }
    }

    #[test]
    fn the_attempt_that_reaches_the_limit_is_allowed_and_locks() {
        let mut counter = ThrottleCounter::default();
        for n in 1..=4 {
            counter = allowed(decide(counter, FIVE, NOW));
            assert_eq!((counter.hits, counter.next_at), (n, 0));
        }
        counter = allowed(decide(counter, FIVE, NOW));
        assert_eq!(counter.hits, 5);
        assert_eq!(counter.next_at, NOW + 60);
        assert_eq!(
            decide(counter, FIVE, NOW + 1),
            Decision::Refused { retry_after: 59 }
        );
    }

    #[test]
    fn a_refusal_changes_nothing_and_the_lock_doubles_per_attempt() {
        let mut counter = ThrottleCounter {
            hits: 5,
            last_hit_at: NOW,
            next_at: NOW + 60,
        };
        let mut at = NOW + 60;
        for expected in [120, 240, 480, 900, 900] {
            counter = allowed(decide(counter, FIVE, at));
            assert_eq!(counter.next_at - at, expected);
            assert_eq!(
                decide(counter, FIVE, at),
                Decision::Refused {
                    retry_after: expected
                }
            );
            at = counter.next_at;
        }
    }

    #[test]
    fn a_quiet_spell_after_the_lock_forgets_the_count() {
        let locked = ThrottleCounter {
            hits: 9,
            last_hit_at: NOW,
            next_at: NOW + MAX_LOCK_SECS,
        };
        // Right when the lock ends the count goes on (no fresh five tries)...
        let counter = allowed(decide(locked, FIVE, NOW + MAX_LOCK_SECS));
        assert_eq!(counter.hits, 10);
        // ...and only a quiet spell after the lock starts it over.
        let later = NOW + MAX_LOCK_SECS + FORGET_AFTER_SECS;
        let counter = allowed(decide(locked, FIVE, later));
        assert_eq!((counter.hits, counter.next_at), (1, 0));
    }

    #[test]
    fn lock_secs_never_overflows() {
        assert_eq!(lock_secs(0), 60);
        assert_eq!(lock_secs(1), 120);
        assert_eq!(lock_secs(i64::MAX), MAX_LOCK_SECS);
        assert_eq!(lock_secs(-3), 60);
    }

    #[test]
    fn a_refund_below_the_limit_lifts_the_lock_and_above_keeps_it() {
        let reached = ThrottleCounter {
            hits: 5,
            last_hit_at: NOW,
            next_at: NOW + 60,
        };
        assert_eq!(
            refund(reached, FIVE),
            ThrottleCounter {
                hits: 4,
                last_hit_at: NOW,
                next_at: 0
            }
        );
        let past = ThrottleCounter { hits: 7, ..reached };
        assert_eq!(refund(past, FIVE).next_at, NOW + 60);
        assert_eq!(refund(ThrottleCounter::default(), FIVE).hits, 0);
    }
}
