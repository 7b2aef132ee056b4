//! OAuth clients: registration rules, secrets, keys and redirect URI
//! matching. Authentication is in `client_authentication.rs`.

use crate::audit::{Actor, AuditEvent, AuditKind};
use std::fmt;
use std::sync::Arc;

use jsonwebtoken::Algorithm;
use url::Url;

use super::cache::OAuthCache;
use super::client_auth::{ClientAuthMethod, ClientAuthSettings, ClientKeySource, check_auth};
use super::scopes::{Scope, ScopeSet};
use super::tokens::{self, Secret};
use crate::clock::SharedClock;
use crate::crypto::{MasterKey, aead};
use crate::identity::jwks::{KeyError, VerificationKey};
use crate::outbound::{Outbound, OutboundPolicy};
use crate::ratelimit::RateLimits;
use crate::sites::Site;
use crate::store::{
    ClientChanges, ClientKeyColumns, ClientRecord, NewClient, SharedStore, StoreError,
};
use crate::throttle::Throttle;
use crate::users::{Permission, Permissions};

pub const MAX_REDIRECT_URIS: usize = 10;
/// No client id is longer (ours are much shorter); longer ones are not looked up.
pub(super) const MAX_CLIENT_ID_LEN: usize = 100;
const MAX_NAME_CHARS: usize = 100;
const MAX_URL_LEN: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    /// RFC 8628 (`oauth::device`, `grants/device_code.rs`).
    DeviceCode,
}

impl GrantType {
    pub const ALL: [GrantType; 4] = [
        GrantType::AuthorizationCode,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::DeviceCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        GrantType::ALL.into_iter().find(|g| g.as_str() == raw)
    }
}

/// A redirect URI as registered: absolute, without fragment, in the form
/// `url` normalises it to. Presented URIs must equal one of these exactly,
/// except for the port of a loopback URI (RFC 8252 section 7.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectUri(Url);

impl RedirectUri {
    /// Checks a URI a developer registers.
    pub fn parse(raw: &str) -> Result<Self, ClientInputError> {
        let bad = || ClientInputError::RedirectUri(raw.to_string());
        let raw = raw.trim();
        if raw.is_empty() || raw.len() > MAX_URL_LEN {
            return Err(bad());
        }
        let url = Url::parse(raw).map_err(|_| bad())?;
        // The stored form is longer than the raw one when the parser
        // percent-encodes or punycodes it; it must still read back.
        if url.as_str().len() > MAX_URL_LEN {
            return Err(bad());
        }
        if url.fragment().is_some() || !url.username().is_empty() || url.password().is_some() {
            return Err(bad());
        }
        let allowed = match url.scheme() {
            "https" => url.host_str().is_some(),
            "http" => is_loopback(&url),
            // Private-use schemes of native apps must look like reversed domains.
            scheme => scheme.contains('.'),
        };
        if allowed {
            Ok(RedirectUri(url))
        } else {
            Err(bad())
        }
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Whether a URI presented at the authorization endpoint is this one.
    pub fn matches(&self, presented: &str) -> bool {
        if presented == self.0.as_str() {
            return true;
        }
        if !is_loopback(&self.0) || presented.contains('#') {
            return false;
        }
        let Ok(candidate) = Url::parse(presented) else {
            return false;
        };
        let mut with_port = self.0.clone();
        if with_port.set_port(candidate.port()).is_err() {
            return false;
        }
        // The whole string must still be identical, so case, path, query
        // and host spelling are matched exactly; only the port may differ.
        with_port.as_str() == presented
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

fn is_loopback(url: &Url) -> bool {
    url.scheme() == "http" && matches!(url.host_str(), Some("127.0.0.1" | "[::1]" | "localhost"))
}

/// A registered client as the protocol code sees it.
#[derive(Clone)]
pub struct Client {
    pub pk: i64,
    pub site_id: i64,
    pub client_id: String,
    pub name: String,
    pub homepage_url: Option<String>,
    pub redirect_uris: Vec<RedirectUri>,
    pub confidential: bool,
    secret_hash: Option<String>,
    pub scopes: ScopeSet,
    pub grant_types: Vec<GrantType>,
    pub owner_user_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// Issue RFC 9068 JWT access tokens (opt-in; opaque is the default).
    pub jwt_access_tokens: bool,
    /// RFC 9449: every token request must carry a DPoP proof.
    pub dpop_required: bool,
    /// Registered dynamically without an initial access token: held to the
    /// site's registrable scopes and, unless the site allows it, kept away
    /// from client_credentials.
    pub registered_anonymously: bool,
    /// What the client_credentials tokens of a client without owner may
    /// do (within their scopes): only what an admin granted, none by default.
    pub granted_permissions: Permissions,
    /// A resource server: may introspect every token of its site, not only
    /// its own.
    pub introspect: bool,
    /// How it must authenticate (`client_auth`).
    pub auth_method: ClientAuthMethod,
    /// private_key_jwt: its JWK Set, or the URL of one.
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    /// `token_endpoint_auth_signing_alg`: the one algorithm its assertions use.
    pub auth_signing_alg: Option<Algorithm>,
    /// client_secret_jwt: its secret, sealed under the master key.
    sealed_secret: Option<String>,
    /// RP-Initiated Logout: where the browser may be sent after logout
    /// (matched exactly, `oauth::logout`).
    pub post_logout_redirect_uris: Vec<RedirectUri>,
    /// Back-Channel Logout: where its logout tokens are POSTed.
    pub backchannel_logout_uri: Option<String>,
    /// Whether its logout tokens must carry `sid`.
    pub backchannel_logout_session_required: bool,
    /// RFC 9101 10.5: authorization requests only as signed request objects.
    pub require_signed_request_object: bool,
    /// Resolved from the Client ID Metadata Document at `client_id`
    /// (`oauth::metadata_document`), not registered here.
    pub metadata_document: bool,
    /// Its authorization requests must be pushed (RFC 9126).
    pub par_required: bool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("client_id", &self.client_id)
            .field("site_id", &self.site_id)
            .field("confidential", &self.confidential)
            .finish_non_exhaustive()
    }
}

impl Client {
    pub fn from_record(record: ClientRecord) -> Self {
        Client {
            pk: record.id,
            site_id: record.site_id,
            redirect_uris: record
                .redirect_uris
                .lines()
                .filter_map(|u| RedirectUri::parse(u).ok())
                .collect(),
            scopes: ScopeSet::from_stored(&record.scopes),
            grant_types: record
                .grant_types
                .split(' ')
                .filter_map(GrantType::parse)
                .collect(),
            client_id: record.client_id,
            name: record.name,
            homepage_url: record.homepage_url,
            confidential: record.confidential,
            secret_hash: record.secret_hash,
            owner_user_id: record.owner_user_id,
            created_at: record.created_at,
            updated_at: record.updated_at,
            jwt_access_tokens: record.jwt_access_tokens,
            dpop_required: record.dpop_required,
            registered_anonymously: record.registered_anonymously,
            granted_permissions: parse_permissions(&record.granted_permissions),
            introspect: record.introspect,
            auth_method: ClientAuthMethod::from_stored(&record.auth_method, record.confidential),
            jwks: record.jwks,
            jwks_uri: record.jwks_uri,
            // Stored only after `check_auth` accepted it.
            auth_signing_alg: record
                .auth_signing_alg
                .as_deref()
                .and_then(|a| a.parse().ok()),
            sealed_secret: record.sealed_secret,
            post_logout_redirect_uris: record
                .post_logout_redirect_uris
                .lines()
                .filter_map(|u| RedirectUri::parse(u).ok())
                .collect(),
            backchannel_logout_uri: record.backchannel_logout_uri,
            backchannel_logout_session_required: record.backchannel_logout_session_required,
            require_signed_request_object: record.require_signed_request_object,
            metadata_document: record.metadata_document,
            par_required: record.par_required,
        }
    }

    /// The host that published the client's metadata document, shown on
    /// the consent page; `None` for a client registered here.
    pub fn document_host(&self) -> Option<String> {
        if !self.metadata_document {
            return None;
        }
        Url::parse(&self.client_id)
            .ok()
            .and_then(|url| url.host_str().map(str::to_owned))
    }

    pub(super) fn secret_hash(&self) -> Option<&str> {
        self.secret_hash.as_deref()
    }

    pub(super) fn sealed_secret(&self) -> Option<&str> {
        self.sealed_secret.as_deref()
    }

    /// The registered keys, for display.
    pub fn key_source(&self) -> Option<ClientKeySource> {
        match (&self.jwks, &self.jwks_uri) {
            (Some(json), _) => Some(ClientKeySource::Jwks(json.clone())),
            (None, Some(uri)) => Some(ClientKeySource::JwksUri(uri.clone())),
            (None, None) => None,
        }
    }

    /// What a token issued to the client itself (no user) may do with
    /// `scopes`, when the client has no owner; an owned client's tokens act
    /// with the owner's role instead (`tokens::oauth`).
    pub fn ownerless_permissions(&self, scopes: ScopeSet) -> Permissions {
        self.granted_permissions.intersect(scopes.permissions())
    }

    pub fn allows(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// The registered redirect URI a presented one stands for. Absent, it
    /// is the only registered one, if there is only one.
    pub fn redirect_uri_for(&self, presented: Option<&str>) -> Option<String> {
        match presented {
            Some(p) => self
                .redirect_uris
                .iter()
                .any(|r| r.matches(p))
                .then(|| p.to_string()),
            None => match self.redirect_uris.as_slice() {
                [only] => Some(only.as_str().to_string()),
                _ => None,
            },
        }
    }

    /// The grant types as a public list, in a stable order.
    pub fn grant_type_names(&self) -> Vec<&'static str> {
        self.grant_types.iter().map(|g| g.as_str()).collect()
    }
}

/// What is wrong with a registration, by field, for forms and the CLI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientInputError {
    #[error("a name is 1 to {MAX_NAME_CHARS} characters without control characters")]
    Name,
    #[error("`{0}` is not an http(s) URL")]
    Homepage(String),
    #[error(
        "`{0}` is not a valid redirect URI: use an absolute https URI without fragment, http only for \
         127.0.0.1, [::1] or localhost, or a private-use scheme like com.example.app:/callback"
    )]
    RedirectUri(String),
    #[error("the authorization_code grant needs 1 to {MAX_REDIRECT_URIS} redirect URIs")]
    RedirectUriCount,
    #[error("{0}")]
    Scopes(String),
    #[error("{0}")]
    GrantTypes(String),
    #[error("{0}")]
    Permissions(String),
    #[error("{0}")]
    AuthMethod(String),
    #[error("{0}")]
    Keys(String),
    #[error(
        "`{0}` is not a valid post-logout redirect URI: the rules of redirect URIs apply, at most \
         {MAX_REDIRECT_URIS}"
    )]
    PostLogoutRedirectUri(String),
    #[error("the backchannel_logout_uri is refused: {0}")]
    BackchannelLogoutUri(String),
}

impl ClientInputError {
    /// What the developer portal's form says, in `lang`. Problems found a
    /// floor down (scopes, keys, ...) keep their own words.
    pub fn message(&self, lang: crate::i18n::Locale) -> String {
        match self {
            ClientInputError::Name => lang.t1("client-error-name", "max", MAX_NAME_CHARS),
            ClientInputError::Homepage(url) => lang.t1("client-error-homepage", "url", url),
            ClientInputError::RedirectUri(uri) => lang.t1("client-error-redirect-uri", "uri", uri),
            ClientInputError::RedirectUriCount => {
                lang.t1("client-error-redirect-uri-count", "max", MAX_REDIRECT_URIS)
            }
            ClientInputError::PostLogoutRedirectUri(uri) => lang.t2(
                "client-error-post-logout-uri",
                "uri",
                uri,
                "max",
                MAX_REDIRECT_URIS,
            ),
            ClientInputError::BackchannelLogoutUri(why) => {
                lang.t1("client-error-backchannel-uri", "reason", why)
            }
            ClientInputError::Scopes(text)
            | ClientInputError::GrantTypes(text)
            | ClientInputError::Permissions(text)
            | ClientInputError::AuthMethod(text)
            | ClientInputError::Keys(text) => text.clone(),
        }
    }

    /// The form field the problem belongs to.
    pub fn field(&self) -> &'static str {
        match self {
            ClientInputError::Name => "name",
            ClientInputError::Homepage(_) => "homepage_url",
            ClientInputError::RedirectUri(_) | ClientInputError::RedirectUriCount => {
                "redirect_uris"
            }
            ClientInputError::Scopes(_) => "scopes",
            ClientInputError::GrantTypes(_) => "grant_types",
            ClientInputError::Permissions(_) => "permissions",
            ClientInputError::AuthMethod(_) => "token_endpoint_auth_method",
            ClientInputError::Keys(_) => "jwks",
            ClientInputError::PostLogoutRedirectUri(_) => "post_logout_redirect_uris",
            ClientInputError::BackchannelLogoutUri(_) => "backchannel_logout_uri",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(transparent)]
    Input(#[from] ClientInputError),
    #[error("no client `{0}` on this site")]
    NotFound(String),
    #[error("public clients have no secret")]
    PublicClient,
    /// A private_key_jwt client authenticates with its keys.
    #[error("this client authenticates with its keys (private_key_jwt) and has no secret")]
    KeyClient,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for ClientError {
    fn from(e: StoreError) -> Self {
        ClientError::Internal(e.into())
    }
}

/// What a developer (or an admin on the command line) describes.
#[derive(Debug, Clone)]
pub struct ClientSettings {
    pub name: String,
    pub homepage_url: Option<String>,
    pub redirect_uris: Vec<String>,
    /// Space-separated; `None` means every scope but `admin`.
    pub scopes: Option<String>,
    /// `None` means authorization_code and refresh_token.
    pub grant_types: Option<Vec<String>>,
}

/// A registration checked against the rules, ready to store.
pub(super) struct Checked {
    pub(super) name: String,
    pub(super) homepage_url: Option<String>,
    pub(super) redirect_uris: Vec<RedirectUri>,
    pub(super) scopes: ScopeSet,
    pub(super) grant_types: Vec<GrantType>,
}

pub(super) fn check(
    settings: &ClientSettings,
    confidential: bool,
) -> Result<Checked, ClientInputError> {
    let name = settings.name.trim().to_string();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(ClientInputError::Name);
    }
    let homepage_url = match settings
        .homepage_url
        .as_deref()
        .map(str::trim)
        .filter(|h| !h.is_empty())
    {
        None => None,
        Some(raw) => {
            let url = Url::parse(raw).map_err(|_| ClientInputError::Homepage(raw.to_string()))?;
            if !matches!(url.scheme(), "http" | "https") || raw.len() > MAX_URL_LEN {
                return Err(ClientInputError::Homepage(raw.to_string()));
            }
            Some(url.to_string())
        }
    };
    let mut redirect_uris: Vec<RedirectUri> = Vec::new();
    for raw in settings
        .redirect_uris
        .iter()
        .filter(|u| !u.trim().is_empty())
    {
        let uri = RedirectUri::parse(raw)?;
        if !redirect_uris.contains(&uri) {
            redirect_uris.push(uri);
        }
    }
    let scopes = match settings.scopes.as_deref() {
        None => ScopeSet::of(&[Scope::Profile, Scope::ContentRead, Scope::ContentWrite]),
        Some(raw) => ScopeSet::parse(raw).map_err(|e| ClientInputError::Scopes(e.to_string()))?,
    };
    if scopes.is_empty() {
        return Err(ClientInputError::Scopes("choose at least one scope".into()));
    }
    let grant_types = match &settings.grant_types {
        None => vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        Some(list) => {
            let mut grants = Vec::new();
            for raw in list.iter().map(|g| g.trim()).filter(|g| !g.is_empty()) {
                let grant = GrantType::parse(raw).ok_or_else(|| {
                    ClientInputError::GrantTypes(format!("unknown grant type `{raw}`"))
                })?;
                if !grants.contains(&grant) {
                    grants.push(grant);
                }
            }
            grants.sort_by_key(|g| *g as u8);
            grants
        }
    };
    if grant_types.is_empty() {
        return Err(ClientInputError::GrantTypes(
            "choose at least one grant type".into(),
        ));
    }
    if !confidential && grant_types.contains(&GrantType::ClientCredentials) {
        return Err(ClientInputError::GrantTypes(
            "public clients cannot use client_credentials (they cannot keep a secret)".into(),
        ));
    }
    if grant_types.contains(&GrantType::RefreshToken)
        && !grant_types.contains(&GrantType::AuthorizationCode)
        && !grant_types.contains(&GrantType::DeviceCode)
    {
        return Err(ClientInputError::GrantTypes(
            "refresh_token only makes sense with authorization_code or the device grant".into(),
        ));
    }
    let needs_uris = grant_types.contains(&GrantType::AuthorizationCode);
    if (needs_uris && redirect_uris.is_empty()) || redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(ClientInputError::RedirectUriCount);
    }
    Ok(Checked {
        name,
        homepage_url,
        redirect_uris,
        scopes,
        grant_types,
    })
}

/// Parses stored permission names; unknown ones (from a newer version) are dropped.
fn parse_permissions(raw: &str) -> Permissions {
    let list: Vec<Permission> = raw.split(' ').filter_map(Permission::parse).collect();
    Permissions::of(&list)
}

pub(super) fn join_uris(uris: &[RedirectUri]) -> String {
    uris.iter()
        .map(RedirectUri::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

pub(super) fn join_grants(grants: &[GrantType]) -> String {
    grants
        .iter()
        .map(|g| g.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A client just registered; the secret (confidential clients) is shown once.
#[derive(Debug)]
pub struct RegisteredClient {
    pub client: Arc<Client>,
    pub secret: Option<Secret>,
}

#[derive(Clone)]
pub struct Clients {
    pub(super) store: SharedStore,
    pub(super) cache: Arc<OAuthCache>,
    pub(super) clock: SharedClock,
    /// Failed client authentications, counted in the shared store.
    pub(super) throttle: Throttle,
    /// Client changes and the OAuth events of this service are audited.
    pub(crate) audit: crate::audit::Audit,
    /// Requests per authenticated client; none where no request is served
    /// (the command line).
    pub(super) rate_limits: Option<RateLimits>,
    /// Seals the secrets of client_secret_jwt clients.
    pub(super) master: MasterKey,
    /// Which `jwks_uri`s and `backchannel_logout_uri`s may be registered.
    pub(crate) outbound_policy: OutboundPolicy,
    /// Fetches `jwks_uri`s and client metadata documents; none where no
    /// request is served.
    pub(super) outbound: Option<Outbound>,
    /// Records the `jti` of client assertions with the group commit; none
    /// where no request is served (then straight in the store).
    pub(super) jti_writer: Option<crate::oauth::writer::GrantWriter>,
}

impl Clients {
    pub fn new(
        store: SharedStore,
        cache: Arc<OAuthCache>,
        clock: SharedClock,
        master: MasterKey,
        outbound_policy: OutboundPolicy,
    ) -> Self {
        Self {
            throttle: Throttle::new(store.clone()),
            audit: crate::audit::Audit::new(store.clone(), clock.clone()),
            rate_limits: None,
            master,
            outbound_policy,
            outbound: None,
            jti_writer: None,
            store,
            cache,
            clock,
        }
    }

    /// Fetches the `jwks_uri` of private_key_jwt clients with `outbound`.
    pub fn fetching_keys_with(mut self, outbound: Outbound) -> Self {
        self.outbound_policy = outbound.policy();
        self.outbound = Some(outbound);
        self
    }

    /// The registered public key of `client` that a JWS with this `kid`
    /// and `alg` is to be checked with (client assertions and request
    /// objects): parsed once and cached, its `jwks_uri` fetched when needed.
    pub(super) async fn public_key_for(
        &self,
        site: &Site,
        client: &Client,
        kid: Option<&str>,
        alg: Algorithm,
    ) -> Result<VerificationKey, ClientKeyError> {
        let outbound = self.outbound.as_ref().ok_or(ClientKeyError::Unavailable)?;
        let keys = self
            .cache
            .client_keys
            .keys_of(client, outbound)
            .ok_or(ClientKeyError::NoKeys)?;
        let key = keys
            .key_for(kid, alg, self.clock.now())
            .await
            .map_err(|e| match e {
                KeyError::Unknown => ClientKeyError::Unknown,
                KeyError::Ambiguous => ClientKeyError::Ambiguous,
                KeyError::FetchFailed(e) => {
                    tracing::warn!(site = %site.slug, client_id = %client.client_id, error = %e, "client keys unavailable");
                    ClientKeyError::Unavailable
                }
            })?;
        if key.accepts(alg) {
            Ok(key)
        } else {
            Err(ClientKeyError::Unknown)
        }
    }

    /// Counts every authenticated request against the client's rate limit.
    pub fn limited_by(mut self, rate_limits: RateLimits) -> Self {
        self.rate_limits = Some(rate_limits);
        self
    }

    pub async fn register(
        &self,
        site: &Site,
        settings: ClientSettings,
        confidential: bool,
        owner_user_id: Option<i64>,
        actor: &Actor,
    ) -> Result<RegisteredClient, ClientError> {
        let auth = ClientAuthSettings::secret_or_none(confidential);
        self.create(site, settings, &auth, owner_user_id, false, actor)
            .await
    }

    /// Registers a client that authenticates as `auth` says (a secret, an
    /// assertion, or none).
    pub async fn register_with(
        &self,
        site: &Site,
        settings: ClientSettings,
        auth: &ClientAuthSettings,
        owner_user_id: Option<i64>,
        actor: &Actor,
    ) -> Result<RegisteredClient, ClientError> {
        self.create(site, settings, auth, owner_user_id, false, actor)
            .await
    }

    /// Registers a client nobody vouched for (RFC 7591 open registration).
    /// The caller has checked its scopes and grants against the site's limits.
    pub async fn register_anonymous(
        &self,
        site: &Site,
        settings: ClientSettings,
        auth: &ClientAuthSettings,
    ) -> Result<RegisteredClient, ClientError> {
        self.create(site, settings, auth, None, true, &Actor::Anonymous)
            .await
    }

    async fn create(
        &self,
        site: &Site,
        settings: ClientSettings,
        auth: &ClientAuthSettings,
        owner_user_id: Option<i64>,
        registered_anonymously: bool,
        actor: &Actor,
    ) -> Result<RegisteredClient, ClientError> {
        let confidential = auth.method.is_confidential();
        let checked = check(&settings, confidential)?;
        let mut keys = check_auth(auth, self.outbound_policy)?;
        let client_id = tokens::mint_client_id();
        let secret = auth.method.has_secret().then(tokens::mint_client_secret);
        keys.sealed_secret = self.sealed_secret(site, auth.method, secret.as_ref())?;
        let record = self
            .store
            .create_client(&NewClient {
                site_id: site.id,
                secret_hash: secret
                    .as_ref()
                    .map(|s| tokens::client_secret_hash(site, &client_id, s.expose())),
                client_id,
                name: checked.name,
                homepage_url: checked.homepage_url,
                redirect_uris: join_uris(&checked.redirect_uris),
                confidential,
                scopes: checked.scopes.to_string(),
                grant_types: join_grants(&checked.grant_types),
                owner_user_id,
                registered_anonymously,
                keys,
                now: self.clock.now(),
            })
            .await?;
        tracing::info!(site = %site.slug, client_id = %record.client_id, "client registered");
        let event = AuditEvent::new(AuditKind::ClientCreated, actor.clone())
            .client(&record.client_id)
            .maybe_user(record.owner_user_id)
            .detail("name", record.name.as_str())
            .detail("confidential", confidential)
            .detail("scopes", record.scopes.as_str())
            .detail("anonymous", registered_anonymously)
            .detail("auth_method", auth.method.as_stored());
        self.audit.record(site.id, event).await;
        Ok(RegisteredClient {
            client: Arc::new(Client::from_record(record)),
            secret,
        })
    }

    /// The client with this id on this site, from the cache when possible.
    pub async fn find(
        &self,
        site: &Site,
        client_id: &str,
    ) -> Result<Option<Arc<Client>>, StoreError> {
        if super::metadata_document::is_document_url(client_id) {
            return self.resolve_document(site, client_id).await;
        }
        if let Some(client) = self.cache.client(client_id) {
            return Ok((client.site_id == site.id).then_some(client));
        }
        if client_id.is_empty() || client_id.len() > MAX_CLIENT_ID_LEN {
            return Ok(None);
        }
        let epoch = self.cache.epoch();
        let Some(record) = self.store.find_client(site.id, client_id).await? else {
            return Ok(None);
        };
        let client = Arc::new(Client::from_record(record));
        self.cache.put_client(client.clone(), epoch);
        Ok(Some(client))
    }

    pub(super) async fn existing(
        &self,
        site: &Site,
        client_id: &str,
    ) -> Result<Arc<Client>, ClientError> {
        self.find(site, client_id)
            .await?
            .ok_or_else(|| ClientError::NotFound(client_id.to_string()))
    }

    /// Every client of the site (`owner: None`), or those one user registered.
    pub async fn list(&self, site: &Site, owner: Option<i64>) -> Result<Vec<Client>, StoreError> {
        Ok(self
            .store
            .list_clients(site.id, owner)
            .await?
            .into_iter()
            .map(Client::from_record)
            .collect())
    }

    pub async fn update(
        &self,
        site: &Site,
        client_id: &str,
        settings: ClientSettings,
        actor: &Actor,
    ) -> Result<Arc<Client>, ClientError> {
        let client = self.existing(site, client_id).await?;
        let checked = check(&settings, client.confidential)?;
        let changes = ClientChanges {
            name: checked.name,
            homepage_url: checked.homepage_url,
            redirect_uris: join_uris(&checked.redirect_uris),
            scopes: checked.scopes.to_string(),
            grant_types: join_grants(&checked.grant_types),
        };
        let updated = self
            .store
            .update_client(site.id, client.pk, &changes, self.clock.now())
            .await?;
        self.cache.evict_client(client.pk);
        let record = updated.ok_or_else(|| ClientError::NotFound(client_id.to_string()))?;
        self.record_change(
            site,
            client_id,
            actor,
            "settings",
            record.scopes.as_str().into(),
        )
        .await;
        Ok(Arc::new(Client::from_record(record)))
    }

    /// RFC 9449: whether the client's token requests must carry a DPoP
    /// proof. Returns the client as it now is.
    pub async fn set_dpop_required(
        &self,
        site: &Site,
        client_id: &str,
        required: bool,
        actor: &Actor,
    ) -> Result<Arc<Client>, ClientError> {
        let client = self.existing(site, client_id).await?;
        if client.dpop_required == required {
            return Ok(client);
        }
        let changed = self
            .store
            .set_client_dpop_required(site.id, client.pk, required, self.clock.now())
            .await?;
        self.cache.evict_client(client.pk);
        if !changed {
            return Err(ClientError::NotFound(client_id.to_string()));
        }
        self.record_change(site, client_id, actor, "dpop_required", required.into())
            .await;
        self.existing(site, client_id).await
    }

    /// RFC 9101 10.5: whether the client's authorization requests must be
    /// signed request objects. Returns the client as it now is.
    pub async fn set_signed_request_required(
        &self,
        site: &Site,
        client_id: &str,
        required: bool,
        actor: &Actor,
    ) -> Result<Arc<Client>, ClientError> {
        let client = self.existing(site, client_id).await?;
        if client.require_signed_request_object == required {
            return Ok(client);
        }
        let changed = self
            .store
            .set_client_signed_request_required(site.id, client.pk, required, self.clock.now())
            .await?;
        self.cache.evict_client(client.pk);
        if !changed {
            return Err(ClientError::NotFound(client_id.to_string()));
        }
        let setting = "require_signed_request_object";
        self.record_change(site, client_id, actor, setting, required.into())
            .await;
        self.existing(site, client_id).await
    }

    /// Audits one change of a client's settings.
    pub(crate) async fn record_change(
        &self,
        site: &Site,
        client_id: &str,
        actor: &Actor,
        setting: &str,
        value: serde_json::Value,
    ) {
        let event = AuditEvent::new(AuditKind::ClientChanged, actor.clone())
            .client(client_id)
            .detail("setting", setting)
            .detail("value", value);
        self.audit.record(site.id, event).await;
    }

    /// Issues a new secret; the old one stops working at once.
    pub async fn rotate_secret(
        &self,
        site: &Site,
        client_id: &str,
        actor: &Actor,
    ) -> Result<Secret, ClientError> {
        let client = self.existing(site, client_id).await?;
        match client.auth_method {
            ClientAuthMethod::None => return Err(ClientError::PublicClient),
            ClientAuthMethod::PrivateKeyJwt => return Err(ClientError::KeyClient),
            ClientAuthMethod::ClientSecret | ClientAuthMethod::ClientSecretJwt => {}
        }
        let secret = tokens::mint_client_secret();
        let hash = tokens::client_secret_hash(site, &client.client_id, secret.expose());
        let sealed = self.sealed_secret(site, client.auth_method, Some(&secret))?;
        let changed = self
            .store
            .set_client_secret(
                site.id,
                client.pk,
                &hash,
                sealed.as_deref(),
                self.clock.now(),
            )
            .await?;
        self.cache.evict_client(client.pk);
        if !changed {
            return Err(ClientError::NotFound(client_id.to_string()));
        }
        tracing::info!(site = %site.slug, client_id, "client secret rotated");
        let event =
            AuditEvent::new(AuditKind::ClientSecretRotated, actor.clone()).client(client_id);
        self.audit.record(site.id, event).await;
        Ok(secret)
    }

    /// The secret sealed under the master key, for a client_secret_jwt
    /// client only: every other client keeps just its hash.
    fn sealed_secret(
        &self,
        site: &Site,
        method: ClientAuthMethod,
        secret: Option<&Secret>,
    ) -> Result<Option<String>, ClientError> {
        match (method, secret) {
            (ClientAuthMethod::ClientSecretJwt, Some(secret)) => {
                let sealed = aead::seal(&self.master, site.id, secret.expose().as_bytes())
                    .map_err(|e| ClientError::Internal(e.into()))?;
                Ok(Some(sealed))
            }
            _ => Ok(None),
        }
    }

    /// Replaces the public keys of a private_key_jwt client and the
    /// signing algorithm of an assertion client (checked as at
    /// registration); its cached keys are dropped in every process.
    pub async fn set_keys(
        &self,
        site: &Site,
        client_id: &str,
        keys: Option<ClientKeySource>,
        signing_alg: Option<String>,
        actor: &Actor,
    ) -> Result<Arc<Client>, ClientError> {
        let client = self.existing(site, client_id).await?;
        let auth = ClientAuthSettings {
            method: client.auth_method,
            keys,
            signing_alg,
        };
        let columns: ClientKeyColumns = check_auth(&auth, self.outbound_policy)?;
        let changed = self
            .store
            .set_client_keys(site.id, client.pk, &columns, self.clock.now())
            .await?;
        self.cache.evict_client(client.pk);
        if !changed {
            return Err(ClientError::NotFound(client_id.to_string()));
        }
        let shown = columns.jwks_uri.clone().unwrap_or_else(|| "inline".into());
        self.record_change(site, client_id, actor, "keys", shown.into())
            .await;
        self.existing(site, client_id).await
    }

    /// Deletes the client; its consents, codes and tokens go with it.
    pub async fn delete(
        &self,
        site: &Site,
        client_id: &str,
        actor: &Actor,
    ) -> Result<(), ClientError> {
        let client = self.existing(site, client_id).await?;
        let deleted = self
            .store
            .delete_client(site.id, client.pk, self.clock.now())
            .await?;
        self.cache.evict_client(client.pk);
        if !deleted {
            return Err(ClientError::NotFound(client_id.to_string()));
        }
        tracing::info!(site = %site.slug, client_id, "client deleted");
        let event = AuditEvent::new(AuditKind::ClientDeleted, actor.clone())
            .client(client_id)
            .detail("name", client.name.as_str());
        self.audit.record(site.id, event).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(raw: &str) -> RedirectUri {
        RedirectUri::parse(raw).unwrap_or_else(|e| unreachable!("{e}"))
    }

    #[test]
    fn redirect_uris_match_exactly() {
        let registered = uri("https://app.example/callback");
        assert!(registered.matches("https://app.example/callback"));
        assert!(!registered.matches("https://app.example/callback/more"));
        assert!(!registered.matches("https://APP.example/callback"));
        assert!(!registered.matches("https://app.example/Callback"));
        assert!(!registered.matches("https://app.example/callback#frag"));
        assert!(!registered.matches("https://app.example/callback?x=1"));
        assert!(!registered.matches("https://app.example:8443/callback"));
    }

    #[test]
    fn loopback_redirect_uris_may_change_only_the_port() {
        let registered = uri("http://127.0.0.1/cb");
        assert!(registered.matches("http://127.0.0.1:53124/cb"));
        assert!(registered.matches("http://127.0.0.1/cb"));
        assert!(!registered.matches("http://127.0.0.1:53124/cb/x"));
        assert!(!registered.matches("http://127.0.0.1:53124/cb#x"));
        assert!(!registered.matches("http://127.0.0.2:53124/cb"));
        assert!(uri("http://[::1]:8000/cb").matches("http://[::1]:9000/cb"));
    }

    /// Found by the `redirect_uri` fuzz target: a URI under the length
    /// limit whose normal form is over it was registered, then dropped
    /// when the client was read back from the store.
    #[test]
    fn a_registered_redirect_uri_reads_back_from_its_stored_form() {
        let raw = format!("https://app.example/{}", "é".repeat(600));
        assert!(raw.len() <= MAX_URL_LEN);
        assert_eq!(
            RedirectUri::parse(&raw),
            Err(ClientInputError::RedirectUri(raw.clone()))
        );
        let fits = uri(&format!("https://app.example/{}", "é".repeat(300)));
        assert_eq!(RedirectUri::parse(fits.as_str()), Ok(fits));
    }

    #[test]
    fn registration_refuses_unsafe_redirect_uris() {
        assert!(RedirectUri::parse("http://app.example/cb").is_err());
        assert!(RedirectUri::parse("https://app.example/cb#x").is_err());
        assert!(RedirectUri::parse("javascript:alert(1)").is_err());
        assert!(RedirectUri::parse("/relative").is_err());
        assert!(RedirectUri::parse("com.example.app:/cb").is_ok());
    }

    #[test]
    fn public_clients_cannot_use_client_credentials() {
        let settings = ClientSettings {
            name: "App".into(),
            homepage_url: None,
            redirect_uris: vec!["https://app.example/cb".into()],
            scopes: None,
            grant_types: Some(vec!["client_credentials".into()]),
        };
        assert!(matches!(
            check(&settings, false),
            Err(ClientInputError::GrantTypes(_))
        ));
        assert!(check(&settings, true).is_ok());
    }
}

/// Why no registered key of a client checks a JWS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKeyError {
    /// The client registered neither `jwks` nor `jwks_uri`.
    NoKeys,
    /// No key has the JWS's `kid` and algorithm (or none fits it).
    Unknown,
    /// Several keys fit and the JWS names no `kid`.
    Ambiguous,
    /// Its `jwks_uri` cannot be fetched (or nothing is fetched here).
    Unavailable,
}
