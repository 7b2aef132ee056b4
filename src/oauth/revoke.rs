//! Token revocation (RFC 7009). The answer is the same whether or not the
//! token was known, so the endpoint tells an attacker nothing.

use super::OAuth;
use super::clients::PresentedClient;
use super::error::OAuthResult;
use super::tokens;
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
        let client = self.clients.authenticate(site, presented).await?;
        let looks_like_ours = (token.starts_with(tokens::ACCESS_PREFIX)
            || token.starts_with(tokens::REFRESH_PREFIX))
            && token.len() <= tokens::MAX_LEN;
        if !looks_like_ours {
            return Ok(());
        }
        let Some(record) = self
            .store
            .find_token(site.id, &tokens::hash_token(token))
            .await?
        else {
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
            self.cache.evict_token(record.id);
        }
        tracing::info!(site = %site.slug, client_id = %client.client_id, kind = %record.kind, "token revoked");
        Ok(())
    }
}
