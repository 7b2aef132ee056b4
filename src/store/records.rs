//! Rows as they are stored. Times are Unix seconds.

#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct SiteRecord {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub base_url: String,
    pub session_ttl_secs: i64,
    pub created_at: i64,
    pub access_token_ttl_secs: i64,
    pub admin_access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    pub refresh_grace_secs: i64,
    /// DPoP proofs must carry a server nonce (migration 0008).
    #[sqlx(default)]
    pub dpop_nonce_required: bool,
    /// The site's own rate limits (migration 0015), empty for none.
    #[sqlx(default)]
    pub rate_limits: String,
    /// `default` or `fapi2` (migration 0020, `oauth::fapi`).
    #[sqlx(default)]
    pub security_profile: String,
    /// Client ID Metadata Documents are resolved (migration 0021).
    #[sqlx(default)]
    pub client_id_metadata_documents: bool,
    /// Authorization requests must be pushed (RFC 9126, migration 0014).
    #[sqlx(default)]
    pub par_required: bool,
    /// Who may create an account: `closed`, `open` or `invite` (migration
    /// 0024, `accounts::SignupPolicy`).
    #[sqlx(default)]
    pub signup_policy: String,
    /// The "From" of the site's messages; the deployment's when `None`.
    #[sqlx(default)]
    pub email_from: Option<String>,
    /// `optional`, `admins` or `everyone` (migration 0023, `second_factor`).
    #[sqlx(default)]
    pub second_factor_policy: String,
    /// `en` or `de` (migration 0028, `i18n::Locale`).
    #[sqlx(default)]
    pub default_locale: String,
    /// Shown instead of `name` on pages when set (migration 0028).
    #[sqlx(default)]
    pub display_name: Option<String>,
    /// An https URL of the site's logo (migration 0028, `sites::look`).
    #[sqlx(default)]
    pub logo_url: Option<String>,
    /// `#rrggbb` (migration 0028, `sites::look`).
    #[sqlx(default)]
    pub accent_colour: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewSite {
    pub slug: String,
    pub name: String,
    pub base_url: String,
    pub session_ttl_secs: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SiteHostRecord {
    pub host: String,
    pub site_id: i64,
}

#[derive(Clone, sqlx::FromRow)]
pub struct UserRecord {
    pub id: i64,
    pub site_id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub role: String,
    pub disabled: bool,
    pub external_issuer: Option<String>,
    pub external_subject: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    /// When the user proved they read mail at `email` (migration 0024).
    #[sqlx(default)]
    pub email_verified_at: Option<i64>,
    /// Signed up and not yet verified: may not sign in.
    #[sqlx(default)]
    pub awaiting_verification: bool,
    /// The language the user chose (migration 0028); `None`: as their
    /// browser asks.
    #[sqlx(default)]
    pub locale: Option<String>,
}

impl std::fmt::Debug for UserRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRecord")
            .field("id", &self.id)
            .field("site_id", &self.site_id)
            .field("username", &self.username)
            .field("role", &self.role)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

#[derive(Clone)]
pub struct NewUser {
    pub site_id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub role: String,
    pub external_issuer: Option<String>,
    pub external_subject: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRecord {
    pub id: i64,
    pub site_id: i64,
    pub user_id: i64,
    pub token_hash: String,
    pub method: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// RFC 8176 methods of the last authentication, space-separated
    /// (migration 0023; empty when unknown).
    #[sqlx(default)]
    pub amr: String,
    /// When the session was last authenticated (`None`: when it began).
    #[sqlx(default)]
    pub auth_time: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewSession {
    pub site_id: i64,
    pub user_id: i64,
    pub token_hash: String,
    pub method: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    /// RFC 8176 methods the user proved (space-separated).
    pub amr: String,
}

/// What a change invalidates in the caches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// One session (subject = session id).
    Session,
    /// A user and all their sessions (subject = user id).
    User,
    /// A site's settings or hosts (subject = site id).
    Site,
    /// An OAuth client changed or went away, with its tokens (subject = client row id).
    Client,
    /// An OAuth grant and every token of it were revoked (subject = grant id).
    Grant,
    /// One stored OAuth token (a refresh token) was revoked (subject = token row id).
    Token,
    /// One access token was revoked (subject = the token's id; access
    /// tokens are not stored).
    AccessToken,
    /// A registered resource (RFC 8707) was removed, ending its tokens
    /// (subject = resource id).
    Resource,
    /// A site's trusted identity providers changed (subject = provider id).
    IdentityProvider,
    /// A browser token of the site was created or revoked (subject = site id).
    BrowserToken,
    /// A server token of the site was created or revoked (subject = site id).
    ServerToken,
    /// The site's legacy key was enabled, disabled or rotated (subject = site id).
    LegacyKey,
    /// A user took back an app's authorization (subject = user id).
    Consent,
    /// A site's signing keys or signing settings changed (subject = site id).
    SigningKey,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Session => "session",
            ChangeKind::User => "user",
            ChangeKind::Site => "site",
            ChangeKind::Client => "oauth-client",
            ChangeKind::Grant => "oauth-grant",
            ChangeKind::Token => "oauth-token",
            ChangeKind::AccessToken => "oauth-access-token",
            ChangeKind::Resource => "oauth-resource",
            ChangeKind::IdentityProvider => "identity-provider",
            ChangeKind::BrowserToken => "browser-token",
            ChangeKind::ServerToken => "server-token",
            ChangeKind::LegacyKey => "legacy-key",
            ChangeKind::Consent => "oauth-consent",
            ChangeKind::SigningKey => "signing-key",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "session" => Some(ChangeKind::Session),
            "user" => Some(ChangeKind::User),
            "site" => Some(ChangeKind::Site),
            "oauth-client" => Some(ChangeKind::Client),
            "oauth-grant" => Some(ChangeKind::Grant),
            "oauth-token" => Some(ChangeKind::Token),
            "oauth-access-token" => Some(ChangeKind::AccessToken),
            "oauth-resource" => Some(ChangeKind::Resource),
            "identity-provider" => Some(ChangeKind::IdentityProvider),
            "browser-token" => Some(ChangeKind::BrowserToken),
            "server-token" => Some(ChangeKind::ServerToken),
            "legacy-key" => Some(ChangeKind::LegacyKey),
            "oauth-consent" => Some(ChangeKind::Consent),
            "signing-key" => Some(ChangeKind::SigningKey),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChangeRecord {
    pub id: i64,
    pub site_id: i64,
    pub kind: String,
    pub subject: i64,
    pub created_at: i64,
}

/// What a password change revoked besides sessions: the user's OAuth grants
/// (with every token of them). The caller records them in this process's
/// revocations.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PasswordChanged {
    pub revoked_grants: Vec<i64>,
}
