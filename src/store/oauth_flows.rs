//! Storage of the device grant (RFC 8628), pushed authorization requests
//! (RFC 9126) and dynamic client registration (RFC 7591/7592).

use async_trait::async_trait;

use super::{NewGrant, NewToken, StoreResult, TokenIds};

#[derive(Debug, Clone)]
pub struct NewDeviceCode {
    pub site_id: i64,
    pub device_code_hash: String,
    pub user_code_hash: String,
    pub client_pk: i64,
    pub scopes: String,
    /// RFC 8707: the registered resource the tokens will be for; `None`:
    /// the site's own API.
    pub resource: Option<String>,
    pub interval_secs: i64,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceCodeRecord {
    pub id: i64,
    pub site_id: i64,
    pub client_pk: i64,
    pub client_id: String,
    pub scopes: String,
    /// `pending`, `approved`, `denied` or `redeemed`.
    pub status: String,
    pub user_id: Option<i64>,
    pub interval_secs: i64,
    pub last_polled_at: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    /// RFC 8707: the resource the request named.
    pub resource: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewPushedRequest {
    pub site_id: i64,
    pub request_uri_hash: String,
    pub client_pk: i64,
    pub parameters: String,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PushedRequestRecord {
    pub id: i64,
    pub client_pk: i64,
    pub parameters: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// The registration access token of a dynamically registered client.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientRegistrationRecord {
    pub client_pk: i64,
    pub token_hash: String,
    pub token_endpoint_auth_method: String,
}

#[async_trait]
pub trait DeviceCodeStore {
    /// `Conflict` when the user code is taken on the site.
    async fn create_device_code(&self, code: &NewDeviceCode) -> StoreResult<()>;
    async fn find_device_code(
        &self,
        site_id: i64,
        device_code_hash: &str,
    ) -> StoreResult<Option<DeviceCodeRecord>>;
    async fn find_device_code_by_user_code(
        &self,
        site_id: i64,
        user_code_hash: &str,
    ) -> StoreResult<Option<DeviceCodeRecord>>;
    /// Approves or denies a pending, unexpired code; false when it was not.
    async fn decide_device_code(
        &self,
        site_id: i64,
        id: i64,
        user_id: i64,
        approve: bool,
        now: i64,
    ) -> StoreResult<bool>;
    async fn record_device_poll(
        &self,
        site_id: i64,
        id: i64,
        interval_secs: i64,
        now: i64,
    ) -> StoreResult<()>;
    /// Marks an approved code redeemed and stores its grant and tokens, in
    /// one transaction; `None` when it was redeemed already.
    async fn redeem_device_code(
        &self,
        id: i64,
        grant: &NewGrant,
        tokens: &[NewToken],
    ) -> StoreResult<Option<(i64, TokenIds)>>;
}

#[async_trait]
pub trait PushedRequestStore {
    /// Deletes device codes and pushed requests that expired before `before`.
    async fn purge_oauth_flows(&self, before: i64) -> StoreResult<u64>;
    async fn create_pushed_request(&self, request: &NewPushedRequest) -> StoreResult<()>;
    async fn find_pushed_request(
        &self,
        site_id: i64,
        request_uri_hash: &str,
    ) -> StoreResult<Option<PushedRequestRecord>>;
    /// Marks an unused, unexpired request used and returns it; `None` otherwise.
    async fn consume_pushed_request(
        &self,
        site_id: i64,
        request_uri_hash: &str,
        now: i64,
    ) -> StoreResult<Option<PushedRequestRecord>>;
    async fn site_par_required(&self, site_id: i64) -> StoreResult<bool>;
    /// Whether the site, and whether the client, require pushed requests.
    async fn par_required(&self, site_id: i64, client_pk: i64) -> StoreResult<(bool, bool)>;
    /// Sets the site's setting, with a change-feed entry (sites are cached).
    async fn set_site_par_required(
        &self,
        site_id: i64,
        required: bool,
        now: i64,
    ) -> StoreResult<bool>;
    /// Sets the client's setting, with a change-feed entry (clients are cached).
    async fn set_client_par_required(
        &self,
        site_id: i64,
        client_pk: i64,
        required: bool,
        now: i64,
    ) -> StoreResult<bool>;
    /// The clients of the site that must push their authorization requests.
    async fn par_required_clients(&self, site_id: i64) -> StoreResult<Vec<i64>>;
    /// RFC 9449: whether DPoP proofs on the site must carry a server nonce.
    /// Announced on the change feed, since every process keeps the site.
    async fn set_site_dpop_nonce_required(
        &self,
        site_id: i64,
        required: bool,
        now: i64,
    ) -> StoreResult<bool>;
    /// The site's security profile (`oauth::fapi`), announced on the
    /// change feed like the other settings every process keeps.
    async fn set_site_security_profile(
        &self,
        site_id: i64,
        profile: &str,
        now: i64,
    ) -> StoreResult<bool>;
    /// RFC 9449: whether the client's token requests must carry a proof.
    async fn set_client_dpop_required(
        &self,
        site_id: i64,
        client_pk: i64,
        required: bool,
        now: i64,
    ) -> StoreResult<bool>;
    /// RFC 9101 10.5: whether the client must sign its request objects.
    async fn set_client_signed_request_required(
        &self,
        site_id: i64,
        client_pk: i64,
        required: bool,
        now: i64,
    ) -> StoreResult<bool>;
}

#[async_trait]
pub trait RegistrationStore {
    /// `closed`, `open` or `token`.
    async fn registration_policy(&self, site_id: i64) -> StoreResult<String>;
    async fn set_registration_policy(&self, site_id: i64, policy: &str) -> StoreResult<bool>;
    async fn create_initial_access_token(
        &self,
        site_id: i64,
        token_hash: &str,
        user_id: Option<i64>,
        now: i64,
    ) -> StoreResult<()>;
    /// The token's row id and the user it was minted for, if it exists.
    async fn find_initial_access_token(
        &self,
        site_id: i64,
        token_hash: &str,
    ) -> StoreResult<Option<(i64, Option<i64>)>>;
    async fn save_client_registration(
        &self,
        site_id: i64,
        client_pk: i64,
        token_hash: &str,
        token_endpoint_auth_method: &str,
        now: i64,
    ) -> StoreResult<()>;
    async fn find_client_registration(
        &self,
        site_id: i64,
        client_pk: i64,
    ) -> StoreResult<Option<ClientRegistrationRecord>>;
}
