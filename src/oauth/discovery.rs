//! OpenID Connect Discovery 1.0: the RFC 8414 document of `metadata.rs`
//! plus what OpenID Connect adds, so both come from one configuration.

use serde::Serialize;

use super::id_token::CLAIMS_SUPPORTED;
use super::metadata::Metadata;
use crate::sites::Site;

/// Where RP-initiated logout requests go (GET or POST).
pub const END_SESSION_PATH: &str = "/oauth/logout";

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OpenIdConfiguration {
    #[serde(flatten)]
    pub oauth: Metadata,
    pub userinfo_endpoint: String,
    pub jwks_uri: String,
    /// The algorithms of the site's current and next signing keys.
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
    pub subject_types_supported: [&'static str; 1],
    pub claims_supported: [&'static str; 17],
    /// The `acr` values `acr_values` may ask for (`sessions::Acr`).
    pub acr_values_supported: [&'static str; 3],
    pub claims_parameter_supported: bool,
    /// RP-Initiated Logout 1.0 (`oauth::logout::end_session`).
    pub end_session_endpoint: String,
    /// Back-Channel Logout 1.0: logout tokens, with `sid` (front-channel
    /// logout is not supported and not listed).
    pub backchannel_logout_supported: bool,
    pub backchannel_logout_session_supported: bool,
}

/// `oauth` is the site's RFC 8414 document as served (with its PAR and
/// registration settings), so both documents always agree.
pub fn openid_configuration(
    site: &Site,
    oauth: Metadata,
    algorithms: Vec<&'static str>,
) -> OpenIdConfiguration {
    OpenIdConfiguration {
        oauth,
        userinfo_endpoint: site.url("/oauth/userinfo"),
        jwks_uri: site.url("/.well-known/jwks.json"),
        id_token_signing_alg_values_supported: algorithms,
        subject_types_supported: ["public"],
        claims_supported: CLAIMS_SUPPORTED,
        acr_values_supported: crate::sessions::Acr::SUPPORTED,
        claims_parameter_supported: false,
        end_session_endpoint: site.url(END_SESSION_PATH),
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
    }
}
