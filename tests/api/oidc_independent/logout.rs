//! The `openidconnect` crate as a relying party from discovery to logout:
//! code flow with PKCE and a private_key_jwt client, the ID token and its
//! `sid` verified by the crate, then RP-Initiated Logout with the crate's
//! `LogoutRequest`.

use openidconnect::core::{CoreAuthenticationFlow, CoreJwsSigningAlgorithm};
use openidconnect::{
    AuthorizationCode, CsrfToken, LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PostLogoutRedirectUrl, Scope, TokenResponse,
};

use super::{ASSERTION_TYPE, discover, key_client, send};
use crate::identity::support::Key;
use crate::oauth::support::{location, params, submit_consent};
use crate::oidc_logout::support::{BYE, alice, signed_in};

#[tokio::test]
async fn the_openidconnect_crate_signs_in_verifies_sid_and_logs_out() {
    let app = crate::helpers::spawn_app().await;
    let (user_id, browser) = alice(&app).await;
    let client = key_client(&app, Key::ec("rp-key")).await;
    let (rp, metadata) = discover(&app, &client).await;
    let end_session = metadata
        .additional_metadata()
        .end_session_endpoint
        .clone()
        .expect("end_session_endpoint is advertised");
    assert_eq!(end_session.as_str(), app.url("/oauth/logout"));

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    let page = browser.get(url.as_str()).send().await.unwrap();
    assert_eq!(page.status(), 200, "the consent page");
    let page = page.text().await.unwrap();
    let back = params(&location(
        &submit_consent(&browser, &app, &page, "allow").await,
    ));
    assert_eq!(&back["state"], state.secret());
    assert_eq!(back["iss"], app.address);

    // private_key_jwt: the crate sends client_id in the body, the
    // assertion goes as extra parameters.
    let tokens = rp
        .exchange_code(AuthorizationCode::new(back["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .add_extra_param("client_assertion_type", ASSERTION_TYPE)
        .add_extra_param("client_assertion", client.assertion(&app))
        .request_async(&send)
        .await
        .expect("the token response is accepted");
    let id_token = tokens.id_token().expect("an ID token");
    let id_verifier = rp
        .id_token_verifier()
        .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
    let claims = id_token
        .claims(&id_verifier, &nonce)
        .expect("signature, issuer, audience, expiry and nonce check out");
    assert_eq!(claims.subject().as_str(), user_id.to_string());
    let sid = claims
        .additional_claims()
        .sid
        .clone()
        .expect("sid: the ID token comes from a browser session");
    assert!(
        sid.len() == 32 && sid.bytes().all(|b| b.is_ascii_hexdigit()),
        "{sid}"
    );
    let info: openidconnect::core::CoreUserInfoClaims = rp
        .user_info(
            tokens.access_token().to_owned(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&send)
        .await
        .expect("userinfo is accepted");
    assert_eq!(info.subject(), claims.subject());
    assert!(signed_in(&app, &browser).await);

    // RP-Initiated Logout: the user's own ID token as the hint, a
    // registered post-logout URI, and state to come back.
    let logout = LogoutRequest::from(end_session)
        .set_id_token_hint(id_token)
        .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new(BYE.into()).unwrap())
        .set_state(CsrfToken::new("rp-logout-state".into()))
        .http_get_url();
    let response = browser.get(logout.as_str()).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let landed = url::Url::parse(&location(&response)).unwrap();
    assert_eq!(
        format!(
            "{}://{}{}",
            landed.scheme(),
            landed.host_str().unwrap(),
            landed.path()
        ),
        BYE
    );
    assert_eq!(params(landed.as_str())["state"], "rp-logout-state");
    assert!(!signed_in(&app, &browser).await, "the session is over");
}
