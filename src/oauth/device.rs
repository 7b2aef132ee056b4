//! The device authorization grant (RFC 8628), up to the user's answer: the
//! device authorization endpoint, the user code typed on `/device`, and the
//! consent decision. Polling the token endpoint is `grants/device_code.rs`.
//! A device authorization request may name one registered `resource`
//! (RFC 8707), kept with the device code: its tokens are for that audience.
//!
//! The consent screen is the code flow's (`ConsentPage`); its token binds the
//! device request's row instead of a redirect URI, under the same site consent
//! key with a different domain, so one kind cannot be replayed as the other.

use crate::ratelimit::Endpoint;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

use super::OAuth;
use super::authorize::{ConsentPage, ScopeLine};
use super::client_authentication::PresentedClient;
use super::clients::{Client, GrantType};
use super::consent::{CONSENT_TTL_SECS, Decision};
use super::error::{OAuthError, OAuthResult};
use super::resources;
use super::scopes::{Scope, ScopeSet};
use super::tokens;
use crate::cache::CachedUser;
use crate::crypto::{constant_time_eq, random};
use crate::sites::Site;
use crate::store::{DeviceCodeRecord, NewDeviceCode, StoreError};
use crate::throttle::{Attempt, ThrottleKey};

/// How long the user has to enter the code.
pub const DEVICE_CODE_TTL_SECS: i64 = 600;
/// The first polling interval; `slow_down` adds `SLOW_DOWN_STEP_SECS`.
pub const POLL_INTERVAL_SECS: i64 = 5;
pub const SLOW_DOWN_STEP_SECS: i64 = 5;
/// RFC 8628 6.1: consonants only, no vowels (no words), no digits (no 0/O, 1/I).
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
const USER_CODE_LEN: usize = 8;

/// The form of `POST /oauth/device_authorization`. No `Debug`: it holds a secret.
#[derive(Default, Deserialize, utoipa::ToSchema)]
pub struct DeviceAuthorizationRequest {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// RFC 7523 2.2: private_key_jwt and client_secret_jwt.
    pub client_assertion_type: Option<String>,
    pub client_assertion: Option<String>,
    pub scope: Option<String>,
    /// RFC 8707: the one registered resource the tokens are for.
    pub resource: Option<String>,
}

/// RFC 8628 3.2.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

impl std::fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// A user code as typed: case and dashes do not matter.
pub fn normalize_user_code(raw: &str) -> Option<String> {
    let code: String = raw
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)))
        .then_some(code)
}

/// `XXXX-XXXX`.
pub fn display_user_code(normalized: &str) -> String {
    let (a, b) = normalized.split_at(normalized.len().min(USER_CODE_LEN / 2));
    format!("{a}-{b}")
}

fn mint_user_code() -> String {
    let mut code = String::with_capacity(USER_CODE_LEN);
    while code.len() < USER_CODE_LEN {
        // Rejection sampling keeps every letter equally likely.
        for byte in random::bytes::<16>() {
            if usize::from(byte) < 256 - 256 % USER_CODE_ALPHABET.len()
                && code.len() < USER_CODE_LEN
            {
                code.push(char::from(
                    USER_CODE_ALPHABET[usize::from(byte) % USER_CODE_ALPHABET.len()],
                ));
            }
        }
    }
    code
}

fn user_code_hash(site: &Site, normalized: &str) -> String {
    tokens::hash_token(&format!("{}:{normalized}", site.id))
}

/// What typing a user code led to.
#[derive(Debug)]
pub enum DeviceEntry {
    /// Ask the user, on the code flow's consent screen.
    Consent(ConsentPage),
    /// Not a live code of this site.
    Unknown,
    /// Too many codes typed by this user or from this address: try again
    /// in so many seconds.
    Throttled(i64),
}

/// What the user's answer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceOutcome {
    Approved,
    Denied,
    /// The form or the code expired, or the code was answered already.
    Expired,
}

#[derive(Serialize, Deserialize)]
struct SealedDevice {
    site: i64,
    user: i64,
    device: i64,
    client: String,
    scopes: String,
    expires: i64,
}

const DEVICE_CONSENT_DOMAIN: &[u8] = b"device-consent\n";

fn device_mac(site: &Site, body: &str) -> [u8; 32] {
    site.oauth
        .consent_key
        .mac(&[DEVICE_CONSENT_DOMAIN, body.as_bytes()].concat())
}

fn seal_device(site: &Site, sealed: &SealedDevice) -> String {
    let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(sealed).unwrap_or_default());
    let mac = device_mac(site, &body);
    format!("{body}.{}", URL_SAFE_NO_PAD.encode(mac))
}

fn open_device(site: &Site, user_id: i64, value: &str, now: i64) -> Option<SealedDevice> {
    let (body, mac) = value.split_once('.')?;
    let mac = URL_SAFE_NO_PAD.decode(mac).ok()?;
    if !constant_time_eq(&mac, &device_mac(site, body)) {
        return None;
    }
    let sealed: SealedDevice = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(body).ok()?).ok()?;
    (sealed.site == site.id && sealed.user == user_id && sealed.expires > now).then_some(sealed)
}

fn consent_page(client: &Client, scopes: ScopeSet, consent_token: String) -> ConsentPage {
    ConsentPage {
        client_name: client.name.clone(),
        client_id: client.client_id.clone(),
        homepage_url: client.homepage_url.clone(),
        document_host: client.document_host(),
        scopes: scopes
            .iter()
            .map(|s: Scope| ScopeLine {
                name: s.as_str(),
                description_key: s.description_key(),
            })
            .collect(),
        consent_token,
    }
}

impl OAuth {
    /// `POST /oauth/device_authorization` (RFC 8628 3.1).
    pub async fn start_device_authorization(
        &self,
        site: &Site,
        authorization: Option<&str>,
        request: &DeviceAuthorizationRequest,
    ) -> OAuthResult<DeviceAuthorization> {
        let presented = PresentedClient {
            authorization,
            client_id: request.client_id.as_deref(),
            client_secret: request.client_secret.as_deref(),
            client_assertion_type: request.client_assertion_type.as_deref(),
            client_assertion: request.client_assertion.as_deref(),
        };
        let client = self
            .clients
            .authenticate_at(site, &presented, Endpoint::Device)
            .await?;
        if !client.allows(GrantType::DeviceCode) {
            return Err(OAuthError::UnauthorizedClient(
                "this client may not use the device authorization grant",
            ));
        }
        let resource = self
            .resolve_resource(site, request.resource.as_deref())
            .await?;
        let scopes = match request
            .scope
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            // Without `scope`, a token for a resource carries what both allow.
            None => resource
                .as_ref()
                .map_or(client.scopes, |r| client.scopes.intersect(r.scopes)),
            Some(raw) => {
                ScopeSet::parse(raw).map_err(|e| OAuthError::InvalidScope(e.to_string()))?
            }
        };
        if scopes.is_empty() || !scopes.is_subset_of(client.scopes) {
            return Err(OAuthError::InvalidScope(format!(
                "this client may ask only for: {}",
                client.scopes
            )));
        }
        resources::check_scopes(resource.as_ref(), scopes)?;
        let now = self.clock.now();
        let device_code = tokens::mint_device_code();
        // 20^8 codes: a collision with a live one is rare, and retried.
        for _ in 0..5 {
            let user_code = mint_user_code();
            let row = NewDeviceCode {
                site_id: site.id,
                device_code_hash: device_code.hash(),
                user_code_hash: user_code_hash(site, &user_code),
                client_pk: client.pk,
                scopes: scopes.to_string(),
                resource: resource.as_ref().map(|r| r.uri.clone()),
                interval_secs: POLL_INTERVAL_SECS,
                created_at: now,
                expires_at: now + DEVICE_CODE_TTL_SECS,
            };
            match self.store.create_device_code(&row).await {
                Ok(()) => {
                    let shown = display_user_code(&user_code);
                    let verification_uri = site.url("/device");
                    tracing::info!(site = %site.slug, client_id = %client.client_id, "device authorization started");
                    return Ok(DeviceAuthorization {
                        device_code: device_code.into_inner(),
                        verification_uri_complete: format!("{verification_uri}?user_code={shown}"),
                        user_code: shown,
                        verification_uri,
                        expires_in: DEVICE_CODE_TTL_SECS,
                        interval: POLL_INTERVAL_SECS,
                    });
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(OAuthError::ServerError(anyhow::anyhow!(
            "no free user code after five tries"
        )))
    }

    async fn live_device_code(
        &self,
        site: &Site,
        normalized: &str,
        now: i64,
    ) -> OAuthResult<Option<(DeviceCodeRecord, Arc<Client>)>> {
        let Some(record) = self
            .store
            .find_device_code_by_user_code(site.id, &user_code_hash(site, normalized))
            .await?
        else {
            return Ok(None);
        };
        if record.status != "pending" || record.expires_at <= now {
            return Ok(None);
        }
        let Some(client) = self.clients.find(site, &record.client_id).await? else {
            return Ok(None);
        };
        Ok(Some((record, client)))
    }

    /// The signed-in user typed a user code on `/device`.
    pub async fn enter_user_code(
        &self,
        site: &Site,
        user: &CachedUser,
        ip: &str,
        raw: &str,
    ) -> OAuthResult<DeviceEntry> {
        let now = self.clock.now();
        // Every code typed counts, before the lookup, per user and per
        // address (shared by every process); a right one is given back.
        let keys = [
            ThrottleKey::device_user(site.id, user.id),
            ThrottleKey::device_address(site.id, ip),
        ];
        if let Attempt::Refused { retry_after } = self.throttle.attempt(&keys, now).await? {
            tracing::warn!(site = %site.slug, "device user codes throttled");
            return Ok(DeviceEntry::Throttled(retry_after));
        }
        let found = match normalize_user_code(raw) {
            Some(code) => self.live_device_code(site, &code, now).await?,
            None => None,
        };
        let Some((record, client)) = found else {
            tracing::info!(site = %site.slug, "unknown device user code");
            return Ok(DeviceEntry::Unknown);
        };
        self.throttle.succeeded(&[], &keys).await?;
        let scopes = ScopeSet::from_stored(&record.scopes);
        let token = seal_device(
            site,
            &SealedDevice {
                site: site.id,
                user: user.id,
                device: record.id,
                client: client.client_id.clone(),
                scopes: record.scopes.clone(),
                expires: now + CONSENT_TTL_SECS.min(record.expires_at - now),
            },
        );
        Ok(DeviceEntry::Consent(consent_page(&client, scopes, token)))
    }

    /// The user's answer on the device consent screen (CSRF checked by the caller).
    pub async fn decide_device(
        &self,
        site: &Site,
        user: &CachedUser,
        consent_token: &str,
        decision: Decision,
    ) -> OAuthResult<DeviceOutcome> {
        let now = self.clock.now();
        let Some(sealed) = open_device(site, user.id, consent_token, now) else {
            return Ok(DeviceOutcome::Expired);
        };
        let Some(client) = self.clients.find(site, &sealed.client).await? else {
            return Ok(DeviceOutcome::Expired);
        };
        let scopes = ScopeSet::from_stored(&sealed.scopes);
        let approve = decision == Decision::Allow && scopes.is_subset_of(client.scopes);
        if !self
            .store
            .decide_device_code(site.id, sealed.device, user.id, approve, now)
            .await?
        {
            return Ok(DeviceOutcome::Expired);
        }
        if !approve {
            tracing::info!(site = %site.slug, client_id = %client.client_id, "device request denied");
            return Ok(DeviceOutcome::Denied);
        }
        // Remembered like the code flow's consent, so the app is listed
        // (and revocable) among the user's authorized apps.
        let earlier = self
            .store
            .find_consent(site.id, user.id, client.pk)
            .await?
            .map(|s| ScopeSet::from_stored(&s))
            .unwrap_or_default();
        let remembered = earlier.union(scopes);
        let epoch = self.cache.epoch();
        self.store
            .save_consent(site.id, user.id, client.pk, &remembered.to_string(), now)
            .await?;
        self.cache
            .put_consent(site.id, user.id, client.pk, remembered, epoch);
        tracing::info!(site = %site.slug, client_id = %client.client_id, "device request approved");
        Ok(DeviceOutcome::Approved)
    }
}
