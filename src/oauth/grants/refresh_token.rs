//! `grant_type=refresh_token` (RFC 6749 section 6, rotation per RFC 9700
//! 4.14.2). Every use returns a new refresh token; a rotated one used again
//! (after the site's grace window, off by default) revokes the whole family.
//! On a FAPI 2.0 site a confidential client's refresh token is not rotated
//! (FAPI 2.0 5.3.2.1 item 10): the response carries no new one.

use super::{
    Binding, TokenRequest, TokenResponse, mint_access, mint_refresh, refresh_binding,
    requested_scopes, respond,
};
use crate::oauth::clients::{Client, GrantType};
use crate::oauth::dpop::{Jkt, ProofError};
use crate::oauth::error::{OAuthError, OAuthResult};
use crate::oauth::scopes::ScopeSet;
use crate::oauth::{OAuth, tokens};
use crate::sites::Site;
use crate::store::{Rotation, TokenKind};

impl OAuth {
    pub(super) async fn refresh(
        &self,
        site: &Site,
        client: &Client,
        request: &TokenRequest,
        proof: Option<&Jkt>,
    ) -> OAuthResult<TokenResponse> {
        if !client.allows(GrantType::RefreshToken) {
            return Err(OAuthError::UnauthorizedClient(
                "this client may not use refresh tokens",
            ));
        }
        let presented = request
            .refresh_token
            .as_deref()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| OAuthError::invalid_request("refresh_token is required"))?;
        let invalid = OAuthError::InvalidGrant("the refresh token is invalid, expired or revoked");
        if !presented.starts_with(tokens::REFRESH_PREFIX) || presented.len() > tokens::MAX_LEN {
            return Err(invalid);
        }
        let now = self.clock.now();
        let Some(record) = self
            .store
            .find_token(site.id, &tokens::hash_token(presented))
            .await?
        else {
            return Err(invalid);
        };
        if record.kind != TokenKind::Refresh.as_str()
            || record.client_pk != client.pk
            || record.revoked_at.is_some()
            || record.expires_at <= now
        {
            return Err(invalid);
        }
        // RFC 9449 section 5: a bound refresh token needs a proof by its key.
        if let Some(bound_to) = record.jkt.as_deref() {
            match proof {
                None => return Err(ProofError::Missing.into()),
                Some(jkt) if !jkt.matches(bound_to) => return Err(ProofError::WrongKey.into()),
                Some(_) => {}
            }
        }
        // The successor keeps the binding; a public client's unbound token
        // becomes bound once it proves a key.
        let refresh_jkt = match &record.jkt {
            Some(bound_to) => Some(Jkt::from_stored(bound_to.clone())),
            None => refresh_binding(client, proof).cloned(),
        };
        let granted = ScopeSet::from_stored(&record.scopes);
        let scopes = requested_scopes(request.scope.as_deref(), granted)?;
        // RFC 8707: the granted resource, named or implied; never another.
        let resource = self
            .granted_resource(
                site,
                request.resource.as_deref(),
                record.resource.as_deref(),
            )
            .await?;
        let Some(user_id) = record.user_id else {
            return Err(invalid);
        };
        match self.users.cached(site.id, user_id).await? {
            Some(user) if !user.disabled => {}
            _ => return Err(invalid),
        }
        let grace = site.oauth.refresh_grace_secs;
        let within_grace = |rotated_at: i64| grace > 0 && now - rotated_at <= grace;
        if let Some(rotated_at) = record.rotated_at
            && !within_grace(rotated_at)
        {
            tracing::warn!(site = %site.slug, client_id = %client.client_id, "rotated refresh token reused; revoking the family");
            self.revoke_reused_family(
                site,
                client,
                record.user_id,
                record.grant_id,
                "refresh_token",
            )
            .await?;
            return Err(invalid);
        }
        let binding = Binding {
            client,
            user_id: Some(user_id),
            grant_id: record.grant_id,
            scopes,
            access_jkt: proof,
            refresh_jkt: refresh_jkt.as_ref(),
            resource: resource.as_ref(),
        };
        // FAPI 2.0 5.3.2.1 item 10: a confidential client keeps its refresh
        // token, so a response it never received costs it nothing.
        let rotates = !(site.oauth.profile.is_fapi2() && client.confidential);
        // The new refresh token keeps the original grant's scopes, so a
        // narrowed request does not narrow later ones.
        let refresh = rotates.then(|| mint_refresh(site, &binding, granted, now));
        let rows: Vec<_> = refresh.iter().map(|(_, row)| row.clone()).collect();
        if record.rotated_at.is_some() {
            // A concurrent refresh inside the grace window (a sibling pair):
            // the new refresh token joins the grant as it is.
            self.store.insert_tokens_of_grant(&rows).await?;
        } else if rotates {
            match self
                .store
                .rotate_refresh_token(site.id, record.id, &rows, now)
                .await?
            {
                Rotation::Rotated(_) => {}
                Rotation::AlreadyRotated if grace > 0 => {
                    self.store.insert_tokens_of_grant(&rows).await?;
                }
                Rotation::AlreadyRotated => {
                    self.revoke_reused_family(
                        site,
                        client,
                        record.user_id,
                        record.grant_id,
                        "refresh_token",
                    )
                    .await?;
                    return Err(invalid);
                }
            }
        }
        // Not rotated: nothing is written, the access token is not stored.
        let access = mint_access(site, &binding, now)?;
        Ok(respond(
            site,
            &binding,
            access,
            refresh.map(|(secret, _)| secret),
        ))
    }
}
