//! Initial access tokens for dynamic client registration (RFC 7591): minted
//! here, shown once, stored hashed.

use super::types::{NewRegistrationTokenRequest, RegistrationTokenView};
use super::{Admin, AdminResult};
use crate::audit::AuditKind;
use crate::oauth::tokens::mint_initial_access_token;
use crate::sites::Site;

impl Admin {
    /// Mints an initial access token, returned once; with `user`, that user
    /// owns the clients registered with it.
    pub async fn mint_registration_token(
        &self,
        site: &Site,
        request: NewRegistrationTokenRequest,
    ) -> AdminResult<RegistrationTokenView> {
        let owner = match request.user.as_deref() {
            Some(username) => Some(self.find_user(site, username).await?.id),
            None => None,
        };
        let token = mint_initial_access_token();
        self.store
            .create_initial_access_token(site.id, &token.hash(), owner, self.now())
            .await?;
        let mut event = self.event(AuditKind::RegistrationTokenIssued);
        if let Some(owner) = owner {
            event = event.user(owner);
        }
        self.record(site.id, event).await;
        Ok(RegistrationTokenView {
            initial_access_token: token.expose().to_string(),
            user_id: owner,
            registration_policy: self.store.registration_policy(site.id).await?,
        })
    }
}
