//! Authorization server metadata (RFC 8414), built from the same constants
//! and types that enforce behaviour, so it cannot advertise what is not done.

use serde::Serialize;

use super::client_auth::ASSERTION_ALG_NAMES;
use super::clients::GrantType;
use super::dpop;
use super::grants::token_exchange;
use super::request_object::REQUEST_OBJECT_ALG_NAMES;
use super::response::RESPONSE_MODE_NAMES;
use super::scopes::Scope;
use crate::sites::Site;

/// Client authentication methods the token endpoint accepts (also PAR and
/// device authorization: `oauth::client_authentication` serves them all).
pub const TOKEN_AUTH_METHODS: [&str; 5] = [
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
    "none",
];
/// Revocation accepts public clients (`none`) too; introspection does not.
pub const INTROSPECTION_AUTH_METHODS: [&str; 4] = [
    "client_secret_basic",
    "client_secret_post",
    "client_secret_jwt",
    "private_key_jwt",
];

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Metadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub revocation_endpoint: String,
    pub introspection_endpoint: String,
    /// RFC 8628.
    pub device_authorization_endpoint: String,
    /// RFC 9126, and whether the site refuses requests not pushed.
    pub pushed_authorization_request_endpoint: String,
    pub require_pushed_authorization_requests: bool,
    /// RFC 7591: only while the site's registration policy is not closed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_endpoint: Option<String>,
    pub response_types_supported: [&'static str; 1],
    /// `query`, `form_post` and the JARM modes (`response.rs`).
    pub response_modes_supported: [&'static str; 5],
    /// JARM: the algorithms of the site's current and next signing keys
    /// (the response is signed with the current one, as ID tokens are).
    pub authorization_signing_alg_values_supported: Vec<&'static str>,
    /// RFC 9101: request objects by value (`request`), signed with a key
    /// the client registered; `request_uri` only as PAR issues it, never
    /// fetched from elsewhere, hence `false`.
    pub request_parameter_supported: bool,
    pub request_uri_parameter_supported: bool,
    pub request_object_signing_alg_values_supported: Vec<&'static str>,
    pub grant_types_supported: Vec<&'static str>,
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_methods_supported: Vec<&'static str>,
    pub introspection_endpoint_auth_methods_supported: Vec<&'static str>,
    /// The algorithms of client assertions (private_key_jwt and
    /// client_secret_jwt), at every endpoint that authenticates clients.
    pub token_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    pub revocation_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    pub introspection_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    pub code_challenge_methods_supported: [&'static str; 1],
    pub scopes_supported: Vec<&'static str>,
    pub authorization_response_iss_parameter_supported: bool,
    /// RFC 9449 section 5.1: the algorithms DPoP proofs are checked with.
    pub dpop_signing_alg_values_supported: Vec<&'static str>,
    pub service_documentation: String,
    /// RFC 9728 section 4: the resources tokens are issued for (RFC 8707
    /// `resource`): the site's own API, then each registered resource.
    pub protected_resources: Vec<String>,
    /// draft-ietf-oauth-client-id-metadata-document: whether a URL
    /// `client_id` is resolved by fetching its document (a site setting).
    pub client_id_metadata_document_supported: bool,
}

pub fn metadata(site: &Site) -> Metadata {
    Metadata {
        issuer: site.issuer.clone(),
        authorization_endpoint: site.url("/oauth/authorize"),
        token_endpoint: site.url("/oauth/token"),
        revocation_endpoint: site.url("/oauth/revoke"),
        introspection_endpoint: site.url("/oauth/introspect"),
        device_authorization_endpoint: site.url("/oauth/device_authorization"),
        pushed_authorization_request_endpoint: site.url("/oauth/par"),
        // The site's settings are filled in by `OAuth::server_metadata`.
        require_pushed_authorization_requests: false,
        registration_endpoint: None,
        response_types_supported: ["code"],
        response_modes_supported: RESPONSE_MODE_NAMES,
        // Filled in by `OAuth::server_metadata` from the site's keys.
        authorization_signing_alg_values_supported: Vec::new(),
        request_parameter_supported: true,
        request_uri_parameter_supported: false,
        request_object_signing_alg_values_supported: REQUEST_OBJECT_ALG_NAMES.to_vec(),
        // Token exchange is open to every site (a site without identity
        // providers refuses each token with `invalid_grant`).
        grant_types_supported: GrantType::ALL
            .iter()
            .map(|g| g.as_str())
            .chain([token_exchange::GRANT_TYPE])
            .collect(),
        token_endpoint_auth_methods_supported: TOKEN_AUTH_METHODS.to_vec(),
        revocation_endpoint_auth_methods_supported: TOKEN_AUTH_METHODS.to_vec(),
        introspection_endpoint_auth_methods_supported: INTROSPECTION_AUTH_METHODS.to_vec(),
        token_endpoint_auth_signing_alg_values_supported: ASSERTION_ALG_NAMES.to_vec(),
        revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_ALG_NAMES.to_vec(),
        introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_ALG_NAMES.to_vec(),
        code_challenge_methods_supported: ["S256"],
        scopes_supported: Scope::ALL.iter().map(|s| s.as_str()).collect(),
        authorization_response_iss_parameter_supported: true,
        dpop_signing_alg_values_supported: dpop::signing_alg_names(),
        service_documentation: site.url("/developers"),
        // Filled in by `OAuth::server_metadata`.
        protected_resources: vec![site.issuer.clone()],
        client_id_metadata_document_supported: site.oauth.client_id_metadata_documents,
    }
}
