//! Upstream OpenID providers of a site: the buttons of its sign-in page
//! (`crate::upstream`). The client secret goes in, sealed, and never out.

use serde::Deserialize;

use super::{Admin, AdminError, AdminResult};
use crate::audit::AuditKind;
use crate::sites::Site;
use crate::upstream::{
    NewProvider, ProviderView, UpstreamError, add_provider, list_providers, remove_provider,
};

/// An upstream provider to add.
#[derive(Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUpstreamProviderRequest {
    /// Short name in URLs: lower-case letters, digits and `-`.
    pub name: String,
    /// What the sign-in button says (default: the name).
    pub display_name: Option<String>,
    /// The provider's issuer; its metadata is found by OpenID discovery.
    pub issuer: String,
    /// The client id Tessera was given at the provider.
    pub client_id: String,
    /// The client secret Tessera was given at the provider (stored sealed).
    pub client_secret: String,
    /// Link a first sign-in to the local account with the same email when
    /// the provider says the email is verified (default false).
    #[serde(default)]
    pub link_by_email: bool,
    /// Create an account just in time for a first sign-in that links to
    /// nothing (default true).
    #[serde(default = "yes")]
    pub create_accounts: bool,
}

fn yes() -> bool {
    true
}

impl std::fmt::Debug for NewUpstreamProviderRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUpstreamProviderRequest")
            .field("name", &self.name)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl From<UpstreamError> for AdminError {
    fn from(e: UpstreamError) -> Self {
        match e {
            UpstreamError::NameTaken(_) => AdminError::Conflict(e.to_string()),
            UpstreamError::Invalid(why) => AdminError::Input(why),
            other => AdminError::Internal(anyhow::anyhow!("{other}")),
        }
    }
}

impl Admin {
    pub async fn list_upstream_providers(&self, site: &Site) -> AdminResult<Vec<ProviderView>> {
        Ok(list_providers(&self.store, site.id)
            .await?
            .iter()
            .map(|p| ProviderView::of(p, &site.issuer))
            .collect())
    }

    pub async fn add_upstream_provider(
        &self,
        site: &Site,
        request: NewUpstreamProviderRequest,
    ) -> AdminResult<ProviderView> {
        let new = NewProvider {
            name: request.name,
            display_name: request.display_name,
            issuer: request.issuer,
            client_id: request.client_id,
            client_secret: request.client_secret,
            link_by_email: request.link_by_email,
            create_accounts: request.create_accounts,
        };
        let record = add_provider(
            &self.store,
            &self.master,
            self.outbound,
            site.id,
            new,
            self.now(),
        )
        .await?;
        let event = self
            .event(AuditKind::UpstreamProviderAdded)
            .detail("name", record.name.as_str())
            .detail("issuer", record.issuer.as_str());
        self.record(site.id, event).await;
        Ok(ProviderView::of(&record, &site.issuer))
    }

    pub async fn remove_upstream_provider(&self, site: &Site, name: &str) -> AdminResult<()> {
        if !remove_provider(&self.store, site.id, name).await? {
            return Err(AdminError::NotFound(format!(
                "site `{}` has no upstream provider `{name}`",
                site.slug
            )));
        }
        let event = self
            .event(AuditKind::UpstreamProviderRemoved)
            .detail("name", name);
        self.record(site.id, event).await;
        Ok(())
    }
}
