//! Client authentication with keys, end to end over HTTP: private_key_jwt
//! (RFC 7523 2.2) with keys given inline or served from a `jwks_uri`, and
//! client_secret_jwt. Assertions are made here with `jsonwebtoken` and keys
//! generated in the test, never with Tessera's own signing code. Each
//! refusal is its own test.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tessera::oauth::ClientSettings;
use tessera::oauth::client_auth::{ClientAuthMethod, ClientAuthSettings, ClientKeySource};
use tessera::oauth::registration::RegistrationPolicy;

use crate::helpers::{TestApp, new_client, spawn_app};
use crate::identity::support::{Idp, Key, jwks, raw_token, spawn_idp_app};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const REDIRECT: &str = "https://app.example.com/callback";

/// A client as its developer knows it: the id, and the secret of a
/// client_secret_jwt client.
struct Registered {
    client_id: String,
    secret: Option<String>,
}

async fn register_as(app: &TestApp, auth: ClientAuthSettings) -> Registered {
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let registered = app
        .state
        .oauth
        .clients
        .register_with(
            &site,
            ClientSettings {
                name: "Key Holder".into(),
                homepage_url: None,
                redirect_uris: vec![REDIRECT.into()],
                scopes: Some("content:read".into()),
                grant_types: Some(vec![
                    "authorization_code".into(),
                    "client_credentials".into(),
                    "urn:ietf:params:oauth:grant-type:device_code".into(),
                ]),
            },
            &auth,
            None,
            &tessera::audit::Actor::Cli,
        )
        .await
        .expect("register the client");
    Registered {
        client_id: registered.client.client_id.clone(),
        secret: registered.secret.map(|s| s.into_inner()),
    }
}

async fn register_key_client(app: &TestApp, keys: ClientKeySource, alg: Option<&str>) -> String {
    let auth = ClientAuthSettings {
        method: ClientAuthMethod::PrivateKeyJwt,
        keys: Some(keys),
        signing_alg: alg.map(str::to_string),
    };
    register_as(app, auth).await.client_id
}

async fn inline_client(app: &TestApp, key: &Key) -> String {
    register_key_client(app, ClientKeySource::Jwks(jwks(&[key])), None).await
}

fn now(app: &TestApp) -> i64 {
    tessera::clock::Clock::now(&app.clock)
}

fn token_endpoint(app: &TestApp) -> String {
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    site.url("/oauth/token")
}

/// Good claims for an assertion of `client_id` to the token endpoint.
fn claims(app: &TestApp, client_id: &str) -> Value {
    let now = now(app);
    json!({
        "iss": client_id,
        "sub": client_id,
        "aud": token_endpoint(app),
        "iat": now,
        "exp": now + 60,
        "jti": uuid::Uuid::new_v4().to_string(),
    })
}

fn with(mut claims: Value, name: &str, value: Value) -> Value {
    claims[name] = value;
    claims
}

async fn post_form(app: &TestApp, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    new_client(app.port)
        .post(app.url(path))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The client_credentials grant, authenticated by `assertion` alone.
async fn token_with(app: &TestApp, assertion: &str) -> reqwest::Response {
    post_form(
        app,
        "/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", assertion),
        ],
    )
    .await
}

/// Asserts `invalid_client` as RFC 6749 5.2 says, and returns the description.
async fn refused(response: reqwest::Response) -> String {
    assert_eq!(response.status(), 401);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert!(response.headers().contains_key("www-authenticate"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_client", "{body}");
    body["error_description"].as_str().unwrap().to_string()
}

async fn issued(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert!(body["access_token"].is_string(), "{body}");
    body
}

#[tokio::test]
async fn a_client_with_inline_keys_authenticates_with_each_algorithm() {
    let app = spawn_app().await;
    let mut ps256 = Key::rsa("ps");
    ps256.alg = Algorithm::PS256;
    ps256.jwk.as_object_mut().unwrap().remove("alg");
    for key in [Key::ec("ec"), Key::rsa("rsa"), ps256, Key::ed("ed")] {
        let client_id = inline_client(&app, &key).await;
        let body = issued(token_with(&app, &key.sign(&claims(&app, &client_id))).await).await;
        assert_eq!(body["scope"], "content:read", "{:?}", key.alg);
    }
}

#[tokio::test]
async fn the_issuer_and_the_token_endpoint_are_both_accepted_audiences() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    for aud in [json!(site.issuer), json!(["other", token_endpoint(&app)])] {
        let assertion = key.sign(&with(claims(&app, &client_id), "aud", aud));
        issued(token_with(&app, &assertion).await).await;
    }
}

#[tokio::test]
async fn an_assertion_for_another_audience_is_refused() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let claims = with(
        claims(&app, &client_id),
        "aud",
        json!("https://elsewhere.example/token"),
    );
    let description = refused(token_with(&app, &key.sign(&claims)).await).await;
    assert!(description.contains("aud"), "{description}");
}

#[tokio::test]
async fn an_expired_assertion_is_refused() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let assertion = key.sign(&claims(&app, &client_id));
    app.clock.advance(120);
    let description = refused(token_with(&app, &assertion).await).await;
    assert!(description.contains("expired"), "{description}");
}

#[tokio::test]
async fn an_assertion_that_lives_longer_than_five_minutes_is_refused() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let claims = with(claims(&app, &client_id), "exp", json!(now(&app) + 3600));
    let description = refused(token_with(&app, &key.sign(&claims)).await).await;
    assert!(description.contains("5 minutes"), "{description}");
}

#[tokio::test]
async fn a_replayed_assertion_is_refused() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let assertion = key.sign(&claims(&app, &client_id));
    issued(token_with(&app, &assertion).await).await;
    let description = refused(token_with(&app, &assertion).await).await;
    assert!(description.contains("jti"), "{description}");
}

#[tokio::test]
async fn an_assertion_without_a_jti_is_refused() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let mut claims = claims(&app, &client_id);
    claims.as_object_mut().unwrap().remove("jti");
    let description = refused(token_with(&app, &key.sign(&claims)).await).await;
    assert!(description.contains("jti"), "{description}");
}

#[tokio::test]
async fn an_assertion_signed_by_an_unregistered_key_is_refused() {
    let app = spawn_app().await;
    let client_id = inline_client(&app, &Key::ec("k1")).await;
    // Same kid, another key: the signature does not verify.
    let impostor = Key::ec("k1");
    let description =
        refused(token_with(&app, &impostor.sign(&claims(&app, &client_id))).await).await;
    assert!(description.contains("signature"), "{description}");
    // Another kid: no such key is registered.
    let unknown = Key::ec("k2");
    let description =
        refused(token_with(&app, &unknown.sign(&claims(&app, &client_id))).await).await;
    assert!(description.contains("not registered"), "{description}");
}

#[tokio::test]
async fn an_unsigned_assertion_is_refused() {
    let app = spawn_app().await;
    let client_id = inline_client(&app, &Key::ec("k1")).await;
    let assertion = raw_token(
        &json!({"alg": "none", "kid": "k1"}),
        &claims(&app, &client_id),
        b"",
    );
    let description = refused(token_with(&app, &assertion).await).await;
    assert!(description.contains("alg"), "{description}");
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_as_secret_is_refused() {
    let app = spawn_app().await;
    let key = Key::rsa("k1");
    let client_id = inline_client(&app, &key).await;
    let public_as_secret = jwks(&[&key]);
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k1".into());
    let assertion = jsonwebtoken::encode(
        &header,
        &claims(&app, &client_id),
        &EncodingKey::from_secret(public_as_secret.as_bytes()),
    )
    .unwrap();
    let description = refused(token_with(&app, &assertion).await).await;
    assert!(description.contains("alg"), "{description}");
}

#[tokio::test]
async fn an_algorithm_other_than_the_registered_one_is_refused() {
    let app = spawn_app().await;
    let mut rsa = Key::rsa("k1");
    rsa.jwk.as_object_mut().unwrap().remove("alg");
    let client_id =
        register_key_client(&app, ClientKeySource::Jwks(jwks(&[&rsa])), Some("PS256")).await;
    let description = refused(token_with(&app, &rsa.sign(&claims(&app, &client_id))).await).await;
    assert!(
        description.contains("token_endpoint_auth_signing_alg"),
        "{description}"
    );
}

#[tokio::test]
async fn a_wrong_assertion_type_is_refused() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let response = post_form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
            ),
            ("client_assertion", &key.sign(&claims(&app, &client_id))),
        ],
    )
    .await;
    let description = refused(response).await;
    assert!(
        description.contains("client_assertion_type"),
        "{description}"
    );
}

#[tokio::test]
async fn a_key_client_cannot_authenticate_with_a_secret() {
    let app = spawn_app().await;
    let client_id = inline_client(&app, &Key::ec("k1")).await;
    let response = new_client(app.port)
        .post(app.url("/oauth/token"))
        .basic_auth(&client_id, Some("tcs_guessed"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let description = refused(response).await;
    assert!(description.contains("private_key_jwt"), "{description}");
    // Nor by its id alone, as if it were public.
    let response = post_form(
        &app,
        "/oauth/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &client_id),
        ],
    )
    .await;
    refused(response).await;
}

#[tokio::test]
async fn a_secret_client_cannot_authenticate_with_an_assertion() {
    let app = spawn_app().await;
    let secret_client = register_as(&app, ClientAuthSettings::secret_or_none(true)).await;
    let key = Key::ec("k1");
    let description =
        refused(token_with(&app, &key.sign(&claims(&app, &secret_client.client_id))).await).await;
    assert!(description.contains("client secret"), "{description}");
}

#[tokio::test]
async fn keys_served_at_a_jwks_uri_are_fetched_and_refetched_for_a_new_kid() {
    let app = spawn_idp_app().await;
    let first = Key::ec("first");
    let server = Idp::start(&[&first]).await;
    let client_id = register_key_client(
        &app,
        ClientKeySource::JwksUri(server.jwks_uri.clone()),
        None,
    )
    .await;
    issued(token_with(&app, &first.sign(&claims(&app, &client_id))).await).await;
    issued(token_with(&app, &first.sign(&claims(&app, &client_id))).await).await;
    assert_eq!(server.fetches(), 1, "the keys are cached");
    // The client rotates its key at its URL.
    let second = Key::ed("second");
    server.publish(&[&first, &second]);
    // Within a minute of the last fetch an unknown kid fetches nothing.
    refused(token_with(&app, &second.sign(&claims(&app, &client_id))).await).await;
    assert_eq!(server.fetches(), 1);
    app.clock.advance(61);
    issued(token_with(&app, &second.sign(&claims(&app, &client_id))).await).await;
    assert_eq!(server.fetches(), 2);
}

#[tokio::test]
async fn new_keys_registered_for_a_client_replace_the_cached_ones() {
    let app = spawn_app().await;
    let old = Key::ec("old");
    let client_id = inline_client(&app, &old).await;
    issued(token_with(&app, &old.sign(&claims(&app, &client_id))).await).await;
    let new = Key::ec("new");
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    app.state
        .oauth
        .clients
        .set_keys(
            &site,
            &client_id,
            Some(ClientKeySource::Jwks(jwks(&[&new]))),
            None,
            &tessera::audit::Actor::Cli,
        )
        .await
        .unwrap();
    refused(token_with(&app, &old.sign(&claims(&app, &client_id))).await).await;
    issued(token_with(&app, &new.sign(&claims(&app, &client_id))).await).await;
}

#[tokio::test]
async fn client_secret_jwt_authenticates_with_an_hmac_over_the_secret() {
    let app = spawn_app().await;
    let auth = ClientAuthSettings {
        method: ClientAuthMethod::ClientSecretJwt,
        keys: None,
        signing_alg: None,
    };
    let client = register_as(&app, auth).await;
    let secret = client.secret.clone().expect("a secret is issued");
    let sign = |secret: &str| {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(&app, &client.client_id),
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    issued(token_with(&app, &sign(&secret)).await).await;
    let description = refused(token_with(&app, &sign("tcs_not_the_secret")).await).await;
    assert!(description.contains("signature"), "{description}");
    // The secret itself is refused: the client registered an assertion.
    let response = new_client(app.port)
        .post(app.url("/oauth/token"))
        .basic_auth(&client.client_id, Some(&secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    let description = refused(response).await;
    assert!(description.contains("client_secret_jwt"), "{description}");
}

#[tokio::test]
async fn a_rotated_client_secret_jwt_secret_replaces_the_old_one() {
    let app = spawn_app().await;
    let auth = ClientAuthSettings {
        method: ClientAuthMethod::ClientSecretJwt,
        keys: None,
        signing_alg: Some("HS256".into()),
    };
    let client = register_as(&app, auth).await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let fresh = app
        .state
        .oauth
        .clients
        .rotate_secret(&site, &client.client_id, &tessera::audit::Actor::Cli)
        .await
        .unwrap()
        .into_inner();
    let sign = |secret: &str| {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(&app, &client.client_id),
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    refused(token_with(&app, &sign(client.secret.as_deref().unwrap())).await).await;
    issued(token_with(&app, &sign(&fresh)).await).await;
}

#[tokio::test]
async fn every_client_endpoint_accepts_an_assertion_for_its_own_url() {
    let app = spawn_app().await;
    let key = Key::ec("k1");
    let client_id = inline_client(&app, &key).await;
    let site = app.state.sites.by_id(app.default_site_id()).unwrap();
    let access =
        issued(token_with(&app, &key.sign(&claims(&app, &client_id))).await).await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
    let assertion_for = |path: &str| {
        key.sign(&with(
            claims(&app, &client_id),
            "aud",
            json!(site.url(path)),
        ))
    };
    let auth = |assertion: &str| {
        vec![
            (
                "client_assertion_type".to_string(),
                ASSERTION_TYPE.to_string(),
            ),
            ("client_assertion".to_string(), assertion.to_string()),
        ]
    };
    let send = |path: &'static str, mut form: Vec<(String, String)>, assertion: String| {
        form.extend(auth(&assertion));
        let request = new_client(app.port).post(app.url(path)).form(&form);
        async move { request.send().await.unwrap() }
    };
    let introspected = send(
        "/oauth/introspect",
        vec![("token".into(), access.clone())],
        assertion_for("/oauth/introspect"),
    )
    .await;
    assert_eq!(introspected.status(), 200);
    let body: Value = introspected.json().await.unwrap();
    assert_eq!(body["active"], true, "{body}");
    let pushed = send(
        "/oauth/par",
        vec![
            ("response_type".into(), "code".into()),
            ("redirect_uri".into(), REDIRECT.into()),
            ("scope".into(), "content:read".into()),
            (
                "code_challenge".into(),
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into(),
            ),
            ("code_challenge_method".into(), "S256".into()),
        ],
        assertion_for("/oauth/par"),
    )
    .await;
    assert_eq!(pushed.status(), 201, "{:?}", pushed.text().await);
    let device = send(
        "/oauth/device_authorization",
        vec![("scope".into(), "content:read".into())],
        assertion_for("/oauth/device_authorization"),
    )
    .await;
    assert_eq!(device.status(), 200, "{:?}", device.text().await);
    let revoked = send(
        "/oauth/revoke",
        vec![("token".into(), access.clone())],
        assertion_for("/oauth/revoke"),
    )
    .await;
    assert_eq!(revoked.status(), 200);
    // An assertion for one endpoint does not open another.
    let crossed = send(
        "/oauth/introspect",
        vec![("token".into(), access)],
        assertion_for("/oauth/par"),
    )
    .await;
    refused(crossed).await;
}

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

/// Runs `tessera client …` with `--json` and returns what it printed.
fn cli_json(app: &TestApp, args: &[&str]) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    let out = app.cli(&args, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn the_cli_registers_a_pem_public_key_and_replaces_it() {
    use p256::pkcs8::{EncodePublicKey, LineEnding};
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    // The developer's key pair; only the public half is given to Tessera.
    let write_pem = |name: &str| {
        let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
        let pem = secret
            .public_key()
            .to_public_key_pem(LineEnding::LF)
            .unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, pem).unwrap();
        let der = p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&secret).unwrap();
        (path, EncodingKey::from_ec_der(der.as_bytes()))
    };
    let sign = |key: &EncodingKey, client_id: &str| {
        jsonwebtoken::encode(
            &Header::new(Algorithm::ES256),
            &claims(&app, client_id),
            key,
        )
        .unwrap()
    };
    let (first_path, first) = write_pem("first.pem");
    let created = cli_json(
        &app,
        &[
            "client",
            "create",
            "--site",
            "default",
            "--name",
            "Batch Job",
            "--scopes",
            "content:read",
            "--grant-types",
            "client_credentials",
            "--auth-method",
            "private_key_jwt",
            "--public-key-file",
            first_path.to_str().unwrap(),
        ],
    );
    assert_eq!(created["token_endpoint_auth_method"], "private_key_jwt");
    assert!(created["client_secret"].is_null(), "{created}");
    let client_id = created["client_id"].as_str().unwrap().to_string();
    issued(token_with(&app, &sign(&first, &client_id)).await).await;

    let (second_path, second) = write_pem("second.pem");
    cli_json(
        &app,
        &[
            "client",
            "set-keys",
            "--site",
            "default",
            &client_id,
            "--public-key-file",
            second_path.to_str().unwrap(),
        ],
    );
    // The CLI is another process: this one learns of the change through
    // the change feed.
    app.state.cache.clear();
    refused(token_with(&app, &sign(&first, &client_id)).await).await;
    issued(token_with(&app, &sign(&second, &client_id)).await).await;
}

/// An EC key pair as a developer has it: the PEM public key to paste, and
/// the private key to sign with.
fn pem_key_pair() -> (String, EncodingKey) {
    use p256::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
    let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let pem = secret
        .public_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    let der = secret.to_pkcs8_der().unwrap();
    (pem, EncodingKey::from_ec_der(der.as_bytes()))
}

fn sign_es256(app: &TestApp, key: &EncodingKey, client_id: &str) -> String {
    jsonwebtoken::encode(&Header::new(Algorithm::ES256), &claims(app, client_id), key).unwrap()
}

/// Posts a portal form at `path` (fetching its CSRF token from `page`).
async fn post_portal_form(
    app: &TestApp,
    browser: &reqwest::Client,
    page: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let html = browser
        .get(app.url(page))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = crate::helpers::hidden_input(&html, "csrf_token").expect("a form");
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    browser
        .post(app.url(path))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(&form).unwrap())
        .send()
        .await
        .unwrap()
}

fn app_fields<'a>(client_type: &'a str, public_key: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", "Nightly Export"),
        ("homepage_url", "https://export.example.com"),
        ("redirect_uris", REDIRECT),
        ("client_type", client_type),
        ("scope", "content:read"),
        ("grant_type", "authorization_code"),
        ("grant_type", "client_credentials"),
        ("public_key", public_key),
    ]
}

#[tokio::test]
async fn a_developer_registers_an_app_with_a_pem_public_key_and_replaces_it() {
    let app = spawn_app().await;
    app.create_user("dev", "dev-password-123", tessera::users::Role::Community)
        .await;
    let (browser, _) = app.signed_in_client("dev", "dev-password-123").await;
    let (first_pem, first) = pem_key_pair();
    let response = post_portal_form(
        &app,
        &browser,
        "/developers/new",
        "/developers/new",
        &app_fields("key", &first_pem),
    )
    .await;
    assert_eq!(response.status(), 201);
    let html = response.text().await.unwrap();
    assert!(
        !html.contains(r#"id="client-secret""#),
        "no secret is shown"
    );
    let marker = r#"id="client-id">"#;
    let start = html.find(marker).unwrap() + marker.len();
    let client_id = html[start..start + html[start..].find('<').unwrap()].to_string();
    issued(token_with(&app, &sign_es256(&app, &first, &client_id)).await).await;

    let (second_pem, second) = pem_key_pair();
    let page = format!("/developers/apps/{client_id}");
    let response = post_portal_form(
        &app,
        &browser,
        &page,
        &page,
        &app_fields("key", &second_pem),
    )
    .await;
    assert_eq!(response.status(), 303);
    refused(token_with(&app, &sign_es256(&app, &first, &client_id)).await).await;
    issued(token_with(&app, &sign_es256(&app, &second, &client_id)).await).await;
}

#[tokio::test]
async fn the_portal_refuses_a_pasted_private_key() {
    let app = spawn_app().await;
    app.create_user("dev", "dev-password-123", tessera::users::Role::Community)
        .await;
    let (browser, _) = app.signed_in_client("dev", "dev-password-123").await;
    let private =
        "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----";
    let response = post_portal_form(
        &app,
        &browser,
        "/developers/new",
        "/developers/new",
        &app_fields("key", private),
    )
    .await;
    assert_eq!(response.status(), 400);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="public-key-error""#), "{html}");
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
