//! Who is calling, and what may they do. Every token kind answers through
//! `recognise`, producing one `Caller` that the rest of the code consumes.

pub mod authtoken;
pub mod browser;
pub mod legacy;
pub mod oauth;
pub mod server;

use std::sync::Arc;

use serde::Serialize;

use crate::cache::CachedUser;
use crate::oauth::ScopeSet;
use crate::sites::Site;
use crate::state::AppState;
use crate::store::StoreError;
use crate::users::{Permission, Permissions};

/// How the caller was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CredentialKind {
    Authtoken,
    #[serde(rename = "oauth")]
    OAuth,
    Anonymous,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Authtoken => "authtoken",
            CredentialKind::OAuth => "oauth",
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
    /// The OAuth client an access token was issued to.
    pub client_id: Option<String>,
    /// The scopes an OAuth access token carries.
    pub scopes: Option<ScopeSet>,
}

impl Caller {
    pub fn anonymous(site: Arc<Site>) -> Self {
        Caller {
            site,
            user: None,
            credential: CredentialKind::Anonymous,
            permissions: Permissions::none(),
            session_id: None,
            client_id: None,
            scopes: None,
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(permission)
    }

    /// Whether the caller may do what needs `permission`, and if not, why.
    pub fn check(&self, permission: Permission) -> Result<(), Denied> {
        if self.can(permission) {
            Ok(())
        } else if self.credential == CredentialKind::Anonymous {
            Err(Denied::NotSignedIn)
        } else if self.credential == CredentialKind::OAuth {
            Err(Denied::InsufficientScope)
        } else {
            Err(Denied::Forbidden)
        }
    }
}

/// Why a caller may not do something.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    NotSignedIn,
    /// An OAuth token whose scopes (or user) do not grant the permission.
    InsufficientScope,
    Forbidden,
}

/// Why a request's credentials cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum RecogniseError {
    /// A bearer OAuth access token that is forged, expired or revoked
    /// (RFC 6750: a 401 with `error="invalid_token"`, not anonymity).
    #[error("the access token is invalid, expired or revoked")]
    InvalidToken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Recognises the caller from what the request presented. Credentials that
/// do not check out leave the caller anonymous; only store failures are errors.
pub async fn recognise(
    state: &AppState,
    site: Arc<Site>,
    presented: Presented<'_>,
) -> Result<Caller, RecogniseError> {
    if let Some(token) = presented
        .bearer
        .filter(|b| b.starts_with(crate::oauth::tokens::ACCESS_PREFIX))
    {
        return oauth::recognise(state, site, token).await;
    }
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
            client_id: None,
            scopes: None,
            site,
        });
    }
    Ok(Caller::anonymous(site))
}
