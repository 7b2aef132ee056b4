//! How the authorization response reaches the client (OAuth 2.0 Multiple
//! Response Type Encoding Practices, Form Post Response Mode, and JARM,
//! the JWT Secured Authorization Response Mode).
//!
//! `query` (the default) and `form_post` carry the parameters as they are,
//! with `iss` (RFC 9207). `query.jwt` (or `jwt`, the same for the code
//! flow) and `form_post.jwt` carry one parameter, `response`: a JWT signed
//! with the site's current key (the key of ID tokens, published at the
//! site's JWKS) holding `iss`, `aud` (the client id), `exp` and the
//! parameters (`code`, `state`, or `error` and `error_description`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use url::Url;

use super::OAuth;
use super::authorize::Authorize;
use super::error::{OAuthError, OAuthResult};
use crate::sites::Site;

/// A JARM response is good for this long.
pub const JARM_TTL_SECS: i64 = 600;

/// The response modes, as `response_modes_supported` lists them.
pub const RESPONSE_MODE_NAMES: [&str; 5] =
    ["query", "form_post", "jwt", "query.jwt", "form_post.jwt"];

/// Where the parameters go, and whether they are signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ResponseMode {
    #[default]
    Query,
    FormPost,
    QueryJwt,
    FormPostJwt,
}

impl ResponseMode {
    /// `None` (or empty): the default, `query`.
    pub fn parse(raw: Option<&str>) -> Result<Self, OAuthError> {
        match raw.unwrap_or_default() {
            "" | "query" => Ok(ResponseMode::Query),
            "form_post" => Ok(ResponseMode::FormPost),
            "jwt" | "query.jwt" => Ok(ResponseMode::QueryJwt),
            "form_post.jwt" => Ok(ResponseMode::FormPostJwt),
            other => Err(OAuthError::invalid_request(format!(
                "unsupported response_mode `{other}`: use one of {}",
                RESPONSE_MODE_NAMES.join(", ")
            ))),
        }
    }

    fn is_jwt(self) -> bool {
        matches!(self, ResponseMode::QueryJwt | ResponseMode::FormPostJwt)
    }

    fn is_form_post(self) -> bool {
        matches!(self, ResponseMode::FormPost | ResponseMode::FormPostJwt)
    }
}

/// An authorization response for a client whose redirect URI is genuine.
#[derive(Debug, Clone)]
pub struct ClientResponse {
    pub client_id: String,
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub state: Option<String>,
    pub params: Vec<(&'static str, String)>,
}

impl ClientResponse {
    /// An error response (RFC 6749 4.1.2.1).
    pub fn error(
        client_id: &str,
        redirect_uri: &str,
        mode: ResponseMode,
        state: Option<&str>,
        error: &OAuthError,
    ) -> Self {
        ClientResponse {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            mode,
            state: state.map(str::to_owned),
            params: vec![
                ("error", error.code().to_owned()),
                ("error_description", error.to_string()),
            ],
        }
    }
}

/// A page that posts `fields` to the client's `action` (form_post modes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormPost {
    pub action: String,
    pub fields: Vec<(String, String)>,
}

#[derive(Serialize)]
struct JarmClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    #[serde(flatten)]
    params: BTreeMap<&'static str, &'a str>,
}

/// The redirect URI with `params` added to its query.
fn with_query(redirect_uri: &str, params: &[(&str, &str)]) -> String {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return redirect_uri.to_string();
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
    }
    url.to_string()
}

/// The parameters as they are: ours, `state` unchanged and `iss` (RFC 9207).
fn plain_params<'a>(site: &'a Site, response: &'a ClientResponse) -> Vec<(&'a str, &'a str)> {
    let mut params: Vec<(&str, &str)> = response
        .params
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    if let Some(state) = &response.state {
        params.push(("state", state.as_str()));
    }
    params.push(("iss", site.issuer.as_str()));
    params
}

/// The redirect of a `query`-mode response: the client's redirect URI with
/// ours, `state` unchanged and `iss` added to its query.
pub fn query_redirect(site: &Site, response: &ClientResponse) -> String {
    with_query(&response.redirect_uri, &plain_params(site, response))
}

impl OAuth {
    /// Sends `response` back to the client in the mode it asked for.
    pub(crate) async fn deliver(
        &self,
        site: &Site,
        response: ClientResponse,
    ) -> OAuthResult<Authorize> {
        let signed;
        let params: Vec<(&str, &str)> = if response.mode.is_jwt() {
            signed = self.sign_response(site, &response).await?;
            vec![("response", signed.as_str())]
        } else {
            plain_params(site, &response)
        };
        Ok(if response.mode.is_form_post() {
            Authorize::FormPost(FormPost {
                action: response.redirect_uri.clone(),
                fields: params
                    .into_iter()
                    .map(|(name, value)| (name.to_owned(), value.to_owned()))
                    .collect(),
            })
        } else if response.mode.is_jwt() {
            Authorize::Redirect(with_query(&response.redirect_uri, &params))
        } else {
            Authorize::Redirect(query_redirect(site, &response))
        })
    }

    /// The JARM `response` JWT.
    async fn sign_response(&self, site: &Site, response: &ClientResponse) -> OAuthResult<String> {
        let now = self.clock.now();
        let mut params: BTreeMap<&'static str, &str> = response
            .params
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        if let Some(state) = &response.state {
            params.insert("state", state.as_str());
        }
        let claims = JarmClaims {
            iss: &site.issuer,
            aud: &response.client_id,
            exp: now + JARM_TTL_SECS,
            iat: now,
            params,
        };
        let (jwt, _) = self
            .signing
            .sign(site.id, "JWT", &claims)
            .await
            .map_err(|e| OAuthError::ServerError(e.into()))?;
        Ok(jwt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_modes_parse_and_unknown_ones_are_refused() {
        assert_eq!(ResponseMode::parse(None).ok(), Some(ResponseMode::Query));
        assert_eq!(
            ResponseMode::parse(Some("jwt")).ok(),
            Some(ResponseMode::QueryJwt)
        );
        assert_eq!(
            ResponseMode::parse(Some("form_post.jwt")).ok(),
            Some(ResponseMode::FormPostJwt)
        );
        assert!(ResponseMode::parse(Some("fragment")).is_err());
        for name in RESPONSE_MODE_NAMES {
            assert!(ResponseMode::parse(Some(name)).is_ok(), "{name}");
        }
    }
}
