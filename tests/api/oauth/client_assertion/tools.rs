//! Registering keys with the command line and the developer portal.

use super::*;

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
