//! Who is calling, and what may they do. Every token kind answers through
//! `recognise`, producing one `Caller` that the rest of the code consumes.

pub mod authtoken;

use std::sync::Arc;

use serde::Serialize;

use crate::cache::CachedUser;
use crate::sites::Site;
use crate::state::AppState;
use crate::store::StoreError;
use crate::users::{Permission, Permissions};

/// How the caller was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CredentialKind {
    Authtoken,
    Anonymous,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Authtoken => "authtoken",
            CredentialKind::Anonymous => "anonymous",
        }
    }
}

/// The credentials a request carried, as the HTTP layer found them.
#[derive(Debug, Default)]
pub struct Presented<'a> {
    /// `Authorization: Bearer …`
    pub bearer: Option<&'a str>,
    /// The `authtoken` cookie.
    pub authtoken_cookie: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct Caller {
    pub site: Arc<Site>,
    pub user: Option<Arc<CachedUser>>,
    pub credential: CredentialKind,
    pub permissions: Permissions,
    /// The sign-in session behind an authtoken.
    pub session_id: Option<i64>,
}

impl Caller {
    pub fn anonymous(site: Arc<Site>) -> Self {
        Caller {
            site,
            user: None,
            credential: CredentialKind::Anonymous,
            permissions: Permissions::none(),
            session_id: None,
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(permission)
    }
}

/// Recognises the caller from what the request presented. Credentials that
/// do not check out leave the caller anonymous; only store failures are errors.
pub async fn recognise(
    state: &AppState,
    site: Arc<Site>,
    presented: Presented<'_>,
) -> Result<Caller, StoreError> {
    // An explicit header wins over the cookie.
    let authtoken = presented
        .bearer
        .filter(|b| b.starts_with(authtoken::PREFIX))
        .or(presented.authtoken_cookie);
    if let Some(token) = authtoken
        && let Some(session) = state.sessions.recognise(&site, token).await?
    {
        return Ok(Caller {
            permissions: session.user.role.permissions(),
            user: Some(session.user),
            credential: CredentialKind::Authtoken,
            session_id: Some(session.session_id),
            site,
        });
    }
    Ok(Caller::anonymous(site))
}
