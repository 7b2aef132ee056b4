//! The in-process cache that lets a request recognise its caller without a
//! database round trip. Entries are evicted by the change feed (see
//! `invalidation.rs`); the epoch counter stops a load that raced with an
//! eviction from putting stale data back.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use actix_web::http::header::HeaderValue;
use dashmap::DashMap;

use crate::identity::registry::IdentityProviderCache;
use crate::oauth::cache::OAuthCache;
use crate::sessions::authentication::Methods;
use crate::signing::cache::SigningKeyCache;
use crate::store::UserRecord;
use crate::tokens::stored::{KindsEpoch, TokenKindCache};
use crate::users::Role;

/// What the request path needs to know about a user.
#[derive(Debug, Clone)]
pub struct CachedUser {
    pub id: i64,
    pub site_id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: Role,
    pub disabled: bool,
    /// Forward-auth's `X-Tessera-User` (the username percent-encoded: it
    /// may hold any printable character) and `X-Tessera-User-Id`, built
    /// once per cached user rather than per request.
    pub username_header: HeaderValue,
    pub id_header: HeaderValue,
    /// The language the user chose; `None`: as their browser asks.
    pub locale: Option<crate::i18n::Locale>,
}

impl CachedUser {
    pub fn from_record(record: &UserRecord) -> Option<Self> {
        let encoded: String =
            url::form_urlencoded::byte_serialize(record.username.as_bytes()).collect();
        Some(CachedUser {
            username_header: HeaderValue::from_str(&encoded).ok()?,
            id_header: HeaderValue::from(record.id),
            id: record.id,
            site_id: record.site_id,
            username: record.username.clone(),
            display_name: record.display_name.clone(),
            email: record.email.clone(),
            role: record.role.parse().ok()?,
            disabled: record.disabled,
            locale: record
                .locale
                .as_deref()
                .and_then(crate::i18n::Locale::parse),
        })
    }
}

#[derive(Debug, Clone, Copy)]
pub struct CachedSession {
    pub id: i64,
    pub site_id: i64,
    pub user_id: i64,
    pub expires_at: i64,
    /// When the session was last authenticated, and how: what an
    /// authorization request's `max_age` and `acr_values` are checked
    /// against. A re-authentication is announced on the change feed, which
    /// evicts the entry; until then an older, weaker statement of the same
    /// session is seen, never a stronger one.
    pub auth_time: i64,
    pub methods: Methods,
}

/// Hits and misses of one cache, read when `/metrics` is scraped. Relaxed
/// atomics: a count, not a synchronisation point.
#[derive(Debug, Default)]
pub struct HitCount {
    slots: [CountSlot; COUNT_SLOTS],
}

/// Counters per thread slot: every worker thread counts its lookups, and
/// one shared pair would move its cache line between cores on each of them.
#[derive(Debug, Default)]
#[repr(align(128))]
struct CountSlot {
    hits: AtomicU64,
    misses: AtomicU64,
}

const COUNT_SLOTS: usize = 8;

/// This thread's slot, fixed at its first count.
fn count_slot() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed) % COUNT_SLOTS;
    }
    SLOT.with(|slot| *slot)
}

impl HitCount {
    /// Counts the outcome of a lookup and hands it back.
    pub fn count<T>(&self, found: Option<T>) -> Option<T> {
        let slot = &self.slots[count_slot()];
        let counter = if found.is_some() {
            &slot.hits
        } else {
            &slot.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// (hits, misses) so far.
    pub fn read(&self) -> (u64, u64) {
        self.slots.iter().fold((0, 0), |(hits, misses), slot| {
            (
                hits + slot.hits.load(Ordering::Relaxed),
                misses + slot.misses.load(Ordering::Relaxed),
            )
        })
    }
}

/// Beyond this many entries a map is cleared rather than grown: a crude but
/// safe bound, since every entry can be reloaded from the store.
const MAX_ENTRIES: usize = 200_000;

/// The hasher of maps read on every request. Their keys are ids, digests
/// of secrets and host names that Tessera itself stored, none chosen by a
/// caller, so SipHash's resistance to chosen keys buys nothing there and
/// costs more than the rest of the lookup.
pub type FastHash = foldhash::fast::RandomState;

#[derive(Default)]
pub struct AuthCache {
    /// OAuth clients and access tokens.
    pub oauth: Arc<OAuthCache>,
    /// Each site's trusted identity providers, with their keys.
    pub identity: Arc<IdentityProviderCache>,
    /// Browser tokens, server tokens and legacy keys, per site.
    pub token_kinds: Arc<TokenKindCache>,
    /// Each site's signing keys, opened.
    pub signing: Arc<SigningKeyCache>,
    /// By the SHA-256 of the authtoken's secret.
    sessions: DashMap<[u8; 32], CachedSession, FastHash>,
    session_hash_by_id: DashMap<i64, [u8; 32], FastHash>,
    users: DashMap<i64, Arc<CachedUser>, FastHash>,
    epoch: AtomicU64,
    session_lookups: HitCount,
    user_lookups: HitCount,
    /// Forward-auth's answers remembered per worker thread
    /// (`routes::forward_auth::answers`), counted here with the rest.
    pub forward_auth_answers: HitCount,
}

/// Taken before a store read; the read may be cached only if no eviction
/// happened in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epoch(u64);

/// The epochs of the caches a caller is recognised from (sessions and
/// users; server tokens, browser tokens and legacy keys), taken together:
/// a recognition made while they stood still may be reused while they do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epochs {
    auth: Epoch,
    token_kinds: KindsEpoch,
}

impl AuthCache {
    pub fn epoch(&self) -> Epoch {
        Epoch(self.epoch.load(Ordering::Acquire))
    }

    pub fn epochs(&self) -> Epochs {
        Epochs {
            auth: self.epoch(),
            token_kinds: self.token_kinds.epoch(),
        }
    }

    fn bump(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    fn still(&self, epoch: Epoch) -> bool {
        self.epoch.load(Ordering::Acquire) == epoch.0
    }

    pub fn session(&self, token_hash: &[u8; 32]) -> Option<CachedSession> {
        self.session_lookups
            .count(self.sessions.get(token_hash).map(|s| *s))
    }

    /// The cached session with this id, if any (an authorization request
    /// knows its session by id, from the cookie already checked).
    pub fn session_by_id(&self, session_id: i64) -> Option<CachedSession> {
        let hash = *self.session_hash_by_id.get(&session_id)?;
        self.sessions.get(&hash).map(|s| *s)
    }

    pub fn put_session(&self, token_hash: [u8; 32], session: CachedSession, epoch: Epoch) {
        if self.sessions.len() >= MAX_ENTRIES {
            self.sessions.clear();
            self.session_hash_by_id.clear();
        }
        self.session_hash_by_id.insert(session.id, token_hash);
        self.sessions.insert(token_hash, session);
        // An eviction may have run between the check and the insert: undo.
        if !self.still(epoch) {
            self.evict_session(session.id);
        }
    }

    pub fn user(&self, user_id: i64) -> Option<Arc<CachedUser>> {
        self.user_lookups
            .count(self.users.get(&user_id).map(|u| u.clone()))
    }

    pub fn put_user(&self, user: Arc<CachedUser>, epoch: Epoch) {
        if self.users.len() >= MAX_ENTRIES {
            self.users.clear();
        }
        let id = user.id;
        self.users.insert(id, user);
        if !self.still(epoch) {
            self.users.remove(&id);
        }
    }

    pub fn evict_session(&self, session_id: i64) {
        self.bump();
        if let Some((_, hash)) = self.session_hash_by_id.remove(&session_id) {
            self.sessions.remove(&hash);
        }
    }

    /// Drops the user and every session of theirs.
    pub fn evict_user(&self, user_id: i64) {
        self.bump();
        self.users.remove(&user_id);
        self.sessions.retain(|_, s| s.user_id != user_id);
        self.session_hash_by_id
            .retain(|_, hash| self.sessions.contains_key(hash));
    }

    /// Every cache's lookups, by the `cache` label of the metrics.
    pub fn hit_counts(&self) -> [(&'static str, &HitCount); 8] {
        [
            ("forward_auth_answers", &self.forward_auth_answers),
            ("sessions", &self.session_lookups),
            ("users", &self.user_lookups),
            ("oauth_clients", self.oauth.client_lookups()),
            ("consents", self.oauth.consent_lookups()),
            ("token_kinds", self.token_kinds.lookups()),
            ("signing_keys", self.signing.lookups()),
            ("identity_providers", self.identity.lookups()),
        ]
    }

    pub fn clear(&self) {
        self.bump();
        self.sessions.clear();
        self.session_hash_by_id.clear();
        self.users.clear();
        self.oauth.clear();
        self.identity.clear();
        self.token_kinds.clear();
        self.signing.clear();
    }
}
