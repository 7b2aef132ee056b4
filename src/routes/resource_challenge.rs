//! The `WWW-Authenticate` challenges of 401s, finished once the site is
//! known (the errors that build them know no site):
//!
//! - RFC 9728 section 5.1: every 401 of the site's own API (`/api/…` and
//!   UserInfo) whose challenge asks for an access token (`Bearer` or
//!   `DPoP`) names the site's protected resource metadata, so a client
//!   holding nothing but that 401 (an MCP client, say) can find the
//!   authorization server;
//! - on a FAPI 2.0 site, the `algs` of `DPoP` challenges list only the
//!   algorithms the profile allows, the ones its proofs are accepted in.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;

use super::extract::{app_state, request_host};
use crate::oauth::dpop;
use crate::oauth::protected_resource::{PATH, with_resource_metadata};

/// The paths served as the protected resource the metadata describes.
/// (Registration's 401s ask for a registration token, forward-auth's are
/// for the apps behind the proxy.)
fn is_protected_resource(path: &str) -> bool {
    path.starts_with("/api/") || path == "/oauth/userinfo"
}

pub async fn site_challenges(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    if response.status() != StatusCode::UNAUTHORIZED
        || !response.headers().contains_key(header::WWW_AUTHENTICATE)
    {
        return Ok(response);
    }
    let http = response.request();
    let Some(site) = app_state(http)
        .ok()
        .and_then(|state| request_host(http).and_then(|host| state.sites.by_host(host)))
    else {
        return Ok(response);
    };
    let profile = site.oauth.profile;
    let metadata_url = is_protected_resource(http.path()).then(|| site.url(PATH));
    if metadata_url.is_none() && !profile.is_fapi2() {
        return Ok(response);
    }
    let finish = |challenge: &str| {
        let narrowed = dpop::narrow_challenge(challenge, profile);
        let challenge = narrowed.as_deref().unwrap_or(challenge);
        metadata_url
            .as_deref()
            .and_then(|url| with_resource_metadata(challenge, url))
            .or(narrowed)
    };
    let challenges: Vec<HeaderValue> = response
        .headers()
        .get_all(header::WWW_AUTHENTICATE)
        .map(|value| {
            value
                .to_str()
                .ok()
                .and_then(finish)
                .and_then(|challenge| HeaderValue::from_str(&challenge).ok())
                .unwrap_or_else(|| value.clone())
        })
        .collect();
    let headers = response.headers_mut();
    headers.remove(header::WWW_AUTHENTICATE);
    for challenge in challenges {
        headers.append(header::WWW_AUTHENTICATE, challenge);
    }
    Ok(response)
}
