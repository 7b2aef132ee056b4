//! OpenID Connect ID tokens (Core 1.0 section 2), signed with the site's
//! current key. Issued by the authorization code grant when `openid` was
//! granted; refreshing does not issue a new one (Core 12.2 makes it
//! optional), so the first ID token is the sign-in's record.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

use super::OAuth;
use super::clients::Client;
use super::error::{OAuthError, OAuthResult};
use super::scopes::{Scope, ScopeSet};
use crate::cache::CachedUser;
use crate::signing::keygen::SigningAlg;
use crate::sites::Site;
use crate::store::CodeRecord;

/// The claims `profile` and `email` release, shared with `/oauth/userinfo`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct UserClaims {
    pub sub: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The claims `/.well-known/openid-configuration` lists as supported.
pub const CLAIMS_SUPPORTED: [&str; 17] = [
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "amr",
    "acr",
    "nonce",
    "at_hash",
    "azp",
    "name",
    "preferred_username",
    "email",
    "scope",
    "client_id",
    "sid",
];

impl UserClaims {
    pub fn of(user: &CachedUser, scopes: ScopeSet) -> Self {
        let profile = scopes.contains(Scope::Profile);
        UserClaims {
            sub: user.id.to_string(),
            name: profile.then(|| user.display_name.clone()),
            preferred_username: profile.then(|| user.username.clone()),
            email: if scopes.contains(Scope::Email) {
                user.email.clone()
            } else {
                None
            },
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub aud: String,
    pub azp: String,
    pub exp: i64,
    pub iat: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<i64>,
    /// RFC 8176 methods of the authentication (`sessions::Methods`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
    /// The class the authentication reached (`sessions::Acr`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    pub at_hash: String,
    /// The sign-in session (Back-Channel Logout 2.1), when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    #[serde(flatten)]
    pub user: UserClaims,
}

/// `at_hash` (Core 3.1.3.6): the left half of the access token's hash, with
/// the hash of the signing algorithm (SHA-512 for Ed25519).
pub fn at_hash(alg: SigningAlg, access_token: &str) -> String {
    let digest: Vec<u8> = match alg {
        SigningAlg::Es256 | SigningAlg::Rs256 => Sha256::digest(access_token.as_bytes()).to_vec(),
        SigningAlg::EdDsa => Sha512::digest(access_token.as_bytes()).to_vec(),
    };
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

impl OAuth {
    pub(crate) async fn id_token(
        &self,
        site: &Site,
        client: &Client,
        code: &CodeRecord,
        access_token: &str,
    ) -> OAuthResult<String> {
        let now = self.clock.now();
        let Some(user) = self.users.cached(site.id, code.user_id).await? else {
            return Err(OAuthError::InvalidGrant("the user no longer exists"));
        };
        let keys = self
            .signing
            .keys(site.id)
            .await
            .map_err(|e| OAuthError::ServerError(e.into()))?;
        let claims = IdTokenClaims {
            iss: site.issuer.clone(),
            aud: client.client_id.clone(),
            azp: client.client_id.clone(),
            exp: now + site.oauth.access_token_ttl_secs,
            iat: now,
            auth_time: code.auth_time,
            amr: code
                .amr
                .as_deref()
                .filter(|amr| !amr.is_empty())
                .map(|amr| amr.split(' ').map(str::to_owned).collect()),
            acr: code.acr.clone(),
            nonce: code.nonce.clone(),
            at_hash: at_hash(keys.current.alg, access_token),
            sid: code.session_id.map(|id| super::logout::sid(site, id)),
            user: UserClaims::of(&user, ScopeSet::from_stored(&code.scopes)),
        };
        crate::signing::sign_with(&keys.current, "JWT", &claims)
            .map_err(|e| OAuthError::ServerError(e.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_is_the_left_half_of_the_sha256_of_the_token() {
        // OpenID Connect Core A.3's example.
        assert_eq!(
            at_hash(
                SigningAlg::Rs256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
