//! Registering keys: dynamic registration (RFC 7591 and 7592) and the
//! master-key rotation of client_secret_jwt secrets.

use super::*;

async fn open_registration(app: &TestApp) {
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    app.state
        .oauth
        .set_registration_policy(&site, RegistrationPolicy::Open)
        .await
        .unwrap();
}

async fn post_register(app: &TestApp, body: &Value) -> reqwest::Response {
    new_client(app.port)
        .post(app.url("/oauth/register"))
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn dynamic_registration_takes_and_returns_keys_that_then_authenticate() {
    let app = spawn_app().await;
    open_registration(&app).await;
    let key = Key::ec("k1");
    let response = post_register(
        &app,
        &json!({
            "client_name": "Key Holder",
            "redirect_uris": [REDIRECT],
            "scope": "openid profile",
            "token_endpoint_auth_method": "private_key_jwt",
            "token_endpoint_auth_signing_alg": "ES256",
            "jwks": {"keys": [key.jwk]},
        }),
    )
    .await;
    assert_eq!(response.status(), 201);
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["token_endpoint_auth_method"], "private_key_jwt");
    assert_eq!(info["token_endpoint_auth_signing_alg"], "ES256");
    assert_eq!(info["jwks"]["keys"][0]["x"], key.jwk["x"]);
    assert!(info.get("client_secret").is_none(), "{info}");
    let client_id = info["client_id"].as_str().unwrap();
    let response = post_form(
        &app,
        "/oauth/par",
        &[
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &key.sign(&claims(&app, client_id))),
        ],
    )
    .await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn dynamic_registration_refuses_a_loopback_jwks_uri_and_private_keys() {
    let app = spawn_app().await;
    open_registration(&app).await;
    let key = Key::ec("k1");
    let mut private = key.jwk.clone();
    private["d"] = json!("c2VjcmV0");
    for (name, keys) in [
        (
            "loopback jwks_uri",
            json!({"jwks_uri": "http://127.0.0.1:9/jwks"}),
        ),
        ("private key", json!({"jwks": {"keys": [private]}})),
        ("no keys", json!({})),
        (
            "both",
            json!({"jwks": {"keys": [key.jwk]}, "jwks_uri": "https://keys.example.com/jwks"}),
        ),
    ] {
        let mut body = json!({
            "redirect_uris": [REDIRECT],
            "scope": "openid",
            "token_endpoint_auth_method": "private_key_jwt",
        });
        for (field, value) in keys.as_object().unwrap() {
            body[field] = value.clone();
        }
        let response = post_register(&app, &body).await;
        assert_eq!(response.status(), 400, "{name}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], "invalid_client_metadata", "{name}: {error}");
    }
}

#[tokio::test]
async fn with_the_development_setting_a_loopback_jwks_uri_may_be_registered() {
    let app = spawn_idp_app().await;
    open_registration(&app).await;
    let key = Key::rsa("k1");
    let server = Idp::start(&[&key]).await;
    let response = post_register(
        &app,
        &json!({
            "redirect_uris": [REDIRECT],
            "scope": "openid",
            "token_endpoint_auth_method": "private_key_jwt",
            "jwks_uri": server.jwks_uri,
        }),
    )
    .await;
    assert_eq!(response.status(), 201);
    let info: Value = response.json().await.unwrap();
    assert_eq!(info["jwks_uri"], server.jwks_uri.as_str());
}

#[tokio::test]
async fn client_secret_jwt_secrets_are_resealed_with_the_master_key_and_keep_working() {
    use tessera::crypto::MasterKey;
    let app = spawn_app().await;
    let auth = ClientAuthSettings {
        method: ClientAuthMethod::ClientSecretJwt,
        keys: None,
        signing_alg: None,
    };
    let client = register_as(&app, auth).await;
    let secret = client.secret.clone().unwrap();
    let new = MasterKey::generate();
    let rotated = app.cli(
        &["keys", "rotate-master", "--json"],
        Some(&format!("{}\n", new.to_base64())),
    );
    assert!(
        rotated.status.success(),
        "{}",
        String::from_utf8_lossy(&rotated.stderr)
    );
    let report: Value = serde_json::from_slice(&rotated.stdout).unwrap();
    assert_eq!(report["client_secret_jwt_secrets"], 1, "{report}");
    assert_eq!(report["clients_needing_new_secrets"], json!([]), "{report}");

    let dir = tempfile::tempdir().unwrap();
    let restarted =
        crate::helpers::spawn_app_on(app.database_url.clone(), new.to_base64(), dir).await;
    let assertion = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(&app, &client.client_id),
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();
    let response = new_client(restarted.port)
        .post(restarted.url("/oauth/token"))
        .header("host", format!("localhost:{}", app.port))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &assertion),
        ])
        .send()
        .await
        .unwrap();
    issued(response).await;
}

#[tokio::test]
async fn a_registration_update_replaces_the_keys_but_not_the_method() {
    let app = spawn_app().await;
    open_registration(&app).await;
    let (old, new) = (Key::ec("old"), Key::ed("new"));
    let metadata = |key: &Key, method: &str| {
        json!({
            "redirect_uris": [REDIRECT],
            "scope": "openid",
            "token_endpoint_auth_method": method,
            "jwks": {"keys": [key.jwk]},
        })
    };
    let info: Value = post_register(&app, &metadata(&old, "private_key_jwt"))
        .await
        .json()
        .await
        .unwrap();
    let client_id = info["client_id"].as_str().unwrap().to_string();
    let token = info["registration_access_token"].as_str().unwrap();
    let put = |body: Value| {
        let request = new_client(app.port)
            .put(app.url(&format!("/oauth/register/{client_id}")))
            .bearer_auth(token)
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    let changed = put(metadata(&new, "client_secret_basic")).await;
    assert_eq!(changed.status(), 400);
    let updated = put(metadata(&new, "private_key_jwt")).await;
    assert_eq!(updated.status(), 200);
    let info: Value = updated.json().await.unwrap();
    assert_eq!(info["jwks"]["keys"][0]["kid"], "new");
    let par = |assertion: String| {
        let request = new_client(app.port).post(app.url("/oauth/par")).form(&[
            ("response_type", "code".to_string()),
            ("redirect_uri", REDIRECT.to_string()),
            ("scope", "openid".to_string()),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".to_string(),
            ),
            ("code_challenge_method", "S256".to_string()),
            ("client_assertion_type", ASSERTION_TYPE.to_string()),
            ("client_assertion", assertion),
        ]);
        async move { request.send().await.unwrap() }
    };
    refused(par(old.sign(&claims(&app, &client_id))).await).await;
    assert_eq!(par(new.sign(&claims(&app, &client_id))).await.status(), 201);
}
