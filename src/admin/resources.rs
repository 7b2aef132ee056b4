//! Registered resources of a site (RFC 8707 resource indicators).

use super::types::{NewResourceRequest, ResourceView};
use super::{Admin, AdminError, AdminResult};
use crate::audit::AuditKind;
use crate::oauth::ScopeSet;
use crate::oauth::resources::{ResourceUri, TokenFormat, is_own_api};
use crate::sites::Site;
use crate::store::{NewResource, ResourceRecord, StoreError};

pub fn view(record: &ResourceRecord) -> ResourceView {
    ResourceView {
        uri: record.uri.clone(),
        scopes: record
            .scopes
            .split(' ')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        token_format: record.token_format.clone(),
        created_at: record.created_at,
    }
}

impl Admin {
    pub async fn list_resources(&self, site: &Site) -> AdminResult<Vec<ResourceRecord>> {
        Ok(self.store.list_resources(site.id).await?)
    }

    pub async fn add_resource(
        &self,
        site: &Site,
        request: NewResourceRequest,
    ) -> AdminResult<ResourceRecord> {
        let uri =
            ResourceUri::parse(&request.uri).map_err(|e| AdminError::Input(format!("uri: {e}")))?;
        if is_own_api(site, uri.as_str()) {
            return Err(AdminError::Input(
                "the site's own API is a resource already; register other APIs".into(),
            ));
        }
        let scopes = ScopeSet::parse(&request.scopes)
            .map_err(|e| AdminError::Input(format!("scopes: {e}")))?;
        if scopes.is_empty() {
            return Err(AdminError::Input("scopes: name at least one".into()));
        }
        let format = match request.token_format.as_deref() {
            None => TokenFormat::Opaque,
            Some(raw) => TokenFormat::parse(raw).ok_or_else(|| {
                AdminError::Input("token_format must be `opaque` or `jwt`".into())
            })?,
        };
        let record = self
            .store
            .create_resource(&NewResource {
                site_id: site.id,
                uri: uri.to_string(),
                scopes: scopes.to_string(),
                token_format: format.as_str().to_owned(),
                created_at: self.now(),
            })
            .await
            .map_err(|e| match e {
                StoreError::Conflict => AdminError::Conflict(format!(
                    "site `{}` has the resource `{uri}` already",
                    site.slug
                )),
                other => other.into(),
            })?;
        let event = self
            .event(AuditKind::ResourceAdded)
            .detail("resource", record.uri.as_str())
            .detail("scopes", record.scopes.as_str())
            .detail("token_format", record.token_format.as_str());
        self.record(site.id, event).await;
        Ok(record)
    }

    /// No new tokens are issued for the resource, and those issued for it
    /// are refused from now on (in other processes within the change
    /// feed's poll interval).
    pub async fn remove_resource(&self, site: &Site, uri: &str) -> AdminResult<()> {
        let now = self.clock.now();
        let Some(id) = self.store.delete_resource(site.id, uri, now).await? else {
            return Err(AdminError::NotFound(format!(
                "site `{}` has no resource `{uri}`",
                site.slug
            )));
        };
        self.cache.oauth.evict_resource(id);
        let event = self
            .event(AuditKind::ResourceRemoved)
            .detail("resource", uri);
        self.record(site.id, event).await;
        Ok(())
    }
}
