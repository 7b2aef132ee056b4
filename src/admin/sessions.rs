//! A user's sign-in sessions and OAuth grants: list and revoke.

use super::types::{GrantView, SessionView};
use super::{Admin, AdminError, AdminResult};
use crate::audit::AuditKind;
use crate::oauth::ScopeSet;
use crate::sites::Site;

impl Admin {
    pub async fn list_sessions(
        &self,
        site: &Site,
        username: &str,
    ) -> AdminResult<Vec<SessionView>> {
        let user = self.find_user(site, username).await?;
        let sessions = self.sessions().list_active(site, user.id).await?;
        Ok(sessions
            .into_iter()
            .map(|s| SessionView {
                id: s.id,
                method: s.method,
                ip: s.ip,
                user_agent: s.user_agent,
                created_at: s.created_at,
                expires_at: s.expires_at,
            })
            .collect())
    }

    /// Ends one session of the user at once.
    pub async fn revoke_session(
        &self,
        site: &Site,
        username: &str,
        session_id: i64,
    ) -> AdminResult<()> {
        let user = self.find_user(site, username).await?;
        if !self.sessions().end(site, user.id, session_id).await? {
            return Err(AdminError::NotFound(format!(
                "`{username}` has no active session {session_id}"
            )));
        }
        let event = self
            .event(AuditKind::SessionRevoked)
            .user(user.id)
            .detail("session_id", session_id);
        self.record(site.id, event).await;
        Ok(())
    }

    /// The apps the user authorized.
    pub async fn list_grants(&self, site: &Site, username: &str) -> AdminResult<Vec<GrantView>> {
        let user = self.find_user(site, username).await?;
        let grants = self.store.list_authorizations(site.id, user.id).await?;
        Ok(grants
            .into_iter()
            .map(|g| GrantView {
                scopes: ScopeSet::from_stored(&g.scopes).names(),
                client_id: g.client_id,
                client_name: g.client_name,
                authorized_at: g.created_at,
                updated_at: g.updated_at,
            })
            .collect())
    }

    /// Forgets the user's consent to the client and revokes its tokens.
    pub async fn revoke_grant(
        &self,
        site: &Site,
        username: &str,
        client_id: &str,
    ) -> AdminResult<()> {
        let user = self.find_user(site, username).await?;
        let client = self.show_client(site, client_id).await?;
        let now = self.now();
        let revoked = self
            .store
            .revoke_authorization(site.id, user.id, client.pk, now)
            .await?;
        let Some(grants) = revoked else {
            return Err(AdminError::NotFound(format!(
                "`{username}` has not authorized `{client_id}`"
            )));
        };
        for grant in &grants {
            self.cache.oauth.grant_revoked(*grant, now);
        }
        self.cache.oauth.evict_consents_of(user.id);
        let event = self
            .event(AuditKind::GrantRevoked)
            .user(user.id)
            .client(client_id)
            .detail("grants", grants.len());
        self.record(site.id, event).await;
        Ok(())
    }
}
