//! `grant_type=client_credentials` (RFC 6749 4.4): a confidential client
//! acting for itself, with at most its allowed scopes. No refresh token.
//! What the token may do is decided when it is used (`tokens::oauth`): the
//! owner's role, or for a client without owner what an admin granted.

use super::{Binding, TokenRequest, TokenResponse, mint, requested_scopes, respond};
use crate::oauth::OAuth;
use crate::oauth::client_authentication::UnspentJti;
use crate::oauth::clients::{Client, GrantType};
use crate::oauth::dpop::Proof;
use crate::oauth::error::{OAuthError, OAuthResult};
use crate::oauth::resources::{self, Resource};
use crate::oauth::scopes::ScopeSet;
use crate::sites::Site;
use crate::store::{Committed, PendingWrite};

impl OAuth {
    /// `jti`: the request's client assertion, not recorded as used yet
    /// (never together with a DPoP `proof`, whose use is recorded instead).
    pub(super) async fn client_credentials(
        &self,
        site: &Site,
        client: &Client,
        request: &TokenRequest,
        proof: Option<&Proof<'_>>,
        jti: Option<&UnspentJti>,
    ) -> OAuthResult<TokenResponse> {
        let (scopes, resource) = match self.client_credentials_scopes(site, client, request).await {
            Ok(granted) => granted,
            Err(refused) => {
                // A refused request still used up its assertion.
                if let Some(jti) = jti {
                    self.clients.spend_jti(jti).await?;
                }
                return Err(refused);
            }
        };
        let now = self.clock.now();
        let binding = Binding {
            client,
            user_id: None,
            grant_id: None,
            scopes,
            access_jkt: proof.map(Proof::jkt),
            refresh_jkt: None,
            resource: resource.as_ref(),
        };
        let minted = mint(site, &binding, None, now);
        // A proof's or an assertion's use is stored with the token it pays
        // for, in the same batch: the token is stored only if it is new.
        let row = minted.access_row.clone();
        let write = match (proof, jti) {
            (Some(proof), _) => proof.with_token(row),
            (None, Some(jti)) => jti.with_token(row),
            (None, None) => PendingWrite::Token(row),
        };
        let committed = self.writer.write(write).await?;
        if let Some(proof) = proof {
            proof.settle(committed)?;
        } else if jti.is_some() && committed == Committed::ProofReplayed {
            return Err(UnspentJti::replayed());
        }
        if let Committed::Token(id) = committed {
            self.remember_access(client, &minted.access_row, id);
        }
        Ok(respond(site, minted, scopes, resource))
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
