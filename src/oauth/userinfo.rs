//! The OpenID Connect UserInfo endpoint (Core 5.3): the claims the access
//! token's scopes release, for a token that carries `openid`.

use super::OAuth;
use super::dpop::{Dpop, Presentation};
use super::error::{OAuthError, OAuthResult};
use super::id_token::UserClaims;
use super::scopes::Scope;
use crate::sites::Site;

impl OAuth {
    /// The user behind an access token, as `profile`/`email` allow. A
    /// DPoP-bound token needs its proof (RFC 9449 section 7).
    pub async fn userinfo(
        &self,
        site: &Site,
        dpop: &Dpop,
        presented: &Presentation<'_>,
    ) -> OAuthResult<UserClaims> {
        let Some(token) = self
            .find_access_token(site, presented.token)
            .await?
            .filter(|t| t.is_for_own_api())
        else {
            return Err(OAuthError::InvalidToken);
        };
        dpop.check_presentation(site, token.jkt.as_deref(), presented)
            .await?;
        // A client-credentials token has no user to describe.
        let Some(user_id) = token.user_id else {
            return Err(OAuthError::InsufficientScope);
        };
        if !token.scopes.contains(Scope::Openid) {
            return Err(OAuthError::InsufficientScope);
        }
        match self.users.cached(site.id, user_id).await? {
            Some(user) if !user.disabled => Ok(UserClaims::of(&user, token.scopes)),
            _ => Err(OAuthError::InvalidToken),
        }
    }
}
