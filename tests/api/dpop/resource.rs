//! Bound tokens where they are used: the API's callers, UserInfo, JWT
//! access tokens and introspection.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::support::{Proofer, bound_user_tokens, call, refusal};
use crate::helpers::spawn_app;
use crate::oauth::support::{Registration, introspect, register};

const API: &str = "/api/users/current";

#[tokio::test]
async fn bound_token_works_at_the_api_with_a_fresh_proof_each_time() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let proofer = Proofer::es256();
    let tokens = bound_user_tokens(&app, &client, &proofer).await;
    let access = tokens["access_token"].as_str().unwrap();

    let proof = proofer.proof(&app, "GET", API, Some(access));
    let response = call(&app, API, "DPoP", access, Some(&proof)).await;
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["username"], "alice");

    // The same proof again is a replay.
    let (status, error, _) = refusal(call(&app, API, "DPoP", access, Some(&proof)).await).await;
    assert_eq!((status, error.as_str()), (401, "invalid_dpop_proof"));
    let again = proofer.proof(&app, "GET", API, Some(access));
    assert_eq!(
        call(&app, API, "DPoP", access, Some(&again)).await.status(),
        200
    );

    let facts = introspect(&app, &client, access).await;
    assert_eq!(facts["token_type"], "DPoP");
    assert_eq!(facts["cnf"]["jkt"], proofer.jkt());
}

#[tokio::test]
async fn unbound_token_sent_with_the_dpop_scheme_is_refused() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = crate::oauth::support::signed_in_browser(&app).await;
    let tokens = crate::oauth::support::tokens_for(&app, &browser, &client, Some("profile")).await;
    let access = tokens["access_token"].as_str().unwrap();
    let proof = Proofer::es256().proof(&app, "GET", API, Some(access));
    let response = call(&app, API, "DPoP", access, Some(&proof)).await;
    let (status, error, _) = refusal(response).await;
    assert_eq!((status, error.as_str()), (401, "invalid_token"));
    // As Bearer it works, and the challenge of a refusal offers DPoP too.
    assert_eq!(call(&app, API, "Bearer", access, None).await.status(), 200);
    let forged = call(&app, API, "Bearer", &format!("{access}x"), None).await;
    let challenges: Vec<String> = forged
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(challenges[0].starts_with("Bearer"), "{challenges:?}");
    assert!(
        challenges.iter().any(|c| c.starts_with("DPoP algs=")),
        "{challenges:?}"
    );
}

#[tokio::test]
async fn userinfo_honours_dpop() {
    let app = spawn_app().await;
    let client = register(
        &app,
        Registration {
            scopes: Some("profile openid"),
            ..Registration::default()
        },
    )
    .await;
    let proofer = Proofer::ed25519();
    let tokens = bound_user_tokens(&app, &client, &proofer).await;
    let access = tokens["access_token"].as_str().unwrap();

    let (status, error, _) =
        refusal(call(&app, "/oauth/userinfo", "Bearer", access, None).await).await;
    assert_eq!((status, error.as_str()), (401, "invalid_token"));
    let wrong = Proofer::es256().proof(&app, "GET", "/oauth/userinfo", Some(access));
    let response = call(&app, "/oauth/userinfo", "DPoP", access, Some(&wrong)).await;
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with(r#"DPoP error="invalid_dpop_proof""#)
    );
    assert_eq!(response.status(), 401);

    let proof = proofer.proof(&app, "GET", "/oauth/userinfo", Some(access));
    let response = call(&app, "/oauth/userinfo", "DPoP", access, Some(&proof)).await;
    assert_eq!(response.status(), 200);
    let claims: Value = response.json().await.unwrap();
    assert_eq!(claims["preferred_username"], "alice");
}

#[tokio::test]
async fn jwt_access_tokens_carry_the_key_confirmation() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let record = app
        .state
        .store
        .find_client(site.id, &client.client_id)
        .await
        .unwrap()
        .unwrap();
    app.state
        .store
        .set_client_jwt_access_tokens(
            site.id,
            record.id,
            true,
            tessera::clock::Clock::now(&app.clock),
        )
        .await
        .unwrap();
    app.state.cache.oauth.evict_client(record.id);

    let proofer = Proofer::es256();
    let tokens = bound_user_tokens(&app, &client, &proofer).await;
    let jwt = tokens["access_token"].as_str().unwrap();
    let payload = jwt.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert_eq!(claims["cnf"]["jkt"], proofer.jkt());

    let proof = proofer.proof(&app, "GET", API, Some(jwt));
    assert_eq!(
        call(&app, API, "DPoP", jwt, Some(&proof)).await.status(),
        200
    );
    let (status, error, _) = refusal(call(&app, API, "Bearer", jwt, None).await).await;
    assert_eq!((status, error.as_str()), (401, "invalid_token"));
}

#[tokio::test]
async fn forward_auth_checks_the_proof_against_the_original_request() {
    let app = spawn_app().await;
    let client = register(&app, Registration::default()).await;
    let proofer = Proofer::es256();
    let tokens = bound_user_tokens(&app, &client, &proofer).await;
    let access = tokens["access_token"].as_str().unwrap();
    let verify = |proof: String| {
        crate::helpers::new_client(app.port)
            .get(app.url("/auth/verify"))
            .header("X-Forwarded-Host", format!("localhost:{}", app.port))
            .header("X-Forwarded-Method", "DELETE")
            .header("X-Forwarded-Uri", "/wiki/page?rev=2")
            .header("Authorization", format!("DPoP {access}"))
            .header("DPoP", proof)
            .send()
    };
    let original = proofer.proof(&app, "DELETE", "/wiki/page", Some(access));
    let response = verify(original).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-tessera-credential"], "oauth");
    // A proof for the verification endpoint itself names the wrong request.
    let own = proofer.proof(&app, "GET", "/auth/verify", Some(access));
    let (status, error, _) = refusal(verify(own).await.unwrap()).await;
    assert_eq!((status, error.as_str()), (401, "invalid_dpop_proof"));
}
