//! JWT access tokens (RFC 9068), for clients that opt in so that their
//! resource servers can verify tokens offline against the JWKS.
//!
//! The JWT says what the opaque form of the same token says: its `jti` is
//! the token's id and `gid` its grant, so revocation, introspection and the
//! API treat both forms alike. A JWT access token is 500-900 characters, more than the 255 of
//! the opaque form; clients opting in must have room for it.

use serde::{Deserialize, Serialize};

use super::OAuth;
use super::error::{OAuthError, OAuthResult};
use super::grants::TokenResponse;
use crate::oauth::clients::Client;
use crate::oauth::dpop::Confirmation;
use crate::oauth::resources::TokenFormat;
use crate::signing::SigningError;
use crate::sites::Site;
use crate::store::StoreError;

/// The JOSE `typ` of RFC 9068 section 2.1.
pub const TYP: &str = "at+jwt";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    /// The user, or the client itself for client credentials.
    pub sub: String,
    /// The resource the token is for (RFC 8707), or the site's own API:
    /// the issuer's origin.
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    /// The token's id, as revoking it records.
    pub jti: String,
    pub client_id: String,
    pub scope: String,
    /// RFC 9449 section 6.1: the key a DPoP-bound token is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<Confirmation>,
    /// The grant behind a user's token (Tessera's own claim): revoking the
    /// grant ends the token.
    #[serde(rename = "gid", default, skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<i64>,
}

/// The audience of a token for `resource`: the resource itself, or the
/// site's own API (its issuer).
pub fn audience<'a>(site: &'a Site, resource: Option<&'a str>) -> &'a str {
    resource.unwrap_or(&site.issuer)
}

/// A compact JWS whose header is JSON (`eyJ`): never an opaque token.
pub fn looks_like_jwt(value: &str) -> bool {
    value.starts_with("eyJ") && value.bytes().filter(|b| *b == b'.').count() == 2
}

fn server_error(e: SigningError) -> OAuthError {
    OAuthError::ServerError(e.into())
}

impl OAuth {
    /// Last touches on a token response: the JWT form of the access token
    /// for clients that asked for it, then the ID token, whose `at_hash`
    /// covers the access token as sent.
    pub(crate) async fn finish_response(
        &self,
        site: &Site,
        client: &Client,
        response: &mut TokenResponse,
    ) -> OAuthResult<()> {
        // A resource's format decides; otherwise the client's setting.
        let jwt = match &response.resource {
            Some(resource) => resource.format == TokenFormat::Jwt,
            None => client.jwt_access_tokens,
        };
        if jwt {
            let Some(issued) = self.find_access_token(site, &response.access_token).await? else {
                return Err(OAuthError::ServerError(anyhow::anyhow!(
                    "an access token just issued cannot be found"
                )));
            };
            let claims = AccessTokenClaims {
                iss: site.issuer.clone(),
                sub: issued
                    .user_id
                    .map_or_else(|| client.client_id.clone(), |id| id.to_string()),
                aud: audience(site, issued.resource.as_deref()).to_owned(),
                exp: issued.expires_at,
                iat: issued.issued_at,
                jti: issued.id.to_string(),
                client_id: client.client_id.clone(),
                scope: issued.scopes.to_string(),
                cnf: Confirmation::of(issued.jkt.as_deref()),
                grant_id: issued.grant_id,
            };
            let (jwt, _) = self
                .signing
                .sign(site.id, TYP, &claims)
                .await
                .map_err(server_error)?;
            response.access_token = jwt;
        }
        if let Some(code) = response.pending_id_token.take() {
            let id_token = self
                .id_token(site, client, &code, &response.access_token)
                .await?;
            response.id_token = Some(id_token);
        }
        Ok(())
    }

    /// The claims of a JWT access token whose signature, type, issuer and
    /// expiry check out.
    pub(crate) async fn verify_jwt_access_token(
        &self,
        site: &Site,
        value: &str,
    ) -> Result<Option<AccessTokenClaims>, StoreError> {
        match self
            .signing
            .verify::<AccessTokenClaims>(site, TYP, value, None)
            .await
        {
            Ok(claims) => Ok(claims),
            Err(SigningError::Store(e)) => Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "cannot check a JWT access token");
                Ok(None)
            }
        }
    }
}
