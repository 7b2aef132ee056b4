//! OpenID Connect Back-Channel Logout 1.0: logout tokens POSTed to the
//! `backchannel_logout_uri` of each client whose grant a session end
//! revoked.
//!
//! The store queues one delivery per client and session in the
//! transaction that ends the session (`store::logout`). [`run`] delivers
//! them from every node: a delivery is claimed with a lease, POSTed
//! through the SSRF-guarded [`Outbound`] client, deleted once the client
//! answered 2xx, and otherwise retried with exponential back-off, at most
//! [`MAX_ATTEMPTS`] times.
//!
//! [`run`]: BackchannelLogout::run

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use url::Url;

use crate::clock::SharedClock;
use crate::crypto::random;
use crate::outbound::{FetchError, Outbound};
use crate::signing::{SigningError, SigningKeys};
use crate::sites::SiteRegistry;
use crate::store::{BackchannelLogoutRecord, SharedStore, StoreError};

/// The `events` member that makes a JWT a logout token (section 2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// The JOSE `typ` of logout tokens (section 2.4 recommends it).
pub const LOGOUT_TOKEN_TYPE: &str = "logout+jwt";
/// A logout token is good for two minutes.
pub const LOGOUT_TOKEN_TTL_SECS: i64 = 120;
/// Attempts per delivery before it is given up.
pub const MAX_ATTEMPTS: i64 = 8;
/// The wait after the first failure; it doubles with each further one.
pub const FIRST_RETRY_SECS: i64 = 10;
const MAX_RETRY_SECS: i64 = 60 * 60;
/// How long a claimed delivery is this node's (a POST takes at most
/// `outbound::TOTAL_TIMEOUT`).
const LEASE_SECS: i64 = 60;
const BATCH: i64 = 50;
const POLL: Duration = Duration::from_secs(1);

/// The claims of a logout token (section 2.4).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogoutTokenClaims {
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub events: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum LogoutDeliveryError {
    #[error("the client no longer takes back-channel logout")]
    NoLongerRegistered,
    #[error("the site is gone")]
    NoSite,
    #[error("cannot sign: {0}")]
    Signing(#[from] SigningError),
    #[error("the client refused the logout token: {0}")]
    Fetch(#[from] FetchError),
}

/// Seconds to wait after the `attempts`-th failed attempt.
pub fn retry_delay_secs(attempts: i64) -> i64 {
    let doublings = u32::try_from((attempts - 1).clamp(0, 20)).unwrap_or(20);
    FIRST_RETRY_SECS
        .saturating_mul(1_i64 << doublings)
        .min(MAX_RETRY_SECS)
}

/// Delivers queued logout tokens.
#[derive(Clone)]
pub struct BackchannelLogout {
    store: SharedStore,
    sites: Arc<SiteRegistry>,
    signing: SigningKeys,
    outbound: Outbound,
    clock: SharedClock,
}

impl BackchannelLogout {
    pub fn new(
        store: SharedStore,
        sites: Arc<SiteRegistry>,
        signing: SigningKeys,
        outbound: Outbound,
        clock: SharedClock,
    ) -> Self {
        Self {
            store,
            sites,
            signing,
            outbound,
            clock,
        }
    }

    /// Delivers every delivery due now; how many were delivered.
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        let now = self.clock.now();
        let due = self
            .store
            .claim_backchannel_logouts(now, now + LEASE_SECS, BATCH)
            .await?;
        let mut delivered = 0;
        for delivery in due {
            match self.deliver(&delivery, now).await {
                Ok(()) => {
                    delivered += 1;
                    self.store.finish_backchannel_logout(delivery.id).await?;
                }
                Err(e) if delivery.attempts >= MAX_ATTEMPTS => {
                    tracing::warn!(
                        client_id = %delivery.client_id,
                        attempts = delivery.attempts,
                        error = %e,
                        "back-channel logout given up"
                    );
                    self.store.finish_backchannel_logout(delivery.id).await?;
                }
                Err(LogoutDeliveryError::NoLongerRegistered) => {
                    self.store.finish_backchannel_logout(delivery.id).await?;
                }
                Err(e) => {
                    let retry_at = now + retry_delay_secs(delivery.attempts);
                    tracing::info!(
                        client_id = %delivery.client_id,
                        attempts = delivery.attempts,
                        retry_at,
                        error = %e,
                        "back-channel logout failed; will retry"
                    );
                    self.store
                        .retry_backchannel_logout(delivery.id, retry_at, &e.to_string())
                        .await?;
                }
            }
        }
        Ok(delivered)
    }

    async fn deliver(
        &self,
        delivery: &BackchannelLogoutRecord,
        now: i64,
    ) -> Result<(), LogoutDeliveryError> {
        let Some(raw) = delivery.backchannel_logout_uri.as_deref() else {
            return Err(LogoutDeliveryError::NoLongerRegistered);
        };
        let url = Url::parse(raw).map_err(|_| LogoutDeliveryError::NoLongerRegistered)?;
        let site = self
            .sites
            .by_id(delivery.site_id)
            .ok_or(LogoutDeliveryError::NoSite)?;
        let claims = LogoutTokenClaims {
            iss: site.issuer.clone(),
            aud: delivery.client_id.clone(),
            iat: now,
            exp: now + LOGOUT_TOKEN_TTL_SECS,
            jti: random::hex_128(),
            sub: Some(delivery.user_id.to_string()),
            sid: delivery.session_id.map(|id| super::sid(&site, id)),
            events: serde_json::json!({ BACKCHANNEL_LOGOUT_EVENT: {} }),
        };
        let (token, _) = self
            .signing
            .sign(site.id, LOGOUT_TOKEN_TYPE, &claims)
            .await?;
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("logout_token", &token)
            .finish();
        self.outbound
            .post(
                &url,
                "application/x-www-form-urlencoded",
                &[],
                body.into_bytes(),
            )
            .await?;
        tracing::info!(client_id = %delivery.client_id, "back-channel logout delivered");
        Ok(())
    }

    /// Delivers forever, checking the queue every second.
    pub async fn run(self) {
        loop {
            if let Err(e) = self.deliver_due().await {
                tracing::warn!(error = %e, "back-channel logout delivery failed");
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(retry_delay_secs(1), 10);
        assert_eq!(retry_delay_secs(2), 20);
        assert_eq!(retry_delay_secs(3), 40);
        assert_eq!(retry_delay_secs(40), MAX_RETRY_SECS);
    }
}
