//! Storage of trusted identity providers and of the users they vouch for
//! (identity-token exchange, spec 3.5).

use async_trait::async_trait;

use super::{StoreResult, UserRecord};

/// An identity provider as registered for a site.
#[derive(Clone, sqlx::FromRow)]
pub struct IdentityProviderRecord {
    pub id: i64,
    pub site_id: i64,
    pub issuer: String,
    pub audience: String,
    /// Where the keys are fetched from, or `None` for inline keys.
    pub jwks_uri: Option<String>,
    /// Keys given at registration, or `None` when fetched from `jwks_uri`.
    pub jwks_json: Option<String>,
    /// Comma-separated JOSE names (`RS256,ES256`).
    pub algorithms: String,
    pub created_at: i64,
}

impl std::fmt::Debug for IdentityProviderRecord {
    // Inline keys are public, but long; the listing says whether they exist.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityProviderRecord")
            .field("id", &self.id)
            .field("site_id", &self.site_id)
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("jwks_uri", &self.jwks_uri)
            .field("inline_keys", &self.jwks_json.is_some())
            .field("algorithms", &self.algorithms)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct NewIdentityProvider {
    pub site_id: i64,
    pub issuer: String,
    pub audience: String,
    pub jwks_uri: Option<String>,
    pub jwks_json: Option<String>,
    pub algorithms: String,
    pub created_at: i64,
}

/// Who an identity token says its subject is, ready to be stored.
#[derive(Debug, Clone)]
pub struct ExternalIdentity {
    pub site_id: i64,
    pub issuer: String,
    pub subject: String,
    /// The username a new account gets (the token's `sub`).
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// The role of an account created just in time.
    pub role: String,
    pub now: i64,
}

/// What finding or creating the user of an external identity came to.
#[derive(Debug, Clone)]
pub enum Provisioned {
    /// A new account, created just in time.
    Created(UserRecord),
    /// The account already linked to this identity; its profile was current.
    Existing(UserRecord),
    /// The account already linked to this identity, with its display name
    /// or email changed to what the token says (and a change recorded).
    Refreshed(UserRecord),
    /// No account is linked to the identity, and its username belongs to
    /// another account (local, or of another identity): never taken over.
    UsernameTaken,
}

#[async_trait]
pub trait IdentityProviderStore {
    /// Records a change, so every process reloads the site's providers.
    /// `Conflict` when the site already trusts this issuer.
    async fn create_identity_provider(
        &self,
        provider: &NewIdentityProvider,
    ) -> StoreResult<IdentityProviderRecord>;
    async fn list_identity_providers(
        &self,
        site_id: i64,
    ) -> StoreResult<Vec<IdentityProviderRecord>>;
    /// False when the site had no provider with this issuer.
    async fn delete_identity_provider(
        &self,
        site_id: i64,
        issuer: &str,
        now: i64,
    ) -> StoreResult<bool>;
    /// Finds the user linked to (issuer, subject) and refreshes their
    /// profile, or creates them; in one transaction, safe against a
    /// concurrent exchange for the same identity.
    async fn provision_external_user(
        &self,
        identity: &ExternalIdentity,
    ) -> StoreResult<Provisioned>;
}
