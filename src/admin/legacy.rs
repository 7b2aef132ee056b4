//! A site's legacy credentials (spec 3.6): state and usage, enable,
//! disable, rotate.

use super::types::{LegacyUsageView, LegacyView};
use super::{Admin, AdminError, AdminResult};
use crate::audit::AuditKind;
use crate::sites::Site;
use crate::tokens::stored::TokenKindError;

impl From<TokenKindError> for AdminError {
    fn from(e: TokenKindError) -> Self {
        match e {
            TokenKindError::Patterns(_) | TokenKindError::BadName => {
                AdminError::Input(e.to_string())
            }
            TokenKindError::NoLegacyKey => AdminError::NotFound(e.to_string()),
            TokenKindError::Seal(_) | TokenKindError::Store(_) => {
                AdminError::Internal(anyhow::anyhow!(e))
            }
        }
    }
}

impl Admin {
    /// Whether legacy credentials are on, and who still uses them.
    pub async fn legacy_report(&self, site: &Site) -> AdminResult<LegacyView> {
        let kinds = self.token_kinds();
        let current = kinds.current_legacy_key(site.id).await?;
        let usage = kinds.legacy_report(site.id).await?;
        let is_current = |id: i64| current.as_ref().is_some_and(|c| c.id == id);
        Ok(LegacyView {
            state: match &current {
                Some(k) if k.enabled => "enabled",
                Some(_) => "disabled",
                None => "never enabled",
            },
            key_id: current.as_ref().map(|k| k.id),
            api_key: None,
            usage: usage
                .into_iter()
                .map(|u| LegacyUsageView {
                    current: is_current(u.key_id),
                    key_id: u.key_id,
                    kind: u.kind,
                    client_ip: u.client_ip,
                    count: u.count,
                    last_seen: u.last_seen,
                })
                .collect(),
        })
    }

    /// Accepts legacy credentials; a key made now is returned once.
    pub async fn enable_legacy(&self, site: &Site) -> AdminResult<LegacyView> {
        let (record, key) = self.token_kinds().enable_legacy(site.id).await?;
        let event = self
            .event(AuditKind::LegacyEnabled)
            .detail("key_id", record.id)
            .detail("new_key", key.is_some());
        self.record(site.id, event).await;
        let mut view = self.legacy_report(site).await?;
        view.api_key = key.map(|k| k.expose().to_string());
        Ok(view)
    }

    pub async fn disable_legacy(&self, site: &Site) -> AdminResult<LegacyView> {
        if !self.token_kinds().disable_legacy(site.id).await? {
            return Err(AdminError::NotFound(format!(
                "legacy credentials were never enabled on `{}`",
                site.slug
            )));
        }
        self.record(site.id, self.event(AuditKind::LegacyDisabled))
            .await;
        self.legacy_report(site).await
    }

    /// A new site API key, returned once; the old one stops working.
    pub async fn rotate_legacy(&self, site: &Site) -> AdminResult<LegacyView> {
        let (record, key) = self.token_kinds().rotate_legacy(site.id).await?;
        let event = self
            .event(AuditKind::LegacyKeyRotated)
            .detail("key_id", record.id);
        self.record(site.id, event).await;
        let mut view = self.legacy_report(site).await?;
        view.api_key = Some(key.expose().to_string());
        Ok(view)
    }
}
