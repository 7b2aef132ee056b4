//! Dynamic client registration (RFC 7591) and its management protocol
//! (RFC 7592), on top of `Clients` so that a dynamically registered client
//! follows the same rules as one registered on the developer portal.
//!
//! Per site, registration is `closed` (the default), `open`, or needs an
//! initial access token that an admin mints (`tessera client
//! registration-token`). A token minted for a user makes that user the
//! owner of the clients registered with it, so they appear on the user's
//! developer portal; clients registered without one have no owner. Each
//! registered client gets a registration access token for RFC 7592; only
//! its SHA-256 is stored.
//!
//! A client registered with no initial access token at all (an open site)
//! is anonymous: it may hold only the scopes an admin marked registrable
//! (`openid profile email` by default), and client_credentials only where
//! the site allows it (`oauth::client_powers`); its client_credentials
//! tokens act with no permission an admin did not grant.

use crate::audit::Actor;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::OAuth;
use super::client_auth::{ClientAuthMethod, ClientAuthSettings, ClientKeySource};
use super::clients::{Client, ClientError, ClientInputError, ClientSettings, GrantType};
use super::logout::{ClientLogoutSettings, check_logout};
use super::metadata::TOKEN_AUTH_METHODS;
use super::scopes::{Scope, ScopeSet};
use super::tokens;
use crate::crypto::constant_time_eq;
use crate::sites::Site;
use crate::throttle::{Attempt, ThrottleKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationPolicy {
    Closed,
    Open,
    Token,
}

impl RegistrationPolicy {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "closed" => Some(Self::Closed),
            "open" => Some(Self::Open),
            "token" => Some(Self::Token),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::Token => "token",
        }
    }
}

/// RFC 7591 2: the metadata a client sends. Unknown fields are ignored.
#[derive(Debug, Default, Clone, Deserialize, utoipa::ToSchema)]
pub struct ClientMetadata {
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    pub token_endpoint_auth_method: Option<String>,
    pub grant_types: Option<Vec<String>>,
    pub response_types: Option<Vec<String>>,
    pub client_name: Option<String>,
    pub client_uri: Option<String>,
    pub scope: Option<String>,
    /// RFC 9449 5.2: token requests must carry a DPoP proof.
    pub dpop_bound_access_tokens: Option<bool>,
    /// RFC 9101 10.5: authorization requests only as signed request
    /// objects (the client registers its keys with `jwks` or `jwks_uri`).
    pub require_signed_request_object: Option<bool>,
    /// RFC 7592 4: an update names the client it updates.
    pub client_id: Option<String>,
    /// private_key_jwt: the client's public keys (a JWK Set) ...
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    /// ... or the https URL of one.
    pub jwks_uri: Option<String>,
    /// The one algorithm of the client's assertions (private_key_jwt:
    /// ES256, RS256, PS256 or EdDSA; client_secret_jwt: HS256).
    pub token_endpoint_auth_signing_alg: Option<String>,
    /// RP-Initiated Logout 1.0 3.1: where the browser may be sent after
    /// logout (matched exactly).
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Back-Channel Logout 1.0 2.2: where logout tokens are POSTed (https).
    pub backchannel_logout_uri: Option<String>,
    /// Whether the client needs `sid` in its logout tokens.
    pub backchannel_logout_session_required: Option<bool>,
}

impl ClientMetadata {
    fn logout(&self) -> ClientLogoutSettings {
        ClientLogoutSettings {
            post_logout_redirect_uris: self.post_logout_redirect_uris.clone(),
            backchannel_logout_uri: self.backchannel_logout_uri.clone(),
            backchannel_logout_session_required: self
                .backchannel_logout_session_required
                .unwrap_or(false),
        }
    }
}

/// RFC 7591 3.2.1 / RFC 7592 3.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ClientInformation {
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub client_id_issued_at: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registration_access_token: Option<String>,
    pub registration_client_uri: String,
    pub client_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<&'static str>,
    pub response_types: Vec<&'static str>,
    pub scope: String,
    pub token_endpoint_auth_method: String,
    pub dpop_bound_access_tokens: bool,
    pub require_signed_request_object: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub jwks: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_signing_alg: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backchannel_logout_uri: Option<String>,
    pub backchannel_logout_session_required: bool,
}

impl std::fmt::Debug for ClientInformation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientInformation")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("{0}")]
    InvalidRedirectUri(String),
    #[error("{0}")]
    InvalidClientMetadata(String),
    /// Registration is closed on this site.
    #[error("this site does not accept client registrations")]
    Closed,
    /// A missing or wrong initial access or registration access token: 401.
    #[error("{0}")]
    InvalidToken(&'static str),
    /// Too many registrations from this address: 429 with `Retry-After`.
    #[error("too many registrations from this address; retry after {0} s")]
    Throttled(i64),
    /// Over this address's rate limit (`crate::ratelimit`): 429 too.
    #[error("too many requests from this address; retry after {0} s")]
    RateLimited(i64),
    #[error("the server could not complete the request")]
    Internal(#[from] anyhow::Error),
}

impl RegistrationError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRedirectUri(_) => "invalid_redirect_uri",
            Self::InvalidClientMetadata(_) => "invalid_client_metadata",
            Self::Closed => "access_denied",
            Self::InvalidToken(_) => "invalid_token",
            Self::Throttled(_) | Self::RateLimited(_) => "temporarily_unavailable",
            Self::Internal(_) => "server_error",
        }
    }
}

impl From<crate::store::StoreError> for RegistrationError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Internal(e.into())
    }
}

impl From<ClientError> for RegistrationError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Input(ClientInputError::RedirectUri(uri)) => {
                Self::InvalidRedirectUri(format!("redirect URI `{uri}` is not allowed"))
            }
            ClientError::Input(ClientInputError::RedirectUriCount) => Self::InvalidRedirectUri(
                "give between one and ten redirect URIs for the authorization code grant".into(),
            ),
            ClientError::Input(input) => Self::InvalidClientMetadata(input.to_string()),
            ClientError::PublicClient | ClientError::KeyClient => {
                Self::InvalidClientMetadata(e.to_string())
            }
            ClientError::NotFound(_) => Self::InvalidToken("unknown client or wrong token"),
            ClientError::Internal(e) => Self::Internal(e),
        }
    }
}

pub type RegistrationResult<T> = Result<T, RegistrationError>;

/// Who is registering a client.
enum Registrant {
    /// Nobody vouched for it: open registration without a token.
    Anonymous,
    /// An admin's initial access token, minted for `owner` or for no one.
    Vouched { owner: Option<i64> },
}

/// The bearer token of an `Authorization: Bearer …` header.
pub fn bearer(authorization: Option<&str>) -> Option<&str> {
    let (scheme, value) = authorization?.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| value.trim())
        .filter(|v| !v.is_empty())
}

/// Checks the metadata and turns it into the portal's settings, with the
/// token endpoint authentication method (`none`: a public client).
fn settings_of(metadata: &ClientMetadata) -> RegistrationResult<(ClientSettings, String)> {
    let method = metadata
        .token_endpoint_auth_method
        .clone()
        .unwrap_or_else(|| "client_secret_basic".into());
    if !TOKEN_AUTH_METHODS.contains(&method.as_str()) {
        return Err(RegistrationError::InvalidClientMetadata(format!(
            "token_endpoint_auth_method must be one of: {}",
            TOKEN_AUTH_METHODS.join(", ")
        )));
    }
    // RFC 8252/9700: https, or http on a loopback address for native apps.
    for raw in &metadata.redirect_uris {
        let Ok(url) = url::Url::parse(raw) else {
            return Err(RegistrationError::InvalidRedirectUri(format!(
                "redirect URI `{raw}` is not a URL"
            )));
        };
        let loopback = url.scheme() == "http"
            && matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"));
        if url.scheme() != "https" && !loopback {
            return Err(RegistrationError::InvalidRedirectUri(format!(
                "redirect URI `{raw}` must use https (or http on a loopback address)"
            )));
        }
    }
    if let Some(types) = &metadata.response_types
        && types.iter().any(|t| t != "code")
    {
        return Err(RegistrationError::InvalidClientMetadata(
            "only the response type `code` is supported".into(),
        ));
    }
    let grant_types = metadata
        .grant_types
        .clone()
        .unwrap_or_else(|| vec![GrantType::AuthorizationCode.as_str().to_string()]);
    if let Some(scope) = &metadata.scope
        && scope.split(' ').any(|s| s == Scope::Admin.as_str())
    {
        return Err(RegistrationError::InvalidClientMetadata(
            "the admin scope is not available to dynamically registered clients".into(),
        ));
    }
    let settings = ClientSettings {
        name: metadata
            .client_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "Unnamed application".into()),
        homepage_url: metadata.client_uri.clone(),
        redirect_uris: metadata.redirect_uris.clone(),
        scopes: metadata.scope.clone(),
        grant_types: Some(grant_types),
    };
    Ok((settings, method))
}

/// The authentication the metadata asks for (`method` already checked).
fn auth_of(metadata: &ClientMetadata, method: &str) -> RegistrationResult<ClientAuthSettings> {
    let method = ClientAuthMethod::parse(method).ok_or_else(|| {
        RegistrationError::InvalidClientMetadata(format!(
            "token_endpoint_auth_method `{method}` is not supported"
        ))
    })?;
    let keys = match (&metadata.jwks, &metadata.jwks_uri) {
        (Some(_), Some(_)) => {
            return Err(RegistrationError::InvalidClientMetadata(
                "give jwks or jwks_uri, not both".into(),
            ));
        }
        (Some(jwks), None) => Some(ClientKeySource::Jwks(jwks.to_string())),
        (None, Some(uri)) => Some(ClientKeySource::JwksUri(uri.clone())),
        (None, None) => None,
    };
    Ok(ClientAuthSettings {
        method,
        keys,
        signing_alg: metadata.token_endpoint_auth_signing_alg.clone(),
    })
}

fn information(site: &Site, client: &Client, method: &str) -> ClientInformation {
    ClientInformation {
        registration_client_uri: site.url(&format!("/oauth/register/{}", client.client_id)),
        client_id: client.client_id.clone(),
        client_secret: None,
        client_id_issued_at: client.created_at,
        client_secret_expires_at: None,
        registration_access_token: None,
        client_name: client.name.clone(),
        client_uri: client.homepage_url.clone(),
        redirect_uris: client
            .redirect_uris
            .iter()
            .map(|u| u.as_str().to_string())
            .collect(),
        response_types: if client.allows(GrantType::AuthorizationCode) {
            vec!["code"]
        } else {
            vec![]
        },
        grant_types: client.grant_type_names(),
        scope: client.scopes.to_string(),
        token_endpoint_auth_method: method.to_string(),
        dpop_bound_access_tokens: client.dpop_required,
        require_signed_request_object: client.require_signed_request_object,
        jwks: client
            .jwks
            .as_deref()
            .and_then(|json| serde_json::from_str(json).ok()),
        jwks_uri: client.jwks_uri.clone(),
        token_endpoint_auth_signing_alg: client.auth_signing_alg.map(|alg| format!("{alg:?}")),
        post_logout_redirect_uris: client.logout_settings().post_logout_redirect_uris,
        backchannel_logout_uri: client.backchannel_logout_uri.clone(),
        backchannel_logout_session_required: client.backchannel_logout_session_required,
    }
}

impl OAuth {
    pub async fn registration_policy(&self, site: &Site) -> RegistrationResult<RegistrationPolicy> {
        let raw = self.store.registration_policy(site.id).await?;
        Ok(RegistrationPolicy::parse(&raw).unwrap_or(RegistrationPolicy::Closed))
    }

    pub async fn set_registration_policy(
        &self,
        site: &Site,
        policy: RegistrationPolicy,
    ) -> RegistrationResult<()> {
        self.store
            .set_registration_policy(site.id, policy.as_str())
            .await?;
        Ok(())
    }

    /// Mints an initial access token (shown once), optionally for a user who
    /// will own the clients registered with it.
    pub async fn mint_initial_access_token(
        &self,
        site: &Site,
        user_id: Option<i64>,
    ) -> RegistrationResult<tokens::Secret> {
        let token = tokens::mint_initial_access_token();
        self.store
            .create_initial_access_token(site.id, &token.hash(), user_id, self.clock.now())
            .await?;
        Ok(token)
    }

    /// Counts a registration attempt from `ip` (every one, whatever comes
    /// of it, in the shared store); refused when the address is over its
    /// limit. Runs before anything else the endpoint does.
    pub async fn count_registration_attempt(
        &self,
        site: &Site,
        ip: &str,
    ) -> RegistrationResult<()> {
        let key = ThrottleKey::registration_address(site.id, ip);
        match self.throttle.attempt(&[key], self.clock.now()).await? {
            Attempt::Allowed => Ok(()),
            Attempt::Refused { retry_after } => {
                tracing::warn!(site = %site.slug, "client registrations throttled");
                Err(RegistrationError::Throttled(retry_after))
            }
        }
    }

    /// `POST /oauth/register`. `authorization` is the raw header.
    pub async fn register_client(
        &self,
        site: &Site,
        authorization: Option<&str>,
        metadata: &ClientMetadata,
    ) -> RegistrationResult<ClientInformation> {
        let registrant = self.registrant(site, authorization).await?;
        let (mut settings, method) = settings_of(metadata)?;
        let auth = auth_of(metadata, &method)?;
        // Checked before the client exists, so a refusal leaves nothing behind.
        check_logout(&metadata.logout(), self.clients.outbound_policy)
            .map_err(ClientError::from)?;
        let mut registered = match registrant {
            Registrant::Anonymous => {
                self.hold_to_anonymous_limits(site, &mut settings).await?;
                self.clients
                    .register_anonymous(site, settings, &auth)
                    .await?
            }
            Registrant::Vouched { owner } => {
                self.clients
                    .register_with(
                        site,
                        settings,
                        &auth,
                        owner,
                        &owner.map_or(Actor::Anonymous, Actor::User),
                    )
                    .await?
            }
        };
        if metadata.dpop_bound_access_tokens == Some(true) {
            registered.client = self
                .clients
                .set_dpop_required(
                    site,
                    &registered.client.client_id,
                    true,
                    &Actor::Client(registered.client.client_id.clone()),
                )
                .await?;
        }
        if metadata.logout() != ClientLogoutSettings::default() {
            registered.client = self
                .clients
                .set_logout(
                    site,
                    &registered.client.client_id,
                    &metadata.logout(),
                    &Actor::Client(registered.client.client_id.clone()),
                )
                .await?;
        }
        if metadata.require_signed_request_object == Some(true) {
            registered.client = self
                .clients
                .set_signed_request_required(
                    site,
                    &registered.client.client_id,
                    true,
                    &Actor::Client(registered.client.client_id.clone()),
                )
                .await?;
        }
        let token = tokens::mint_registration_token();
        self.store
            .save_client_registration(
                site.id,
                registered.client.pk,
                &token.hash(),
                &method,
                self.clock.now(),
            )
            .await?;
        tracing::info!(site = %site.slug, client_id = %registered.client.client_id, "client registered dynamically");
        let mut info = information(site, &registered.client, &method);
        info.client_secret_expires_at = registered.secret.as_ref().map(|_| 0);
        info.client_secret = registered.secret.map(tokens::Secret::into_inner);
        info.registration_access_token = Some(token.into_inner());
        Ok(info)
    }

    /// Who registers: anyone on an open site, or whoever an admin vouched
    /// for with an initial access token (required on a `token` site, and
    /// honoured on an open one).
    async fn registrant(
        &self,
        site: &Site,
        authorization: Option<&str>,
    ) -> RegistrationResult<Registrant> {
        let presented =
            bearer(authorization).filter(|t| t.starts_with(tokens::INITIAL_ACCESS_TOKEN_PREFIX));
        match self.registration_policy(site).await? {
            RegistrationPolicy::Closed => Err(RegistrationError::Closed),
            RegistrationPolicy::Open if presented.is_none() => Ok(Registrant::Anonymous),
            RegistrationPolicy::Open | RegistrationPolicy::Token => {
                let presented = presented.ok_or(RegistrationError::InvalidToken(
                    "an initial access token is required",
                ))?;
                let (_, owner) = self
                    .store
                    .find_initial_access_token(site.id, &tokens::hash_token(presented))
                    .await?
                    .ok_or(RegistrationError::InvalidToken(
                        "the initial access token is not valid",
                    ))?;
                Ok(Registrant::Vouched { owner })
            }
        }
    }

    /// Holds an anonymous registration to the site's registrable scopes
    /// (which are also its default scope) and keeps it from
    /// client_credentials unless the site allows that.
    async fn hold_to_anonymous_limits(
        &self,
        site: &Site,
        settings: &mut ClientSettings,
    ) -> RegistrationResult<()> {
        let limits = self.anonymous_client_limits(site).await?;
        let scopes = settings
            .scopes
            .get_or_insert_with(|| limits.registrable_scopes.to_string());
        // Unknown names are refused by the client rules that follow.
        let scopes = ScopeSet::parse(scopes).unwrap_or_default();
        let grants: Vec<GrantType> = settings
            .grant_types
            .iter()
            .flatten()
            .filter_map(|g| GrantType::parse(g.trim()))
            .collect();
        match limits.refusal(scopes, &grants) {
            Some(refusal) => Err(RegistrationError::InvalidClientMetadata(refusal)),
            None => Ok(()),
        }
    }

    /// The client a registration access token manages (RFC 7592 2).
    async fn managed_client(
        &self,
        site: &Site,
        client_id: &str,
        authorization: Option<&str>,
    ) -> RegistrationResult<(Arc<Client>, String)> {
        let refused = RegistrationError::InvalidToken("unknown client or wrong registration token");
        let presented = bearer(authorization).ok_or(RegistrationError::InvalidToken(
            "a registration access token is required",
        ))?;
        let Some(client) = self.clients.find(site, client_id).await? else {
            return Err(refused);
        };
        let Some(registration) = self
            .store
            .find_client_registration(site.id, client.pk)
            .await?
        else {
            return Err(refused);
        };
        let presented_hash = tokens::hash_token(presented);
        if !constant_time_eq(
            presented_hash.as_bytes(),
            registration.token_hash.as_bytes(),
        ) {
            return Err(refused);
        }
        Ok((client, registration.token_endpoint_auth_method))
    }

    /// `GET /oauth/register/{client_id}`.
    pub async fn read_registration(
        &self,
        site: &Site,
        client_id: &str,
        authorization: Option<&str>,
    ) -> RegistrationResult<ClientInformation> {
        let (client, method) = self.managed_client(site, client_id, authorization).await?;
        Ok(information(site, &client, &method))
    }

    /// `PUT /oauth/register/{client_id}`: the metadata replaces the client's.
    pub async fn update_registration(
        &self,
        site: &Site,
        client_id: &str,
        authorization: Option<&str>,
        metadata: &ClientMetadata,
    ) -> RegistrationResult<ClientInformation> {
        let (client, method) = self.managed_client(site, client_id, authorization).await?;
        if metadata
            .client_id
            .as_deref()
            .is_some_and(|id| id != client_id)
        {
            return Err(RegistrationError::InvalidClientMetadata(
                "client_id does not match the client being updated".into(),
            ));
        }
        let (mut settings, new_method) = settings_of(metadata)?;
        let auth = auth_of(metadata, &new_method)?;
        check_logout(&metadata.logout(), self.clients.outbound_policy)
            .map_err(ClientError::from)?;
        if auth.method != client.auth_method {
            return Err(RegistrationError::InvalidClientMetadata(
                "a client cannot change its token_endpoint_auth_method".into(),
            ));
        }
        if client.registered_anonymously {
            self.hold_to_anonymous_limits(site, &mut settings).await?;
        }
        self.clients
            .update(
                site,
                &client.client_id,
                settings,
                &Actor::Client(client.client_id.clone()),
            )
            .await?;
        // Keys and signing algorithm are replaced like the rest (RFC 7592
        // 2.2); `set_keys` refuses them for a client that has none.
        if auth.keys.is_some()
            || auth.signing_alg.is_some()
            || auth.method == ClientAuthMethod::PrivateKeyJwt
            || client.auth_signing_alg.is_some()
        {
            self.clients
                .set_keys(
                    site,
                    &client.client_id,
                    auth.keys,
                    auth.signing_alg,
                    &Actor::Client(client.client_id.clone()),
                )
                .await?;
        }
        self.clients
            .set_logout(
                site,
                &client.client_id,
                &metadata.logout(),
                &Actor::Client(client.client_id.clone()),
            )
            .await?;
        let dpop_required = metadata.dpop_bound_access_tokens.unwrap_or(false);
        let actor = Actor::Client(client.client_id.clone());
        self.clients
            .set_dpop_required(site, &client.client_id, dpop_required, &actor)
            .await?;
        let signed_required = metadata.require_signed_request_object.unwrap_or(false);
        let updated = self
            .clients
            .set_signed_request_required(site, &client.client_id, signed_required, &actor)
            .await?;
        Ok(information(site, &updated, &method))
    }

    /// `DELETE /oauth/register/{client_id}`: the client and all its tokens go.
    pub async fn delete_registration(
        &self,
        site: &Site,
        client_id: &str,
        authorization: Option<&str>,
    ) -> RegistrationResult<()> {
        let (client, _) = self.managed_client(site, client_id, authorization).await?;
        self.clients
            .delete(
                site,
                &client.client_id,
                &Actor::Client(client.client_id.clone()),
            )
            .await?;
        Ok(())
    }
}
