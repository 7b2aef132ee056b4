//! Each way a proof can be wrong, refused on its own, over HTTP: at the token
//! endpoint 400 `invalid_dpop_proof`, at the API 401 with a DPoP challenge.

use serde_json::json;

use super::support::{
    Proofer, bound_user_tokens, call, client_credentials, refusal, service_client,
};
use crate::helpers::spawn_app;
use crate::oauth::support::{Registration, register};

const API: &str = "/api/users/current";

async fn refused_at_token_endpoint(app: &crate::helpers::TestApp, proof: &str) -> String {
    let client = service_client(app).await;
    let response = client_credentials(app, &client, Some(proof)).await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let (status, error, description) = refusal(response).await;
    assert_eq!(
        (status, error.as_str()),
        (400, "invalid_dpop_proof"),
        "{description}"
    );
    description
}

#[tokio::test]
async fn proof_with_the_wrong_method_is_refused() {
    let app = spawn_app().await;
    let proofer = Proofer::es256();
    let proof = proofer.proof(&app, "GET", "/oauth/token", None);
    let description = refused_at_token_endpoint(&app, &proof).await;
    assert!(description.contains("htm"), "{description}");
}

#[tokio::test]
async fn proof_for_another_url_is_refused() {
    let app = spawn_app().await;
    let proofer = Proofer::es256();
    let proof = proofer.proof(&app, "POST", "/oauth/revoke", None);
    let description = refused_at_token_endpoint(&app, &proof).await;
    assert!(description.contains("htu"), "{description}");
    // Another host is another URL, whatever the request's Host header says.
    let mut claims = Proofer::claims(
        &app,
        "POST",
        &app.url_on("site-b.localhost", "/oauth/token"),
    );
    claims["jti"] = json!("another-host");
    let description = refused_at_token_endpoint(&app, &proofer.sign(&claims)).await;
    assert!(description.contains("htu"), "{description}");
}

#[tokio::test]
async fn replayed_proof_is_refused() {
    let app = spawn_app().await;
    let client = service_client(&app).await;
    let proof = Proofer::es256().for_token(&app);
    let first = client_credentials(&app, &client, Some(&proof)).await;
    assert_eq!(first.status(), 200);
    let (status, error, description) =
        refusal(client_credentials(&app, &client, Some(&proof)).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_dpop_proof"));
    assert!(description.contains("jti"), "{description}");
}

#[tokio::test]
async fn stale_proof_is_refused() {
    let app = spawn_app().await;
    let proof = Proofer::es256().for_token(&app);
    app.clock.advance(61);
    let description = refused_at_token_endpoint(&app, &proof).await;
    assert!(description.contains("too old"), "{description}");
}

#[tokio::test]
async fn proof_from_the_future_is_refused() {
    let app = spawn_app().await;
    let proof = Proofer::es256().for_token(&app);
    app.clock.advance(-30);
    let description = refused_at_token_endpoint(&app, &proof).await;
    assert!(description.contains("future"), "{description}");
}

#[tokio::test]
async fn proof_whose_signature_is_not_by_its_jwk_is_refused() {
    let app = spawn_app().await;
    let signer = Proofer::es256();
    let claims = Proofer::claims(&app, "POST", &app.url("/oauth/token"));
    let forged = signer.sign_with_jwk(&claims, Proofer::es256().public_jwk());
    let description = refused_at_token_endpoint(&app, &forged).await;
    assert!(description.contains("signature"), "{description}");
}

#[tokio::test]
async fn proof_carrying_a_private_key_is_refused() {
    let app = spawn_app().await;
    let proofer = Proofer::es256();
    let mut jwk = proofer.public_jwk().clone();
    jwk["d"] = json!("AAAA");
    let claims = Proofer::claims(&app, "POST", &app.url("/oauth/token"));
    let proof = proofer.sign_with_jwk(&claims, &jwk);
    let description = refused_at_token_endpoint(&app, &proof).await;
    assert!(description.contains("private"), "{description}");
}

#[tokio::test]
async fn proof_signed_by_another_key_is_refused_at_the_api() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let proofer = Proofer::es256();
    let tokens = bound_user_tokens(&app, &client, &proofer).await;
    let access = tokens["access_token"].as_str().unwrap();
    let other = Proofer::es256().proof(&app, "GET", API, Some(access));
    let response = call(&app, API, "DPoP", access, Some(&other)).await;
    let challenge = response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        challenge.starts_with(r#"DPoP error="invalid_dpop_proof""#),
        "{challenge}"
    );
    let (status, error, description) = refusal(response).await;
    assert_eq!((status, error.as_str()), (401, "invalid_dpop_proof"));
    assert!(description.contains("another key"), "{description}");
}

#[tokio::test]
async fn proof_without_ath_is_refused_at_the_api() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let proofer = Proofer::es256();
    let tokens = bound_user_tokens(&app, &client, &proofer).await;
    let access = tokens["access_token"].as_str().unwrap();
    let without_ath = proofer.proof(&app, "GET", API, None);
    let (status, error, description) =
        refusal(call(&app, API, "DPoP", access, Some(&without_ath)).await).await;
    assert_eq!((status, error.as_str()), (401, "invalid_dpop_proof"));
    assert!(description.contains("ath"), "{description}");
    // An ath over another token is refused too.
    let wrong_ath = proofer.proof(&app, "GET", API, Some("tat_not.the.token"));
    let (status, error, _) = refusal(call(&app, API, "DPoP", access, Some(&wrong_ath)).await).await;
    assert_eq!((status, error.as_str()), (401, "invalid_dpop_proof"));
}

#[tokio::test]
async fn bound_token_sent_as_bearer_is_refused() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let proofer = Proofer::es256();
    let tokens = bound_user_tokens(&app, &client, &proofer).await;
    let access = tokens["access_token"].as_str().unwrap();
    // Even with a good proof beside it: the scheme says Bearer.
    let proof = proofer.proof(&app, "GET", API, Some(access));
    let (status, error, _) = refusal(call(&app, API, "Bearer", access, Some(&proof)).await).await;
    assert_eq!((status, error.as_str()), (401, "invalid_token"));
    let (status, error, _) = refusal(call(&app, API, "Bearer", access, None).await).await;
    assert_eq!((status, error.as_str()), (401, "invalid_token"));
}

#[tokio::test]
async fn bound_token_without_a_proof_is_refused() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let tokens = bound_user_tokens(&app, &client, &Proofer::es256()).await;
    let access = tokens["access_token"].as_str().unwrap();
    let (status, error, _) = refusal(call(&app, API, "DPoP", access, None).await).await;
    assert_eq!((status, error.as_str()), (401, "invalid_dpop_proof"));
}
