//! OAuth rows as they are stored. Scopes and grant types are space-separated,
//! redirect URIs one per line; the domain parses them (`oauth::scopes`).

#[derive(Clone, sqlx::FromRow)]
pub struct ClientRecord {
    pub id: i64,
    pub site_id: i64,
    pub client_id: String,
    pub name: String,
    pub homepage_url: Option<String>,
    pub redirect_uris: String,
    pub confidential: bool,
    pub secret_hash: Option<String>,
    pub scopes: String,
    pub grant_types: String,
    pub owner_user_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// RFC 9068 access tokens instead of opaque ones (migration 0006).
    #[sqlx(default)]
    pub jwt_access_tokens: bool,
    /// RFC 9449: token requests must carry a DPoP proof (migration 0008).
    #[sqlx(default)]
    pub dpop_required: bool,
    /// Registered without an initial access token (migration 0010).
    #[sqlx(default)]
    pub registered_anonymously: bool,
    /// Space-separated permissions an admin granted a client without owner.
    #[sqlx(default)]
    pub granted_permissions: String,
    /// A resource server: may introspect every token of its site.
    #[sqlx(default)]
    pub introspect: bool,
    /// `client_secret`, `client_secret_jwt`, `private_key_jwt` or `none`
    /// (migration 0016).
    #[sqlx(default)]
    pub auth_method: String,
    /// private_key_jwt: the client's JWK Set, or where to fetch it.
    #[sqlx(default)]
    pub jwks: Option<String>,
    #[sqlx(default)]
    pub jwks_uri: Option<String>,
    /// The one JWS algorithm of its assertions, if it named one.
    #[sqlx(default)]
    pub auth_signing_alg: Option<String>,
    /// client_secret_jwt: the secret sealed under the master key.
    #[sqlx(default)]
    pub sealed_secret: Option<String>,
    /// RP-Initiated Logout: where the browser may go after logout, one
    /// URI per line (migration 0018).
    #[sqlx(default)]
    pub post_logout_redirect_uris: String,
    /// Back-Channel Logout: where logout tokens are POSTed.
    #[sqlx(default)]
    pub backchannel_logout_uri: Option<String>,
    /// Whether its logout tokens must carry `sid`.
    #[sqlx(default)]
    pub backchannel_logout_session_required: bool,
    /// RFC 9101 10.5: only signed request objects (migration 0019).
    #[sqlx(default)]
    pub require_signed_request_object: bool,
    /// Resolved from a Client ID Metadata Document (migration 0021).
    #[sqlx(default)]
    pub metadata_document: bool,
    /// Its authorization requests must be pushed (RFC 9126).
    #[sqlx(default)]
    pub par_required: bool,
}

impl std::fmt::Debug for ClientRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientRecord")
            .field("id", &self.id)
            .field("site_id", &self.site_id)
            .field("client_id", &self.client_id)
            .field("confidential", &self.confidential)
            .finish_non_exhaustive()
    }
}

/// A client to create, or the new state of one being updated.
#[derive(Clone)]
pub struct NewClient {
    pub site_id: i64,
    pub client_id: String,
    pub name: String,
    pub homepage_url: Option<String>,
    pub redirect_uris: String,
    pub confidential: bool,
    pub secret_hash: Option<String>,
    pub scopes: String,
    pub grant_types: String,
    pub owner_user_id: Option<i64>,
    /// Registered dynamically without an initial access token.
    pub registered_anonymously: bool,
    pub keys: ClientKeyColumns,
    pub now: i64,
}

/// How a client authenticates, as stored (migration 0016); see
/// `ClientRecord` for the columns.
#[derive(Clone, Default)]
pub struct ClientKeyColumns {
    pub auth_method: String,
    pub jwks: Option<String>,
    pub jwks_uri: Option<String>,
    pub auth_signing_alg: Option<String>,
    pub sealed_secret: Option<String>,
}

/// The parts of a client its developer may edit.
#[derive(Debug, Clone)]
pub struct ClientChanges {
    pub name: String,
    pub homepage_url: Option<String>,
    pub redirect_uris: String,
    pub scopes: String,
    pub grant_types: String,
}

/// An app a user authorized, with the client's public details.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuthorizationRecord {
    pub client_pk: i64,
    pub client_id: String,
    pub client_name: String,
    pub homepage_url: Option<String>,
    pub scopes: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A code as the token endpoint checks it: read from the database, or from
/// the issuing process's memory (`oauth/issued_codes.rs`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CodeRecord {
    pub site_id: i64,
    pub client_pk: i64,
    pub user_id: i64,
    pub redirect_uri: String,
    pub scopes: String,
    pub code_challenge: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub consumed_at: Option<i64>,
    pub grant_id: Option<i64>,
    /// OpenID Connect: the authorization request's nonce and the sign-in time.
    pub nonce: Option<String>,
    pub auth_time: Option<i64>,
    /// RFC 9449 section 10: the key the code's tokens must be bound to.
    pub dpop_jkt: Option<String>,
    /// RFC 8707: the resource (audience) it is for; `None`: the site's own API.
    pub resource: Option<String>,
    /// The sign-in session the code was issued in (migration 0018).
    #[sqlx(default)]
    pub session_id: Option<i64>,
    /// How the user authenticated (RFC 8176 `amr`, space-separated) and
    /// the class that makes (`acr`), for the ID token (migration 0023).
    #[sqlx(default)]
    pub amr: Option<String>,
    #[sqlx(default)]
    pub acr: Option<String>,
}

impl From<NewCode> for CodeRecord {
    /// A code just issued: not consumed, no grant yet.
    fn from(code: NewCode) -> Self {
        Self {
            site_id: code.site_id,
            client_pk: code.client_pk,
            user_id: code.user_id,
            redirect_uri: code.redirect_uri,
            scopes: code.scopes,
            code_challenge: code.code_challenge,
            created_at: code.created_at,
            expires_at: code.expires_at,
            consumed_at: None,
            grant_id: None,
            nonce: code.nonce,
            auth_time: code.auth_time,
            dpop_jkt: code.dpop_jkt,
            resource: code.resource,
            session_id: code.session_id,
            amr: code.amr,
            acr: code.acr,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewCode {
    pub site_id: i64,
    pub code_hash: String,
    pub client_pk: i64,
    pub user_id: i64,
    pub redirect_uri: String,
    pub scopes: String,
    pub code_challenge: String,
    pub nonce: Option<String>,
    pub auth_time: Option<i64>,
    pub dpop_jkt: Option<String>,
    /// RFC 8707: the resource (audience) it is for; `None`: the site's own API.
    pub resource: Option<String>,
    /// The sign-in session the code is issued in (`sid` of its ID token).
    pub session_id: Option<i64>,
    /// RFC 8176 methods (space-separated) and the `acr` of the sign-in.
    pub amr: Option<String>,
    pub acr: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone)]
pub struct NewGrant {
    pub site_id: i64,
    pub client_pk: i64,
    pub user_id: Option<i64>,
    /// The sign-in session the grant was made in (authorization codes).
    pub session_id: Option<i64>,
    pub scopes: String,
    /// RFC 8707: the resource (audience) it is for; `None`: the site's own API.
    pub resource: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// A token row joined with its client's public id.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRecord {
    pub id: i64,
    pub site_id: i64,
    pub kind: String,
    pub client_pk: i64,
    pub client_id: String,
    pub user_id: Option<i64>,
    pub grant_id: Option<i64>,
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub rotated_at: Option<i64>,
    pub revoked_at: Option<i64>,
    /// RFC 9449: the thumbprint of the key the token is bound to.
    pub jkt: Option<String>,
    /// RFC 8707: the resource (audience) it is for; `None`: the site's own API.
    pub resource: Option<String>,
}

/// A token to store; `grant_id` is filled in by the store when the token is
/// created together with its grant.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub site_id: i64,
    pub token_hash: String,
    pub kind: TokenKind,
    pub client_pk: i64,
    pub user_id: Option<i64>,
    pub grant_id: Option<i64>,
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: i64,
    /// RFC 9449: DPoP-bound to the key with this thumbprint.
    pub jkt: Option<String>,
    /// RFC 8707: the resource (audience) it is for; `None`: the site's own API.
    pub resource: Option<String>,
}

/// One item for the group-commit writer.
#[derive(Debug, Clone)]
pub enum PendingWrite {
    /// Boxed: a code row is several times the size of a proof's use.
    Code(Box<NewCode>),
    /// A single-use JWT id's use: a DPoP proof's or a client assertion's.
    Proof(super::ProofUse),
}

/// What the group commit did with one [`PendingWrite`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Committed {
    Code,
    /// A proof's first use.
    Proof,
    /// The proof was used before: nothing of this item was stored.
    ProofReplayed,
}

/// The row ids given to newly stored tokens, by token hash.
pub type TokenIds = Vec<(String, i64)>;

/// One code redemption: claim the code, then create the grant and tokens.
#[derive(Debug, Clone)]
pub struct CodeClaim {
    pub code_hash: String,
    pub grant: NewGrant,
    pub tokens: Vec<NewToken>,
}

/// What revoked access tokens before they expire, for the in-memory set
/// every process checks them against (`oauth::revocations`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RevokedAccess {
    /// (site, token id, revoked at).
    pub tokens: Vec<(i64, i64, i64)>,
    /// (grant id, revoked at).
    pub grants: Vec<(i64, i64)>,
}

/// A claimed code: its new grant, and the row ids of the grant's tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redeemed {
    pub grant_id: i64,
    pub token_ids: TokenIds,
}

/// What rotating a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    Rotated(TokenIds),
    /// The token was rotated already (a concurrent or replayed use).
    AlreadyRotated,
}
