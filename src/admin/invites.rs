//! Invitations: an administrator has a single-use sign-up link sent to an
//! address, for an account with a given role (sites whose sign-up policy
//! is `invite`, or any site where an admin wants one more account).

use super::types::InviteRequest;
use super::{Admin, AdminError, AdminResult};
use crate::accounts::{Accounts, InviteError, InviteSent};
use crate::sites::Site;
use crate::users::Role;

impl Admin {
    pub async fn invite_user(
        &self,
        site: &Site,
        request: InviteRequest,
    ) -> AdminResult<InviteSent> {
        let role = match request.role.as_deref() {
            Some(raw) => raw
                .parse::<Role>()
                .map_err(|_| AdminError::Input("role: expected community, pro or admin".into()))?,
            None => Role::Community,
        };
        let Some(outbox) = self.outbox.clone() else {
            return Err(AdminError::Input(InviteError::EmailOff.to_string()));
        };
        let accounts = Accounts::new(
            self.store.clone(),
            self.cache.clone(),
            outbox,
            self.audit.clone(),
            self.clock.clone(),
        );
        accounts
            .invite(site, &request.email, role, self.actor())
            .await
            .map_err(|e| match e {
                InviteError::EmailOff | InviteError::BadAddress(_) => {
                    AdminError::Input(e.to_string())
                }
                InviteError::Taken(_) => AdminError::Conflict(e.to_string()),
                InviteError::Internal(e) => AdminError::Internal(e.into()),
            })
    }
}
