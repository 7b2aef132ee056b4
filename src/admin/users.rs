//! Users of a site: list, create, change role, disable or enable, set a
//! password.

use super::types::{CreatedUser, NewUserRequest, Page, UserChangeRequest, UserView};
use super::{Admin, AdminError, AdminResult, Paging};
use crate::audit::AuditKind;
use crate::crypto::random;
use crate::sites::Site;
use crate::store::UserRecord;
use crate::users::{NewAccount, Role, UserError};

impl From<UserError> for AdminError {
    fn from(e: UserError) -> Self {
        match e {
            UserError::Internal(e) => AdminError::Internal(e),
            UserError::NotFound(_) => AdminError::NotFound(e.to_string()),
            UserError::UsernameTaken(_) | UserError::EmailTaken(_) => {
                AdminError::Conflict(e.to_string())
            }
            other => AdminError::Input(other.to_string()),
        }
    }
}

pub fn view(user: &UserRecord) -> UserView {
    UserView {
        id: user.id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        email: user.email.clone(),
        role: user.role.clone(),
        disabled: user.disabled,
    }
}

fn parse_role(raw: &str) -> AdminResult<Role> {
    raw.parse()
        .map_err(|e: crate::users::UnknownRole| AdminError::Input(e.to_string()))
}

impl Admin {
    pub async fn list_users(&self, site: &Site, paging: Paging) -> AdminResult<Page<UserView>> {
        let users = self.users().list(site.id).await?;
        Ok(paging.page(users.iter().map(view).collect()))
    }

    pub async fn find_user(&self, site: &Site, username: &str) -> AdminResult<UserRecord> {
        Ok(self.users().find_by_username(site.id, username).await?)
    }

    /// Creates a user; without a password one is generated and returned once.
    pub async fn create_user(
        &self,
        site: &Site,
        request: NewUserRequest,
    ) -> AdminResult<CreatedUser> {
        let role = parse_role(request.role.as_deref().unwrap_or("community"))?;
        let (password, generated) = match request.password {
            Some(password) => (password, false),
            None => (random::password(), true),
        };
        let account = NewAccount {
            username: request.username,
            display_name: request.display_name,
            email: request.email,
            role,
            password: password.clone(),
        };
        let user = self.users().create(site.id, account).await?;
        let event = self
            .event(AuditKind::UserCreated)
            .user(user.id)
            .detail("role", user.role.as_str());
        self.record(site.id, event).await;
        Ok(CreatedUser {
            user: view(&user),
            password: generated.then_some(password),
        })
    }

    /// Applies the changes given, each audited; a new password or disabling
    /// ends the user's sessions (and a new password their OAuth grants).
    pub async fn change_user(
        &self,
        site: &Site,
        username: &str,
        change: UserChangeRequest,
    ) -> AdminResult<UserView> {
        let users = self.users();
        let user = users.find_by_username(site.id, username).await?;
        let role = change.role.as_deref().map(parse_role).transpose()?;
        if let Some(password) = &change.password {
            crate::users::validate_password(password)?;
        }
        if let Some(role) = role {
            users.set_role(site.id, user.id, role).await?;
            let event = self
                .event(AuditKind::UserChanged)
                .user(user.id)
                .detail("role", role.as_str());
            self.record(site.id, event).await;
        }
        if let Some(disabled) = change.disabled {
            users.set_disabled(site.id, user.id, disabled).await?;
            let event = self
                .event(AuditKind::UserChanged)
                .user(user.id)
                .detail("disabled", disabled);
            self.record(site.id, event).await;
        }
        if let Some(password) = change.password {
            users.set_password(site.id, user.id, password, None).await?;
            let event = self.event(AuditKind::UserPasswordSet).user(user.id);
            self.record(site.id, event).await;
        }
        Ok(view(&users.find_by_username(site.id, username).await?))
    }
}

impl Admin {
    /// Removes the user's second factor (TOTP and recovery codes), for a
    /// user who lost it; they sign in with the password alone, or set one
    /// up again where the site requires it. Audited.
    pub async fn reset_second_factor(&self, site: &Site, username: &str) -> AdminResult<()> {
        let user = self.find_user(site, username).await?;
        if !self.store.remove_second_factor(site.id, user.id).await? {
            return Err(AdminError::NotFound(format!(
                "`{username}` has no second factor"
            )));
        }
        let event = self
            .event(AuditKind::SecondFactorReset)
            .user(user.id)
            .detail("method", "totp");
        self.record(site.id, event).await;
        Ok(())
    }
}
