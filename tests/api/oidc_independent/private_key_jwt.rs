//! The `oauth2` crate at the token and introspection endpoints with
//! private_key_jwt (RFC 7523 2.2): ES256, PS256 and EdDSA assertions made
//! with jsonwebtoken, sent as the crate's extra parameters.

use oauth2::basic::{BasicClient, BasicErrorResponseType};
use oauth2::{
    ClientId, IntrospectionUrl, RequestTokenError, Scope, TokenIntrospectionResponse,
    TokenResponse, TokenUrl,
};

use super::{ASSERTION_TYPE, KeyClient, key_client, ps256_key, send};
use crate::helpers::TestApp;
use crate::identity::support::Key;

fn oauth2_client(
    app: &TestApp,
    client: &KeyClient,
) -> BasicClient<
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
> {
    BasicClient::new(ClientId::new(client.client_id.clone()))
        .set_token_uri(TokenUrl::new(app.url("/oauth/token")).unwrap())
        .set_introspection_url(IntrospectionUrl::new(app.url("/oauth/introspect")).unwrap())
}

#[tokio::test]
async fn the_oauth2_crate_gets_and_introspects_tokens_with_es256_ps256_and_eddsa_assertions() {
    let app = crate::helpers::spawn_app().await;
    for key in [Key::ec("es256"), ps256_key("ps256"), Key::ed("eddsa")] {
        let alg = key.alg;
        let client = key_client(&app, key).await;
        let oauth = oauth2_client(&app, &client);
        let tokens = oauth
            .exchange_client_credentials()
            .add_scope(Scope::new("content:read".into()))
            .add_extra_param("client_assertion_type", ASSERTION_TYPE)
            .add_extra_param("client_assertion", client.assertion(&app))
            .request_async(&send)
            .await
            .unwrap_or_else(|e| panic!("{alg:?}: the token request is accepted: {e:?}"));
        let scopes: Vec<String> = tokens
            .scopes()
            .unwrap()
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(scopes, ["content:read"], "{alg:?}");

        // Introspection authenticated the same way, with a fresh assertion.
        let facts = oauth
            .introspect(tokens.access_token())
            .add_extra_param("client_assertion_type", ASSERTION_TYPE)
            .add_extra_param("client_assertion", client.assertion(&app))
            .request_async(&send)
            .await
            .unwrap_or_else(|e| panic!("{alg:?}: introspection is accepted: {e:?}"));
        assert!(facts.active(), "{alg:?}");
        assert_eq!(
            facts.client_id().map(|c| c.as_str()),
            Some(client.client_id.as_str())
        );
        assert_eq!(facts.aud(), Some(&vec![app.address.clone()]), "{alg:?}");
    }
}

#[tokio::test]
async fn the_oauth2_crate_sees_invalid_client_for_a_replayed_or_foreign_assertion() {
    let app = crate::helpers::spawn_app().await;
    let client = key_client(&app, Key::ec("registered")).await;
    let oauth = oauth2_client(&app, &client);
    let assertion = client.assertion(&app);
    let first = oauth
        .exchange_client_credentials()
        .add_extra_param("client_assertion_type", ASSERTION_TYPE)
        .add_extra_param("client_assertion", assertion.clone())
        .request_async(&send)
        .await;
    assert!(first.is_ok(), "{first:?}");

    let stranger = KeyClient {
        client_id: client.client_id.clone(),
        key: Key::ec("registered"),
    };
    for (what, assertion) in [
        ("replayed jti", assertion),
        ("unregistered key", stranger.assertion(&app)),
    ] {
        let refused = oauth
            .exchange_client_credentials()
            .add_extra_param("client_assertion_type", ASSERTION_TYPE)
            .add_extra_param("client_assertion", assertion)
            .request_async(&send)
            .await;
        match refused {
            Err(RequestTokenError::ServerResponse(e)) => {
                assert_eq!(*e.error(), BasicErrorResponseType::InvalidClient, "{what}");
            }
            other => panic!("{what}: expected invalid_client, got {other:?}"),
        }
    }
}
