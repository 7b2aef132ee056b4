//! Registering, listing and removing a site's trusted identity providers:
//! everything an admin gives is checked here, before it is stored, so the
//! token exchange only ever meets providers that make sense.

use super::jwks::{InlineJwks, JwksFetchError, parse_jwks};
use super::{IdentityProvider, ProviderError, algorithm_name, parse_algorithms};
use crate::outbound::{OutboundPolicy, UrlError, target::parse_url};
use crate::store::{IdentityProviderRecord, NewIdentityProvider, SharedStore, StoreError};

/// Where a provider's keys come from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// Fetched from this URL and cached.
    Uri(String),
    /// A JWKS document given at registration.
    Inline(String),
}

/// What an admin asks to register.
#[derive(Debug, Clone)]
pub struct ProviderSettings {
    pub issuer: String,
    pub audience: String,
    pub keys: KeySource,
    /// `RS256,ES256`; `None` or empty for every asymmetric algorithm.
    pub algorithms: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("the JWKS URL is refused: {0}")]
    JwksUri(#[from] UrlError),
    #[error("the inline keys are unusable: {0}")]
    Keys(JwksFetchError),
    #[error("the issuer `{0}` has surrounding spaces; issuers are compared exactly")]
    PaddedIssuer(String),
    #[error("this site already trusts the issuer `{0}`")]
    AlreadyRegistered(String),
    #[error(transparent)]
    Store(StoreError),
}

impl RegistrationError {
    /// True when the admin's input is at fault, not the store.
    pub fn is_input(&self) -> bool {
        !matches!(
            self,
            RegistrationError::AlreadyRegistered(_) | RegistrationError::Store(_)
        )
    }
}

/// Checks and stores a provider; every process picks it up through the
/// change feed. A JWKS URL must be one `policy` lets Tessera fetch.
pub async fn register_provider(
    store: &SharedStore,
    site_id: i64,
    settings: ProviderSettings,
    policy: OutboundPolicy,
    now: i64,
) -> Result<IdentityProviderRecord, RegistrationError> {
    if settings.issuer.trim() != settings.issuer {
        return Err(RegistrationError::PaddedIssuer(settings.issuer));
    }
    let algorithms = parse_algorithms(settings.algorithms.as_deref().unwrap_or_default())?;
    let provider = IdentityProvider::new(&settings.issuer, settings.audience.trim(), &algorithms)?;
    let (jwks_uri, jwks_json) = match settings.keys {
        KeySource::Uri(raw) => (Some(parse_url(&raw, policy)?.to_string()), None),
        KeySource::Inline(json) => {
            InlineJwks::new(json.as_str()).map_err(RegistrationError::Keys)?;
            (None, Some(json))
        }
    };
    let names: Vec<String> = provider
        .algorithms()
        .iter()
        .map(|a| algorithm_name(*a))
        .collect();
    let new = NewIdentityProvider {
        site_id,
        issuer: provider.issuer().to_owned(),
        audience: provider.audience().to_owned(),
        jwks_uri,
        jwks_json,
        algorithms: names.join(","),
        created_at: now,
    };
    match store.create_identity_provider(&new).await {
        Ok(record) => Ok(record),
        Err(StoreError::Conflict) => Err(RegistrationError::AlreadyRegistered(new.issuer)),
        Err(e) => Err(RegistrationError::Store(e)),
    }
}

pub async fn list_providers(
    store: &SharedStore,
    site_id: i64,
) -> Result<Vec<IdentityProviderRecord>, StoreError> {
    store.list_identity_providers(site_id).await
}

/// False when the site trusts no provider with this issuer.
pub async fn remove_provider(
    store: &SharedStore,
    site_id: i64,
    issuer: &str,
    now: i64,
) -> Result<bool, StoreError> {
    store.delete_identity_provider(site_id, issuer, now).await
}

/// How many usable keys a provider's inline JWKS holds (0 for a URI).
pub fn inline_key_count(record: &IdentityProviderRecord) -> usize {
    record
        .jwks_json
        .as_deref()
        .and_then(|json| parse_jwks(json).ok())
        .map_or(0, |keys| keys.len())
}
