//! Per-site signing keys for ID tokens and JWT access tokens.
//!
//! A key lives `next` (published in the JWKS, never signing) → `current`
//! (signs) → `retired` (published until every token it signed has expired,
//! then deleted). Rotation happens in one store transaction with conditional
//! updates, so processes sharing a database agree on the signing key; the
//! change feed tells the others to reload. Private keys are stored sealed
//! under the master key.

pub mod cache;
pub mod keygen;

use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::jwk::Jwk;
use serde::Serialize;
use serde::de::DeserializeOwned;

use self::cache::{ActiveKey, SigningKeyCache, SiteKeys, VerifyingKey};
use self::keygen::{KeyGenError, SigningAlg};
use crate::clock::SharedClock;
use crate::crypto::{MasterKey, aead};
use crate::sites::Site;
use crate::sites::SiteRegistry;
use crate::store::{KeyChange, NewSigningKey, SharedStore, SigningKeyRecord, StoreError};

/// Rotate the signing key after this long unless the site says otherwise.
pub const DEFAULT_ROTATION_SECS: i64 = 90 * 24 * 3600;
/// A process may keep signing with a key it loaded this long after another
/// process retired it (the cache's age limit); retired keys stay published
/// that much longer than the tokens they signed.
const PUBLISH_SLACK_SECS: i64 = 2 * cache::MAX_AGE_SECS;

#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    #[error(transparent)]
    KeyGen(#[from] KeyGenError),
    #[error("cannot open a sealed signing key: {0}")]
    Seal(#[from] aead::AeadError),
    #[error("stored signing key {0} is unreadable")]
    BadRecord(String),
    #[error("another process changed the keys at the same time; try again")]
    Contended,
    #[error("cannot sign: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What `rotate` did, for the command line.
#[derive(Debug, Clone)]
pub struct Rotated {
    pub retired_kid: String,
    pub current_kid: String,
    pub next_kid: String,
}

#[derive(Clone)]
pub struct SigningKeys {
    store: SharedStore,
    cache: Arc<SigningKeyCache>,
    master: MasterKey,
    clock: SharedClock,
}

impl SigningKeys {
    pub fn new(
        store: SharedStore,
        cache: Arc<SigningKeyCache>,
        master: MasterKey,
        clock: SharedClock,
    ) -> Self {
        Self {
            store,
            cache,
            master,
            clock,
        }
    }

    /// The site's keys: from the cache, else from the store, creating the
    /// first current and next keys on first use.
    pub async fn keys(&self, site_id: i64) -> Result<Arc<SiteKeys>, SigningError> {
        let now = self.clock.now();
        if let Some(keys) = self.cache.get(site_id, now) {
            return Ok(keys);
        }
        let keys = Arc::new(self.load(site_id, now).await?);
        self.cache.put(site_id, keys.clone());
        Ok(keys)
    }

    async fn settings(&self, site_id: i64) -> Result<(SigningAlg, i64), SigningError> {
        Ok(match self.store.signing_settings(site_id).await? {
            Some(s) => (
                SigningAlg::parse(&s.alg).unwrap_or(SigningAlg::DEFAULT),
                s.rotation_secs,
            ),
            None => (SigningAlg::DEFAULT, DEFAULT_ROTATION_SECS),
        })
    }

    async fn load(&self, site_id: i64, now: i64) -> Result<SiteKeys, SigningError> {
        let (configured_alg, rotation_secs) = self.settings(site_id).await?;
        let mut records = self.store.list_signing_keys(site_id, now).await?;
        if !records.iter().any(|r| r.state == "current") {
            let current = self.new_key(site_id, configured_alg)?;
            let next = self.new_key(site_id, configured_alg)?;
            // `Lost`: another process installed them first; theirs count.
            self.store
                .install_signing_keys(site_id, &current, &next, now)
                .await?;
            records = self.store.list_signing_keys(site_id, now).await?;
        }
        let mut current = None;
        let mut next = None;
        let mut jwks = Vec::with_capacity(records.len());
        let mut verifying = Vec::with_capacity(records.len());
        for record in &records {
            let alg = SigningAlg::parse(&record.alg)
                .ok_or_else(|| SigningError::BadRecord(record.kid.clone()))?;
            let jwk: Jwk = serde_json::from_str(&record.public_jwk)
                .map_err(|_| SigningError::BadRecord(record.kid.clone()))?;
            verifying.push(VerifyingKey {
                kid: record.kid.clone(),
                alg,
                decoding: keygen::decoding_key(&jwk)?,
            });
            jwks.push(jwk);
            match record.state.as_str() {
                "current" => current = Some(self.open(record, alg)?),
                "next" => next = Some((record.id, alg)),
                _ => {}
            }
        }
        let (Some(current), Some((next_id, next_alg))) = (current, next) else {
            return Err(SigningError::Contended);
        };
        let jwks = serde_json::to_string(&JwkSet { keys: jwks })
            .map_err(|_| SigningError::BadRecord("jwks".into()))?;
        Ok(SiteKeys {
            current,
            next_id,
            next_alg,
            jwks,
            verifying,
            configured_alg,
            rotation_secs,
            loaded_at: now,
        })
    }

    fn open(&self, record: &SigningKeyRecord, alg: SigningAlg) -> Result<ActiveKey, SigningError> {
        let der = aead::open(&self.master, record.site_id, &record.sealed_private_key)?;
        Ok(ActiveKey {
            id: record.id,
            kid: record.kid.clone(),
            alg,
            encoding: alg.encoding_key(&der),
            activated_at: record.activated_at.unwrap_or(record.created_at),
        })
    }

    fn new_key(&self, site_id: i64, alg: SigningAlg) -> Result<NewSigningKey, SigningError> {
        let key = keygen::generate(alg)?;
        Ok(NewSigningKey {
            kid: key.kid,
            alg: alg.as_str().to_string(),
            sealed_private_key: aead::seal(&self.master, site_id, &key.private_der)?,
            public_jwk: serde_json::to_string(&key.public_jwk)
                .map_err(|_| SigningError::BadRecord("new key".into()))?,
        })
    }

    /// Signs `claims` with the site's current key; `typ` is the JOSE header's.
    pub async fn sign<T: Serialize>(
        &self,
        site_id: i64,
        typ: &str,
        claims: &T,
    ) -> Result<(String, SigningAlg), SigningError> {
        let keys = self.keys(site_id).await?;
        Ok((sign_with(&keys.current, typ, claims)?, keys.current.alg))
    }

    /// The JWKS document of the site.
    pub async fn jwks(&self, site_id: i64) -> Result<String, SigningError> {
        Ok(self.keys(site_id).await?.jwks.clone())
    }

    /// Verifies a token signed by one of the site's published keys. `None`
    /// for anything forged, expired, unknown or not of `typ`.
    pub async fn verify<T: DeserializeOwned>(
        &self,
        site: &Site,
        typ: &str,
        token: &str,
        audience: Option<&str>,
    ) -> Result<Option<T>, SigningError> {
        self.verify_checking(site, typ, token, audience, true).await
    }

    /// [`verify`](Self::verify), except that an expired token still counts
    /// (RP-Initiated Logout's `id_token_hint` may have expired).
    pub async fn verify_even_expired<T: DeserializeOwned>(
        &self,
        site: &Site,
        typ: &str,
        token: &str,
    ) -> Result<Option<T>, SigningError> {
        self.verify_checking(site, typ, token, None, false).await
    }

    async fn verify_checking<T: DeserializeOwned>(
        &self,
        site: &Site,
        typ: &str,
        token: &str,
        audience: Option<&str>,
        check_expiry: bool,
    ) -> Result<Option<T>, SigningError> {
        let Ok(header) = jsonwebtoken::decode_header(token) else {
            return Ok(None);
        };
        if header.typ.as_deref() != Some(typ) {
            return Ok(None);
        }
        let Some(kid) = header.kid else {
            return Ok(None);
        };
        let keys = self.keys(site.id).await?;
        let Some(key) = keys.verifying_key(&kid) else {
            return Ok(None);
        };
        if key.alg.jwt() != header.alg {
            return Ok(None);
        }
        let mut validation = jsonwebtoken::Validation::new(key.alg.jwt());
        validation.set_issuer(&[&site.issuer]);
        validation.leeway = 0;
        validation.validate_exp = check_expiry;
        match audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        Ok(jsonwebtoken::decode::<T>(token, &key.decoding, &validation)
            .ok()
            .map(|d| d.claims))
    }

    /// Promotes the next key, retires the current one (published for as
    /// long as tokens it signed may live) and publishes a new next key.
    pub async fn rotate(&self, site: &Site) -> Result<Rotated, SigningError> {
        self.rotate_as(site, &crate::audit::Actor::System).await
    }

    /// [`Self::rotate`] for an operator or an admin, who is audited.
    pub async fn rotate_as(
        &self,
        site: &Site,
        actor: &crate::audit::Actor,
    ) -> Result<Rotated, SigningError> {
        let keys = self.keys(site.id).await?;
        let now = self.clock.now();
        let new_next = self.new_key(site.id, keys.configured_alg)?;
        let signed_ttl = site
            .oauth
            .access_token_ttl_secs
            .max(site.oauth.admin_access_token_ttl_secs);
        let outcome = self
            .store
            .rotate_signing_keys(
                site.id,
                keys.current.id,
                keys.next_id,
                &new_next,
                now + signed_ttl + PUBLISH_SLACK_SECS,
                now,
            )
            .await?;
        self.cache.evict_site(site.id);
        if outcome == KeyChange::Lost {
            return Err(SigningError::Contended);
        }
        let fresh = self.keys(site.id).await?;
        tracing::info!(site = %site.slug, kid = %fresh.current.kid, "signing key rotated");
        let event = crate::audit::AuditEvent::new(
            crate::audit::AuditKind::SigningKeyRotated,
            actor.clone(),
        )
        .detail("current", fresh.current.kid.as_str())
        .detail("retired", keys.current.kid.as_str())
        .detail("next", new_next.kid.as_str());
        crate::audit::Audit::new(self.store.clone(), self.clock.clone())
            .record(site.id, event)
            .await;
        Ok(Rotated {
            retired_kid: keys.current.kid.clone(),
            current_kid: fresh.current.kid.clone(),
            next_kid: new_next.kid,
        })
    }

    /// Chooses the algorithm of the site's keys from now on. The waiting
    /// next key (which never signed) is replaced at once by one of the new
    /// algorithm, so the following rotation switches algorithms.
    pub async fn set_algorithm(
        &self,
        site_id: i64,
        alg: SigningAlg,
        rotation_secs: Option<i64>,
    ) -> Result<(), SigningError> {
        let now = self.clock.now();
        let keys = self.keys(site_id).await?;
        self.store
            .set_signing_settings(site_id, Some(alg.as_str()), rotation_secs, now)
            .await?;
        if keys.next_alg != alg {
            let new_next = self.new_key(site_id, alg)?;
            self.store
                .replace_next_signing_key(site_id, keys.next_id, &new_next, now)
                .await?;
        }
        self.cache.evict_site(site_id);
        Ok(())
    }

    /// Rotates every site whose current key is older than its rotation
    /// period, and deletes retired keys no longer needed.
    pub async fn rotate_due(&self, sites: &SiteRegistry) -> Result<usize, SigningError> {
        let mut rotated = 0;
        for site_id in self.store.sites_with_signing_keys().await? {
            let Some(site) = sites.by_id(site_id) else {
                continue;
            };
            let keys = self.keys(site_id).await?;
            if keys.current.activated_at + keys.rotation_secs > self.clock.now() {
                continue;
            }
            match self.rotate(&site).await {
                Ok(_) => rotated += 1,
                // Another process rotated it: fine.
                Err(SigningError::Contended) => {}
                Err(e) => return Err(e),
            }
        }
        self.store.purge_signing_keys(self.clock.now()).await?;
        Ok(rotated)
    }

    /// The schedule: checks every `interval`, the first time one `interval`
    /// after start (not at once, where it would race whatever the starting
    /// process does with its keys first).
    pub async fn run_schedule(self, sites: Arc<SiteRegistry>, interval: Duration) {
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(e) = self.rotate_due(&sites).await {
                tracing::warn!(error = %e, "signing-key rotation check failed");
            }
        }
    }
}

/// RFC 7517 5: the site's public keys, served at `/.well-known/jwks.json`.
#[derive(Serialize, utoipa::ToSchema)]
pub struct JwkSet {
    /// The current key, the next one (published before it signs) and
    /// retired keys still verifying: `kty`, `kid`, `use`, `alg` and the
    /// key's public parameters.
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<Jwk>,
}

/// Signs with one key; `typ` is the JOSE header's (`JWT`, `at+jwt`).
pub fn sign_with<T: Serialize>(
    key: &ActiveKey,
    typ: &str,
    claims: &T,
) -> Result<String, jsonwebtoken::errors::Error> {
    let mut header = jsonwebtoken::Header::new(key.alg.jwt());
    header.typ = Some(typ.to_string());
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding)
}
