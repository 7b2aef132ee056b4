//! `grant_type=authorization_code` (RFC 6749 4.1.3 with PKCE). A code is
//! single use: a second use fails and revokes what the first one issued.
//! A failed attempt spends it too: once a presented code was found, any
//! mismatch (client, `redirect_uri`, verifier, DPoP key) burns it, so an
//! attacker cannot try verifiers, and a retry with the right values is
//! `invalid_grant` like any reuse.

use super::{
    Binding, TokenRequest, TokenResponse, mint_access, mint_refresh, refresh_binding, respond,
};
use crate::oauth::clients::{Client, GrantType};
use crate::oauth::dpop::Jkt;
use crate::oauth::error::{OAuthError, OAuthResult};
use crate::oauth::pkce::{CodeChallenge, CodeVerifier};
use crate::oauth::resources::Resource;
use crate::oauth::scopes::{Scope, ScopeSet};
use crate::oauth::{OAuth, tokens};
use crate::sites::Site;
use crate::store::{CodeClaim, CodeRecord, NewGrant, Redeemed};

impl OAuth {
    pub(super) async fn exchange_code(
        &self,
        site: &Site,
        client: &Client,
        request: &TokenRequest,
        proof: Option<&Jkt>,
    ) -> OAuthResult<TokenResponse> {
        if !client.allows(GrantType::AuthorizationCode) {
            return Err(OAuthError::UnauthorizedClient(
                "this client may not use the authorization code grant",
            ));
        }
        let code = request
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| OAuthError::invalid_request("code is required"))?;
        let verifier = request
            .code_verifier
            .as_deref()
            .ok_or_else(|| OAuthError::invalid_request("code_verifier is required"))?;
        let now = self.clock.now();
        let invalid = OAuthError::InvalidGrant("the code is invalid, expired or was already used");
        if !code.starts_with(tokens::CODE_PREFIX) || code.len() > tokens::MAX_LEN {
            return Err(invalid);
        }
        let code_hash = tokens::hash_token(code);
        let record = match self.issued_codes.take(site.id, &code_hash) {
            Some(record) => record,
            None => match self.store.find_code(site.id, &code_hash).await? {
                Some(record) => record,
                None => return Err(invalid),
            },
        };
        if record.consumed_at.is_some() {
            tracing::warn!(site = %site.slug, client_id = %client.client_id, "authorization code reused; revoking its tokens");
            self.revoke_reused_family(
                site,
                client,
                Some(record.user_id),
                record.grant_id,
                "authorization_code",
            )
            .await?;
            return Err(invalid);
        }
        let resource = match self
            .check_code(site, client, request, verifier, proof, &record, now)
            .await
        {
            Ok(resource) => resource,
            Err(refusal) => {
                if self.store.burn_code(site.id, &code_hash, now).await? {
                    tracing::info!(site = %site.slug, client_id = %client.client_id, "failed code redemption; the code is spent");
                }
                return Err(refusal);
            }
        };
        let scopes = ScopeSet::from_stored(&record.scopes);
        let mut binding = Binding {
            client,
            user_id: Some(record.user_id),
            grant_id: None,
            scopes,
            access_jkt: proof,
            refresh_jkt: refresh_binding(client, proof),
            resource: resource.as_ref(),
        };
        // Only the refresh token is stored, with the grant; the access
        // token is made once the grant has its id.
        let refresh = client
            .allows(GrantType::RefreshToken)
            .then(|| mint_refresh(site, &binding, scopes, now));
        let grant = NewGrant {
            site_id: site.id,
            client_pk: client.pk,
            user_id: Some(record.user_id),
            session_id: record.session_id,
            scopes: scopes.to_string(),
            created_at: now,
            expires_at: now + site.oauth.refresh_token_ttl_secs,
            resource: record.resource.clone(),
        };
        let claim = CodeClaim {
            code_hash: code_hash.clone(),
            grant,
            tokens: refresh.iter().map(|(_, row)| row.clone()).collect(),
        };
        match self.redeemer.claim(claim).await? {
            Some(Redeemed { grant_id, .. }) => {
                binding.grant_id = Some(grant_id);
                let access = mint_access(site, &binding, now)?;
                let mut response =
                    respond(site, &binding, access, refresh.map(|(secret, _)| secret));
                if scopes.contains(Scope::Openid) {
                    response.pending_id_token = Some(record);
                }
                Ok(response)
            }
            None => {
                let revoked = self
                    .store
                    .revoke_reused_code(site.id, &code_hash, now)
                    .await?;
                if let Some(grant_id) = revoked {
                    tracing::warn!(site = %site.slug, client_id = %client.client_id, "authorization code used twice at once; revoked its tokens");
                    self.cache.grant_revoked(grant_id, now);
                    self.record_reuse(site, client, None, Some(grant_id), "authorization_code")
                        .await;
                }
                Err(invalid)
            }
        }
    }

    /// Everything a found, unused code must match. Any `Err` burns the
    /// code. `Ok`: the resource the code was issued for (RFC 8707).
    #[allow(clippy::too_many_arguments)]
    async fn check_code(
        &self,
        site: &Site,
        client: &Client,
        request: &TokenRequest,
        verifier: &str,
        proof: Option<&Jkt>,
        record: &CodeRecord,
        now: i64,
    ) -> OAuthResult<Option<Resource>> {
        let invalid = OAuthError::InvalidGrant("the code is invalid, expired or was already used");
        if record.expires_at <= now || record.client_pk != client.pk {
            return Err(invalid);
        }
        let redirect_uri = client.redirect_uri_for(request.redirect_uri.as_deref());
        if redirect_uri.as_deref() != Some(record.redirect_uri.as_str()) {
            return Err(OAuthError::InvalidGrant(
                "redirect_uri differs from the authorization request",
            ));
        }
        let verified = CodeVerifier::parse(verifier).is_some_and(|v| {
            CodeChallenge::from_stored(record.code_challenge.clone()).is_met_by(&v)
        });
        if !verified {
            return Err(OAuthError::InvalidGrant(
                "the code_verifier does not match the code_challenge",
            ));
        }
        // RFC 9449 section 10: a code requested with `dpop_jkt` is redeemed
        // only with a proof by that key.
        if let Some(bound_to) = record.dpop_jkt.as_deref()
            && !proof.is_some_and(|jkt| jkt.matches(bound_to))
        {
            return Err(OAuthError::InvalidGrant(
                "the code is bound to another DPoP key (dpop_jkt)",
            ));
        }
        match self.users.cached(site.id, record.user_id).await? {
            Some(user) if !user.disabled => {}
            _ => return Err(invalid),
        }
        // A `resource` here must be the one authorized (RFC 8707 2.2).
        self.granted_resource(
            site,
            request.resource.as_deref(),
            record.resource.as_deref(),
        )
        .await
    }
}
