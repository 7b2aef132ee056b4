//! Storage capabilities that guard secrets rather than hold domain data:
//! the single-use ledger (sign-in links) and the re-sealing of every value
//! encrypted at rest under the master key (`tessera keys rotate-master`).

use async_trait::async_trait;

use super::StoreResult;

/// Remembers credentials that may be used once, in the shared store, so two
/// processes on one database refuse the same replay.
#[async_trait]
pub trait OneTimeStore {
    /// Records the first use of `key` (a hash, never the credential itself),
    /// remembered until `expires_at`. True for the first use; false when the
    /// key was used before and has not expired (an expired entry is replaced).
    async fn use_once(&self, key: &str, expires_at: i64, now: i64) -> StoreResult<bool>;
    /// Forgets the entries that expired before `before`.
    async fn purge_used_once(&self, before: i64) -> StoreResult<u64>;
}

/// Where a sealed value lives: its table, the row and the site it is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SealedColumn {
    ServerTokenSecret,
    LegacyKey,
    SigningPrivateKey,
    /// The secret of a client_secret_jwt client (migration 0016).
    ClientSecret,
    /// A user's TOTP secret (migration 0023); the row is the user's id.
    TotpSecret,
    /// The client secret held at an upstream OpenID provider (migration 0027).
    UpstreamClientSecret,
}

impl SealedColumn {
    pub fn describe(self) -> &'static str {
        match self {
            SealedColumn::ServerTokenSecret => "server-token secret",
            SealedColumn::LegacyKey => "legacy site API key",
            SealedColumn::SigningPrivateKey => "signing private key",
            SealedColumn::ClientSecret => "client secret (client_secret_jwt)",
            SealedColumn::TotpSecret => "TOTP secret",
            SealedColumn::UpstreamClientSecret => "upstream provider client secret",
        }
    }
}

/// One value sealed with `crypto::aead`.
#[derive(Clone)]
pub struct SealedValue {
    pub column: SealedColumn,
    pub row_id: i64,
    pub site_id: i64,
    pub sealed: String,
}

impl std::fmt::Debug for SealedValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedValue")
            .field("column", &self.column)
            .field("row_id", &self.row_id)
            .field("site_id", &self.site_id)
            .finish_non_exhaustive()
    }
}

#[async_trait]
pub trait SealedValueStore {
    /// Every value sealed at rest, of every site.
    async fn list_sealed_values(&self) -> StoreResult<Vec<SealedValue>>;
    /// Replaces sealed values in one transaction: all or none. Each row must
    /// still hold the value it was read with, so a value changed meanwhile
    /// (a key rotated by a running server) fails the whole rotation: false.
    async fn replace_sealed_values(&self, changes: &[Reseal], now: i64) -> StoreResult<bool>;
}

/// A sealed value and what replaces it.
#[derive(Debug, Clone)]
pub struct Reseal {
    pub old: SealedValue,
    pub new_sealed: String,
}
