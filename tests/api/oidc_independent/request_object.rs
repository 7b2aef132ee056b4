//! A signed request object (RFC 9101) made with jsonwebtoken and sent in
//! the `openidconnect` crate's authorization URL: the parameters inside the
//! object are the ones that count, and the crate verifies the ID token
//! against the nonce the object carried.

use openidconnect::core::{CoreAuthenticationFlow, CoreJwsSigningAlgorithm};
use openidconnect::{
    AuthorizationCode, CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge, TokenResponse,
};
use serde_json::json;
use tessera::clock::Clock;

use super::{ASSERTION_TYPE, discover, key_client, send};
use crate::identity::support::Key;
use crate::oauth::support::{REDIRECT, location, params, signed_in_browser, submit_consent};

#[tokio::test]
async fn a_request_object_in_the_openidconnect_crates_authorization_url_is_honoured() {
    let app = crate::helpers::spawn_app().await;
    let browser = signed_in_browser(&app).await;
    let client = key_client(&app, Key::ed("jar-key")).await;
    let (rp, _) = discover(&app, &client).await;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();

    let now = app.clock.now();
    let object = client.key.sign(&json!({
        "iss": client.client_id,
        "aud": app.address,
        "iat": now,
        "exp": now + 300,
        "client_id": client.client_id,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "openid profile",
        "state": "state-in-the-object",
        "nonce": "nonce-in-the-object",
        "code_challenge": challenge.as_str(),
        "code_challenge_method": "S256",
    }));
    // The crate adds its own state, nonce and scope outside the object:
    // RFC 9101 5 has the server ignore them.
    let (url, outside_state, _) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .add_extra_param("request", object)
        .url();
    let page = browser.get(url.as_str()).send().await.unwrap();
    assert_eq!(page.status(), 200, "the consent page");
    let page = page.text().await.unwrap();
    let back = params(&location(
        &submit_consent(&browser, &app, &page, "allow").await,
    ));
    assert_eq!(back["state"], "state-in-the-object");
    assert_ne!(&back["state"], outside_state.secret());

    let tokens = rp
        .exchange_code(AuthorizationCode::new(back["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .add_extra_param("client_assertion_type", ASSERTION_TYPE)
        .add_extra_param("client_assertion", client.assertion(&app))
        .request_async(&send)
        .await
        .expect("the token response is accepted");
    let mut scopes: Vec<String> = tokens
        .scopes()
        .unwrap()
        .iter()
        .map(|s| s.to_string())
        .collect();
    scopes.sort();
    // The crate put only `openid` outside the object.
    assert_eq!(scopes, ["openid", "profile"], "the object's scope");
    let id_verifier = rp
        .id_token_verifier()
        .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    let claims = tokens
        .id_token()
        .expect("an ID token")
        .claims(&id_verifier, &Nonce::new("nonce-in-the-object".into()))
        .expect("the nonce of the object, and the signature, check out");
    assert!(claims.additional_claims().sid.is_some());
}
