//! Identity tokens that must not become sessions, each its own test. Every
//! refusal is `invalid_grant` in the RFC 6749 5.2 shape, with no cookie.

use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use tessera::users::Role;

use super::support::{Idp, Key, app_trusting, assert_refused, exchange, exchange_at, with};

#[tokio::test]
async fn an_unsigned_token_with_alg_none_is_refused() {
    let key = Key::ec("ec-1");
    let (app, idp) = app_trusting(&key).await;
    let token = super::support::raw_token(
        &json!({"alg": "none", "kid": "ec-1"}),
        &idp.claims(&app, "ada"),
        b"",
    );
    let description = assert_refused(exchange(&app, &token).await, 400, "invalid_grant").await;
    assert!(description.contains("never accepted"), "{description}");
}

#[tokio::test]
async fn an_hs256_token_keyed_with_the_public_key_is_refused() {
    let key = Key::rsa("rsa-1");
    let (app, idp) = app_trusting(&key).await;
    // The classic confusion attack: the published key as an HMAC secret.
    let header = json!({"alg": "HS256", "typ": "JWT", "kid": "rsa-1"});
    let unsigned = super::support::raw_token(&header, &idp.claims(&app, "ada"), b"");
    let signing_input = unsigned.trim_end_matches('.');
    let mut mac = Hmac::<Sha256>::new_from_slice(key.jwk.to_string().as_bytes()).unwrap();
    mac.update(signing_input.as_bytes());
    let token = super::support::raw_token(
        &header,
        &idp.claims(&app, "ada"),
        &mac.finalize().into_bytes(),
    );
    let description = assert_refused(exchange(&app, &token).await, 400, "invalid_grant").await;
    assert!(description.contains("never accepted"), "{description}");
}

#[tokio::test]
async fn a_token_signed_with_another_issuers_key_is_refused() {
    let key = Key::ec("shared-kid");
    let (app, idp) = app_trusting(&key).await;
    // Another IdP's key, under the kid our IdP uses, and under its own kid.
    let foreign = Key::ec("shared-kid");
    let token = foreign.sign(&idp.claims(&app, "ada"));
    let description = assert_refused(exchange(&app, &token).await, 400, "invalid_grant").await;
    assert!(description.contains("signature"), "{description}");
    let foreign = Key::ed("other-idp-key");
    let token = foreign.sign(&idp.claims(&app, "ada"));
    assert_refused(exchange(&app, &token).await, 400, "invalid_grant").await;
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let key = Key::ec("ec-1");
    let (app, idp) = app_trusting(&key).await;
    let now = tessera::clock::Clock::now(&app.clock);
    let claims = with(
        idp.claims(&app, "ada"),
        json!({"iat": now - 900, "exp": now - 120}),
    );
    let description = assert_refused(
        exchange(&app, &key.sign(&claims)).await,
        400,
        "invalid_grant",
    )
    .await;
    assert!(description.contains("expired"), "{description}");
}

#[tokio::test]
async fn a_token_for_another_audience_is_refused() {
    let key = Key::ec("ec-1");
    let (app, idp) = app_trusting(&key).await;
    let claims = with(
        idp.claims(&app, "ada"),
        json!({"aud": ["some-other-app", "yet-another"]}),
    );
    let description = assert_refused(
        exchange(&app, &key.sign(&claims)).await,
        400,
        "invalid_grant",
    )
    .await;
    assert!(description.contains("audience"), "{description}");
}

#[tokio::test]
async fn a_token_from_another_issuer_is_refused() {
    let key = Key::ec("ec-1");
    let (app, idp) = app_trusting(&key).await;
    // Signed with the trusted key, but claiming an issuer the site does not
    // trust (nor a near miss of the trusted one).
    for iss in [
        "https://evil.example.com".to_string(),
        format!("{}/", idp.issuer),
    ] {
        let claims = with(idp.claims(&app, "ada"), json!({ "iss": iss }));
        let description = assert_refused(
            exchange(&app, &key.sign(&claims)).await,
            400,
            "invalid_grant",
        )
        .await;
        assert!(description.contains("issuer"), "{description}");
    }
}

async fn refused_without(claim: &str) {
    let key = Key::ec("ec-1");
    let (app, idp) = app_trusting(&key).await;
    let claims = with(idp.claims(&app, "ada"), json!({ claim: null }));
    let description = assert_refused(
        exchange(&app, &key.sign(&claims)).await,
        400,
        "invalid_grant",
    )
    .await;
    assert!(description.contains(claim), "{description}");
    assert!(
        app.state
            .users
            .find_by_username(app.default_site_id(), "ada")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_token_without_sub_is_refused() {
    refused_without("sub").await;
}

#[tokio::test]
async fn a_token_without_given_name_is_refused() {
    refused_without("given_name").await;
}

#[tokio::test]
async fn a_token_without_family_name_is_refused() {
    refused_without("family_name").await;
}

#[tokio::test]
async fn a_sub_naming_a_local_account_never_takes_it_over() {
    let key = Key::ec("ec-1");
    let (app, idp) = app_trusting(&key).await;
    let local = app
        .create_user("root-admin", "correct horse battery", Role::Admin)
        .await;
    let token = key.sign(&idp.claims(&app, "root-admin"));
    let description = assert_refused(exchange(&app, &token).await, 400, "invalid_grant").await;
    assert!(description.contains("another account"), "{description}");

    let user = app
        .state
        .users
        .find_by_username(app.default_site_id(), "root-admin")
        .await
        .unwrap();
    assert_eq!(user.id, local);
    assert!(
        user.external_issuer.is_none(),
        "the local account is not linked"
    );
    assert_eq!(user.display_name, "root-admin", "nor renamed");
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    assert!(
        app.state
            .sessions
            .list_active(&site, local)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_sub_naming_another_providers_user_is_refused() {
    let key = Key::ec("ec-1");
    let (app, idp) = app_trusting(&key).await;
    let other_key = Key::ed("ed-1");
    let other = Idp::start(&[&other_key]).await;
    other.trust_on(&app, app.default_site_id()).await;

    let first = exchange(&app, &key.sign(&idp.claims(&app, "shared-sub"))).await;
    assert_eq!(first.status().as_u16(), 200);
    let second = exchange(&app, &other_key.sign(&other.claims(&app, "shared-sub"))).await;
    assert_refused(second, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_disabled_user_cannot_exchange() {
    let key = Key::ec("ec-1");
    let (app, idp) = app_trusting(&key).await;
    let first = exchange(&app, &key.sign(&idp.claims(&app, "ada"))).await;
    assert_eq!(first.status().as_u16(), 200);
    let user = app
        .state
        .users
        .find_by_username(app.default_site_id(), "ada")
        .await
        .unwrap();
    app.state
        .users
        .set_disabled(app.default_site_id(), user.id, true)
        .await
        .unwrap();
    let token = key.sign(&idp.claims(&app, "ada"));
    let description = assert_refused(exchange(&app, &token).await, 400, "invalid_grant").await;
    assert!(description.contains("disabled"), "{description}");
}

#[tokio::test]
async fn a_token_from_an_unregistered_provider_is_refused() {
    let app = crate::helpers::spawn_app().await;
    let key = Key::ec("ec-1");
    let idp = Idp::start(&[&key]).await;
    let token = key.sign(&idp.claims(&app, "ada"));
    let description = assert_refused(exchange(&app, &token).await, 400, "invalid_grant").await;
    assert!(
        description.contains("not a trusted identity provider"),
        "{description}"
    );
    assert_eq!(
        idp.fetches(),
        0,
        "an unknown issuer's keys are never fetched"
    );
}

#[tokio::test]
async fn a_provider_of_site_a_is_not_trusted_at_site_b() {
    let key = Key::ec("ec-1");
    let (app, idp) = app_trusting(&key).await;
    let site_b = format!("http://site-b.localhost:{}", app.port);
    app.create_site("b", &site_b, "site-b.localhost").await;
    let client = crate::helpers::new_client(app.port);
    let token = key.sign(&idp.claims(&app, "ada"));

    let at_b = exchange_at(&client, &site_b, &token).await;
    let description = assert_refused(at_b, 400, "invalid_grant").await;
    assert!(
        description.contains("not a trusted identity provider"),
        "{description}"
    );
    let at_a = exchange_at(&client, &app.address, &token).await;
    assert_eq!(at_a.status().as_u16(), 200);
}
