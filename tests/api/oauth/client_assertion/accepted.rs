//! Assertions that authenticate: each algorithm and audience, keys from a
//! `jwks_uri`, replaced keys, client_secret_jwt, and every endpoint.

use super::*;

#[tokio::test]
async fn a_client_with_inline_keys_authenticates_with_each_algorithm() {
    let app = spawn_app().await;
    let mut ps256 = Key::rsa("ps");
    ps256.alg = Algorithm::PS256;
    ps256.jwk.as_object_mut().unwrap().remove("alg");
    for key in [Key::ec("ec"), Key::rsa("rsa"), ps256, Key::ed("ed")] {
        let client_id = inline_client(&app, &key).await;
        let body = issued(token_with(&app, &key.sign(&claims(&app, &client_id))).await).await;
        assert_eq!(body["scope"], "content:read", "{:?}", key.alg);
    }
}

#[tokio::test]
async fn the_issuer_and_the_token_endpoint_are_both_accepted_audiences() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    for aud in [json!(site.issuer), json!(["other", token_endpoint(&app)])] {
        let assertion = key.sign(&with(claims(&app, &client_id), "aud", aud));
        issued(token_with(&app, &assertion).await).await;
    }
}

#[tokio::test]
async fn keys_served_at_a_jwks_uri_are_fetched_and_refetched_for_a_new_kid() {
    let app = spawn_idp_app().await;
    let first = Key::ec("first");
    let server = Idp::start(&[&first]).await;
    let client_id = register_key_client(
        &app,
        ClientKeySource::JwksUri(server.jwks_uri.clone()),
        None,
    )
    .await;
    issued(token_with(&app, &first.sign(&claims(&app, &client_id))).await).await;
    issued(token_with(&app, &first.sign(&claims(&app, &client_id))).await).await;
    assert_eq!(server.fetches(), 1, "the keys are cached");
    // The client rotates its key at its URL.
    let second = Key::ed("second");
    server.publish(&[&first, &second]);
    // Within a minute of the last fetch an unknown kid fetches nothing.
    refused(token_with(&app, &second.sign(&claims(&app, &client_id))).await).await;
    assert_eq!(server.fetches(), 1);
    app.clock.advance(61);
    issued(token_with(&app, &second.sign(&claims(&app, &client_id))).await).await;
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn new_keys_registered_for_a_client_replace_the_cached_ones() {
    let app = spawn_app().await;
    let old = Key::ec("old");
    let client_id = inline_client(&app, &old).await;
    issued(token_with(&app, &old.sign(&claims(&app, &client_id))).await).await;
    let new = Key::ec("new");
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    app.state
        .oauth
        .clients
        .set_keys(
            &site,
            &client_id,
            Some(ClientKeySource::Jwks(jwks(&[&new]))),
            None,
            &tessera::audit::Actor::Cli,
        )
        .await
        .unwrap();
    refused(token_with(&app, &old.sign(&claims(&app, &client_id))).await).await;
    issued(token_with(&app, &new.sign(&claims(&app, &client_id))).await).await;
}

#[tokio::test]
async fn client_secret_jwt_authenticates_with_an_hmac_over_the_secret() {
    let app = spawn_app().await;
    let auth = ClientAuthSettings {
        method: ClientAuthMethod::ClientSecretJwt,
        keys: None,
        signing_alg: None,
    };
    let client = register_as(&app, auth).await;
    let secret = client.secret.clone().expect("a secret is issued");
    let sign = |secret: &str| {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(&app, &client.client_id),
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    issued(token_with(&app, &sign(&secret)).await).await;
    let description = refused(token_with(&app, &sign("tcs_not_the_secret")).await).await;
    assert!(description.contains("signature"), "{description}");
    // The secret itself is refused: the client registered an assertion.
    let response = new_client(app.port)
        .post(app.url("/oauth/token"))
        .basic_auth(&client.client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let description = refused(response).await;
    assert!(description.contains("client_secret_jwt"), "{description}");
}

#[tokio::test]
async fn a_rotated_client_secret_jwt_secret_replaces_the_old_one() {
    let app = spawn_app().await;
    let auth = ClientAuthSettings {
        method: ClientAuthMethod::ClientSecretJwt,
        keys: None,
        signing_alg: Some("HS256".into()),
    };
    let client = register_as(&app, auth).await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let fresh = app
        .state
        .oauth
        .clients
        .rotate_secret(&site, &client.client_id, &tessera::audit::Actor::Cli)
        .await
        .unwrap()
        .into_inner();
    let sign = |secret: &str| {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(&app, &client.client_id),
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    refused(token_with(&app, &sign(client.secret.as_deref().unwrap())).await).await;
    issued(token_with(&app, &sign(&fresh)).await).await;
}

#[tokio::test]
async fn every_client_endpoint_accepts_an_assertion_for_its_own_url() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let access =
        issued(token_with(&app, &key.sign(&claims(&app, &client_id))).await).await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
    let assertion_for = |path: &str| {
        key.sign(&with(
            claims(&app, &client_id),
            "aud",
            json!(site.url(path)),
        ))
    };
    let auth = |assertion: &str| {
        vec![
            (
                "client_assertion_type".to_string(),
                ASSERTION_TYPE.to_string(),
            ),
            ("client_assertion".to_string(), assertion.to_string()),
        ]
    };
    let send = |path: &'static str, mut form: Vec<(String, String)>, assertion: String| {
        form.extend(auth(&assertion));
        let request = new_client(app.port).post(app.url(path)).form(&form);
        async move { request.send().await.unwrap() }
    };
    let introspected = send(
        "/oauth/introspect",
        vec![("token".into(), access.clone())],
        assertion_for("/oauth/introspect"),
    )
    .await;
    assert_eq!(introspected.status(), 200);
    let body: Value = introspected.json().await.unwrap();
    assert_eq!(body["active"], true, "{body}");
    let pushed = send(
        "/oauth/par",
        vec![
            ("response_type".into(), "code".into()),
            ("redirect_uri".into(), REDIRECT.into()),
            ("scope".into(), "content:read".into()),
            (
                "code_challenge".into(),
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            ),
            ("code_challenge_method".into(), "S256".into()),
        ],
        assertion_for("/oauth/par"),
    )
    .await;
    assert_eq!(pushed.status(), 201, "{:?}", pushed.text().await);
    let device = send(
        "/oauth/device_authorization",
        vec![("scope".into(), "content:read".into())],
        assertion_for("/oauth/device_authorization"),
    )
    .await;
    assert_eq!(device.status(), 200, "{:?}", device.text().await);
    let revoked = send(
        "/oauth/revoke",
        vec![("token".into(), access.clone())],
        assertion_for("/oauth/revoke"),
    )
    .await;
    assert_eq!(revoked.status(), 200);
    // An assertion for one endpoint does not open another.
    let crossed = send(
        "/oauth/introspect",
        vec![("token".into(), access)],
        assertion_for("/oauth/par"),
    )
    .await;
    refused(crossed).await;
}
