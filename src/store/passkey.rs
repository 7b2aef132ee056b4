//! Storage of passkeys (WebAuthn credentials) and of the ceremonies in
//! progress that will create or use one (`crate::passkeys`).

use async_trait::async_trait;

use super::StoreResult;

/// A passkey of a user on a site.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PasskeyRecord {
    pub id: i64,
    pub site_id: i64,
    pub user_id: i64,
    /// The WebAuthn user handle (a UUID), the same for all of a user's
    /// passkeys on the site.
    pub user_handle: String,
    /// The credential id, base64url without padding.
    pub credential_id: String,
    pub name: String,
    /// The credential (public key, counter, flags) as webauthn-rs writes it.
    pub credential: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewPasskey {
    pub site_id: i64,
    pub user_id: i64,
    pub user_handle: String,
    pub credential_id: String,
    pub name: String,
    pub credential: String,
    pub created_at: i64,
}

/// A registration or sign-in in progress, stored under the hash of its id.
#[derive(Debug, Clone)]
pub struct NewCeremony {
    pub key_hash: String,
    pub site_id: i64,
    /// `register` or `sign-in`.
    pub purpose: &'static str,
    /// The session a registration belongs to; `None` for a sign-in.
    pub session_id: Option<i64>,
    /// The webauthn-rs state (with the challenge), as JSON.
    pub state: String,
    pub expires_at: i64,
}

/// A ceremony taken back from the store (and so gone from it).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CeremonyRecord {
    pub purpose: String,
    pub session_id: Option<i64>,
    pub state: String,
    pub expires_at: i64,
}

#[async_trait]
pub trait PasskeyStore {
    /// Stores a new passkey; `None` when the site already has a passkey with
    /// that credential id.
    async fn add_passkey(&self, passkey: &NewPasskey) -> StoreResult<Option<i64>>;
    /// A user's passkeys on a site, oldest first.
    async fn list_passkeys(&self, site_id: i64, user_id: i64) -> StoreResult<Vec<PasskeyRecord>>;
    async fn find_passkey(
        &self,
        site_id: i64,
        credential_id: &str,
    ) -> StoreResult<Option<PasskeyRecord>>;
    /// Saves a passkey's credential after a use (its counter moves) and
    /// when it was used.
    async fn record_passkey_use(
        &self,
        site_id: i64,
        id: i64,
        credential: &str,
        now: i64,
    ) -> StoreResult<()>;
    /// Removes one of a user's passkeys; false when there was none.
    async fn remove_passkey(&self, site_id: i64, user_id: i64, id: i64) -> StoreResult<bool>;
    async fn save_ceremony(&self, ceremony: &NewCeremony) -> StoreResult<()>;
    /// Takes a ceremony out of the store: only the first caller gets it.
    async fn take_ceremony(
        &self,
        site_id: i64,
        key_hash: &str,
    ) -> StoreResult<Option<CeremonyRecord>>;
    /// Deletes the ceremonies that expired before `before`.
    async fn purge_ceremonies(&self, before: i64) -> StoreResult<u64>;
}
