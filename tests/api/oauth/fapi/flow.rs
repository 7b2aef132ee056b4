//! A FAPI 2.0 client walked end to end, and what still works on a site
//! without the mode.

use jsonwebtoken::Algorithm;
use serde_json::Value;

use super::{
    authorize_pushed, es256_client, fapi_app, key_client, post_as, pushed, redeem, rsa_key,
};
use crate::dpop::support::{Proofer, call};
use crate::oauth::support::signed_in_browser;

const API: &str = "/api/users/current";

#[tokio::test]
async fn a_fapi2_client_pushes_authorizes_redeems_calls_and_refreshes_with_dpop() {
    let app = fapi_app().await;
    let client = es256_client(&app).await;
    let proofer = Proofer::es256();

    // PAR, authenticated by private_key_jwt, with a DPoP proof that binds
    // the code to the key (RFC 9449 10.1).
    let (request_uri, verifier) = pushed(&app, &client, &proofer).await;
    let browser = signed_in_browser(&app).await;
    let back = authorize_pushed(&app, &browser, &client, &request_uri).await;
    assert_eq!(back["state"], "fapi-state");
    assert_eq!(back["iss"], app.address, "RFC 9207 iss");
    let code = &back["code"];

    // The code is redeemed with an assertion and a proof by the same key.
    let proof = proofer.for_token(&app);
    let response = redeem(&app, &client, Some(&proof), code, &verifier).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "DPoP");
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();

    // The API takes the token with a proof, and not as a Bearer token.
    let proof = proofer.proof(&app, "GET", API, Some(access));
    let response = call(&app, API, "DPoP", access, Some(&proof)).await;
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["username"], "alice");
    assert_eq!(call(&app, API, "Bearer", access, None).await.status(), 401);

    // Refreshing keeps the refresh token (FAPI 2.0 5.3.2.1): no new one
    // is issued, and the same one works again.
    for _ in 0..2 {
        let proof = proofer.for_token(&app);
        let form = [("grant_type", "refresh_token"), ("refresh_token", &refresh)];
        let response = post_as(&app, &client, "/oauth/token", Some(&proof), &form).await;
        assert_eq!(response.status(), 200);
        let refreshed: Value = response.json().await.unwrap();
        assert_eq!(refreshed["token_type"], "DPoP");
        assert!(refreshed.get("refresh_token").is_none(), "{refreshed}");
        let access = refreshed["access_token"].as_str().unwrap();
        let proof = proofer.proof(&app, "GET", API, Some(access));
        assert_eq!(
            call(&app, API, "DPoP", access, Some(&proof)).await.status(),
            200
        );
    }
}

#[tokio::test]
async fn ps256_and_eddsa_assertions_and_eddsa_proofs_are_accepted() {
    let app = fapi_app().await;
    for key in [
        rsa_key(Algorithm::PS256),
        crate::identity::support::Key::ed("ed"),
    ] {
        let client = key_client(&app, key).await;
        let proofer = Proofer::ed25519();
        let (request_uri, _) = pushed(&app, &client, &proofer).await;
        assert!(request_uri.starts_with("urn:ietf:params:oauth:request_uri:"));
    }
}

#[tokio::test]
async fn a_site_without_the_mode_still_issues_bearer_tokens_and_rotates_refresh_tokens() {
    let app = crate::helpers::spawn_app().await;
    let client = es256_client(&app).await;
    let proofer = Proofer::es256();
    let (request_uri, verifier) = pushed(&app, &client, &proofer).await;
    let browser = signed_in_browser(&app).await;
    let back = authorize_pushed(&app, &browser, &client, &request_uri).await;
    // The proof at PAR bound the code, so it is redeemed with one; the
    // refresh then goes without, as a site without the mode allows.
    let proof = proofer.for_token(&app);
    let response = redeem(&app, &client, Some(&proof), &back["code"], &verifier).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let response = post_as(&app, &client, "/oauth/token", None, &form).await;
    assert_eq!(response.status(), 200);
    let refreshed: Value = response.json().await.unwrap();
    assert_eq!(refreshed["token_type"], "Bearer");
    assert!(
        refreshed["refresh_token"].is_string(),
        "rotated: {refreshed}"
    );
}
