//! `grant_type=client_credentials` (RFC 6749 4.4): a confidential client
//! acting for itself, with at most its allowed scopes. No refresh token.
//! What the token may do is decided when it is used (`tokens::oauth`): the
//! owner's role, or for a client without owner what an admin granted.

use super::{Binding, TokenRequest, TokenResponse, mint_access, requested_scopes, respond};
use crate::oauth::OAuth;
use crate::oauth::clients::{Client, GrantType};
use crate::oauth::dpop::Jkt;
use crate::oauth::error::{OAuthError, OAuthResult};
use crate::oauth::resources::{self, Resource};
use crate::oauth::scopes::ScopeSet;
use crate::sites::Site;

impl OAuth {
    /// Nothing is written: the access token carries its claims (a DPoP
    /// proof's or a client assertion's use was recorded before).
    pub(super) async fn client_credentials(
        &self,
        site: &Site,
        client: &Client,
        request: &TokenRequest,
        proof: Option<&Jkt>,
    ) -> OAuthResult<TokenResponse> {
        let (scopes, resource) = self
            .client_credentials_scopes(site, client, request)
            .await?;
        let binding = Binding {
            client,
            user_id: None,
            grant_id: None,
            scopes,
            access_jkt: proof,
            refresh_jkt: None,
            resource: resource.as_ref(),
        };
        let access = mint_access(site, &binding, self.clock.now())?;
        Ok(respond(site, &binding, access, None))
    }

    /// The scopes a client_credentials request gets and the resource its
    /// token is for, or why it gets none.
    async fn client_credentials_scopes(
        &self,
        site: &Site,
        client: &Client,
        request: &TokenRequest,
    ) -> OAuthResult<(ScopeSet, Option<Resource>)> {
        if !client.confidential {
            return Err(OAuthError::UnauthorizedClient(
                "public clients cannot use client_credentials",
            ));
        }
        if !client.allows(GrantType::ClientCredentials) {
            return Err(OAuthError::UnauthorizedClient(
                "this client may not use client_credentials",
            ));
        }
        let mut allowed = client.scopes;
        if client.registered_anonymously {
            // Nobody vouched for this client: only while the site allows
            // it, and within what the site calls registrable today.
            let limits = self.anonymous_client_limits(site).await?;
            if !limits.client_credentials {
                return Err(OAuthError::UnauthorizedClient(
                    "this site does not allow client_credentials for anonymously registered clients",
                ));
            }
            allowed = allowed.intersect(limits.registrable_scopes);
        }
        let resource = self
            .resolve_resource(site, request.resource.as_deref())
            .await?;
        // Without `scope`, a token for a resource carries what both allow.
        if let Some(resource) = &resource
            && request.scope.as_deref().is_none_or(|s| s.trim().is_empty())
        {
            allowed = allowed.intersect(resource.scopes);
        }
        let scopes = requested_scopes(request.scope.as_deref(), allowed)?;
        resources::check_scopes(resource.as_ref(), scopes)?;
        Ok((scopes, resource))
    }
}
