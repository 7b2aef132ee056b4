//! `grant_type=urn:ietf:params:oauth:grant-type:device_code` (RFC 8628 3.4,
//! 3.5): the device polls until the user answered. Polling faster than the
//! interval answers `slow_down` and adds five seconds to it; an approved code
//! gives tokens once, for the resource (RFC 8707) the device asked for.

use super::{
    Binding, TokenRequest, TokenResponse, mint_access, mint_refresh, refresh_binding, respond,
};
use crate::oauth::clients::{Client, GrantType};
use crate::oauth::device::SLOW_DOWN_STEP_SECS;
use crate::oauth::dpop::Jkt;
use crate::oauth::error::{OAuthError, OAuthResult};
use crate::oauth::scopes::ScopeSet;
use crate::oauth::{OAuth, tokens};
use crate::sites::Site;
use crate::store::NewGrant;

impl OAuth {
    pub(super) async fn poll_device_code(
        &self,
        site: &Site,
        client: &Client,
        request: &TokenRequest,
        proof: Option<&Jkt>,
    ) -> OAuthResult<TokenResponse> {
        if !client.allows(GrantType::DeviceCode) {
            return Err(OAuthError::UnauthorizedClient(
                "this client may not use the device authorization grant",
            ));
        }
        let presented = request
            .device_code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| OAuthError::invalid_request("device_code is required"))?;
        let invalid = OAuthError::InvalidGrant("the device code is invalid or was already used");
        if !presented.starts_with(tokens::DEVICE_CODE_PREFIX) || presented.len() > tokens::MAX_LEN {
            return Err(invalid);
        }
        let Some(record) = self
            .store
            .find_device_code(site.id, &tokens::hash_token(presented))
            .await?
        else {
            return Err(invalid);
        };
        if record.client_pk != client.pk {
            return Err(invalid);
        }
        let now = self.clock.now();
        // RFC 8707: the resource named at the device authorization request,
        // named again or implied; never another. Checked while the code can
        // still give tokens, before the poll counts.
        let live =
            matches!(record.status.as_str(), "pending" | "approved") && record.expires_at > now;
        let resource = if live {
            self.granted_resource(
                site,
                request.resource.as_deref(),
                record.resource.as_deref(),
            )
            .await?
        } else {
            None
        };
        match record.status.as_str() {
            "redeemed" => return Err(invalid),
            "denied" => return Err(OAuthError::AccessDenied),
            _ if record.expires_at <= now => return Err(OAuthError::ExpiredToken),
            "pending" => {
                let too_fast = record
                    .last_polled_at
                    .is_some_and(|last| now - last < record.interval_secs);
                let interval = if too_fast {
                    record.interval_secs + SLOW_DOWN_STEP_SECS
                } else {
                    record.interval_secs
                };
                self.store
                    .record_device_poll(site.id, record.id, interval, now)
                    .await?;
                return Err(if too_fast {
                    OAuthError::SlowDown(interval)
                } else {
                    OAuthError::AuthorizationPending
                });
            }
            "approved" => {}
            _ => return Err(invalid),
        }
        let Some(user_id) = record.user_id else {
            return Err(invalid);
        };
        match self.users.cached(site.id, user_id).await? {
            Some(user) if !user.disabled => {}
            _ => return Err(invalid),
        }
        let scopes = ScopeSet::from_stored(&record.scopes);
        let mut binding = Binding {
            client,
            user_id: Some(user_id),
            grant_id: None,
            scopes,
            access_jkt: proof,
            refresh_jkt: refresh_binding(client, proof),
            resource: resource.as_ref(),
        };
        let refresh = client
            .allows(GrantType::RefreshToken)
            .then(|| mint_refresh(site, &binding, scopes, now));
        let rows: Vec<_> = refresh.iter().map(|(_, row)| row.clone()).collect();
        let grant = NewGrant {
            site_id: site.id,
            client_pk: client.pk,
            user_id: Some(user_id),
            session_id: None,
            scopes: scopes.to_string(),
            created_at: now,
            expires_at: now + site.oauth.refresh_token_ttl_secs,
            resource: resource.as_ref().map(|r| r.uri.clone()),
        };
        let Some((grant_id, _)) = self
            .store
            .redeem_device_code(record.id, &grant, &rows)
            .await?
        else {
            return Err(invalid);
        };
        binding.grant_id = Some(grant_id);
        let access = mint_access(site, &binding, now)?;
        tracing::info!(site = %site.slug, client_id = %client.client_id, "device code redeemed");
        Ok(respond(
            site,
            &binding,
            access,
            refresh.map(|(secret, _)| secret),
        ))
    }
}
