//! The OpenID client side of brokering, with the `openidconnect` crate:
//! discovery, the authorization request (code flow, PKCE S256, `state`,
//! `nonce`), the code exchange and the ID token's checks. Every request to
//! the provider goes through [`Outbound`] (the SSRF-guarded fetcher) by way
//! of [`UpstreamHttp`].

use std::future::Future;
use std::pin::Pin;

use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreJwsSigningAlgorithm,
    CoreProviderMetadata,
};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use url::Url;

use super::UpstreamError;
use crate::crypto::random;
use crate::identity::IdentityClaims;
use crate::outbound::{FetchError, Outbound};

/// The largest answer read from a provider (discovery, keys, tokens).
const MAX_ANSWER_BYTES: usize = 256 * 1024;

/// The only ID token algorithms accepted: asymmetric ones. HMAC would let
/// anyone who knows the client secret (Tessera's, at the provider) sign.
const ALGORITHMS: [CoreJwsSigningAlgorithm; 10] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha384,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::EcdsaP384Sha384,
    CoreJwsSigningAlgorithm::EcdsaP521Sha512,
    CoreJwsSigningAlgorithm::EdDsa,
];

/// `openidconnect`'s HTTP client: our outbound fetcher.
pub struct UpstreamHttp<'a>(pub &'a Outbound);

impl<'c> openidconnect::AsyncHttpClient<'c> for UpstreamHttp<'_> {
    type Error = FetchError;
    type Future =
        Pin<Box<dyn Future<Output = Result<openidconnect::HttpResponse, FetchError>> + Send + 'c>>;

    fn call(&'c self, request: openidconnect::HttpRequest) -> Self::Future {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let url = Url::parse(&parts.uri.to_string()).map_err(|_| {
                FetchError::Refused(crate::outbound::UrlError::NotAUrl(parts.uri.to_string()))
            })?;
            let answer = self
                .0
                .send(parts.method, &url, parts.headers, body, MAX_ANSWER_BYTES)
                .await?;
            let mut response = openidconnect::http::Response::new(answer.body);
            *response.status_mut() = answer.status;
            *response.headers_mut() = answer.headers;
            Ok(response)
        })
    }
}

/// What Tessera holds at a provider: its client id and secret there.
pub struct Registration<'a> {
    pub client_id: &'a str,
    pub client_secret: String,
    /// Where the provider sends the browser back (on this site).
    pub redirect_uri: &'a str,
}

/// Fetches the provider's metadata (and keys) by discovery from its issuer.
pub async fn discover(
    outbound: &Outbound,
    issuer: &str,
) -> Result<CoreProviderMetadata, UpstreamError> {
    let issuer_url = IssuerUrl::new(issuer.to_string())
        .map_err(|_| UpstreamError::Unreachable(format!("the issuer {issuer} is not a URL")))?;
    // The discovery URL is the issuer's: checked like every outbound URL.
    outbound
        .parse_url(issuer)
        .map_err(|e| UpstreamError::Unreachable(e.to_string()))?;
    CoreProviderMetadata::discover_async(issuer_url, &UpstreamHttp(outbound))
        .await
        .map_err(|e| UpstreamError::Unreachable(format!("discovery at {issuer} failed: {e}")))
}

fn client(
    metadata: CoreProviderMetadata,
    registration: &Registration<'_>,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    UpstreamError,
> {
    let redirect = RedirectUrl::new(registration.redirect_uri.to_string())
        .map_err(|e| UpstreamError::Internal(anyhow::anyhow!("bad redirect URI: {e}")))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(registration.client_id.to_string()),
        Some(ClientSecret::new(registration.client_secret.clone())),
    )
    .set_redirect_uri(redirect))
}

/// The secrets of one authorization request, kept until the browser
/// comes back.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct RequestSecrets {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// The URL sending the browser to the provider, and what to keep.
pub fn authorization_request(
    metadata: CoreProviderMetadata,
    registration: &Registration<'_>,
) -> Result<(Url, RequestSecrets), UpstreamError> {
    let secrets = RequestSecrets {
        state: random::hex_256(),
        nonce: random::hex_256(),
        pkce_verifier: random::hex_256(),
    };
    let verifier = PkceCodeVerifier::new(secrets.pkce_verifier.clone());
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    let (state, nonce) = (secrets.state.clone(), secrets.nonce.clone());
    let (url, _, _) = client(metadata, registration)?
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(state),
            move || Nonce::new(nonce),
        )
        .add_scope(Scope::new("email".to_string()))
        .add_scope(Scope::new("profile".to_string()))
        .set_pkce_challenge(challenge)
        .url();
    Ok((url, secrets))
}

/// Who the provider says signed in, from a checked ID token.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct UpstreamClaims {
    pub subject: String,
    pub email: Option<String>,
    /// The provider vouches for `email` (`email_verified: true`).
    pub email_verified: bool,
    pub given_name: String,
    pub family_name: String,
}

impl UpstreamClaims {
    /// The claims as the identity-token exchange's provisioning reads them.
    pub fn as_identity(&self, issuer: &str) -> IdentityClaims {
        IdentityClaims {
            issuer: issuer.to_string(),
            sub: self.subject.clone(),
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            email: self.email.clone(),
        }
    }
}

/// Redeems the code (with the PKCE verifier) and checks the ID token:
/// signature by the provider's keys, `iss`, `aud`, `exp`, and `nonce`.
pub async fn redeem(
    outbound: &Outbound,
    metadata: CoreProviderMetadata,
    registration: &Registration<'_>,
    code: &str,
    secrets: &RequestSecrets,
    now: i64,
) -> Result<UpstreamClaims, UpstreamError> {
    let client = client(metadata, registration)?;
    let response = client
        .exchange_code(AuthorizationCode::new(code.to_string()))
        .map_err(|_| UpstreamError::Unreachable("the provider has no token endpoint".into()))?
        .set_pkce_verifier(PkceCodeVerifier::new(secrets.pkce_verifier.clone()))
        .request_async(&UpstreamHttp(outbound))
        .await
        .map_err(|e| {
            let why = exchange_failure(&e);
            match e {
                // The provider refused the code: the sign-in is over, the
                // provider is fine.
                openidconnect::RequestTokenError::ServerResponse(_) => {
                    tracing::info!(why = %why, "upstream code exchange refused");
                    UpstreamError::Refused(REFUSED_CODE)
                }
                _ => UpstreamError::Unreachable(format!("the code exchange failed: {why}")),
            }
        })?;
    let id_token = response
        .id_token()
        .ok_or(UpstreamError::Refused(REFUSED_TOKEN))?;
    let clock = chrono::DateTime::from_timestamp(now, 0).unwrap_or_default();
    let verifier = client
        .id_token_verifier()
        .set_allowed_algs(ALGORITHMS)
        .set_time_fn(move || clock);
    let claims: &CoreIdTokenClaims = id_token
        .claims(&verifier, &Nonce::new(secrets.nonce.clone()))
        .map_err(|e| {
            tracing::info!(error = %e, "upstream ID token refused");
            match e {
                openidconnect::ClaimsVerificationError::InvalidNonce(_) => {
                    UpstreamError::Refused(REFUSED_NONCE)
                }
                _ => UpstreamError::Refused(REFUSED_TOKEN),
            }
        })?;
    Ok(claims_of(claims))
}

/// Why a code exchange failed, in words fit for a log: never the body of
/// an answer that could not be parsed (it may hold tokens).
fn exchange_failure<RE, T>(e: &openidconnect::RequestTokenError<RE, T>) -> String
where
    RE: std::error::Error + 'static,
    T: openidconnect::ErrorResponse + std::fmt::Display + 'static,
{
    use openidconnect::RequestTokenError;
    match e {
        RequestTokenError::ServerResponse(answer) => format!("the provider answered {answer}"),
        RequestTokenError::Request(e) => e.to_string(),
        RequestTokenError::Parse(..) => "the provider's answer is not a token response".into(),
        RequestTokenError::Other(what) => what.clone(),
    }
}

const REFUSED_CODE: &str = "upstream-error-code-refused";
const REFUSED_TOKEN: &str = "upstream-error-unverified-answer";
const REFUSED_NONCE: &str = "upstream-error-other-sign-in";

fn claims_of(claims: &CoreIdTokenClaims) -> UpstreamClaims {
    let text = |c: Option<&str>| c.unwrap_or_default().to_string();
    let given = text(
        claims
            .given_name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str()),
    );
    let family = text(
        claims
            .family_name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str()),
    );
    // A provider releasing only `name` still names the person.
    let given = if given.is_empty() && family.is_empty() {
        text(claims.name().and_then(|n| n.get(None)).map(|n| n.as_str()))
    } else {
        given
    };
    UpstreamClaims {
        subject: claims.subject().as_str().to_string(),
        email: claims.email().map(|e| e.as_str().to_string()),
        email_verified: claims.email_verified() == Some(true),
        given_name: given,
        family_name: family,
    }
}
