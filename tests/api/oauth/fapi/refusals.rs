//! What a FAPI 2.0 site refuses, each refusal its own test.

use jsonwebtoken::Algorithm;
use serde_json::json;

use super::{
    ASSERTION_TYPE, FapiClient, assertion_for, authorize_pushed, es256_client, fapi_app,
    key_client, post_as, pushed, redeem, refusal, register_keys, request_parameters, rsa_key,
    set_profile,
};
use crate::dpop::support::Proofer;
use crate::helpers::new_client;
use crate::oauth::support::{
    Registration, authorize_path, get, location, params, pkce, register, signed_in_browser,
};

#[tokio::test]
async fn a_client_secret_client_is_refused_at_par_and_token_endpoints() {
    let app = fapi_app().await;
    let client = register(&app, Registration::default()).await;
    let secret = client.secret.as_deref().unwrap();
    let (_, challenge) = pkce();
    let proof = Proofer::es256().proof(&app, "POST", "/oauth/par", None);
    let response = new_client(app.port)
        .post(app.url("/oauth/par"))
        .basic_auth(&client.client_id, Some(secret))
        .header("DPoP", proof)
        .form(&[
            ("response_type", "code"),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    let (status, error, description) = refusal(response).await;
    assert_eq!((status, error.as_str()), (401, "invalid_client"));
    assert!(
        description.contains("private_key_jwt only"),
        "{description}"
    );

    let proof = Proofer::es256().for_token(&app);
    let response = new_client(app.port)
        .post(app.url("/oauth/token"))
        .basic_auth(&client.client_id, Some(secret))
        .header("DPoP", proof)
        .form(&[("grant_type", "refresh_token"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    let (status, error, _) = refusal(response).await;
    assert_eq!((status, error.as_str()), (401, "invalid_client"));
}

#[tokio::test]
async fn a_public_client_is_refused() {
    let app = fapi_app().await;
    let client = register(
        &app,
        Registration {
            confidential: false,
            ..Registration::default()
        },
    )
    .await;
    let (_, challenge) = pkce();
    let response = new_client(app.port)
        .post(app.url("/oauth/par"))
        .form(&[
            ("client_id", client.client_id.as_str()),
            ("response_type", "code"),
            ("redirect_uri", client.redirect_uri.as_str()),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    let (status, error, description) = refusal(response).await;
    assert_eq!((status, error.as_str()), (401, "invalid_client"));
    assert!(description.contains("FAPI 2.0"), "{description}");
}

#[tokio::test]
async fn an_authorization_request_not_pushed_is_refused() {
    let app = fapi_app().await;
    let client = register(&app, Registration::default()).await;
    let browser = signed_in_browser(&app).await;
    let (_, challenge) = pkce();
    let path = authorize_path(&client, None, &challenge, &[]);
    let response = get(&browser, &app, &path).await;
    assert_eq!(response.status(), 303);
    let back = params(&location(&response));
    assert_eq!(back["error"], "invalid_request");
    assert!(back["error_description"].contains("FAPI 2.0"), "{back:?}");
    assert_eq!(back["iss"], app.address);
}

#[tokio::test]
async fn a_signed_request_object_sent_by_value_is_refused_at_the_authorization_endpoint() {
    let app = fapi_app().await;
    let client = es256_client(&app).await;
    let browser = signed_in_browser(&app).await;
    let (_, challenge) = pkce();
    let now = tessera::clock::Clock::now(&app.clock);
    let mut claims =
        json!({"iss": client.client_id, "aud": app.address, "iat": now, "exp": now + 300});
    for (name, value) in request_parameters(&client, &challenge) {
        claims[name] = json!(value);
    }
    let object = client.key.sign(&claims);
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &client.client_id)
        .append_pair("request", &object)
        .finish();
    let response = get(&browser, &app, &format!("/oauth/authorize?{query}")).await;
    assert_eq!(response.status(), 303);
    let back = params(&location(&response));
    assert_eq!(back["error"], "invalid_request");
}

#[tokio::test]
async fn a_token_request_without_a_dpop_proof_is_refused() {
    let app = fapi_app().await;
    let client = es256_client(&app).await;
    let proofer = Proofer::es256();
    let (request_uri, verifier) = pushed(&app, &client, &proofer).await;
    let browser = signed_in_browser(&app).await;
    let back = authorize_pushed(&app, &browser, &client, &request_uri).await;
    let response = redeem(&app, &client, None, &back["code"], &verifier).await;
    let (status, error, description) = refusal(response).await;
    assert_eq!((status, error.as_str()), (400, "invalid_dpop_proof"));
    assert!(description.contains("proof is required"), "{description}");
}

#[tokio::test]
async fn an_rs256_client_assertion_is_refused() {
    let app = fapi_app().await;
    let client = key_client(&app, rsa_key(Algorithm::RS256)).await;
    let (_, challenge) = pkce();
    let proof = Proofer::es256().proof(&app, "POST", "/oauth/par", None);
    let form = request_parameters(&client, &challenge);
    let response = post_as(&app, &client, "/oauth/par", Some(&proof), &form).await;
    let (status, error, description) = refusal(response).await;
    assert_eq!((status, error.as_str()), (401, "invalid_client"));
    assert!(
        description.contains("PS256, ES256 or EdDSA"),
        "{description}"
    );
}

#[tokio::test]
async fn an_rs256_dpop_proof_is_refused() {
    let app = fapi_app().await;
    let client = es256_client(&app).await;
    let (_, challenge) = pkce();
    let proof = Proofer::rs256().proof(&app, "POST", "/oauth/par", None);
    let form = request_parameters(&client, &challenge);
    let response = post_as(&app, &client, "/oauth/par", Some(&proof), &form).await;
    let (status, error, description) = refusal(response).await;
    assert_eq!((status, error.as_str()), (400, "invalid_dpop_proof"));
    assert!(
        description.contains("PS256, ES256 or EdDSA"),
        "{description}"
    );
}

#[tokio::test]
async fn an_rs256_request_object_is_refused_at_par() {
    let app = fapi_app().await;
    // The client signs its assertions with ES256 and the request object
    // with its RSA key.
    let ec = crate::identity::support::Key::ec("fapi-key");
    let rsa = rsa_key(Algorithm::RS256);
    let client = FapiClient {
        client_id: register_keys(&app, &[&ec, &rsa]).await,
        key: ec,
    };
    let (_, challenge) = pkce();
    let now = tessera::clock::Clock::now(&app.clock);
    let mut claims =
        json!({"iss": client.client_id, "aud": app.address, "iat": now, "exp": now + 300});
    for (name, value) in request_parameters(&client, &challenge) {
        claims[name] = json!(value);
    }
    let object = rsa.sign(&claims);
    let proof = Proofer::es256().proof(&app, "POST", "/oauth/par", None);
    let form = [
        ("client_id", client.client_id.as_str()),
        ("request", object.as_str()),
    ];
    let response = post_as(&app, &client, "/oauth/par", Some(&proof), &form).await;
    let (status, error, description) = refusal(response).await;
    assert_eq!((status, error.as_str()), (400, "invalid_request_object"));
    assert!(
        description.contains("PS256, ES256 or EdDSA"),
        "{description}"
    );
}

/// `POST /oauth/par` with a good request and a proof, authenticated by
/// `assertion`.
async fn push_with(
    app: &crate::helpers::TestApp,
    client: &FapiClient,
    assertion: &str,
) -> reqwest::Response {
    let (_, challenge) = pkce();
    let proof = Proofer::es256().proof(app, "POST", "/oauth/par", None);
    let mut form = request_parameters(client, &challenge);
    form.push(("client_assertion_type", ASSERTION_TYPE));
    form.push(("client_assertion", assertion));
    new_client(app.port)
        .post(app.url("/oauth/par"))
        .header("DPoP", proof)
        .form(&form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_client_assertion_for_another_audience_than_the_issuer_is_refused() {
    let app = fapi_app().await;
    let client = es256_client(&app).await;
    let issuer = app.address.clone();
    // FAPI 2.0 5.3.2.1: the issuer, as a string; not an endpoint's URL,
    // not an array, even one holding only the issuer.
    for aud in [
        json!(app.url("/oauth/token")),
        json!(app.url("/oauth/par")),
        json!([issuer]),
        json!([issuer, app.url("/oauth/token")]),
    ] {
        let response = push_with(&app, &client, &assertion_for(&app, &client, aud.clone())).await;
        let (status, error, description) = refusal(response).await;
        assert_eq!((status, error.as_str()), (401, "invalid_client"), "{aud}");
        assert!(
            description.contains("aud must be the issuer identifier"),
            "{aud}: {description}"
        );
    }
    let response = push_with(&app, &client, &assertion_for(&app, &client, json!(issuer))).await;
    assert_eq!(response.status(), 201);

    // The same client on a site without the mode: the token endpoint's and
    // the PAR endpoint's URLs are accepted too (RFC 7523 3, RFC 9126 2).
    set_profile(&app, "default").await;
    for aud in [
        json!(app.url("/oauth/token")),
        json!(app.url("/oauth/par")),
        json!([issuer]),
    ] {
        let response = push_with(&app, &client, &assertion_for(&app, &client, aud.clone())).await;
        assert_eq!(response.status(), 201, "{aud}");
    }
}
