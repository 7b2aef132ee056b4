//! Who is calling, and what may they do. Every token kind answers through
//! `recognise`, producing one `ApiCaller` that the rest of the code consumes.

pub mod authtoken;
pub mod browser;
pub mod callers;
pub mod legacy;
pub mod oauth;
pub mod server;
pub mod stored;

use std::borrow::Cow;
use std::sync::Arc;

use serde::Serialize;

use crate::cache::{AuthCache, CachedUser, Epochs};
use crate::oauth::ScopeSet;
use crate::oauth::dpop::Scheme;
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
    /// A browser API token (`X-Deki-Token` with a browser key); the user,
    /// if any, is the authtoken cookie's.
    Browser,
    /// A signed server API token (`X-Deki-Token: tkn_…`).
    Server,
    /// The legacy site API key (`apikey` / `X-Deki-ApiKey`).
    Legacy,
    Anonymous,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Authtoken => "authtoken",
            CredentialKind::OAuth => "oauth",
            CredentialKind::Browser => "browser",
            CredentialKind::Server => "server",
            CredentialKind::Legacy => "legacy",
            CredentialKind::Anonymous => "anonymous",
        }
    }
}

/// The credentials a request carried, as the HTTP layer found them.
#[derive(Debug, Default)]
pub struct Presented<'a> {
    /// `Authorization: Bearer …`
    pub bearer: Option<&'a str>,
    /// `Authorization: DPoP …`: a DPoP-bound OAuth access token (RFC 9449).
    pub dpop_token: Option<&'a str>,
    /// The `DPoP` header values: the proof that goes with a bound token.
    pub dpop_proofs: Vec<&'a str>,
    /// The request's method and path, which a DPoP proof must name.
    pub method: &'a str,
    pub path: &'a str,
    /// The `authtoken` cookie.
    pub authtoken_cookie: Option<&'a str>,
    /// `X-Deki-Token`: a browser token key or a `tkn_…` server token.
    pub deki_token: Option<&'a str>,
    /// `X-Deki-ApiKey`: the legacy site API key.
    pub api_key_header: Option<&'a str>,
    /// The raw query string, for the legacy `apikey` and `impersonateuserid`.
    pub query: Option<&'a str>,
    /// The `Origin` header, which browser tokens are checked against.
    pub origin: Option<&'a str>,
    /// The client's address, for the legacy usage report.
    pub client_ip: Option<std::net::IpAddr>,
}

#[derive(Debug, Clone)]
pub struct ApiCaller {
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

impl ApiCaller {
    pub fn anonymous(site: Arc<Site>) -> Self {
        ApiCaller {
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
        } else if self.user.is_none() && self.client_id.is_none() {
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
    /// A server token, browser token or legacy key that does not check out:
    /// a 401 whose `code` says why (`stale`, `bad_signature`, …).
    #[error("{message}")]
    Rejected { code: &'static str, message: String },
    /// A browser token presented from an origin it does not trust (403).
    #[error("the request's origin is not trusted by this browser token")]
    OriginNotTrusted,
    /// A DPoP-bound token without its proof, an unbound one with the DPoP
    /// scheme, or a proof that does not check out.
    #[error(transparent)]
    Dpop(#[from] crate::oauth::dpop::PresentationError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The credential `recognise` goes by, of those a request presented.
enum Chosen<'a> {
    Server(&'a str),
    Browser(&'a str),
    Legacy(Cow<'a, str>),
    OAuth(&'a str, Scheme),
    Authtoken(&'a str),
    None,
}

/// Explicit headers win over the query string and the cookie.
fn choose<'a>(presented: &Presented<'a>) -> Chosen<'a> {
    if let Some(token) = presented.deki_token {
        return if token.starts_with(server::PREFIX) {
            Chosen::Server(token)
        } else {
            Chosen::Browser(token)
        };
    }
    if let Some(key) = presented.api_key_header {
        return Chosen::Legacy(Cow::Borrowed(key));
    }
    if let Some(token) = presented.dpop_token {
        return Chosen::OAuth(token, Scheme::Dpop);
    }
    if let Some(token) = presented.bearer.filter(|b| {
        b.starts_with(crate::oauth::tokens::ACCESS_PREFIX)
            || crate::oauth::jwt_access::looks_like_jwt(b)
    }) {
        return Chosen::OAuth(token, Scheme::Bearer);
    }
    if presented.bearer.is_none()
        && let Some(key) = callers::legacy::api_key_in_query(presented.query)
    {
        return Chosen::Legacy(Cow::Owned(key));
    }
    // An explicit header wins over the cookie.
    match presented
        .bearer
        .filter(|b| b.starts_with(authtoken::PREFIX))
        .or(presented.authtoken_cookie)
    {
        Some(token) => Chosen::Authtoken(token),
        None => Chosen::None,
    }
}

/// A recognised caller, and whether the same credential may be taken for
/// the same caller again without being checked again.
pub struct Recognised {
    pub caller: ApiCaller,
    pub reuse: Option<Reuse>,
}

/// What a recognition by authtoken or server token rests on: the caches it
/// read, unchanged since before it read them (every revocation, of a
/// session, a user, a token, evicts from them and moves their epochs), and
/// the credential's own time. Site keys are the site's: a recognition is
/// reused only for the same `Arc<Site>`, which a change of the site
/// replaces. (OAuth tokens, browser tokens and legacy keys depend on more,
/// or count each use, and are not reused.)
#[derive(Debug)]
pub struct Reuse {
    since: Epochs,
    /// The credential is accepted while `from <= now < until`.
    from: i64,
    until: i64,
    /// A server token's key, whose use is recorded.
    server_key: Option<Box<str>>,
}

impl Reuse {
    /// Whether the recognition still holds at `now`.
    pub fn holds(&self, cache: &AuthCache, now: i64) -> bool {
        (self.from..self.until).contains(&now) && cache.epochs() == self.since
    }

    /// Records a use of the credential, where uses are recorded.
    pub fn record_use(&self, state: &AppState) {
        if let Some(key) = &self.server_key {
            state.token_kinds.touch_server_token(key);
        }
    }
}

/// The credential a request is recognised by, when a recognition of it may
/// be reused (see [`Reuse`]): its authtoken or server token.
pub fn reusable_credential<'a>(presented: &Presented<'a>) -> Option<&'a str> {
    match choose(presented) {
        Chosen::Server(token) | Chosen::Authtoken(token) => Some(token),
        _ => None,
    }
}

/// Recognises the caller from what the request presented. Credentials that
/// do not check out leave the caller anonymous; only store failures are errors.
pub async fn recognise(
    state: &AppState,
    site: Arc<Site>,
    presented: Presented<'_>,
) -> Result<ApiCaller, RecogniseError> {
    Ok(recognise_reusable(state, site, presented).await?.caller)
}

/// [`recognise`], saying whether the recognition may be reused.
pub async fn recognise_reusable(
    state: &AppState,
    site: Arc<Site>,
    presented: Presented<'_>,
) -> Result<Recognised, RecogniseError> {
    // Taken before any cache or store is read.
    let since = state.cache.epochs();
    let caller = match choose(&presented) {
        Chosen::Server(token) => {
            return callers::server::recognise(state, site, token, since).await;
        }
        Chosen::Browser(key) => callers::browser::recognise(state, site, key, &presented).await?,
        Chosen::Legacy(key) => callers::legacy::recognise(state, site, &key, &presented).await?,
        Chosen::OAuth(token, scheme) => {
            oauth::recognise(state, site, token, scheme, &presented).await?
        }
        Chosen::Authtoken(token) => return by_authtoken(state, site, token, since).await,
        Chosen::None => ApiCaller::anonymous(site),
    };
    Ok(Recognised {
        caller,
        reuse: None,
    })
}

async fn by_authtoken(
    state: &AppState,
    site: Arc<Site>,
    token: &str,
    since: Epochs,
) -> Result<Recognised, RecogniseError> {
    let Some(session) = state.sessions.recognise(&site, token).await? else {
        return Ok(Recognised {
            caller: ApiCaller::anonymous(site),
            reuse: None,
        });
    };
    Ok(Recognised {
        caller: ApiCaller {
            permissions: session.user.role.permissions(),
            user: Some(session.user),
            credential: CredentialKind::Authtoken,
            session_id: Some(session.session_id),
            client_id: None,
            scopes: None,
            site,
        },
        reuse: Some(Reuse {
            since,
            from: i64::MIN,
            until: session.expires_at,
            server_key: None,
        }),
    })
}
