//! Requests and answers of the admin service, as plain serde types: the
//! admin API reads and writes them as JSON and the CLI prints them with
//! `--json`. Kept in one place so they can be described (OpenAPI) later.

use serde::{Deserialize, Serialize};

/// One page of a list.
#[derive(Debug, Clone, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: usize,
    /// The `offset` of the next page, if there is one.
    pub next_offset: Option<usize>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub limit: Option<usize>,
    pub offset: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SiteView {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub base_url: String,
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SiteSettingsView {
    #[serde(flatten)]
    pub site: SiteView,
    pub registration_policy: String,
    pub registrable_scopes: Vec<&'static str>,
    pub anonymous_client_credentials: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewSiteRequest {
    pub slug: String,
    pub base_url: String,
    pub name: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// Site settings to change; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteSettingsRequest {
    /// `closed`, `open` or `token`.
    pub registration_policy: Option<String>,
    /// Space-separated scopes.
    pub registrable_scopes: Option<String>,
    pub anonymous_client_credentials: Option<bool>,
    pub require_pushed_authorization_requests: Option<bool>,
    pub dpop_nonce_required: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: String,
    pub disabled: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub username: String,
    /// `community` (default), `pro` or `admin`.
    pub role: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
    /// Generated (and returned once) when absent.
    pub password: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: UserView,
    /// The generated password, shown once.
    pub password: Option<String>,
}

/// User changes; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserChangeRequest {
    pub role: Option<String>,
    pub disabled: Option<bool>,
    /// Setting a password signs the user out everywhere.
    pub password: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClientView {
    pub client_id: String,
    pub name: String,
    pub homepage_url: Option<String>,
    /// `confidential` or `public`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub redirect_uris: Vec<String>,
    pub scopes: String,
    pub grant_types: Vec<&'static str>,
    pub owner_user_id: Option<i64>,
    pub registered_anonymously: bool,
    pub granted_permissions: Vec<&'static str>,
    pub introspect: bool,
    pub dpop_bound_access_tokens: bool,
    /// `client_secret_basic` (Basic or form), `client_secret_jwt`,
    /// `private_key_jwt` or `none`.
    pub token_endpoint_auth_method: &'static str,
    /// private_key_jwt: where its keys are fetched, when not given inline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewClientRequest {
    pub name: String,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub public: bool,
    pub scopes: Option<String>,
    pub grant_types: Option<Vec<String>>,
    pub homepage_url: Option<String>,
    #[serde(default)]
    pub jwt_access_tokens: bool,
    #[serde(default)]
    pub dpop_required: bool,
    /// Permissions of an ownerless client's client_credentials tokens.
    pub permissions: Option<String>,
    /// A confidential client's method: `client_secret_basic` (the default),
    /// `client_secret_jwt` or `private_key_jwt`.
    pub token_endpoint_auth_method: Option<String>,
    /// private_key_jwt: its public key (a JWK, a JWK Set or PEM) ...
    pub public_key: Option<String>,
    /// ... or the URL of its JWK Set.
    pub jwks_uri: Option<String>,
    /// The one algorithm its assertions use (optional).
    pub token_endpoint_auth_signing_alg: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CreatedClient {
    #[serde(flatten)]
    pub client: ClientView,
    /// Shown once; none for public clients.
    pub client_secret: Option<String>,
}

/// Client changes; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientChangeRequest {
    pub name: Option<String>,
    pub homepage_url: Option<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub scopes: Option<String>,
    pub grant_types: Option<Vec<String>>,
    pub dpop_required: Option<bool>,
    pub introspect: Option<bool>,
    /// Replaces the granted permissions (`""` for none).
    pub permissions: Option<String>,
    /// private_key_jwt: replaces its public keys (a JWK, a JWK Set or PEM) ...
    pub public_key: Option<String>,
    /// ... or the URL they are fetched from.
    pub jwks_uri: Option<String>,
    /// Replaces the algorithm of an assertion client (`""`: any allowed).
    pub token_endpoint_auth_signing_alg: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ClientSecretView {
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct IdentityProviderView {
    pub issuer: String,
    pub audience: String,
    pub jwks_uri: Option<String>,
    pub inline_keys: Option<usize>,
    pub algorithms: Vec<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewIdentityProviderRequest {
    pub issuer: String,
    pub audience: String,
    /// Exactly one of `jwks_uri` and `jwks` (an inline JWKS document).
    pub jwks_uri: Option<String>,
    pub jwks: Option<serde_json::Value>,
    /// Comma-separated algorithms (default: every asymmetric one).
    pub algorithms: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SigningKeyView {
    pub kid: String,
    pub alg: String,
    pub state: String,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub publish_until: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RotatedKeysView {
    pub current: String,
    pub retired: String,
    pub next: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LegacyUsageView {
    pub key_id: i64,
    pub current: bool,
    pub kind: String,
    pub client_ip: String,
    pub count: i64,
    pub last_seen: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LegacyView {
    /// `enabled`, `disabled` or `never enabled`.
    pub state: &'static str,
    pub key_id: Option<i64>,
    /// A new key, shown once.
    pub api_key: Option<String>,
    pub usage: Vec<LegacyUsageView>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyChangeRequest {
    pub enabled: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    pub id: i64,
    pub method: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct GrantView {
    pub client_id: String,
    pub client_name: String,
    pub scopes: Vec<&'static str>,
    pub authorized_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQueryParams {
    pub since: Option<String>,
    pub until: Option<String>,
    pub user: Option<String>,
    pub client: Option<String>,
    pub kind: Option<String>,
    pub before_id: Option<i64>,
    pub limit: Option<i64>,
}
