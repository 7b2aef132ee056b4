//! Token revocation (RFC 7009). The answer is the same whether or not the
//! token was known, so the endpoint tells an attacker nothing.

use super::OAuth;
use super::client_authentication::PresentedClient;
use super::error::OAuthResult;
use super::jwt_access;
use super::tokens;
use crate::ratelimit::Endpoint;
use crate::sites::Site;
use crate::store::TokenKind;

impl OAuth {
    /// Revokes `token` if it belongs to the authenticated client: an access
    /// token alone, a refresh token with its whole family.
    pub async fn revoke(
        &self,
        site: &Site,
        presented: &PresentedClient<'_>,
        token: &str,
    ) -> OAuthResult<()> {
        let client = self
            .clients
            .authenticate_at(site, presented, Endpoint::Revoke)
            .await?;
        // Access tokens are not stored: their id goes on the revoked list.
        if token.starts_with(tokens::ACCESS_PREFIX) || jwt_access::looks_like_jwt(token) {
            let Some((claims, owner, _)) = self.verify_access(site, token).await? else {
                return Ok(());
            };
            if owner.pk != client.pk {
                return Ok(());
            }
            let now = self.clock.now();
            self.store
                .revoke_access_token(site.id, claims.token_id, claims.expires_at, now)
                .await?;
            self.cache
                .revocations
                .revoke_token(site.id, claims.token_id, now);
            tracing::info!(site = %site.slug, client_id = %client.client_id, kind = "access", "token revoked");
            return Ok(());
        }
        if !token.starts_with(tokens::REFRESH_PREFIX) || token.len() > tokens::MAX_LEN {
            return Ok(());
        }
        let hash = tokens::hash_token(token);
        let Some(record) = self.store.find_token(site.id, &hash).await? else {
            return Ok(());
        };
        if record.client_pk != client.pk || record.revoked_at.is_some() {
            return Ok(());
        }
        let now = self.clock.now();
        if record.kind == TokenKind::Refresh.as_str() && record.grant_id.is_some() {
            self.revoke_family(site, record.grant_id).await?;
        } else {
            self.store.revoke_token(site.id, record.id, now).await?;
        }
        tracing::info!(site = %site.slug, client_id = %client.client_id, kind = %record.kind, "token revoked");
        Ok(())
    }
}
