//! Forward-auth's memory of its own answers, one per worker thread.
//!
//! A proxy asks about the same credentials over and over: each request of
//! a signed-in browser carries its authtoken, each call of a backend its
//! server token. A worker that allowed one keeps the caller and the 200's
//! header lines, and answers the next ask from them: the credential's MAC,
//! its session or server token and its user are not looked at again, and
//! the headers are not built again.
//!
//! An answer is used only while its recognition holds (`tokens::Reuse`):
//! the caches it was read from have evicted nothing since, and the
//! credential's time has not run out. Every revocation (of a session, a
//! user, a server token) evicts from those caches, so a revoked credential
//! is refused here exactly when it is refused without this memory. An
//! answer is also tied to the site as the registry serves it now
//! (`Arc::ptr_eq`): a changed site is a new `Arc`.
//!
//! Per thread, so a hit takes no lock and writes nothing that another core
//! reads. Answers are found by a keyed hash of the credential and confirmed
//! by a constant-time comparison of the whole of it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

use actix_web::http::header::{HeaderName, HeaderValue};

use crate::cache::FastHash;
use crate::crypto::constant_time_eq;
use crate::sites::Site;
use crate::state::AppState;
use crate::tokens::{ApiCaller, Reuse};

/// A 200's header lines, beyond those every response carries.
pub type HeaderLines = Vec<(HeaderName, HeaderValue)>;

/// Beyond this many answers a thread's memory starts again: a bound, not
/// an eviction policy; an answer forgotten is only recognised again.
const MAX_ANSWERS: usize = 4096;

thread_local! {
    static ANSWERS: RefCell<Answers> = RefCell::new(Answers::default());
}

#[derive(Default)]
struct Answers {
    /// By `key` of the credential.
    by_credential: HashMap<u64, Answer, FastHash>,
    /// Seeded at random for each thread: what keys are is not predictable.
    key: FastHash,
}

struct Answer {
    credential: Box<str>,
    site: Arc<Site>,
    reuse: Reuse,
    /// When the credential's use was last recorded: a server token's last
    /// use is kept to the second, so once a second is enough.
    recorded: i64,
    caller: ApiCaller,
    lines: HeaderLines,
}

impl Answers {
    fn key(&self, credential: &str) -> u64 {
        self.key.hash_one(credential)
    }
}

/// Answers from memory, through `answer`, when this thread holds an answer
/// for `credential` on `site` that still holds at `now`. A hit counts as a
/// use of the credential, as a recognition would.
pub fn recall<R>(
    state: &AppState,
    site: &Arc<Site>,
    credential: &str,
    now: i64,
    answer: impl FnOnce(&ApiCaller, &HeaderLines) -> R,
) -> Option<R> {
    let found = ANSWERS.with_borrow_mut(|answers| {
        let key = answers.key(credential);
        let entry = answers.by_credential.get_mut(&key)?;
        let same = constant_time_eq(entry.credential.as_bytes(), credential.as_bytes())
            && Arc::ptr_eq(&entry.site, site)
            && entry.reuse.holds(&state.cache, now);
        if !same {
            return None;
        }
        if now > entry.recorded {
            entry.reuse.record_use(state);
            entry.recorded = now;
        }
        Some(answer(&entry.caller, &entry.lines))
    });
    state.cache.forward_auth_answers.count(found)
}

/// Keeps the answer to `credential` on `caller`'s site, just recognised
/// (its use already recorded at `now`).
pub fn remember(credential: &str, caller: ApiCaller, reuse: Reuse, lines: HeaderLines, now: i64) {
    ANSWERS.with_borrow_mut(|answers| {
        if answers.by_credential.len() >= MAX_ANSWERS {
            answers.by_credential.clear();
        }
        let key = answers.key(credential);
        answers.by_credential.insert(
            key,
            Answer {
                credential: credential.into(),
                site: caller.site.clone(),
                reuse,
                recorded: now,
                caller,
                lines,
            },
        );
    });
}

/// A copy of `value` owned by this thread. A header value built once and
/// shared (a cached user's name) is reference-counted: cloning it for every
/// answer would have both cores write the same count.
pub fn thread_owned(value: &HeaderValue) -> HeaderValue {
    HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone())
}
