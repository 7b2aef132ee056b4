//! What a client may do on its own, as an admin decides it:
//!
//! - per site, the limits of clients registered anonymously (RFC 7591 open
//!   registration without an initial access token): the scopes an admin
//!   marked registrable, and whether such clients may use client_credentials;
//! - per client without owner, the permissions its client_credentials tokens
//!   act with (none until an admin grants some);
//! - per client, whether it is a resource server that may introspect every
//!   token of its site (RFC 7662 section 4), not only its own.

use std::sync::Arc;

use super::OAuth;
use super::clients::{Client, ClientError, ClientInputError, Clients, GrantType};
use super::scopes::{Scope, ScopeSet};
use crate::sites::Site;
use crate::store::{AnonymousClientLimitsRecord, StoreError};
use crate::users::Permissions;

/// A site's limits for anonymously registered clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnonymousClientLimits {
    /// The scopes such a client may hold.
    pub registrable_scopes: ScopeSet,
    /// Whether such a client may use the client_credentials grant.
    pub client_credentials: bool,
}

impl AnonymousClientLimits {
    fn from_record(record: &AnonymousClientLimitsRecord) -> Self {
        Self {
            registrable_scopes: ScopeSet::from_stored(&record.registrable_scopes),
            client_credentials: record.anonymous_client_credentials,
        }
    }

    /// Why a registration asking for `scopes` and `grants` goes beyond the
    /// limits, if it does (RFC 7591 `invalid_client_metadata`).
    pub fn refusal(self, scopes: ScopeSet, grants: &[GrantType]) -> Option<String> {
        let beyond = scopes
            .iter()
            .filter(|s| !self.registrable_scopes.contains(*s))
            .map(Scope::as_str)
            .collect::<Vec<_>>();
        if !beyond.is_empty() {
            return Some(format!(
                "scope {} is not open to registration without an initial access token on this site \
                 (registrable: {})",
                beyond.join(" "),
                self.registrable_scopes
            ));
        }
        if grants.contains(&GrantType::ClientCredentials) && !self.client_credentials {
            return Some(
                "client_credentials is not open to registration without an initial access token \
                 on this site"
                    .into(),
            );
        }
        None
    }
}

/// Checks a set of scopes an admin marks registrable: never `admin`.
pub fn parse_registrable_scopes(raw: &str) -> Result<ScopeSet, ClientInputError> {
    let scopes = ScopeSet::parse(raw).map_err(|e| ClientInputError::Scopes(e.to_string()))?;
    if scopes.contains(Scope::Admin) {
        return Err(ClientInputError::Scopes(
            "the admin scope is never open to anonymous registration".into(),
        ));
    }
    Ok(scopes)
}

impl OAuth {
    pub async fn anonymous_client_limits(
        &self,
        site: &Site,
    ) -> Result<AnonymousClientLimits, StoreError> {
        let record = self.store.anonymous_client_limits(site.id).await?;
        Ok(AnonymousClientLimits::from_record(&record))
    }
}

impl Clients {
    /// Grants the client_credentials tokens of a client without owner these
    /// permissions (within their scopes); replaces what was granted before.
    /// An owned client's tokens act with its owner's role, so it is refused.
    pub async fn grant_permissions(
        &self,
        site: &Site,
        client_id: &str,
        permissions: Permissions,
        actor: &crate::audit::Actor,
    ) -> Result<Arc<Client>, ClientError> {
        let client = self.existing(site, client_id).await?;
        if client.owner_user_id.is_some() {
            return Err(ClientInputError::Permissions(
                "this client has an owner: its tokens act with the owner's role, not with granted permissions"
                    .into(),
            )
            .into());
        }
        let names = permissions.names().join(" ");
        let changed = self
            .store
            .set_client_granted_permissions(site.id, client.pk, &names, self.clock.now())
            .await?;
        self.cache.evict_client(client.pk);
        if !changed {
            return Err(ClientError::NotFound(client_id.to_string()));
        }
        tracing::info!(site = %site.slug, client_id, permissions = %names, "client permissions granted");
        self.record_change(site, client_id, actor, "granted_permissions", names.into())
            .await;
        self.existing(site, client_id).await
    }

    /// Makes the client a resource server that may introspect every token
    /// of its site, or takes that away.
    pub async fn set_introspect(
        &self,
        site: &Site,
        client_id: &str,
        allowed: bool,
        actor: &crate::audit::Actor,
    ) -> Result<Arc<Client>, ClientError> {
        let client = self.existing(site, client_id).await?;
        if allowed && !client.confidential {
            return Err(ClientError::PublicClient);
        }
        let changed = self
            .store
            .set_client_introspect(site.id, client.pk, allowed, self.clock.now())
            .await?;
        self.cache.evict_client(client.pk);
        if !changed {
            return Err(ClientError::NotFound(client_id.to_string()));
        }
        tracing::info!(site = %site.slug, client_id, allowed, "client introspection permission set");
        self.record_change(site, client_id, actor, "introspect", allowed.into())
            .await;
        self.existing(site, client_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(registrable: &str, client_credentials: bool) -> AnonymousClientLimits {
        AnonymousClientLimits {
            registrable_scopes: ScopeSet::from_stored(registrable),
            client_credentials,
        }
    }

    #[test]
    fn scopes_beyond_the_registrable_ones_are_named_in_the_refusal() {
        let limits = limits("openid profile email", false);
        let asked = ScopeSet::of(&[Scope::Profile, Scope::ContentWrite]);
        let refusal = limits.refusal(asked, &[GrantType::AuthorizationCode]);
        assert!(refusal.is_some_and(|r| r.starts_with("scope content:write is not open")));
        assert_eq!(
            limits.refusal(
                ScopeSet::of(&[Scope::Openid]),
                &[GrantType::AuthorizationCode]
            ),
            None
        );
    }

    #[test]
    fn client_credentials_needs_the_site_to_allow_it() {
        let grants = [GrantType::ClientCredentials];
        let scopes = ScopeSet::of(&[Scope::Profile]);
        assert!(limits("profile", false).refusal(scopes, &grants).is_some());
        assert_eq!(limits("profile", true).refusal(scopes, &grants), None);
    }

    #[test]
    fn admin_is_never_registrable() {
        assert!(parse_registrable_scopes("openid admin").is_err());
        assert!(parse_registrable_scopes("openid bogus").is_err());
        assert_eq!(
            parse_registrable_scopes("openid content:read").ok(),
            Some(ScopeSet::of(&[Scope::Openid, Scope::ContentRead]))
        );
    }
}
