//! The OAuth capabilities of the store: clients, consent, and the codes,
//! grants and tokens of the token endpoint.

use async_trait::async_trait;

use super::{
    AuthorizationRecord, ClientChanges, ClientKeyColumns, ClientRecord, CodeClaim, CodeRecord,
    Committed, NewClient, NewToken, PendingWrite, Redeemed, RevokedAccess, Rotation, StoreResult,
    TokenIds, TokenRecord,
};

#[async_trait]
pub trait ClientStore {
    async fn create_client(&self, client: &NewClient) -> StoreResult<ClientRecord>;
    /// Client ids are unique across sites; the site is checked as well.
    async fn find_client(&self, site_id: i64, client_id: &str)
    -> StoreResult<Option<ClientRecord>>;
    /// A client by its row id.
    async fn find_client_by_pk(&self, site_id: i64, pk: i64) -> StoreResult<Option<ClientRecord>>;
    /// Every client of the site, or only those `owner` registered.
    async fn list_clients(
        &self,
        site_id: i64,
        owner: Option<i64>,
    ) -> StoreResult<Vec<ClientRecord>>;
    async fn update_client(
        &self,
        site_id: i64,
        client_pk: i64,
        changes: &ClientChanges,
        now: i64,
    ) -> StoreResult<Option<ClientRecord>>;
    async fn set_client_secret(
        &self,
        site_id: i64,
        client_pk: i64,
        secret_hash: &str,
        sealed_secret: Option<&str>,
        now: i64,
    ) -> StoreResult<bool>;
    /// Replaces the keys (JWK Set or its URL) and the signing algorithm of
    /// a private_key_jwt client; false when there is no such client.
    async fn set_client_keys(
        &self,
        site_id: i64,
        client_pk: i64,
        keys: &ClientKeyColumns,
        now: i64,
    ) -> StoreResult<bool>;
    /// Deletes the client with its consents, codes, grants and tokens.
    async fn delete_client(&self, site_id: i64, client_pk: i64, now: i64) -> StoreResult<bool>;
}

#[async_trait]
pub trait ConsentStore {
    /// The scopes the user granted the client, space separated.
    async fn find_consent(
        &self,
        site_id: i64,
        user_id: i64,
        client_pk: i64,
    ) -> StoreResult<Option<String>>;
    /// Creates or replaces the remembered consent.
    async fn save_consent(
        &self,
        site_id: i64,
        user_id: i64,
        client_pk: i64,
        scopes: &str,
        now: i64,
    ) -> StoreResult<()>;
    async fn list_authorizations(
        &self,
        site_id: i64,
        user_id: i64,
    ) -> StoreResult<Vec<AuthorizationRecord>>;
    /// Deletes the consent and revokes every grant (and token) the user gave
    /// the client. Returns the revoked grant ids, or `None` when there was
    /// nothing to revoke.
    async fn revoke_authorization(
        &self,
        site_id: i64,
        user_id: i64,
        client_pk: i64,
        now: i64,
    ) -> StoreResult<Option<Vec<i64>>>;
}

#[async_trait]
pub trait GrantStore {
    /// Inserts a batch of new codes, tokens and DPoP proof uses, durably,
    /// with one statement per table (the rows of a batch need not commit
    /// together); one answer per write, in order. Proof uses go first, and
    /// a token whose proof was used before is not stored.
    async fn commit_writes(&self, writes: &[PendingWrite]) -> StoreResult<Vec<Committed>>;
    /// Stores tokens of an existing grant (a refresh within the grace window).
    async fn insert_tokens_of_grant(&self, tokens: &[NewToken]) -> StoreResult<TokenIds>;
    async fn find_code(&self, site_id: i64, code_hash: &str) -> StoreResult<Option<CodeRecord>>;
    /// Claims each unused code (`consumed_at IS NULL`) and creates its grant
    /// and tokens, each claim atomically; one result per claim, in order,
    /// `None` for a code used before or gone. A batch is one statement on
    /// Postgres and one transaction on SQLite.
    async fn claim_codes(&self, claims: &[CodeClaim]) -> StoreResult<Vec<Option<Redeemed>>>;
    /// Spends an unused code without redeeming it (a failed redemption
    /// attempt); false when it was used or spent already.
    async fn burn_code(&self, site_id: i64, code_hash: &str, now: i64) -> StoreResult<bool>;
    /// A used code came back: revokes the grant its first use created.
    /// Returns that grant when this call revoked it.
    async fn revoke_reused_code(
        &self,
        site_id: i64,
        code_hash: &str,
        now: i64,
    ) -> StoreResult<Option<i64>>;
    async fn find_token(&self, site_id: i64, token_hash: &str) -> StoreResult<Option<TokenRecord>>;
    /// Marks the refresh token rotated and stores its successors, in one
    /// transaction, unless it was rotated already.
    async fn rotate_refresh_token(
        &self,
        site_id: i64,
        token_id: i64,
        successors: &[NewToken],
        now: i64,
    ) -> StoreResult<Rotation>;
    /// Revokes a grant and every token of it; false when it was already revoked.
    async fn revoke_grant(&self, site_id: i64, grant_id: i64, now: i64) -> StoreResult<bool>;
    /// Revokes one token; false when it was already revoked.
    async fn revoke_token(&self, site_id: i64, token_id: i64, now: i64) -> StoreResult<bool>;
    /// Records one access token (by its id) as revoked, with a change-feed
    /// entry; false when it was already.
    async fn revoke_access_token(
        &self,
        site_id: i64,
        token_id: i64,
        expires_at: i64,
        now: i64,
    ) -> StoreResult<bool>;
    /// The access tokens and grants revoked at or after `since`.
    async fn revoked_access(&self, since: i64) -> StoreResult<RevokedAccess>;
    /// Deletes codes, tokens and grants that expired or were revoked before `before`.
    async fn purge_oauth(&self, before: i64) -> StoreResult<u64>;
}
