//! Each way an assertion is refused, as `invalid_client`.

use super::*;

#[tokio::test]
async fn an_assertion_for_another_audience_is_refused() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let claims = with(
        claims(&app, &client_id),
        "aud",
        json!("https://elsewhere.example/token"),
    );
    let description = refused(token_with(&app, &key.sign(&claims)).await).await;
    assert!(description.contains("aud"), "{description}");
}

#[tokio::test]
async fn an_expired_assertion_is_refused() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let assertion = key.sign(&claims(&app, &client_id));
    app.clock.advance(120);
    let description = refused(token_with(&app, &assertion).await).await;
    assert!(description.contains("expired"), "{description}");
}

#[tokio::test]
async fn an_assertion_that_lives_longer_than_five_minutes_is_refused() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let claims = with(claims(&app, &client_id), "exp", json!(now(&app) + 3600));
    let description = refused(token_with(&app, &key.sign(&claims)).await).await;
    assert!(description.contains("5 minutes"), "{description}");
}

#[tokio::test]
async fn a_replayed_assertion_is_refused() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let assertion = key.sign(&claims(&app, &client_id));
    issued(token_with(&app, &assertion).await).await;
    let description = refused(token_with(&app, &assertion).await).await;
    assert!(description.contains("jti"), "{description}");
}

#[tokio::test]
async fn an_assertion_without_a_jti_is_refused() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let mut claims = claims(&app, &client_id);
    claims.as_object_mut().unwrap().remove("jti");
    let description = refused(token_with(&app, &key.sign(&claims)).await).await;
    assert!(description.contains("jti"), "{description}");
}

#[tokio::test]
async fn an_assertion_signed_by_an_unregistered_key_is_refused() {
    let app = spawn_app().await;
    let client_id = inline_client(&app, &Key::ec("k1")).await;
    // Same kid, another key: the signature does not verify.
    let impostor = Key::ec("k1");
    let description =
        refused(token_with(&app, &impostor.sign(&claims(&app, &client_id))).await).await;
    assert!(description.contains("signature"), "{description}");
    // Another kid: no such key is registered.
    let unknown = Key::ec("k2");
    let description =
        refused(token_with(&app, &unknown.sign(&claims(&app, &client_id))).await).await;
    assert!(description.contains("not registered"), "{description}");
}

#[tokio::test]
async fn an_unsigned_assertion_is_refused() {
    let app = spawn_app().await;
    let client_id = inline_client(&app, &Key::ec("k1")).await;
    let assertion = raw_token(
        &json!({"alg": "none", "kid": "k1"}),
        &claims(&app, &client_id),
        b"",
    );
    let description = refused(token_with(&app, &assertion).await).await;
    assert!(description.contains("alg"), "{description}");
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_as_secret_is_refused() {
    let app = spawn_app().await;
    let key = Key::rsa("k1");
    let client_id = inline_client(&app, &key).await;
    let public_as_secret = jwks(&[&key]);
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k1".into());
    let assertion = jsonwebtoken::encode(
        &header,
        &claims(&app, &client_id),
        &EncodingKey::from_secret(public_as_secret.as_bytes()),
    )
    .unwrap();
    let description = refused(token_with(&app, &assertion).await).await;
    assert!(description.contains("alg"), "{description}");
}

#[tokio::test]
async fn an_algorithm_other_than_the_registered_one_is_refused() {
    let app = spawn_app().await;
    let mut rsa = Key::rsa("k1");
    rsa.jwk.as_object_mut().unwrap().remove("alg");
    let client_id =
        register_key_client(&app, ClientKeySource::Jwks(jwks(&[&rsa])), Some("PS256")).await;
    let description = refused(token_with(&app, &rsa.sign(&claims(&app, &client_id))).await).await;
    assert!(
        description.contains("token_endpoint_auth_signing_alg"),
        "{description}"
    );
}

#[tokio::test]
async fn a_wrong_assertion_type_is_refused() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let response = post_form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
            ),
            ("client_assertion", &key.sign(&claims(&app, &client_id))),
        ],
    )
    .await;
    let description = refused(response).await;
    assert!(
        description.contains("client_assertion_type"),
        "{description}"
    );
}

#[tokio::test]
async fn a_key_client_cannot_authenticate_with_a_secret() {
    let app = spawn_app().await;
    let client_id = inline_client(&app, &Key::ec("k1")).await;
    let response = new_client(app.port)
        .post(app.url("/oauth/token"))
        .basic_auth(&client_id, Some("tcs_guessed"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let description = refused(response).await;
    assert!(description.contains("private_key_jwt"), "{description}");
    // Nor by its id alone, as if it were public.
    let response = post_form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
        ],
    )
    .await;
    refused(response).await;
}

#[tokio::test]
async fn a_secret_client_cannot_authenticate_with_an_assertion() {
    let app = spawn_app().await;
    let secret_client = register_as(&app, ClientAuthSettings::secret_or_none(true)).await;
    let key = Key::ec("k1");
    let description =
        refused(token_with(&app, &key.sign(&claims(&app, &secret_client.client_id))).await).await;
    assert!(description.contains("client secret"), "{description}");
}

#[tokio::test]
async fn an_assertion_replayed_to_another_process_is_refused() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let dir = tempfile::tempdir().unwrap();
    // A second server on the same database, as in a deployment.
    let other =
        crate::helpers::spawn_app_on(app.database_url.clone(), app.master_key.clone(), dir).await;
    let assertion = key.sign(&claims(&app, &client_id));
    issued(token_with(&app, &assertion).await).await;
    let replayed = new_client(other.port)
        .post(other.url("/oauth/token"))
        .header("host", format!("localhost:{}", app.port))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &assertion),
        ])
        .send()
        .await
        .unwrap();
    let description = refused(replayed).await;
    assert!(description.contains("jti"), "{description}");
}

#[tokio::test]
async fn an_assertion_used_at_introspection_is_refused_at_the_token_endpoint() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    // `aud` the issuer: good at every endpoint, and still good only once.
    let issuer = app
        .state
        .sites
        .by_id(app.default_site_id())
        .unwrap()
        .issuer
        .clone();
    let assertion = key.sign(&with(claims(&app, &client_id), "aud", json!(issuer)));
    let introspected = post_form(
        &app,
        "/oauth/introspect",
        &[
            ("token", "not-a-token"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &assertion),
        ],
    )
    .await;
    assert_eq!(introspected.status(), 200);
    let description = refused(token_with(&app, &assertion).await).await;
    assert!(description.contains("jti"), "{description}");
}

#[tokio::test]
async fn a_client_credentials_request_refused_after_authentication_uses_up_its_assertion() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let assertion = key.sign(&claims(&app, &client_id));
    let first = post_form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            ("scope", "no-such-scope"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &assertion),
        ],
    )
    .await;
    assert_eq!(first.status(), 400);
    let description = refused(token_with(&app, &assertion).await).await;
    assert!(description.contains("jti"), "{description}");
}

#[tokio::test]
async fn one_assertion_sent_many_times_at_once_gets_one_token() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let assertion = key.sign(&claims(&app, &client_id));
    let statuses = futures_util::future::join_all((0..8).map(|_| token_with(&app, &assertion)))
        .await
        .into_iter()
        .map(|r| r.status().as_u16())
        .collect::<Vec<_>>();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        7,
        "{statuses:?}"
    );
}
