//! Clients no one here wrote, against the standards of issue 12: the
//! `openidconnect` crate discovers the provider (with RP-Initiated Logout
//! metadata), signs in with PKCE, verifies the ID token (`sid` included)
//! and logs out; the `oauth2` crate authenticates with `private_key_jwt`;
//! a signed request object (JAR) travels in the `openidconnect` crate's
//! authorization URL. Neither crate makes client assertions or request
//! objects, so they are made here with `jsonwebtoken` and keys generated in
//! the test, never with Tessera's own signing code, and sent as the
//! crates' extra parameters.

mod logout;
mod private_key_jwt;
mod request_object;

use jsonwebtoken::Algorithm;
use serde_json::json;
use tessera::clock::Clock;
use tessera::oauth::ClientSettings;
use tessera::oauth::client_auth::{ClientAuthMethod, ClientAuthSettings, ClientKeySource};
use tessera::oauth::logout::ClientLogoutSettings;

use crate::helpers::TestApp;
use crate::identity::support::{Key, jwks};
use crate::oauth::support::REDIRECT;
use crate::oidc_logout::support::BYE;

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Sends a request the `oauth2` or `openidconnect` crate built with
/// reqwest, as an app would, and hands the answer back to the crate.
async fn send(request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, reqwest::Error> {
    let response = reqwest::Client::new()
        .request(request.method().clone(), request.uri().to_string())
        .headers(request.headers().clone())
        .body(request.body().clone())
        .send()
        .await?;
    let mut builder = oauth2::http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    Ok(builder
        .body(response.bytes().await?.to_vec())
        .expect("a response"))
}

/// A private_key_jwt client and the key it signs with.
struct KeyClient {
    client_id: String,
    key: Key,
}

impl KeyClient {
    /// A client assertion (RFC 7523 2.2) for `app`, whose `aud` is the
    /// issuer, made with jsonwebtoken.
    fn assertion(&self, app: &TestApp) -> String {
        let now = app.clock.now();
        self.key.sign(&json!({
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": app.address,
            "iat": now,
            "exp": now + 60,
            "jti": uuid::Uuid::new_v4().to_string(),
        }))
    }
}

/// An RSA key that signs with PS256.
fn ps256_key(kid: &str) -> Key {
    let mut key = Key::rsa(kid);
    key.alg = Algorithm::PS256;
    key.jwk["alg"] = json!("PS256");
    key
}

/// Registers an OpenID Connect client on the default site that
/// authenticates with `key` (private_key_jwt) and may be sent to
/// [`BYE`] after logout.
async fn key_client(app: &TestApp, key: Key) -> KeyClient {
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let registered = app
        .state
        .oauth
        .clients
        .register_with(
            &site,
            ClientSettings {
                name: "Independent RP".into(),
                homepage_url: None,
                redirect_uris: vec![REDIRECT.into()],
                scopes: Some("openid profile content:read".into()),
                grant_types: Some(vec![
                    "authorization_code".into(),
                    "refresh_token".into(),
                    "client_credentials".into(),
                ]),
            },
            &ClientAuthSettings {
                method: ClientAuthMethod::PrivateKeyJwt,
                keys: Some(ClientKeySource::Jwks(jwks(&[&key]))),
                signing_alg: None,
            },
            None,
            &tessera::audit::Actor::Cli,
        )
        .await
        .expect("register the client");
    let client_id = registered.client.client_id.clone();
    app.state
        .oauth
        .clients
        .set_logout(
            &site,
            &client_id,
            &ClientLogoutSettings {
                post_logout_redirect_uris: vec![BYE.into()],
                backchannel_logout_uri: None,
                backchannel_logout_session_required: false,
            },
            &tessera::audit::Actor::Cli,
        )
        .await
        .expect("logout settings");
    KeyClient { client_id, key }
}

/// The ID token claims Tessera adds that `openidconnect` has no field for:
/// `sid` (OpenID Connect Back-Channel Logout 1.0, section 2.1).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct SessionClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    sid: Option<String>,
}

impl openidconnect::AdditionalClaims for SessionClaims {}

type SessionTokenResponse = openidconnect::StandardTokenResponse<
    openidconnect::IdTokenFields<
        SessionClaims,
        openidconnect::EmptyExtraTokenFields,
        openidconnect::core::CoreGenderClaim,
        openidconnect::core::CoreJweContentEncryptionAlgorithm,
        openidconnect::core::CoreJwsSigningAlgorithm,
    >,
    openidconnect::core::CoreTokenType,
>;

/// An `openidconnect` client whose ID tokens carry [`SessionClaims`], as
/// `Client::from_provider_metadata` makes it.
type RelyingParty = openidconnect::Client<
    SessionClaims,
    openidconnect::core::CoreAuthDisplay,
    openidconnect::core::CoreGenderClaim,
    openidconnect::core::CoreJweContentEncryptionAlgorithm,
    openidconnect::core::CoreJsonWebKey,
    openidconnect::core::CoreAuthPrompt,
    openidconnect::StandardErrorResponse<openidconnect::core::CoreErrorResponseType>,
    SessionTokenResponse,
    openidconnect::core::CoreTokenIntrospectionResponse,
    openidconnect::core::CoreRevocableToken,
    openidconnect::core::CoreRevocationErrorResponse,
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// Discovers the default site with RP-Initiated Logout metadata (the
/// crate checks the issuer and fetches the JWKS) and makes the relying
/// party of `client`, which has no secret: it authenticates with
/// assertions sent as extra parameters.
async fn discover(
    app: &TestApp,
    client: &KeyClient,
) -> (RelyingParty, openidconnect::ProviderMetadataWithLogout) {
    let metadata = openidconnect::ProviderMetadataWithLogout::discover_async(
        openidconnect::IssuerUrl::new(app.address.clone()).unwrap(),
        &send,
    )
    .await
    .expect("discovery, logout metadata and JWKS are accepted");
    let relying_party = RelyingParty::from_provider_metadata(
        metadata.clone(),
        openidconnect::ClientId::new(client.client_id.clone()),
        None,
    )
    .set_redirect_uri(openidconnect::RedirectUrl::new(REDIRECT.into()).unwrap());
    (relying_party, metadata)
}
