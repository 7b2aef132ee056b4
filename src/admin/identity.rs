//! Trusted identity providers of a site (token exchange, spec 3.5).

use super::types::{IdentityProviderView, NewIdentityProviderRequest};
use super::{Admin, AdminError, AdminResult};
use crate::audit::AuditKind;
use crate::identity::registration::{
    KeySource, ProviderSettings, RegistrationError, inline_key_count, list_providers,
    register_provider, remove_provider,
};
use crate::sites::Site;
use crate::store::IdentityProviderRecord;

impl From<RegistrationError> for AdminError {
    fn from(e: RegistrationError) -> Self {
        match e {
            RegistrationError::AlreadyRegistered(_) => AdminError::Conflict(e.to_string()),
            RegistrationError::Store(e) => AdminError::Internal(e.into()),
            other => AdminError::Input(other.to_string()),
        }
    }
}

pub fn view(record: &IdentityProviderRecord) -> IdentityProviderView {
    IdentityProviderView {
        issuer: record.issuer.clone(),
        audience: record.audience.clone(),
        jwks_uri: record.jwks_uri.clone(),
        inline_keys: record.jwks_json.as_ref().map(|_| inline_key_count(record)),
        algorithms: record
            .algorithms
            .split(',')
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect(),
        created_at: record.created_at,
    }
}

impl Admin {
    pub async fn list_identity_providers(
        &self,
        site: &Site,
    ) -> AdminResult<Vec<IdentityProviderRecord>> {
        Ok(list_providers(&self.store, site.id).await?)
    }

    pub async fn add_identity_provider(
        &self,
        site: &Site,
        request: NewIdentityProviderRequest,
    ) -> AdminResult<IdentityProviderRecord> {
        let keys = match (request.jwks_uri, request.jwks) {
            (Some(uri), None) => KeySource::Uri(uri),
            (None, Some(jwks)) => KeySource::Inline(jwks.to_string()),
            _ => {
                return Err(AdminError::Input(
                    "give exactly one of jwks_uri and jwks".into(),
                ));
            }
        };
        let settings = ProviderSettings {
            issuer: request.issuer,
            audience: request.audience,
            keys,
            algorithms: request.algorithms,
        };
        let provider =
            register_provider(&self.store, site.id, settings, self.outbound, self.now()).await?;
        let event = self
            .event(AuditKind::IdentityProviderAdded)
            .detail("issuer", provider.issuer.as_str())
            .detail("audience", provider.audience.as_str());
        self.record(site.id, event).await;
        Ok(provider)
    }

    pub async fn remove_identity_provider(&self, site: &Site, issuer: &str) -> AdminResult<()> {
        if !remove_provider(&self.store, site.id, issuer, self.now()).await? {
            return Err(AdminError::NotFound(format!(
                "site `{}` has no identity provider `{issuer}`",
                site.slug
            )));
        }
        let event = self
            .event(AuditKind::IdentityProviderRemoved)
            .detail("issuer", issuer);
        self.record(site.id, event).await;
        Ok(())
    }
}
