//! Requests and answers of the admin service, as plain serde types: the
//! admin API reads and writes them as JSON and the CLI prints them with
//! `--json`. Kept in one place, and described for `/openapi.json` through
//! `utoipa::ToSchema` (the admin API's handlers name them in their
//! `#[utoipa::path]`).

use serde::{Deserialize, Serialize};

/// One page of a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: usize,
    /// The `offset` of the next page, if there is one.
    pub next_offset: Option<usize>,
}

/// Which page of a list: `limit` items from `offset`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Items per page, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<usize>,
    /// Items to skip (default 0): the previous page's `next_offset`.
    pub offset: Option<usize>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SiteView {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub base_url: String,
    pub hosts: Vec<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SiteSettingsView {
    #[serde(flatten)]
    pub site: SiteView,
    /// `closed`, `open` or `token`.
    pub registration_policy: String,
    pub registrable_scopes: Vec<&'static str>,
    pub anonymous_client_credentials: bool,
    /// Whether every authorization request must be pushed first (RFC 9126).
    pub require_pushed_authorization_requests: bool,
    /// Whether DPoP proofs must carry a server nonce (RFC 9449 section 8).
    pub dpop_nonce_required: bool,
    /// `default`, or `fapi2`: the FAPI 2.0 Security Profile is enforced.
    pub security_profile: String,
    /// Whether a `client_id` that is an https URL is resolved by fetching
    /// its Client ID Metadata Document.
    pub client_id_metadata_documents: bool,
    /// Who may create an account: `closed`, `open` or `invite`.
    pub signup_policy: String,
    /// The "From" of the site's messages; the deployment's when null.
    pub email_from: Option<String>,
    /// Whether this deployment can send email (an SMTP relay is set).
    pub email_enabled: bool,
    /// Who must sign in with a second factor: `optional`, `admins` or `everyone`.
    pub second_factor_policy: String,
    /// The language of visitors whose browser asks for none this server
    /// speaks, and of emails to people who chose none: `en` or `de`.
    pub default_locale: String,
    /// Shown on every page instead of `name`, when set.
    pub display_name: Option<String>,
    /// An https URL of the logo shown on every page (the browser loads it).
    pub logo_url: Option<String>,
    /// `#rrggbb`: buttons and the page header; their text is black or
    /// white, whichever reads better on it.
    pub accent_colour: Option<String>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSiteRequest {
    pub slug: String,
    pub base_url: String,
    pub name: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// Site settings to change; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteSettingsRequest {
    /// `closed`, `open` or `token`.
    pub registration_policy: Option<String>,
    /// Space-separated scopes.
    pub registrable_scopes: Option<String>,
    pub anonymous_client_credentials: Option<bool>,
    pub require_pushed_authorization_requests: Option<bool>,
    pub dpop_nonce_required: Option<bool>,
    /// `default` or `fapi2` (the FAPI 2.0 Security Profile).
    pub security_profile: Option<String>,
    /// Resolve URL client ids from their Client ID Metadata Documents.
    pub client_id_metadata_documents: Option<bool>,
    /// `closed`, `open` or `invite`.
    pub signup_policy: Option<String>,
    /// A mailbox such as `Docs <no-reply@docs.example.com>`; an empty
    /// string goes back to the deployment's sender.
    pub email_from: Option<String>,
    /// `optional`, `admins` (required of administrators) or `everyone`.
    pub second_factor_policy: Option<String>,
    /// `en` or `de`.
    pub default_locale: Option<String>,
    /// Up to 100 characters; an empty string goes back to the site's name.
    pub display_name: Option<String>,
    /// An https URL; an empty string removes the logo.
    pub logo_url: Option<String>,
    /// `#rrggbb`; an empty string goes back to the default colours.
    pub accent_colour: Option<String>,
}

/// An invitation to create an account, sent by email.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    pub email: String,
    /// `community` (default), `pro` or `admin`.
    pub role: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub role: String,
    pub disabled: bool,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedUser {
    #[serde(flatten)]
    pub user: UserView,
    /// The generated password, shown once.
    pub password: Option<String>,
}

/// User changes; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChangeRequest {
    pub role: Option<String>,
    pub disabled: Option<bool>,
    /// Setting a password signs the user out everywhere.
    pub password: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
    /// Whether the client must push its authorization requests (RFC 9126);
    /// the site may require it of every client.
    pub require_pushed_authorization_requests: bool,
    /// RFC 9101 10.5: authorization requests only as signed request objects.
    pub require_signed_request_object: bool,
    /// `client_secret_basic` (Basic or form), `client_secret_jwt`,
    /// `private_key_jwt` or `none`.
    pub token_endpoint_auth_method: &'static str,
    /// private_key_jwt: where its keys are fetched, when not given inline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// RP-Initiated Logout: where the browser may go after logout (exact).
    pub post_logout_redirect_uris: Vec<String>,
    /// Back-Channel Logout: where logout tokens are POSTed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    /// Whether its logout tokens must carry `sid`.
    pub backchannel_logout_session_required: bool,
    pub created_at: i64,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
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
    /// RP-Initiated Logout: where the browser may go after logout (exact).
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Back-Channel Logout: where logout tokens are POSTed (https).
    pub backchannel_logout_uri: Option<String>,
    /// Whether its logout tokens must carry `sid`.
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedClient {
    #[serde(flatten)]
    pub client: ClientView,
    /// Shown once; none for public clients.
    pub client_secret: Option<String>,
}

/// Client changes; absent fields stay as they are.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
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
    /// Whether the client must push its authorization requests (RFC 9126).
    pub require_pushed_authorization_requests: Option<bool>,
    /// Whether the client must sign its authorization requests (RFC 9101).
    pub require_signed_request_object: Option<bool>,
    /// private_key_jwt: replaces its public keys (a JWK, a JWK Set or PEM) ...
    pub public_key: Option<String>,
    /// ... or the URL they are fetched from.
    pub jwks_uri: Option<String>,
    /// Replaces the algorithm of an assertion client (`""`: any allowed).
    pub token_endpoint_auth_signing_alg: Option<String>,
    /// Replaces the post-logout redirect URIs (`[]` for none).
    pub post_logout_redirect_uris: Option<Vec<String>>,
    /// Replaces the back-channel logout URI (`""` for none).
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: Option<bool>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ClientSecretView {
    pub client_id: String,
    pub client_secret: String,
}

/// An initial access token to mint (RFC 7591).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRegistrationTokenRequest {
    /// The username of the user who owns the clients registered with the
    /// token; absent, they have no owner.
    pub user: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RegistrationTokenView {
    /// Sent as `Authorization: Bearer …` to `POST /oauth/register`; shown
    /// only this once.
    pub initial_access_token: String,
    /// The owner of the clients registered with it.
    pub user_id: Option<i64>,
    /// The site's registration policy: `closed`, `open` or `token` (the
    /// token is required only under `token`, and useless under `closed`).
    pub registration_policy: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IdentityProviderView {
    pub issuer: String,
    pub audience: String,
    pub jwks_uri: Option<String>,
    pub inline_keys: Option<usize>,
    pub algorithms: Vec<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
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

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SigningKeyView {
    pub kid: String,
    pub alg: String,
    pub state: String,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub publish_until: Option<i64>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RotatedKeysView {
    pub current: String,
    pub retired: String,
    pub next: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LegacyUsageView {
    pub key_id: i64,
    pub current: bool,
    pub kind: String,
    pub client_ip: String,
    pub count: i64,
    pub last_seen: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LegacyView {
    /// `enabled`, `disabled` or `never enabled`.
    pub state: &'static str,
    pub key_id: Option<i64>,
    /// A new key, shown once.
    pub api_key: Option<String>,
    pub usage: Vec<LegacyUsageView>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegacyChangeRequest {
    pub enabled: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: i64,
    pub method: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GrantView {
    pub client_id: String,
    pub client_name: String,
    pub scopes: Vec<&'static str>,
    pub authorized_at: i64,
    pub updated_at: i64,
}

/// Which audit events: all filters are optional and combine.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQueryParams {
    /// Events at or after: unix seconds, `YYYY-MM-DD`, or an age such as
    /// `30m`, `24h`, `7d`.
    pub since: Option<String>,
    /// Events before: same forms as `since`.
    pub until: Option<String>,
    /// Events by or about this username.
    pub user: Option<String>,
    /// Events by or about this client id.
    pub client: Option<String>,
    /// One event kind, e.g. `signin.failed`, `client.created`.
    pub kind: Option<String>,
    /// Events with a smaller id: the previous page's `next_before_id`.
    pub before_id: Option<i64>,
    /// Events per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
}

/// A registered resource (RFC 8707): an API the site's tokens may be for.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ResourceView {
    /// The resource indicator: an absolute URI without fragment, the `aud`
    /// of its tokens.
    pub uri: String,
    /// The scopes a token for it may carry.
    pub scopes: Vec<String>,
    /// `opaque` or `jwt` (RFC 9068).
    pub token_format: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewResourceRequest {
    pub uri: String,
    /// Space-separated scopes a token for it may carry.
    pub scopes: String,
    /// `opaque` (the default) or `jwt`.
    pub token_format: Option<String>,
}
