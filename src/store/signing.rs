//! Storage of the sites' signing keys and signing settings.
//!
//! Promotions happen in one transaction with conditional updates, and the
//! schema allows one `current` and one `next` key per site, so processes
//! sharing a database cannot disagree on which key signs. Every change to a
//! site's keys appends a `signing-key` change (subject: the site id).

use async_trait::async_trait;

use super::StoreResult;

#[derive(Clone, sqlx::FromRow)]
pub struct SigningKeyRecord {
    pub id: i64,
    pub site_id: i64,
    pub kid: String,
    pub alg: String,
    pub state: String,
    /// Sealed with `crypto::aead`; opened only when the key is cached.
    pub sealed_private_key: String,
    pub public_jwk: String,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub retired_at: Option<i64>,
    pub publish_until: Option<i64>,
}

impl std::fmt::Debug for SigningKeyRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyRecord")
            .field("id", &self.id)
            .field("site_id", &self.site_id)
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct NewSigningKey {
    pub kid: String,
    pub alg: String,
    pub sealed_private_key: String,
    pub public_jwk: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SigningSettingsRecord {
    pub alg: String,
    pub rotation_secs: i64,
}

/// What a rotation found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyChange {
    Rotated,
    /// Another process changed the keys first; nothing was done.
    Lost,
}

#[async_trait]
pub trait SigningKeyStore {
    async fn signing_settings(&self, site_id: i64) -> StoreResult<Option<SigningSettingsRecord>>;
    async fn set_signing_settings(
        &self,
        site_id: i64,
        alg: Option<&str>,
        rotation_secs: Option<i64>,
        now: i64,
    ) -> StoreResult<()>;
    /// The current and next keys and the retired keys still published at `now`.
    async fn list_signing_keys(&self, site_id: i64, now: i64)
    -> StoreResult<Vec<SigningKeyRecord>>;
    /// A site's first keys; `Lost` when it already had a current key.
    async fn install_signing_keys(
        &self,
        site_id: i64,
        current: &NewSigningKey,
        next: &NewSigningKey,
        now: i64,
    ) -> StoreResult<KeyChange>;
    /// Retires `current_id`, promotes `next_id` and installs `new_next`, only
    /// if both are still in those states.
    async fn rotate_signing_keys(
        &self,
        site_id: i64,
        current_id: i64,
        next_id: i64,
        new_next: &NewSigningKey,
        retired_publish_until: i64,
        now: i64,
    ) -> StoreResult<KeyChange>;
    /// Swaps a next key that never signed for another (a new algorithm).
    async fn replace_next_signing_key(
        &self,
        site_id: i64,
        next_id: i64,
        new_next: &NewSigningKey,
        now: i64,
    ) -> StoreResult<KeyChange>;
    /// Deletes retired keys no token signed by them can still need.
    async fn purge_signing_keys(&self, now: i64) -> StoreResult<u64>;
    /// Opts a client into (or out of) JWT access tokens; false when no such client.
    async fn set_client_jwt_access_tokens(
        &self,
        site_id: i64,
        client_pk: i64,
        enabled: bool,
        now: i64,
    ) -> StoreResult<bool>;
    /// Sites that have keys, for the rotation schedule.
    async fn sites_with_signing_keys(&self) -> StoreResult<Vec<i64>>;
}
