//! Pushed authorization requests (RFC 9126). The client posts the
//! authorization request to `/oauth/par`, authenticated as at the token
//! endpoint; it is validated exactly as `/oauth/authorize` would, stored
//! under the hash of a one-use `request_uri` good for 60 seconds, and then
//! `GET /oauth/authorize?client_id=…&request_uri=…` stands for it.
//!
//! "PAR required" is a site and a client setting; when either is on, a plain
//! authorization request is refused.

use crate::ratelimit::Endpoint;
use std::collections::HashMap;

use serde::Serialize;

use super::OAuth;
use super::authorize::{
    AuthorizationRequest, UserFacingError, check_parameters, parse_max_age, parse_prompt,
};
use super::client_authentication::PresentedClient;
use super::clients::Client;
use super::dpop::{self, Jkt};
use super::error::{OAuthError, OAuthResult};
use super::metadata::{Metadata, metadata};
use super::request_object::RequestObjectError;
use super::response::ResponseMode;
use super::tokens;
use crate::sites::Site;
use crate::store::NewPushedRequest;

/// How long a `request_uri` may be used (RFC 9126 recommends a short time).
pub const REQUEST_URI_TTL_SECS: i64 = 60;

/// RFC 9126 2.2.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PushedRequest {
    pub request_uri: String,
    pub expires_in: i64,
}

/// Every parameter the authorization endpoint knows, and only those.
fn plain_request(form: &HashMap<String, String>) -> OAuthResult<AuthorizationRequest> {
    let params: serde_json::Map<String, serde_json::Value> = form
        .iter()
        .filter(|(name, _)| {
            !matches!(
                name.as_str(),
                "client_secret" | "client_assertion" | "client_assertion_type"
            )
        })
        .map(|(name, value)| (name.clone(), value.clone().into()))
        .collect();
    serde_json::from_value(serde_json::Value::Object(params))
        .map_err(|_| OAuthError::invalid_request("malformed authorization request"))
}

impl OAuth {
    /// `POST /oauth/par`. `proof` is the key of the request's DPoP proof,
    /// already checked: it binds the code like `dpop_jkt` (RFC 9449 10.1).
    pub async fn push_authorization_request(
        &self,
        site: &Site,
        authorization: Option<&str>,
        form: &HashMap<String, String>,
        proof: Option<&Jkt>,
    ) -> OAuthResult<PushedRequest> {
        let field = |name: &str| form.get(name).map(String::as_str);
        let presented = PresentedClient {
            authorization,
            client_id: field("client_id"),
            client_secret: field("client_secret"),
            client_assertion_type: field("client_assertion_type"),
            client_assertion: field("client_assertion"),
        };
        let client = self
            .clients
            .authenticate_at(site, &presented, Endpoint::Par)
            .await?;
        if form.contains_key("request_uri") {
            return Err(OAuthError::invalid_request(
                "a request_uri cannot be pushed",
            ));
        }
        let mut request = match field("request") {
            // RFC 9101 6.3: only the parameters inside the object count.
            Some(object) => self
                .open_request_object(site, &client, object, true)
                .await?
                .map_err(RequestObjectError::into_error)?,
            None if client.require_signed_request_object => {
                return Err(OAuthError::invalid_request(
                    "this client must send its authorization requests as signed request objects (RFC 9101)",
                ));
            }
            None => plain_request(form)?,
        };
        let Some(redirect_uri) = client.redirect_uri_for(request.redirect_uri.as_deref()) else {
            return Err(OAuthError::invalid_request(
                "redirect_uri is missing or not registered for this client",
            ));
        };
        request.client_id = Some(client.client_id.clone());
        request.redirect_uri = Some(redirect_uri);
        match (request.dpop_jkt.as_deref().filter(|j| !j.is_empty()), proof) {
            (Some(jkt), _) if !dpop::is_thumbprint(jkt) => {
                return Err(OAuthError::invalid_request(
                    "dpop_jkt must be a base64url SHA-256 JWK thumbprint",
                ));
            }
            (Some(jkt), Some(proof)) if !proof.matches(jkt) => {
                return Err(OAuthError::invalid_request(
                    "dpop_jkt does not name the key of the DPoP proof",
                ));
            }
            (None, Some(proof)) => request.dpop_jkt = Some(proof.as_str().to_owned()),
            _ => {}
        }
        // The same checks as the authorization endpoint, answered here as JSON.
        parse_prompt(request.prompt.as_deref())?;
        parse_max_age(request.max_age.as_deref())?;
        ResponseMode::parse(request.response_mode.as_deref())?;
        let (scopes, _) = check_parameters(&client, &request)?;
        self.check_resource(site, &request, scopes).await?;
        let checked =
            serde_json::to_string(&request).map_err(|e| OAuthError::ServerError(e.into()))?;
        let now = self.clock.now();
        let request_uri = tokens::mint_request_uri();
        self.store
            .create_pushed_request(&NewPushedRequest {
                site_id: site.id,
                request_uri_hash: request_uri.hash(),
                client_pk: client.pk,
                parameters: checked,
                created_at: now,
                expires_at: now + REQUEST_URI_TTL_SECS,
            })
            .await?;
        Ok(PushedRequest {
            request_uri: request_uri.into_inner(),
            expires_in: REQUEST_URI_TTL_SECS,
        })
    }

    /// The authorization request a `request_uri` stands for. It is used up
    /// only once the user is signed in (`consume`), so the trip through the
    /// sign-in page does not spend it. `Ok(None)`: not a pushed request.
    pub(super) async fn resolve_pushed(
        &self,
        site: &Site,
        consume: bool,
        request: &AuthorizationRequest,
    ) -> OAuthResult<Result<Option<AuthorizationRequest>, UserFacingError>> {
        let Some(uri) = request.request_uri.as_deref() else {
            return Ok(Ok(None));
        };
        let refused = Ok(Err(UserFacingError::InvalidRequestUri));
        if !uri.starts_with(tokens::REQUEST_URI_PREFIX) || uri.len() > 2 * tokens::MAX_LEN {
            return refused;
        }
        let client = match request.client_id.as_deref() {
            Some(id) => self.clients.find(site, id).await?,
            None => None,
        };
        let Some(client) = client else {
            return Ok(Err(UserFacingError::UnknownClient));
        };
        let hash = tokens::hash_token(uri);
        let now = self.clock.now();
        let record = if consume {
            self.store
                .consume_pushed_request(site.id, &hash, now)
                .await?
        } else {
            self.store
                .find_pushed_request(site.id, &hash)
                .await?
                .filter(|r| r.used_at.is_none() && r.expires_at > now)
        };
        let Some(record) = record.filter(|r| r.client_pk == client.pk) else {
            return refused;
        };
        let Ok(mut pushed) = serde_json::from_str::<AuthorizationRequest>(&record.parameters)
        else {
            return refused;
        };
        pushed.request_uri = Some(uri.to_string());
        Ok(Ok(Some(pushed)))
    }

    /// Whether the site (or its FAPI 2.0 profile) or the client insists on
    /// pushed requests. Both settings come from the caches.
    pub(super) fn par_required(site: &Site, client: &Client) -> bool {
        site.oauth.profile.is_fapi2() || site.oauth.par_required || client.par_required
    }
}

impl OAuth {
    /// The RFC 8414 document with the site's own settings: whether pushed
    /// requests are required, and the registration endpoint unless the
    /// site's registration is closed. The same columns enforce both.
    pub async fn server_metadata(&self, site: &Site) -> OAuthResult<Metadata> {
        let mut document = metadata(site);
        document.protected_resources = self.protected_resources(site).await?;
        document.authorization_signing_alg_values_supported = self
            .signing
            .keys(site.id)
            .await
            .map_err(|e| OAuthError::ServerError(e.into()))?
            .algorithms();
        document.require_pushed_authorization_requests =
            self.store.site_par_required(site.id).await?;
        if self.store.registration_policy(site.id).await? != "closed" {
            document.registration_endpoint = Some(site.url("/oauth/register"));
        }
        site.oauth.profile.restrict(&mut document);
        Ok(document)
    }
}
