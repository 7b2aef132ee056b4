//! DPoP on a FAPI 2.0 site: proofs only in PS256, ES256 or EdDSA (FAPI 2.0
//! 5.4.1), and everything the site says about DPoP (challenges, protected
//! resource metadata) lists exactly those.

use serde_json::{Value, json};

use super::{authorize_pushed, es256_client, fapi_app, pushed, redeem, refusal, set_profile};
use crate::dpop::support::{Proofer, call};
use crate::helpers::{TestApp, new_client};
use crate::oauth::support::signed_in_browser;

const API: &str = "/api/users/current";
/// An API path that needs a signed-in caller.
const AUTHORIZATIONS: &str = "/api/users/current/authorizations";
const FAPI_ALGS: &str = r#"algs="ES256 EdDSA PS256""#;
const EVERY_ALG: &str = r#"algs="ES256 ES384 EdDSA RS256 RS384 RS512 PS256 PS384 PS512""#;

/// The `DPoP` challenge among a response's `WWW-Authenticate` values.
fn dpop_challenge(response: &reqwest::Response) -> String {
    response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("DPoP "))
        .expect("a DPoP challenge")
}

async fn unauthenticated(app: &TestApp, path: &str) -> reqwest::Response {
    let response = new_client(app.port)
        .get(app.url(path))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401, "{path}");
    response
}

async fn resource_metadata(app: &TestApp) -> Value {
    new_client(app.port)
        .get(app.url("/.well-known/oauth-protected-resource"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn challenges_and_resource_metadata_list_only_the_profiles_algorithms() {
    let app = fapi_app().await;
    let metadata_url = app.url("/.well-known/oauth-protected-resource");
    for path in [AUTHORIZATIONS, "/oauth/userinfo"] {
        let challenge = dpop_challenge(&unauthenticated(&app, path).await);
        assert_eq!(
            challenge,
            format!(r#"DPoP {FAPI_ALGS}, resource_metadata="{metadata_url}""#),
            "{path}"
        );
    }
    let metadata = resource_metadata(&app).await;
    assert_eq!(
        metadata["dpop_signing_alg_values_supported"],
        json!(["ES256", "EdDSA", "PS256"])
    );
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let server: Value = new_client(app.port)
            .get(app.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            server["dpop_signing_alg_values_supported"],
            metadata["dpop_signing_alg_values_supported"],
            "{path}"
        );
    }

    // Without the mode: every algorithm Tessera verifies.
    set_profile(&app, "default").await;
    let challenge = dpop_challenge(&unauthenticated(&app, AUTHORIZATIONS).await);
    assert!(
        challenge.starts_with(&format!("DPoP {EVERY_ALG}")),
        "{challenge}"
    );
    let metadata = resource_metadata(&app).await;
    assert_eq!(
        metadata["dpop_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .len(),
        9
    );
}

#[tokio::test]
async fn rs256_proofs_are_refused_at_the_token_endpoint_and_the_api() {
    let app = fapi_app().await;
    let client = es256_client(&app).await;
    let proofer = Proofer::es256();
    let (request_uri, verifier) = pushed(&app, &client, &proofer).await;
    let browser = signed_in_browser(&app).await;
    let back = authorize_pushed(&app, &browser, &client, &request_uri).await;

    let rs256 = Proofer::rs256();
    let response = redeem(
        &app,
        &client,
        Some(&rs256.for_token(&app)),
        &back["code"],
        &verifier,
    )
    .await;
    let (status, error, description) = refusal(response).await;
    assert_eq!((status, error.as_str()), (400, "invalid_dpop_proof"));
    assert!(
        description.contains("PS256, ES256 or EdDSA"),
        "{description}"
    );

    // The refused proof spent nothing: the code is redeemed with a good one.
    let response = redeem(
        &app,
        &client,
        Some(&proofer.for_token(&app)),
        &back["code"],
        &verifier,
    )
    .await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();

    let proof = rs256.proof(&app, "GET", API, Some(access));
    let response = call(&app, API, "DPoP", access, Some(&proof)).await;
    assert_eq!(response.status(), 401);
    let challenge = dpop_challenge(&response);
    assert!(
        challenge.starts_with(r#"DPoP error="invalid_dpop_proof""#)
            && challenge.contains(FAPI_ALGS)
            && !challenge.contains("RS256 "),
        "{challenge}"
    );
    let (_, error, description) = refusal(response).await;
    assert_eq!(error, "invalid_dpop_proof");
    assert!(
        description.contains("PS256, ES256 or EdDSA"),
        "{description}"
    );

    let proof = proofer.proof(&app, "GET", API, Some(access));
    assert_eq!(
        call(&app, API, "DPoP", access, Some(&proof)).await.status(),
        200
    );
}
