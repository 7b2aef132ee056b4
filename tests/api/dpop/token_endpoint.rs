//! The token endpoint with proofs: bound tokens for each grant, and a public
//! client's refresh tokens bound to its key.

use serde_json::Value;

use super::support::{
    Proofer, bound_user_tokens, client_credentials, refusal, service_client, token_with,
};
use crate::helpers::spawn_app;
use crate::oauth::support::{Registration, introspect, register};

#[tokio::test]
async fn client_credentials_with_a_proof_get_a_dpop_token_bound_to_the_key() {
    let app = spawn_app().await;
    let client = service_client(&app).await;
    let proofer = Proofer::es256();
    let response = client_credentials(&app, &client, Some(&proofer.for_token(&app))).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(
        response.headers().get("dpop-nonce").is_none(),
        "nonces are off by default"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "DPoP");
    let access = body["access_token"].as_str().unwrap();

    let facts = introspect(&app, &client, access).await;
    assert_eq!(facts["active"], true);
    assert_eq!(facts["token_type"], "DPoP");
    assert_eq!(facts["cnf"]["jkt"], proofer.jkt());
}

#[tokio::test]
async fn token_requests_without_a_proof_still_get_bearer_tokens() {
    let app = spawn_app().await;
    let client = service_client(&app).await;
    let response = client_credentials(&app, &client, None).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    let facts = introspect(&app, &client, body["access_token"].as_str().unwrap()).await;
    assert_eq!(facts["token_type"], "Bearer");
    assert!(facts.get("cnf").is_none());
}

#[tokio::test]
async fn public_client_refresh_needs_a_proof_by_the_same_key() {
    let app = spawn_app().await;
    let client = register(
        &app,
        Registration {
            confidential: false,
            scopes: Some("profile openid"),
            ..Registration::default()
        },
    )
    .await;
    let proofer = Proofer::ed25519();
    let tokens = bound_user_tokens(&app, &client, &proofer).await;
    assert_eq!(tokens["token_type"], "DPoP");
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];

    let without = token_with(&app, &client, None, &form).await;
    let (status, error, _) = refusal(without).await;
    assert_eq!((status, error.as_str()), (400, "invalid_dpop_proof"));

    let thief = Proofer::es256();
    let other_key = token_with(&app, &client, Some(&thief.for_token(&app)), &form).await;
    let (status, error, description) = refusal(other_key).await;
    assert_eq!((status, error.as_str()), (400, "invalid_dpop_proof"));
    assert!(description.contains("another key"), "{description}");

    let same_key = token_with(&app, &client, Some(&proofer.for_token(&app)), &form).await;
    assert_eq!(same_key.status(), 200);
    let rotated: Value = same_key.json().await.unwrap();
    assert_eq!(rotated["token_type"], "DPoP");
    // The successor stays bound to the key.
    let next = rotated["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", next)];
    let (status, error, _) = refusal(token_with(&app, &client, None, &form).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_dpop_proof"));
}

#[tokio::test]
async fn confidential_client_refresh_tokens_are_not_bound() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let proofer = Proofer::es256();
    let tokens = bound_user_tokens(&app, &client, &proofer).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let facts = introspect(&app, &client, refresh).await;
    assert_eq!(facts["active"], true);
    assert!(facts.get("cnf").is_none(), "{facts}");
    // Its secret protects it; without a proof the new access token is Bearer.
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let response = token_with(&app, &client, None, &form).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
}

#[tokio::test]
async fn a_device_polling_with_a_proof_gets_tokens_bound_to_its_key() {
    use crate::device::{DEVICE_GRANT, alice, answer, device_client, started};
    let app = spawn_app().await;
    let client = device_client(&app, false).await;
    let started = started(&app, &client).await;
    let browser = alice(&app).await;
    answer(
        &app,
        &browser,
        started["user_code"].as_str().unwrap(),
        "allow",
    )
    .await;
    let proofer = Proofer::ed25519();
    let device_code = started["device_code"].as_str().unwrap();
    let form = [("grant_type", DEVICE_GRANT), ("device_code", device_code)];
    let response = token_with(&app, &client, Some(&proofer.for_token(&app)), &form).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "DPoP");
    // A public client: its refresh token is bound too.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    let (status, error, _) = refusal(token_with(&app, &client, None, &form).await).await;
    assert_eq!((status, error.as_str()), (400, "invalid_dpop_proof"));
    let response = token_with(&app, &client, Some(&proofer.for_token(&app)), &form).await;
    assert_eq!(response.status(), 200);
}
